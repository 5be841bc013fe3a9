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

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import event, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from deskapp.core.rowdigest import DELETED, DIGESTED, SALTED_BY, TOMBSTONE, _plain, row_digest  # noqa: F401
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


def digest_query(table: str, ids: Optional[list[int]] = None, after: Optional[int] = None,
                 columns: Mapping[str, tuple[str, ...]] = DIGESTED):
    """SELECT the covered columns of `table` plus the salt that keys its digests (SALTED_BY), ordered by id."""
    t = _table(table)
    selected = [t.c[name] for name in columns[table]]
    salt_table, salt_key = SALTED_BY[table]
    if salt_table == table:
        query = select(*selected, t.c.record_salt)
    else:
        owner = _table(salt_table)
        query = select(*selected, owner.c.record_salt).select_from(
            t.outerjoin(owner, owner.c.id == t.c[salt_key]))
    if ids is not None:
        query = query.where(t.c.id.in_(ids))
    if after is not None:
        query = query.where(t.c.id > after)
    return query.order_by(t.c.id)


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode
_AS_IS = frozenset((str, int, float, bool, type(None)))


def fast_digest(table: str, values: Sequence[Any], salt: Optional[str]) -> str:
    """row_digest(table, dict(zip(DIGESTED[table], values)), salt), byte for byte, without its per-value
    generality: verify and the demo's baseline digest millions of rows. tests/store/test_rowdigest_fast.py
    holds the two equal."""
    body: list[Any] = [table]
    for value in values:
        kind = type(value)
        if kind is datetime:
            value = value.replace(microsecond=0).isoformat(timespec="seconds")
        elif kind not in _AS_IS:
            value = _plain(value)
        body.append(value)
    return hashlib.sha256(((salt or "") + "\x00" + _ENCODE(body)).encode("utf-8")).hexdigest()


def digest_of_row(table: str, raw: Any) -> tuple[int, str]:
    """(id, digest) of one row read with digest_query."""
    n = len(DIGESTED[table])
    return int(raw[0]), fast_digest(table, raw[:n], raw[n])


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


def _sqlite_readers(table: str, columns: Mapping[str, tuple[str, ...]] = DIGESTED) -> list[Optional[Any]]:
    """Per covered column, how to turn SQLite's stored value into what the ORM would have read (None: as is).

    The verify and baseline paths read with the driver directly: the ORM's per-value processing is
    most of the cost on a million rows. Datetimes in the store's own text format go straight to the
    ISO text the digest covers; anything else goes through the type's own processor, so the digest
    is the one the ORM path (take_digests) gives.
    """
    from sqlalchemy import Boolean, DateTime, JSON
    from sqlalchemy.types import TypeDecorator

    from deskapp.store.engine import connect  # noqa: F401  (the dialect below is SQLite's)
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    t = _table(table)
    out: list[Optional[Any]] = []
    for name in columns[table]:
        kind = t.c[name].type
        # A masking column type (deskapp.store.masking) wraps the real one: judge by what it wraps.
        base = kind.impl_instance if isinstance(kind, TypeDecorator) else kind
        if isinstance(base, DateTime):
            parse = kind.dialect_impl(dialect).result_processor(dialect, None)
            out.append(_stamp_reader(parse))
        elif isinstance(base, (Boolean, JSON)):
            out.append(kind.dialect_impl(dialect).result_processor(dialect, None))
        else:
            out.append(None)
    return out


def _stamp_reader(parse: Any) -> Any:
    def read(value: Any) -> Any:
        if type(value) is str and len(value) == 26 and value[10] == " " and value[19] == ".":
            return value[:10] + "T" + value[11:19]  # what parse(value).replace(microsecond=0).isoformat() gives
        if value is None:
            return None
        parsed = parse(value) if parse is not None else value
        return parsed.replace(microsecond=0).isoformat(timespec="seconds") if isinstance(parsed, datetime) else parsed
    return read


