"""Which digested rows a transaction wrote, and what they hold as stored.

The audit chain records a digest of every row an action wrote
(deskapp.core.rowdigest). Rows changed through the ORM are noticed here on
every flush (`touched`); a Core UPDATE must say so itself (`touch`). When the
action appends its audit event, `take_digests` reads each touched row back
from the database — what is really stored, not what Python meant to store —
and the event's hash covers the result.

A transaction that wrote digested rows through the ORM and commits without an
audit event taking them is refused (`UnrecordedWrite`): an unaudited write is
the gap `deskapp audit verify` exists to find, so it is stopped at the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Optional

from sqlalchemy import event, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from deskapp.core.rowdigest import DELETED, DIGESTED, TOMBSTONE, row_digest
from deskapp.store.models import AuditRow, SQLModel

_TOUCHED = "deskapp_touched_rows"
_STRICT = "deskapp_audited"

Key = tuple[str, int]


class UnrecordedWrite(RuntimeError):
    """A transaction wrote digested rows but no audit event recorded them (a bug in a writer)."""


def touch(session: Session, table: str, row_id: int, deleted: bool = False) -> None:
    """Note a row written without the ORM (a Core UPDATE or INSERT) so the next audit event records it."""
    if table in DIGESTED and row_id is not None:
        session.info.setdefault(_TOUCHED, {})[(table, int(row_id))] = deleted


def pending(session: Session) -> dict[Key, bool]:
    """The rows written in this transaction that no audit event has recorded yet (key -> deleted?)."""
    return dict(session.info.get(_TOUCHED, {}))


def forget(session: Session) -> None:
    session.info.pop(_TOUCHED, None)


def _after_flush(session: Session, _context: Any) -> None:
    touched = session.info.setdefault(_TOUCHED, {})
    for obj in list(session.new) + list(session.dirty):
        table = getattr(obj, "__tablename__", None)
        if table in DIGESTED and (obj in session.new or session.is_modified(obj, include_collections=False)):
            ident = getattr(obj, "id", None)
            if ident is not None:
                touched[(table, int(ident))] = False
    for obj in session.deleted:
        table = getattr(obj, "__tablename__", None)
        ident = getattr(obj, "id", None)
        if table in DIGESTED and ident is not None:
            touched[(table, int(ident))] = True


def audited_session(engine: Any) -> Any:
    """A session whose commit is refused if it wrote digested rows no audit event recorded.

    The action layer's sessions (Desk.session) are made here; a test seeding rows directly is not.
    """
    from sqlmodel import Session as ModelSession

    session = ModelSession(engine, expire_on_commit=False)
    session.info[_STRICT] = True
    return session


def _before_commit(session: Session) -> None:
    left = session.info.get(_TOUCHED)
    if left and session.info.get(_STRICT):
        names = ", ".join(f"{t} {i}" for t, i in sorted(left)[:5])
        forget(session)
        raise UnrecordedWrite(f"rows written without an audit event recording them: {names}")
    forget(session)


def _after_end(session: Session, *_args: Any) -> None:
    forget(session)


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_rollback", _after_end)
event.listen(Session, "after_soft_rollback", _after_end)


def _table(name: str):
    return SQLModel.metadata.tables[name]


def current_digests(conn: Connection, keys: Iterable[Key]) -> dict[Key, str]:
    """The digest of each row as now stored (DELETED for a row that is not there)."""
    wanted: dict[str, set[int]] = {}
    for table, row_id in keys:
        wanted.setdefault(table, set()).add(int(row_id))
    out: dict[Key, str] = {}
    for table, ids in wanted.items():
        found = {row_id: digest for row_id, digest in digests_of(conn, table, sorted(ids))}
        for row_id in ids:
            out[(table, row_id)] = found.get(row_id, DELETED)
    return out


def digest_query(table: str, ids: Optional[list[int]] = None, after: Optional[int] = None):
    """SELECT the covered columns of `table` plus the salt of the row's case, ordered by id."""
    t = _table(table)
    cases = _table("cases")
    columns = [t.c[name] for name in DIGESTED[table]]
    if table == "cases":
        query = select(*columns, t.c.record_salt)
    else:
        query = select(*columns, cases.c.record_salt).select_from(
            t.outerjoin(cases, cases.c.id == t.c.case_id))
    if ids is not None:
        query = query.where(t.c.id.in_(ids))
    if after is not None:
        query = query.where(t.c.id > after)
    return query.order_by(t.c.id)


