"""The triggers that keep the audit table append-only, and the one sanctioned way around them.

Revision sup1 installs them (SQLite: BEFORE UPDATE / BEFORE DELETE raising
ABORT; PostgreSQL: a trigger function raising an exception on UPDATE, DELETE
and TRUNCATE). The only legitimate reason to remove audit rows is wiping a
whole demo or test desk; `audit_unlocked` drops the triggers inside the
caller's transaction and puts them back exactly as the database had them, so a
failure rolls both back together and nothing is left unguarded.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Connection

TABLE = "audit_events"
# The append-only tables: the chain and the row digests its events cover (evidence1).
TABLES = ("audit_events", "audit_rows")


def triggers(conn: Connection, table: str = TABLE) -> list[tuple[str, str]]:
    """(name, CREATE statement) of every trigger on `table`, as the database holds them."""
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY name", (table,)
        ).all()
    elif conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = to_regclass(%(t)s) AND NOT tgisinternal ORDER BY tgname",
            {"t": table},
        ).all()
    else:  # pragma: no cover - deskapp supports these two engines
        return []
    return [(name, sql) for name, sql in rows]


def _present(conn: Connection, table: str) -> bool:
    from sqlalchemy import inspect

    return inspect(conn).has_table(table)


def is_guarded(conn: Connection) -> bool:
    """True when the database refuses UPDATE and DELETE on the audit tables."""
    for table in TABLES:
        if table != TABLE and not _present(conn, table):
            continue  # a database from before evidence1
        found = " ".join(sql.upper() for _name, sql in triggers(conn, table))
        if not ("UPDATE" in found and "DELETE" in found):
            return False
    return True


@contextmanager
def audit_unlocked(conn: Connection) -> Iterator[None]:
    """Let the block delete audit rows (a demo `--force` wipe); the triggers return when it ends.

    Must run inside the caller's transaction on `conn`, which must roll back if
    the block raises (both engines roll DDL back with the transaction).
    """
    if conn.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:
        # pysqlite runs DDL outside any transaction unless one is open: without this, a
        # failed wipe would leave the triggers dropped.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    saved = [(table, name, sql) for table in TABLES for name, sql in triggers(conn, table)]
    for table, name, _sql in saved:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        else:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}" ON "{table}"')
    yield
    # Only on success: if the block raised, the caller's rollback brings the triggers back
    # (and on PostgreSQL the aborted transaction would refuse any statement here anyway).
    for _table, _name, sql in saved:
        conn.exec_driver_sql(sql)
