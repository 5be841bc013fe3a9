"""Fill a database with a believable desk: the named stories plus N generated cases.

Deterministic: the same (seed, today) gives the same rows, so tests, docs and
screenshots agree. Everything is placed relative to `today`, so some cases are
overdue, some due soon and some long closed whenever the demo is loaded.

Speed matters (a million cases in under a minute on SQLite): generated rows
(demo_generator) are plain tuples with precomputed text, written with
executemany or COPY (deskapp.store.bulk) or, for big SQLite loads, made by
worker processes and copied in inside SQLite (demo_parallel); the case
indexes are rebuilt once at the end. The whole fill is one transaction: it
lands completely or not at all.
"""

from __future__ import annotations

import json
import time as clock
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from datetime import date, datetime, time
from functools import lru_cache
from typing import Iterator, Optional

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from deskapp.errors import DeskError, StorageError
from deskapp.demo import audit as demo_audit, parallel as demo_parallel
from deskapp.store import search
from deskapp.store.bulk import BulkWriter, indexes_suspended, stamp
from deskapp.demo.generator import (APPOINTMENT_COLS, CASE_COLS, CONTACT_COLS, PARTY_COLS, DueAt, chunks,
                                          generate_chunk)
from deskapp.demo.stories import ME, STORY_REFS, Story, stories  # noqa: F401 (STORY_REFS re-exported)
from deskapp.store.engine import SQLITE_BUSY_TIMEOUT_MS, masked, one_line
from deskapp.store.handlers import _os_display_name, check_username
from deskapp.store.guard import audit_unlocked

# The demo's colleagues: (username, display name, role).
DEMO_HANDLERS = (
    ("sam", "Sam Okafor", "handler"),
    ("jo", "Jo Lindqvist", "handler"),
    ("priya", "Priya Natarajan", "supervisor"),
    ("admin", "Desk Admin", "admin"),
)
# Above this many generated cases, indexes are dropped during the load and rebuilt after.
BIG_LOAD = 20_000

# Case indexes whose keys the generator produces in ascending order (refs follow arrival): they stay
# live during a big load; the others are rebuilt once at the end. (Measured: keeping the received-time
# indexes live as well made the load slower, not faster.)
IN_ORDER_INDEXES = ("ix_cases_ref", "ix_cases_ref_natural", "ix_cases_open_ref", "ix_cases_external_ref")

LOADED_TABLES = ("cases", "parties", "contacts", "appointments")



def due_dates(pack) -> DueAt:
    """`Case.due_at` worked out as the desk works it out: the policy pack's timescales and calendar.

    The pack chooses the timescale by kind and category (e.g. FCA rules for
    billing complaints), counts working days on its calendar (bank holidays
    off) and gives the next unmet deadline. Cached on the few facts it depends
    on, so a million cases cost a few thousand calls.
    """

    @lru_cache(maxsize=200_000)
    def _due_at(kind: str, category: str, stage: int, status: str, received: date,
                acknowledged: Optional[date], stage2: Optional[date], extension_days: int) -> Optional[datetime]:
        case = SimpleNamespace(
            kind=kind, category=category, stage=stage, status=status, received_at=_noon(received),
            acknowledged_at=_noon(acknowledged), responded_at=None, stage2_at=_noon(stage2),
            extension_days=extension_days,
        )
        return pack.deadlines(case, _noon(received)).next_due

    def due(kind: str, category: str, stage: int, status: str, received: date, acknowledged: Optional[date],
            responded: Optional[date], stage2: Optional[date], extension_days: int) -> Optional[datetime]:
        if status == "closed" or responded is not None:
            return None  # nothing is due once the response has gone or the case is closed
        return _due_at(kind, category, stage, status, received, acknowledged, stage2, extension_days)

    return due


def _noon(day: Optional[date]) -> Optional[datetime]:
    return datetime.combine(day, time(12)) if day is not None else None


@dataclass
class DemoSummary:
    """What a demo fill did, for the command to report."""

    url: str
    stories: int = 0
    generated: int = 0
    wiped_cases: int = 0
    kept_cases: int = 0  # if_empty found this many cases and loaded nothing
    handlers_added: list[str] = field(default_factory=list)
    audit_events: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def cases(self) -> int:
        return self.stories + self.generated


# --------------------------------------------------------------------------- entry point