def digest_of_row(table: str, raw: Any) -> tuple[int, str]:
    """(id, digest) of one row read with digest_query."""
    names = DIGESTED[table]
    values = dict(zip(names, raw))
    salt = raw[len(names)]
    return int(values["id"]), row_digest(table, values, salt)


def digests_of(conn: Connection, table: str, ids: list[int], chunk: int = 500) -> Iterator[tuple[int, str]]:
    for start in range(0, len(ids), chunk):
        for raw in conn.execute(digest_query(table, ids[start:start + chunk])):
            yield digest_of_row(table, raw)


def take_digests(session: Session, extra: Iterable[Key] = ()) -> list[tuple[str, int, str]]:
    """Flush, then the digests of every row written since the last audit event (and `extra`), as stored.

    Clears the pending list: these rows are now the caller's event's to record.
    """
    session.flush()
    keys = dict(session.info.get(_TOUCHED, {}))
    for key in extra:
        keys.setdefault((key[0], int(key[1])), False)
    forget(session)
    if not keys:
        return []
    digests = current_digests(session.connection(), keys)
    return sorted((table, row_id, digests[(table, row_id)]) for (table, row_id) in keys)


def rows_of(event_id: int, rows: list[tuple[str, int, str]]) -> list[dict[str, Any]]:
    """audit_rows mappings for one event."""
    return [{"event_id": event_id, "tbl": t, "row_id": i, "digest": d} for t, i, d in rows]


AUDIT_ROWS = AuditRow.__table__


# --------------------------------------------------------------------------- whole-table streams (verify, baseline)


def live_digests(conn: Connection, table: str, batch: int = 5_000) -> Iterator[tuple[int, str, Optional[int], bool]]:
    """Every row of `table` in id order: (id, digest as stored now, its case id, holds a tombstone?).

    Read a page at a time by keyset (id > last), so memory stays flat on a million rows and no
    server-side cursor is held open between pages.
    """
    names = DIGESTED[table]
    after = None
    while True:
        page = conn.execute(digest_query(table, after=after).limit(batch)).all()
        for raw in page:
            row_id, digest = digest_of_row(table, raw)
            values = dict(zip(names, raw))
            case_id = row_id if table == "cases" else values.get("case_id")
            tomb = any(isinstance(v, str) and v == TOMBSTONE for v in values.values())
            yield row_id, digest, case_id, tomb
        if len(page) < batch:
            return
        after = int(page[-1][0])


def recorded_latest(conn: Connection, table: str, batch: int = 20_000,
                    upto: Optional[int] = None) -> Iterator[tuple[int, int, str]]:
    """(row id, event id, digest) of the LATEST audit_rows entry of every row of `table`, in row id order.

    Reads ix_audit_rows_row (tbl, row_id, event_id) page by page and keeps the last entry of each row.
    `upto`: only entries of events up to this id (a writer appending while it reads sees a fixed past).
    """
    t = AUDIT_ROWS
    after: Optional[tuple[int, int]] = None
    held: Optional[tuple[int, int, str]] = None
    while True:
        query = select(t.c.row_id, t.c.event_id, t.c.digest).where(t.c.tbl == table)
        if upto is not None:
            query = query.where(t.c.event_id <= upto)
        if after is not None:
            query = query.where(tuple_(t.c.row_id, t.c.event_id) > tuple_(*after))
        page = conn.execute(query.order_by(t.c.row_id, t.c.event_id).limit(batch)).all()
        for row_id, event_id, digest in page:
            if held is not None and held[0] != row_id:
                yield held
            held = (int(row_id), int(event_id), digest)
        if len(page) < batch:
            break
        after = (int(page[-1][0]), int(page[-1][1]))
    if held is not None:
        yield held


def unrecorded(conn: Connection, tables: Iterable[str] = tuple(DIGESTED),
               upto: Optional[int] = None) -> Iterator[tuple[str, int, str]]:
    """(table, id, digest) of every live digested row no audit event (up to `upto`) recorded: a baseline's rows."""
    for table in tables:
        recorded = recorded_latest(conn, table, upto=upto)
        waiting = next(recorded, None)
        for row_id, digest, _case, _tomb in live_digests(conn, table):
            while waiting is not None and waiting[0] < row_id:
                waiting = next(recorded, None)
            if waiting is None or waiting[0] != row_id:
                yield table, row_id, digest
