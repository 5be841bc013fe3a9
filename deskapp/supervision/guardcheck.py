"""Are the audit tables still protected? Verify's check of the append-only triggers.

SQLite: each of the four triggers (UPDATE and DELETE on audit_events and
audit_rows) must exist with exactly the body its migration wrote; a missing
or rewritten one (e.g. RAISE(IGNORE), which silently skips the change) is a
problem.

PostgreSQL: each of the four triggers (row UPDATE/DELETE and statement
TRUNCATE, per table) must exist, call a function that raises, and be
enabled (pg_trigger.tgenabled 'O' or 'A'; 'D' is disabled, 'R' fires only
under replication, i.e. never for a desk). A rewrite rule on an audit table
is a problem too (an INSTEAD rule can swallow or redirect writes).

How privileges are judged: roles other than the table's owner holding UPDATE,
DELETE or TRUNCATE on an audit table are *reported as warnings*, not failures.
The triggers refuse those statements whoever runs them, and only the owner
(or a superuser) can disable a trigger, so a grant alone opens nothing; it is
still worth revoking, so verify names each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection

from deskapp.store import protections as p


@dataclass
class GuardReport:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_guard(conn: Connection) -> GuardReport:
    report = GuardReport()
    tables = p.present_tables(conn)
    if conn.dialect.name == "sqlite":
        _sqlite(conn, tables, report)
    elif conn.dialect.name == "postgresql":
        _postgres(conn, tables, report)
    return report


def _sqlite(conn: Connection, tables: list[str], report: GuardReport) -> None:
    found = p.sqlite_triggers(conn)
    for (table, name) in p.SQLITE_EXPECTED:
        if table not in tables:
            continue
        sql = found.get((table, name))
        if sql is None:
            report.problems.append(f"protection missing: trigger {name} on {table} was dropped "
                                   f"({table} can be edited without a trace in the database)")
        elif sql != p.sqlite_expected(table, name):
            report.problems.append(f"protection altered: trigger {name} on {table} is not the one deskapp "
                                   f"installed: {sql[:120]}")


def _postgres(conn: Connection, tables: list[str], report: GuardReport) -> None:
    found = p.pg_triggers(conn)
    for (table, name), (events, level, function) in p.PG_EXPECTED.items():
        if table not in tables:
            continue
        trig = found.get((table, name))
        if trig is None:
            report.problems.append(f"protection missing: trigger {name} on {table} was dropped")
            continue
        if trig.enabled not in ("O", "A"):
            state = "disabled" if trig.enabled == "D" else "set to fire only on replicas"
            report.problems.append(f"protection off: trigger {name} on {table} is {state} "
                                   f"(ALTER TABLE {table} ENABLE TRIGGER {name})")
        if events not in trig.definition or level not in trig.definition or function not in trig.definition \
                or "RAISE EXCEPTION" not in trig.function_source.upper():
            report.problems.append(f"protection altered: trigger {name} on {table} is not the one deskapp "
                                   f"installed: {trig.definition[:120]}")
    for table, rule in p.pg_rules(conn):
        report.problems.append(f"protection bypassed: rule {rule} on {table} rewrites statements on the audit table")
    for table, role, privilege in p.pg_grants(conn):
        report.warnings.append(f"{role} holds {privilege} on {table} (the triggers still refuse it; "
                               f"REVOKE {privilege} ON {table} FROM {role})")