def fill_demo(engine: Engine, cases: int = 200, seed: int = 1, today: date | None = None, *,
              replace: bool = False, if_empty: bool = False, me: str | None = None,
              policies: str | Path | None = None) -> DemoSummary:
    """Load the named stories plus `cases` generated cases, all in one transaction.

    Refuses (DeskError) when the database already holds cases unless `replace`,
    which first deletes every case and everything attached to it (parties,
    history, appointments, drafts, approvals, the change feed, presence and the
    audit log); handlers stay. A desk whose audit log holds anything the demo
    did not begin is never wiped. With `if_empty`, a desk that already
    has cases is left as it is (`kept_cases` says how many) - for "set up the
    demo if it is not there yet" scripts.
    The demo writes an audit trail for its stories and a sample of the
    generated cases (demo_audit), so the dashboard and `audit verify` have one.
    `me` (default: the OS account running this) becomes a handler and gets some of the
    named cases, so the person trying the demo sees them under "mine".
    Deadlines come from `policies` (default: --policies/DESKAPP_POLICIES or
    the packaged pack), so the queue's due dates match what the desk shows.
    """
    if not isinstance(cases, int) or cases < 0:
        raise DeskError(f"--cases must be a whole number of 0 or more, not {cases!r}")
    if cases > 10_000_000:
        raise DeskError(f"--cases {cases} is more than the demo supports (10,000,000)")
    today = today or date.today()
    if me is None:
        from deskapp.config import os_username

        me = os_username()
    try:
        check_username(me)
    except DeskError as exc:
        raise DeskError(f"cannot add you as a demo handler: {exc} (your OS account's name is not a login "
                        "name deskapp accepts)") from exc

    from deskapp.config import policies_path
    from deskapp.policy import load_policies

    policies = policies_path(str(policies) if policies is not None else None)
    pack = load_policies(policies)
    due = due_dates(pack)

    summary = DemoSummary(url=masked(engine.url))
    started = clock.perf_counter()
    try:
        with engine.connect() as conn:
            with demo_parallel.staging_for(conn, cases, seed, today, me, policies) as staging:
                with _one_transaction(conn):
                    existing = conn.execute(text("SELECT COUNT(*) FROM cases")).scalar() or 0
                    if existing and if_empty and not replace:
                        summary.kept_cases = existing
                        return summary
                    summary.wiped_cases = _check_or_wipe(conn, existing, replace)
                    ids = _ensure_handlers(conn, me, summary)
                    _load(conn, ids, me, cases, seed, today, due, summary, staging, pack)
            _analyze(conn)
    except SQLAlchemyError as exc:
        raise StorageError(f"demo load into {summary.url} failed, nothing was written: {one_line(exc)}") from exc
    summary.seconds = clock.perf_counter() - started
    return summary


@contextmanager
def _one_transaction(conn: Connection) -> Iterator[None]:
    """Everything the demo writes, in one transaction: committed if the block ends, rolled back if it raises."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        _sqlite_fast_load(conn, on=True)
    try:
        if sqlite:
            # Take the write lock now: the "is it empty?" check and the fill must not interleave with a
            # desk. A write statement takes it on `main` only; BEGIN IMMEDIATE would also lock the
            # attached staging files the worker processes are about to write (demo_parallel).
            conn.exec_driver_sql("BEGIN")
            conn.exec_driver_sql("DELETE FROM main.cases WHERE 0")
        else:
            conn.begin()
        try:
            yield
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    finally:
        if sqlite:
            _sqlite_fast_load(conn, on=False)


def _sqlite_fast_load(conn: Connection, on: bool) -> None:
    """Bulk-load settings for this connection only; put back before it returns to the pool.

    During the load the database leaves WAL mode for a rollback journal when no
    other connection has it open: a load into a fresh file then writes each page
    once (WAL would write it to the log and copy it again at the checkpoint, and
    look every re-read page up in a log as big as the database). It is still one
    atomic transaction. If a desk has the file open, the load simply stays in WAL.
    """
    if on:
        conn.exec_driver_sql("PRAGMA synchronous = OFF")
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        conn.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MiB
        conn.exec_driver_sql("PRAGMA temp_store = MEMORY")
        conn.exec_driver_sql("PRAGMA busy_timeout = 0")
        try:
            conn.exec_driver_sql("PRAGMA main.journal_mode = DELETE")
        except SQLAlchemyError:
            pass  # another connection holds the database: stay in WAL
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    else:
        conn.exec_driver_sql("PRAGMA main.journal_mode = WAL")
        conn.exec_driver_sql("PRAGMA synchronous = NORMAL")
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.exec_driver_sql("PRAGMA cache_size = -2000")
        conn.exec_driver_sql("PRAGMA temp_store = DEFAULT")


def _analyze(conn: Connection) -> None:
    """Refresh the planner's statistics so the queue's queries pick their indexes."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA analysis_limit = 1000")  # sample, don't read every row
        conn.exec_driver_sql("ANALYZE main")
    else:
        conn.exec_driver_sql("ANALYZE " + ", ".join(LOADED_TABLES))
    conn.commit()