def live_digests(conn: Connection, table: str, batch: int = 5_000, columns: Mapping[str, tuple[str, ...]] = DIGESTED,
                 ) -> Iterator[tuple[int, str, Optional[int], bool]]:
    """Every row of `table` in id order: (id, digest as stored now, its case id or None, holds a tombstone?).

    Read a page at a time by keyset (id > last), so memory stays flat on a million rows and no
    server-side cursor is held open between pages. Values come from the driver (see _sqlite_readers).
    """
    n = len(columns[table])
    case_at = columns[table].index("case_id") if "case_id" in columns[table] else None
    readers = list(enumerate(_sqlite_readers(table, columns))) if conn.dialect.name == "sqlite" else []
    readers = [(i, r) for i, r in readers if r is not None]
    after = None
    while True:
        sql = str(digest_query(table, after=after, columns=columns).limit(batch).compile(
            dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        page = conn.exec_driver_sql(sql.replace("%", "%%") if conn.dialect.name == "postgresql" else sql).fetchall()
        for raw in page:
            values = list(raw[:n])
            for i, read in readers:
                values[i] = read(values[i])
            row_id = int(raw[0])
            digest = fast_digest(table, values, raw[n])
            case_id = row_id if table == "cases" else None if case_at is None else raw[case_at]
            yield row_id, digest, case_id, TOMBSTONE in values
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


def unrecorded(conn: Connection, tables: Optional[Iterable[str]] = None, upto: Optional[int] = None,
               columns: Mapping[str, tuple[str, ...]] = DIGESTED) -> Iterator[tuple[str, int, str]]:
    """(table, id, digest) of every live digested row no audit event (up to `upto`) recorded: a baseline's rows.

    `columns`: the DIGESTED to digest with (a migration passes the one of its revision; its tables by default)."""
    for table in (tuple(columns) if tables is None else tables):
        recorded = recorded_latest(conn, table, upto=upto)
        waiting = next(recorded, None)
        for row_id, digest, _case, _tomb in live_digests(conn, table, columns=columns):
            while waiting is not None and waiting[0] < row_id:
                waiting = next(recorded, None)
            if waiting is None or waiting[0] != row_id:
                yield table, row_id, digest


def latest_recorded_for(conn: Connection, keys: Iterable[Key]) -> dict[Key, tuple[int, str]]:
    """(event id, digest) of the latest audit_rows entry for each of these rows (absent: never recorded)."""
    wanted: dict[str, list[int]] = {}
    for table, row_id in keys:
        wanted.setdefault(table, []).append(int(row_id))
    t = AUDIT_ROWS
    out: dict[Key, tuple[int, str]] = {}
    for table, ids in wanted.items():
        for start in range(0, len(ids), 500):
            query = (select(t.c.row_id, t.c.event_id, t.c.digest)
                     .where(t.c.tbl == table, t.c.row_id.in_(ids[start:start + 500]))
                     .order_by(t.c.row_id, t.c.event_id))
            for row_id, event_id, digest in conn.execute(query):
                out[(table, int(row_id))] = (int(event_id), digest)  # the last one per row wins
    return out


def rows_that_differ(conn: Connection, keys: Iterable[Key]) -> dict[Key, tuple[str, Optional[int]]]:
    """For rows as now stored, those that do not match their latest recorded digest: key -> (kind, event id).

    kind: "changed" (after that event recorded it), "unrecorded" (no event recorded it), "back" (the
    event recorded it deleted). The same judgement as `audit verify`, for a handful of rows (an export).
    """
    keys = list(keys)
    now = current_digests(conn, keys)
    recorded = latest_recorded_for(conn, keys)
    out: dict[Key, tuple[str, Optional[int]]] = {}
    for key in keys:
        digest = now[key]
        if digest == DELETED:
            continue
        if key not in recorded:
            out[key] = ("unrecorded", None)
        elif recorded[key][1] == DELETED:
            out[key] = ("back", recorded[key][0])
        elif recorded[key][1] != digest:
            out[key] = ("changed", recorded[key][0])
    return out
