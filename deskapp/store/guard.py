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


def triggers(conn: Connection) -> list[tuple[str, str]]:
    """(name, CREATE statement) of every trigger on the audit table, as the database holds them."""
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY name", (TABLE,)
        ).all()
    elif conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = to_regclass(%(t)s) AND NOT tgisinternal ORDER BY tgname",
            {"t": TABLE},
        ).all()
    else:  # pragma: no cover - deskapp supports these two engines
        return []
    return [(name, sql) for name, sql in rows]


def is_guarded(conn: Connection) -> bool:
    """True when the database refuses UPDATE and DELETE on audit rows."""
    found = " ".join(sql.upper() for _name, sql in triggers(conn))
    return "UPDATE" in found and "DELETE" in found


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
    saved = triggers(conn)
    for name, _sql in saved:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        else:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}" ON "{TABLE}"')
    yield
    # Only on success: if the block raised, the caller's rollback brings the triggers back
    # (and on PostgreSQL the aborted transaction would refuse any statement here anyway).
    for _name, sql in saved:
        conn.exec_driver_sql(sql)