def _tables_holding_cases(conn: Connection) -> list[str]:
    """`cases` and every table that refers to it (directly or through another), children first."""
    insp = inspect(conn)
    ordered = [name for name, _fks in insp.get_sorted_table_and_fkc_names() if name]
    refers: dict[str, set[str]] = {
        name: {fk["referred_table"] for fk in insp.get_foreign_keys(name)} for name in ordered
    }
    doomed = {"cases"}
    changed = True
    while changed:
        changed = False
        for name, parents in refers.items():
            if name not in doomed and parents & doomed:
                doomed.add(name)
                changed = True
    return [name for name in reversed(ordered) if name in doomed]


# Working state of live desks, kept beside the cases but not linked to them by a foreign key.
LIVE_TABLES = ("changes", "presence")


def _check_or_wipe(conn: Connection, existing: int, replace: bool) -> int:
    if existing and not replace:
        raise DeskError(
            f"{masked(conn.engine.url)} already holds {existing:,} cases: the demo only fills an empty desk "
            "(--force deletes every case with its parties, history, drafts, approvals and audit log first)"
        )
    if existing or replace:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            # Nobody may add an audit record between the check below and the wipe.
            conn.exec_driver_sql("LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE")
        _refuse_real_audit_log(conn)
        doomed = _tables_holding_cases(conn) + [t for t in LIVE_TABLES if inspect(conn).has_table(t)]
        if postgres:
            # One TRUNCATE of the whole family: a row-by-row DELETE checks every foreign key per row.
            # The audit table's append-only triggers refuse TRUNCATE, so they are off for this statement
            # only, inside this transaction (the log was just shown to be a demo's, under lock). No
            # RESTART IDENTITY: the change feed's ids keep rising, so open desks' bookmarks stay valid.
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
            conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in doomed))
            conn.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER USER")
        else:
            # Foreign-key checks are off for the load (see _sqlite_fast_load), so SQLite deletes quickly.
            # The audit table's triggers refuse DELETE: guard.audit_unlocked drops them and puts them back
            # inside this transaction, so a failed load rolls the wipe and the triggers back together.
            # `changes` is AUTOINCREMENT: its ids keep rising after the delete, as open desks expect.
            with audit_unlocked(conn):
                for table in doomed:
                    conn.exec_driver_sql(f'DELETE FROM "{table}"')
    return int(existing)


def _refuse_real_audit_log(conn: Connection) -> None:
    """A log that holds real work is never deleted; an empty one, or one a demo load began, may be.

    The demo marks each event it writes (`"demo": true` in its detail, see
    demo_audit), so a log whose first event is the demo's belongs to a demo desk,
    whatever was done on it since. Anything else (an import, real handlers' work)
    makes `--force` refuse.
    """
    first = conn.execute(text("SELECT id, detail FROM audit_events ORDER BY id LIMIT 1")).first()
    if first is None or _is_demo_detail(first[1]):
        return
    count = conn.execute(text("SELECT COUNT(*) FROM audit_events")).scalar() or 0
    raise DeskError(
        f"{masked(conn.engine.url)} has {count:,} audit record{'' if count == 1 else 's'} that a demo did not "
        "write, and that audit log is never deleted: load the demo into a new database instead "
        "(e.g. --db sqlite:///demo.db)"
    )


def _is_demo_detail(detail) -> bool:
    if isinstance(detail, (str, bytes)):
        try:
            detail = json.loads(detail)
        except ValueError:
            return False
    return isinstance(detail, dict) and detail.get("demo") is True


def _ensure_handlers(conn: Connection, me: str, summary: DemoSummary) -> dict[str, int]:
    wanted = [(me, _os_display_name(me) or me, "handler")]
    wanted += [h for h in DEMO_HANDLERS if h[0] != me]
    existing = dict(conn.execute(text("SELECT username, id FROM handlers")).all())
    now = datetime.now().replace(microsecond=0)
    for username, display, role in wanted:
        if username not in existing:
            conn.execute(
                text("INSERT INTO handlers (username, display_name, role, active, created_at) "
                     "VALUES (:u, :d, :r, :a, :c)"),
                {"u": username, "d": display, "r": role, "a": True, "c": now},
            )
            summary.handlers_added.append(username)
    ids = dict(conn.execute(text("SELECT username, id FROM handlers")).all())
    ids[ME] = ids[me]
    return ids


# --------------------------------------------------------------------------- loading


