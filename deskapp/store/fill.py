"""The SQL of a bulk fill (the demo): one fast transaction, the wipe, handlers, the facts the check needs.

Storage only: deskapp.demo.action decides whether a fill or a wipe may
happen and calls these inside its one transaction. The rows themselves go in
through deskapp.store.bulk.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator, Optional, Sequence

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from deskapp.store.changes import PG_APPEND_LOCK
from deskapp.store.engine import SQLITE_BUSY_TIMEOUT_MS
from deskapp.store.guard import audit_unlocked

# Working state of live desks, kept beside the cases but not linked to them by a foreign key.
LIVE_TABLES = ("changes", "presence")
# The people behind the cases (parties and arrangements point at them; they point at no case): after them,
# and after the person-finding index and the merge record, which point at persons.
PEOPLE_TABLES = ("person_keys", "person_merges", "persons", "organisations")


@contextmanager
def one_transaction(conn: Connection) -> Iterator[None]:
    """Everything the fill writes, in one transaction: committed if the block ends, rolled back if it raises."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        _sqlite_fast_load(conn, on=True)
    try:
        if sqlite:
            # Take the write lock now: the "is it empty?" check and the fill must not interleave with a
            # desk. A write statement takes it on `main` only; BEGIN IMMEDIATE would also lock the
            # attached staging files the worker processes are about to write (demo.parallel).
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


def analyze(conn: Connection, tables: Sequence[str]) -> None:
    """Refresh the planner's statistics so the queue's queries pick their indexes.

    PostgreSQL: VACUUM as well. A freshly loaded table has no visibility map
    (and the load's salting UPDATE leaves a dead copy of every case), so
    counts read every heap page instead of the queue's partial indexes
    alone: on a million cases the overdue count took 610 ms, 47 ms after
    VACUUM (an index-only scan). Autovacuum would get there some time later,
    and not at all where it is turned off. VACUUM runs outside a transaction.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA analysis_limit = 1000")  # sample, don't read every row
        conn.exec_driver_sql("ANALYZE main")
        conn.commit()
        return
    if conn.in_transaction():
        conn.commit()
    # Only for this connection's checkout: the pool puts the isolation level back.
    conn.execution_options(isolation_level="AUTOCOMMIT")
    conn.exec_driver_sql("VACUUM (ANALYZE) " + ", ".join(tables))


def count(conn: Connection, table: str) -> int:
    return int(conn.exec_driver_sql(f'SELECT COUNT(*) FROM "{table}"').scalar() or 0)


def lock_audit_log(conn: Connection) -> None:
    """PostgreSQL: nobody may add an audit record between the check of the log and the wipe.

    (SQLite: the fill's transaction already holds the write lock.) The append lock
    that desks take before they write to the log is taken first, in the same order
    as theirs, so a desk appending at that moment cannot deadlock with the fill.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_APPEND_LOCK})
        conn.exec_driver_sql("LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE")


