"""`deskapp audit verify`: walk the audit hash chain and name the first place it breaks.

Each event's hash covers its content and the previous event's hash
(deskapp.actions.audit.event_hash). Walking the rows in id order:

- an event whose content no longer matches its hash was altered;
- an event that does not link to the one before it, while the event after it
  links past it, was inserted;
- an event that is intact but links to a hash no remaining event has follows
  one or more deleted events (a jump in ids says which).

Rows are read as raw text and parsed here, so a row an attacker wrote by hand
(bad JSON, a date that is not a date) is reported, never a traceback. Ids may
skip on PostgreSQL (a rolled-back write burns a sequence number): a gap with
intact links is not tampering.

Limit: someone who can write the database and knows the algorithm can rebuild
the chain from the point they changed. Recording the head (`--anchor ID:HASH`,
printed by every successful run) somewhere else closes that gap: a later run
checks the anchored event is still there with the same hash.

Besides the chain, `verify` checks the live tables against the row digests the
events recorded (deskapp.supervision.rowcheck) and that the append-only
protections stand (deskapp.supervision.guardcheck). `VerifyReport.problems()`
is the one list every check adds its lines to; the command prints it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator, Optional

from sqlalchemy import Engine, Text, cast, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from deskapp.actions.audit import event_hash
from deskapp.errors import DeskError, StorageError
from deskapp.store.engine import masked
from deskapp.store.models import AuditEvent, AuditRow
from deskapp.supervision.guardcheck import GuardReport, check_guard
from deskapp.supervision.rowcheck import RowReport, check_rows, refs_of, with_event_cases

_COLUMNS = ("id", "at", "actor", "handler_id", "case_id", "action", "detail", "findings", "reason",
            "contact_id", "approval_id", "prev_hash", "hash", "policy_hash", "via")


@dataclass
class Row:
    """One audit row as stored, with the fields event_hash reads. `unreadable` names a field that would not parse."""

    id: int
    at: Any
    actor: Any
    handler_id: Any
    case_id: Any
    action: Any
    detail: Any
    findings: Any
    reason: Any
    contact_id: Any
    approval_id: Any
    prev_hash: str
    hash: str
    policy_hash: Optional[str] = None  # trust1: in the hash when set (deskapp.core.chain)
    via: Optional[str] = None
    unreadable: Optional[str] = None
    rows: list = field(default_factory=list)  # evidence1: [(table, id, digest)] from audit_rows


@dataclass(frozen=True)
class Problem:
    event_id: int
    kind: str  # altered | inserted | deleted | missing
    message: str


@dataclass
class ChainReport:
    checked: int = 0
    first_id: Optional[int] = None
    head_id: Optional[int] = None
    head_hash: Optional[str] = None
    gaps: int = 0  # id jumps with intact links (rolled-back writes)
    problem: Optional[Problem] = None
    stray: list = field(default_factory=list)  # event ids audit_rows names that are not in the log
    rows: Optional[RowReport] = None  # the live tables against the recorded digests
    guard: Optional[GuardReport] = None  # the append-only protections
    row_lines: list = field(default_factory=list)  # rows' problems as messages (capped)
    extra: list = field(default_factory=list)  # problems other checks add (e.g. checkpoints)

    @property
    def ok(self) -> bool:
        return not self.problems()

    def problems(self) -> list[str]:
        """Every problem found, one line each: the chain's first break, then rows, protections, the rest."""
        out = [self.problem.message] if self.problem is not None else []
        if self.stray:
            first = self.stray[0]
            out.append(f"audit_rows names event {first}, which is not in the log: row digests were added by hand"
                       + (f" ({len(self.stray):,} such events)" if len(self.stray) > 1 else ""))
        out.extend(self.row_lines)
        if self.rows is not None and self.rows.count > len(self.row_lines):
            out.append(f"… and {self.rows.count - len(self.row_lines):,} more rows differ")
        if self.guard is not None:
            out.extend(self.guard.problems)
        out.extend(self.extra)
        return out

    @property
    def warnings(self) -> list[str]:
        return list(self.guard.warnings) if self.guard is not None else []


VerifyReport = ChainReport


def _parse_row(raw: Any) -> Row:
    values = dict(zip(_COLUMNS, raw))
    unreadable = None
    at = values["at"]
    try:
        at = datetime.fromisoformat(str(at).strip()) if at is not None else None
    except ValueError:
        unreadable = "at"
    for name in ("detail", "findings"):
        text = values[name]
        try:
            values[name] = json.loads(text) if text is not None else None
        except (ValueError, TypeError, RecursionError):
            unreadable = unreadable or name
    values["at"] = at
    values["prev_hash"] = values["prev_hash"] if isinstance(values["prev_hash"], str) else str(values["prev_hash"])
    values["hash"] = values["hash"] if isinstance(values["hash"], str) else str(values["hash"])
    return Row(**values, unreadable=unreadable)