def _load(conn: Connection, ids: dict[str, int], me: str, cases: int, seed: int, today: date, due: DueAt,
          summary: DemoSummary, staging: Optional[demo_parallel.Staging], pack) -> None:
    writer = BulkWriter(conn)
    next_ids = {table: writer.next_id(table) for table in LOADED_TABLES}
    named = stories(today)
    first_story = next_ids["cases"]
    _write_stories(writer, named, ids, next_ids, due)
    summary.stories = len(named)
    first_generated = next_ids["cases"]
    if cases:
        if cases >= BIG_LOAD and conn.dialect.name == "postgresql":
            _pg_skip_fk_checks(conn)
        if cases >= BIG_LOAD:
            with indexes_suspended(conn, ("cases",), keep=IN_ORDER_INDEXES):
                _write_generated(writer, cases, seed, today, ids, me, due, next_ids, staging)
        else:
            _write_generated(writer, cases, seed, today, ids, me, due, next_ids, staging)
        summary.generated = cases
    summary.audit_events = demo_audit.write_trail(
        conn, writer, pack, ids=ids, story_ids=list(range(first_story, first_generated)),
        generated=range(first_generated, first_generated + cases), seed=seed, today=today,
        next_contact_id=writer.next_id("contacts"))
    writer.sync_sequences(LOADED_TABLES)
    summary.rows = dict(writer.counts)
    # The full-text index is filled in one pass over the loaded rows, in the same transaction.
    search.rebuild(conn)


def _pg_skip_fk_checks(conn: Connection) -> None:
    """Skip PostgreSQL's per-row foreign-key triggers for this transaction (rows are consistent by
    construction). Needs superuser; without it the load just runs with the checks."""
    conn.exec_driver_sql("SAVEPOINT demo_fk")
    try:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except SQLAlchemyError:
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT demo_fk")
    else:
        conn.exec_driver_sql("RELEASE SAVEPOINT demo_fk")


def _write_stories(writer: BulkWriter, named: list[Story], ids: dict[str, int], next_ids: dict[str, int],
                   due_at: DueAt) -> None:
    case_rows, party_rows, contact_rows, appt_rows = [], [], [], []
    for story in named:
        case_id = next_ids["cases"]
        next_ids["cases"] += 1
        f = story.case_fields()
        due = due_at(story.kind, story.category, story.stage, story.status, story.received_at.date(),
                     _day(story.acknowledged_at), _day(story.responded_at), _day(story.stage2_at),
                     story.extension_days)
        updated = max(t for t in (story.received_at, story.status_changed_at, story.closed_at) if t)
        case_rows.append((
            case_id, f["ref"], f["kind"], f["category"], f["title"], f["stage"], f["status"], f["priority"],
            f["vulnerable"], stamp(f["received_at"]), stamp(f["acknowledged_at"]), stamp(f["responded_at"]),
            stamp(f["closed_at"]), stamp(f["status_changed_at"]), stamp(f["stage2_at"]), f["extension_days"],
            stamp(due), ids.get(story.assigned_to) if story.assigned_to else None,
            ids.get(story.stage1_handler) if story.stage1_handler else None, 1,
            stamp(story.received_at), stamp(updated),
        ))
        party_ids: dict[str, int] = {}
        for p in story.parties:
            party_ids[p.key] = next_ids["parties"]
            next_ids["parties"] += 1
            party_rows.append((party_ids[p.key], case_id, p.role, p.name, p.designated, p.authorised,
                               p.organisation, p.email, p.phone, p.address, p.notes, stamp(story.received_at)))
        for c in sorted(story.contacts, key=lambda c: c.at):
            contact_rows.append((next_ids["contacts"], case_id, stamp(c.at), c.channel, c.direction,
                                 party_ids.get(c.party) if c.party else None,
                                 ids.get(c.handler) if c.handler else None, c.outcome, c.summary, c.body,
                                 c.call_id, stamp(c.at)))
            next_ids["contacts"] += 1
        for a in story.appointments:
            appt_rows.append((next_ids["appointments"], case_id, party_ids.get(a.party) if a.party else None,
                              stamp(a.at), a.purpose, a.status, stamp(story.received_at)))
            next_ids["appointments"] += 1
    writer.insert("cases", CASE_COLS, case_rows)
    writer.insert("parties", PARTY_COLS, party_rows)
    writer.insert("contacts", CONTACT_COLS, contact_rows)
    writer.insert("appointments", APPOINTMENT_COLS, appt_rows)


def _day(value: Optional[datetime]) -> Optional[date]:
    return value.date() if value else None


def _write_generated(writer: BulkWriter, cases: int, seed: int, today: date, ids: dict[str, int], me: str,
                     due: DueAt, next_ids: dict[str, int], staging: Optional[demo_parallel.Staging]) -> None:
    """The generated cases, chunk by chunk: made here, or by worker processes into staging files."""
    if staging is not None:
        staging.copy_all(writer, next_ids, ids)
        return
    for k in range(len(chunks(cases))):
        for batch in generate_chunk(cases, seed, k, today, ids, me, due, next_ids):
            writer.insert("cases", CASE_COLS, batch.cases)
            writer.insert("parties", PARTY_COLS, batch.parties)
            writer.insert("contacts", CONTACT_COLS, batch.contacts)
            writer.insert("appointments", APPOINTMENT_COLS, batch.appointments)
