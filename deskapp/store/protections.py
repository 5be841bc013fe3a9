"""What the database says about the audit tables' protections, for `deskapp audit verify`.

The append-only triggers (migrations sup1 and evidence1) are what stop an edit
through the application or casual SQL; the hash chain is what detects one made
anyway. Verify checks both, so a dropped or disabled trigger is itself named.
The expected trigger SQL is written out here (as the migrations wrote it), not
read from them, so a changed migration cannot quietly change what is expected.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, inspect

# The append-only tables and, per engine, the triggers that guard them.
TABLES = ("audit_events", "audit_rows")

SQLITE_EXPECTED = {
    (table, f"{table}_no_{op.lower()}"): (
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END")
    for table in TABLES for op in ("UPDATE", "DELETE")
}

# PostgreSQL: (table, trigger) -> (the statement's events as pg_get_triggerdef prints them, the function).
PG_EXPECTED = {
    (table, f"{table}_no_change"): ("BEFORE DELETE OR UPDATE", "FOR EACH ROW", f"{table}_append_only()")
    for table in TABLES
} | {
    (table, f"{table}_no_truncate"): ("BEFORE TRUNCATE", "FOR EACH STATEMENT", f"{table}_append_only()")
    for table in TABLES
}


@dataclass(frozen=True)
class PgTrigger:
    table: str
    name: str
    definition: str
    enabled: str  # pg_trigger.tgenabled: O (fires), D (disabled), R (replica only), A (always)
    function_source: str


def _squash(sql: str) -> str:
    return " ".join((sql or "").split())


def present_tables(conn: Connection) -> list[str]:
    insp = inspect(conn)
    return [t for t in TABLES if insp.has_table(t)]


def sqlite_triggers(conn: Connection) -> dict[tuple[str, str], str]:
    """(table, name) -> its CREATE statement, whitespace squashed, for every trigger on the audit tables."""
    rows = conn.exec_driver_sql(
        "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name IN ('audit_events', 'audit_rows')").all()
    return {(t, n): _squash(sql) for t, n, sql in rows}


def sqlite_expected(table: str, name: str) -> str:
    return _squash(SQLITE_EXPECTED[(table, name)])


def pg_triggers(conn: Connection) -> dict[tuple[str, str], PgTrigger]:
    rows = conn.exec_driver_sql(
        "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled, p.prosrc "
        "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE c.oid IN (to_regclass('audit_events'), to_regclass('audit_rows')) AND NOT t.tgisinternal").all()
    return {(table, name): PgTrigger(table, name, _squash(definition), str(enabled), prosrc or "")
            for table, name, definition, enabled, prosrc in rows}


def pg_rules(conn: Connection) -> list[tuple[str, str]]:
    """(table, rule name) of every rewrite rule on the audit tables (an INSTEAD rule could swallow appends)."""
    rows = conn.exec_driver_sql(
        "SELECT tablename, rulename FROM pg_rules WHERE schemaname = current_schema() "
        "AND tablename IN ('audit_events', 'audit_rows') ORDER BY tablename, rulename").all()
    return [(t, r) for t, r in rows]


def pg_grants(conn: Connection) -> list[tuple[str, str, str]]:
    """(table, role, privilege) for UPDATE/DELETE/TRUNCATE held on the audit tables by anyone but the owner."""
    rows = conn.exec_driver_sql(
        "SELECT c.relname, COALESCE(r.rolname, 'PUBLIC'), a.privilege_type "
        "FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a "
        "LEFT JOIN pg_roles r ON r.oid = a.grantee "
        "WHERE c.oid IN (to_regclass('audit_events'), to_regclass('audit_rows')) "
        "AND a.grantee <> c.relowner AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE') "
        "ORDER BY 1, 2, 3").all()
    return [(t, r, p) for t, r, p in rows]