def recomputed(row: Row) -> Optional[str]:
    """The hash this row's content gives, or None if the content cannot even be hashed."""
    if row.unreadable:
        return None
    try:
        return event_hash(row)  # type: ignore[arg-type]  (reads the same attribute names)
    except (TypeError, ValueError, AttributeError, RecursionError):
        return None


def _rows(engine: Engine, batch: int = 2_000, stray: Optional[list] = None) -> Iterator[Row]:
    t = AuditEvent.__table__
    columns = [
        cast(t.c[name], Text) if name in ("at", "detail", "findings") else t.c[name]
        for name in _COLUMNS
    ]
    query = select(*columns).order_by(t.c.id)
    r = AuditRow.__table__
    row_query = select(r.c.event_id, r.c.tbl, r.c.row_id, r.c.digest).order_by(r.c.event_id, r.c.tbl, r.c.row_id)
    with engine.connect() as conn:
        cursors: list = []
        if conn.dialect.name == "sqlite":
            # Millions of rows: a plain sqlite3 cursor steps through them lazily (flat memory) at a
            # fraction of the cost of SQLAlchemy's per-row result handling. No values are converted
            # there anyway (the text columns are CAST above).
            raw = conn.connection.dbapi_connection
            cursors = [raw.cursor(), raw.cursor()]
            result = cursors[0].execute(str(query.compile(dialect=conn.dialect)))
            digests = iter(cursors[1].execute(str(row_query.compile(dialect=conn.dialect))))
        else:
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
            # The events' row digests, read in the same event order and merged in as the events stream past.
            digests = iter(conn.execution_options(stream_results=True, yield_per=batch).execute(row_query))
        try:
            waiting = next(digests, None)
            for raw_row in result:
                row = _parse_row(raw_row)
                while waiting is not None and waiting[0] < row.id:
                    _stray(stray, waiting[0])  # rows of an event that is not there
                    waiting = next(digests, None)
                while waiting is not None and waiting[0] == row.id:
                    row.rows.append((waiting[1], waiting[2], waiting[3]))
                    waiting = next(digests, None)
                yield row
            while waiting is not None:
                _stray(stray, waiting[0])
                waiting = next(digests, None)
        finally:
            for cursor in cursors:
                cursor.close()


def _stray(stray: Optional[list], event_id: int) -> None:
    if stray is not None and (not stray or stray[-1] != event_id) and len(stray) < 1000:
        stray.append(int(event_id))


def _span(first: int, last: int) -> str:
    return f"event {first}" if first == last else f"events {first}–{last}"


def check_chain(rows: Iterator[Row]) -> ChainReport:
    """Walk rows in id order; stop at the first problem. Pure: tests feed it rows directly."""
    report = ChainReport()
    prev: Optional[Row] = None
    before_prev: Optional[Row] = None
    it = iter(rows)
    current = next(it, None)
    while current is not None:
        following = next(it, None)
        problem = _judge(before_prev, prev, current, following)
        if problem is not None:
            report.problem = problem
            return report
        if prev is not None and current.id > prev.id + 1:
            report.gaps += 1
        report.checked += 1
        if report.first_id is None:
            report.first_id = current.id
        report.head_id, report.head_hash = current.id, current.hash
        before_prev, prev, current = prev, current, following
    return report


def _judge(before_prev: Optional[Row], prev: Optional[Row], row: Row, nxt: Optional[Row]) -> Optional[Problem]:
    expected = prev.hash if prev is not None else ""
    computed = recomputed(row)
    link_ok = row.prev_hash == expected
    hash_ok = computed is not None and computed == row.hash
    if link_ok and hash_ok:
        return None
    where = f"event {row.id}"
    if link_ok:
        if row.unreadable:
            return Problem(row.id, "altered", f"{where} was altered: its {row.unreadable} is not readable")
        return Problem(row.id, "altered", f"{where} was altered: its content no longer matches its recorded hash")
    if hash_ok and prev is not None and row.prev_hash == prev.prev_hash:
        # Two events claim the same predecessor: one of them is not part of the chain.
        if nxt is not None and nxt.prev_hash == prev.hash:
            return Problem(row.id, "inserted", f"{where} was inserted: event {nxt.id} links past it to event {prev.id}")
        before = f"event {before_prev.id}" if before_prev is not None else "the start of the log"
        return Problem(prev.id, "inserted",
                       f"event {prev.id} was inserted: event {row.id} links past it to {before}")
    if hash_ok:
        if prev is None:
            return Problem(row.id, "deleted",
                           f"events before {row.id} were deleted: it is the first event left but links to an earlier one")
        if row.id > prev.id + 1:
            return Problem(row.id, "deleted",
                           f"{_span(prev.id + 1, row.id - 1)} deleted: event {row.id} links to an event that is "
                           f"no longer there (the chain jumps from event {prev.id})")
        return Problem(row.id, "deleted",
                       f"{where} links to an event that is no longer there: an event between {prev.id} and "
                       f"{row.id} was deleted, or event {prev.id} was altered and its hash recomputed")
    # Neither its link nor its own hash holds.
    if nxt is not None and nxt.prev_hash == expected:
        after = f"event {prev.id}" if prev is not None else "the start of the log"
        return Problem(row.id, "inserted", f"{where} was inserted: event {nxt.id} links past it to {after}")
    if nxt is None:
        return Problem(row.id, "inserted",
                       f"{where} (the last) was inserted or altered: it neither links to "
                       f"{'event ' + str(prev.id) if prev else 'the start of the log'} nor matches its own hash")
    return Problem(row.id, "altered", f"{where} was altered: neither its link to the event before it "
                                      "nor its own hash holds")