def audit_details(conn: Connection, batch: int = 1000) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(id, action, detail) of every audit event, oldest first, read a batch at a time."""
    after = 0
    while True:
        rows = conn.execute(text("SELECT id, action, detail FROM audit_events WHERE id > :after "
                                 "ORDER BY id LIMIT :n"), {"after": after, "n": batch}).all()
        for ident, action, detail in rows:
            if isinstance(detail, (str, bytes)):
                try:
                    detail = json.loads(detail)
                except ValueError:
                    detail = None
            yield int(ident), action, detail if isinstance(detail, dict) else {}
        if len(rows) < batch:
            return
        after = rows[-1][0]


def tables_holding_cases(conn: Connection) -> list[str]:
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


def wipe_cases(conn: Connection) -> None:
    """Delete every case and everything attached to it, the persons, the change feed, presence and the audit log.

    Handlers and settings stay. The caller has checked the log may go (under lock_audit_log).
    """
    # audit_rows has no foreign key (deskapp.store.models.AuditRow): named here, before its events.
    doomed = (["audit_rows"] if inspect(conn).has_table("audit_rows") else []) + tables_holding_cases(conn) \
        + [t for t in PEOPLE_TABLES + LIVE_TABLES if inspect(conn).has_table(t)]
    if conn.dialect.name == "postgresql":
        # One TRUNCATE of the whole family: a row-by-row DELETE checks every foreign key per row.
        # The audit table's append-only triggers refuse TRUNCATE, so they are off for this statement
        # only, inside this transaction. No RESTART IDENTITY: the change feed's ids keep rising, so
        # open desks' bookmarks stay valid.
        guarded = [t for t in ("audit_events", "audit_rows") if t in doomed]
        for table in guarded:
            conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in doomed))
        for table in guarded:
            conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    else:
        # Foreign-key checks are off for the load (see _sqlite_fast_load), so SQLite deletes quickly.
        # The audit table's triggers refuse DELETE: guard.audit_unlocked drops them and puts them back
        # inside this transaction, so a failed load rolls the wipe and the triggers back together.
        # `changes` is AUTOINCREMENT: its ids keep rising after the delete, as open desks expect.
        with audit_unlocked(conn):
            for table in doomed:
                conn.exec_driver_sql(f'DELETE FROM "{table}"')


def handlers(conn: Connection) -> dict[str, tuple[int, str, bool]]:
    """username -> (id, role, active), as the database has it now."""
    rows = conn.execute(text("SELECT username, id, role, active FROM handlers")).all()
    return {username: (int(ident), role, bool(active)) for username, ident, role, active in rows}


def add_handlers(conn: Connection, wanted: Sequence[tuple[str, str, str]], at: datetime) -> list[str]:
    """Add each (username, display name, role) not there yet; returns the usernames added."""
    have = handlers(conn)
    added = []
    for username, display, role in wanted:
        if username not in have:
            conn.execute(
                text("INSERT INTO handlers (username, display_name, role, active, created_at) "
                     "VALUES (:u, :d, :r, :a, :c)"),
                {"u": username, "d": display, "r": role, "a": True, "c": at},
            )
            added.append(username)
    return added


def skip_fk_checks(conn: Connection) -> None:
    """Skip PostgreSQL's per-row foreign-key triggers for this transaction (rows are consistent by
    construction). Needs superuser; without it the load just runs with the checks."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql("SAVEPOINT demo_fk")
    try:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except SQLAlchemyError:
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT demo_fk")
    else:
        conn.exec_driver_sql("RELEASE SAVEPOINT demo_fk")


def open_case_ids(conn: Connection, case_ids: Sequence[int]) -> list[int]:
    """Those of `case_ids` not closed."""
    found: list[int] = []
    for i in range(0, len(case_ids), 500):
        marks = ", ".join(str(int(c)) for c in case_ids[i:i + 500])
        found += [c for (c,) in conn.exec_driver_sql(
            f"SELECT id FROM cases WHERE id IN ({marks}) AND status <> 'closed'").all()]
    return sorted(found)


def with_designated_rep(conn: Connection, case_ids: Sequence[int]) -> list[int]:
    """Those of `case_ids` open and with a designated representative."""
    found: set[int] = set()
    for i in range(0, len(case_ids), 500):
        marks = ", ".join(str(int(c)) for c in case_ids[i:i + 500])
        found.update(c for (c,) in conn.exec_driver_sql(
            f"SELECT p.case_id FROM parties p JOIN cases c ON c.id = p.case_id "
            f"WHERE p.case_id IN ({marks}) AND p.designated AND c.status <> 'closed'").all())
    return sorted(found)


def last_audit(conn: Connection) -> Optional[tuple[int, str]]:
    """(id, hash) of the newest audit event, or None."""
    row = conn.exec_driver_sql("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").first()
    return (int(row[0]), row[1] or "") if row is not None else None