def parse_anchor(text: str) -> tuple[int, str]:
    """`ID:HASH` as printed by a successful verify."""
    ident, sep, digest = (text or "").partition(":")
    digest = digest.strip().lower()
    if not sep or not ident.strip().isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise DeskError(f"--anchor: expected ID:HASH as printed by `deskapp audit verify`, e.g. 1234:3fa9…, got {text!r}")
    return int(ident), digest


# Above this many cases the row check runs in its own process (two cores: chain and rows side by side).
PARALLEL_CASES = 100_000


def _row_check(engine: Engine) -> tuple[RowReport, list[str]]:
    with engine.connect() as conn:
        report = check_rows(conn)
        found = with_event_cases(conn, report.problems)
        return report, [p.message(refs_of(conn, found)) for p in found]


def _row_check_at(url: str) -> tuple[RowReport, list[str]]:
    from deskapp.store.engine import connect

    engine = connect(url)
    try:
        return _row_check(engine)
    finally:
        engine.dispose()


def _rows_elsewhere(engine: Engine) -> Any:
    """A future of (RowReport, lines) from a spawned process, or None to check here (small desk, one CPU,
    an in-memory database)."""
    import os
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    database = engine.url.database or ""
    if (os.cpu_count() or 1) < 2 or (engine.dialect.name == "sqlite" and (not database or database == ":memory:")):
        return None
    with engine.connect() as conn:
        top = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM cases").scalar() or 0
    if top < PARALLEL_CASES:
        return None
    pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
    future = pool.submit(_row_check_at, engine.url.render_as_string(hide_password=False))
    pool.shutdown(wait=False)
    return future


def verify(engine: Engine, anchors: tuple[tuple[int, str], ...] = (), *, rows: bool = True,
           guard: bool = True) -> ChainReport:
    """Check the whole chain (and any anchors), the live rows against their digests and the protections.

    StorageError if the database has no audit table. `rows`/`guard` False skip those checks.
    """
    try:
        if not inspect(engine).has_table(AuditEvent.__tablename__):
            raise StorageError(f"{masked(engine.url)} has no audit log: it is not a deskapp database "
                               "(run `deskapp init` to create one)")
        wanted = dict(anchors)
        seen: dict[int, str] = {}

        def watched(rows: Iterator[Row]) -> Iterator[Row]:
            for row in rows:
                if row.id in wanted:
                    seen[row.id] = row.hash
                yield row

        stray: list[int] = []
        # A big desk's rows are checked in a second process while this one walks the chain.
        helper = _rows_elsewhere(engine) if rows else None
        report = check_chain(watched(_rows(engine, stray=stray)))
        if report.problem is None:
            # With a broken chain, digests of missing events are expected: the chain's message says why.
            report.stray = stray
        if rows:
            report.rows, report.row_lines = helper.result() if helper is not None else _row_check(engine)
        if guard:
            with engine.connect() as conn:
                report.guard = check_guard(conn)
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise StorageError(f"cannot read the audit log of {masked(engine.url)}: {reason}") from exc
    if report.problem is None:
        for ident, digest in sorted(wanted.items()):
            if ident not in seen:
                report.problem = Problem(ident, "missing", f"anchored event {ident} is missing: it was deleted"
                                         + (" (the log now ends earlier)" if (report.head_id or 0) < ident else ""))
                break
            if seen[ident] != digest:
                report.problem = Problem(ident, "altered", f"anchored event {ident} has a different hash than recorded: "
                                         "the chain was rewritten from there or earlier")
                break
    return report
