"""`deskapp audit verify` checks the live tables against the digests the chain recorded, and the protections.

Tampering is done as an attacker would: on SQLite through the sqlite3 tool on the file, on PostgreSQL
with plain SQL (the data tables have no triggers; the audit tables' are disabled first where needed).
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlmodel import Session

from deskapp.actions import ActionRequest, ApprovalRequested, Done, decide_approval, submit
from deskapp.core.rowdigest import TOMBSTONE
from deskapp.supervision.verify import verify

from .conftest import run_cli

needs_sqlite3 = pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 command-line tool")
AUDIT_TABLES = ("audit_events", "audit_rows")


def tamper(engine, db_url: str, sql: str) -> None:
    """SQLite: the sqlite3 tool on the file. PostgreSQL: one transaction of plain SQL."""
    if db_url.startswith("sqlite"):
        if shutil.which("sqlite3") is None:
            pytest.skip("needs the sqlite3 command-line tool")
        result = subprocess.run(["sqlite3", db_url[len("sqlite:///"):], sql], capture_output=True, text=True,
                                timeout=30)
        assert result.returncode == 0, result.stderr
    else:
        with engine.begin() as conn:
            # As a superuser would: skip the foreign keys (a contact an event names can then be deleted).
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for statement in filter(None, (s.strip() for s in sql.split(";"))):
                conn.exec_driver_sql(statement)


def one(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def verify_cli(db_url, capsys):
    return run_cli("audit", "verify", "--db", db_url, capsys=capsys)


@pytest.fixture
def approved(worked_case, team):
    """worked_case plus a blocked card-number message a supervisor approved, then sent."""
    sam, priya = team["sam"], team["priya"]
    case = worked_case
    rep = next(p for p in case.parties if p.designated)
    message = ActionRequest(kind="message", case_id=case.id, version=case.version, channel="email",
                            party_id=rep.id, summary="Refund", body="Refunded to card 4111 1111 1111 1111")
    asked = submit(sam, message, request_approval=True, reason="Dana needs the card to match the refund")
    assert isinstance(asked, ApprovalRequested), asked
    decide_approval(priya, asked.approval_id, approve=True, reason="Last four digits only would do; allowed once")
    done = submit(sam, message, approval_id=asked.approval_id)
    assert isinstance(done, Done), done
    return done.case


def test_a_worked_desk_verifies_with_every_row_accounted_for(approved, engine, db_url, capsys):
    code, out, err = verify_cli(db_url, capsys)
    assert code == 0, (out, err)
    report = verify(engine)
    assert report.ok and report.rows.count == 0
    assert report.rows.checked["approval_requests"] == 1 and report.rows.checked["contacts"] >= 4
    assert "rows match their recorded digests" in out and "append-only protections in place" in out


@pytest.mark.parametrize("sql, expected", [
    ("UPDATE contacts SET body = 'Customer agreed no response was needed' WHERE id = "
     "(SELECT MAX(id) FROM contacts)", "contact {contact} of C-1001 was changed after event"),
    ("UPDATE approval_requests SET decided_by_id = (SELECT id FROM handlers WHERE username = 'jo')",
     "approval {approval} of C-1001 was changed after event"),
    ("UPDATE parties SET phone = '07700 900999' WHERE id = (SELECT MIN(id) FROM parties)",
     "party {party} of C-1001 was changed after event"),
    ("UPDATE cases SET status = 'closed'", "case C-1001 was changed after event"),
    ("INSERT INTO contacts (case_id, at, channel, direction, summary, created_at) VALUES "
     "(1, '2026-03-09 10:00:00.000000', 'phone', 'in', 'Customer withdrew the complaint', "
     "'2026-03-09 10:00:00.000000')", "contact {next_contact} of C-1001 was written outside deskapp"),
    ("DELETE FROM contacts WHERE id = (SELECT MIN(id) FROM contacts)",
     "contact {first_contact} of C-1001 was deleted: event"),
])
def test_tampered_rows_are_named(approved, engine, db_url, capsys, sql, expected):
    names = {"contact": one(engine, "SELECT MAX(id) FROM contacts"),
             "first_contact": one(engine, "SELECT MIN(id) FROM contacts"),
             "next_contact": one(engine, "SELECT MAX(id) FROM contacts") + 1,
             "approval": one(engine, "SELECT MAX(id) FROM approval_requests"),
             "party": one(engine, "SELECT MIN(id) FROM parties")}
    tamper(engine, db_url, sql)
    code, out, err = verify_cli(db_url, capsys)
    assert code == 1, (out, err)
    wanted = expected.format(**names)
    assert f"problem: {wanted}" in out, out
    assert err.startswith("deskapp: record does not verify: ") and err.count("\n") == 1, err
    assert wanted in err


def test_many_differences_are_counted_and_the_list_capped(approved, engine, db_url, capsys):
    from deskapp.supervision.rowcheck import CAP

    values = ", ".join(f"(1, '2026-03-09 10:00:00.000000', 'note', 'internal', 'forged {i}', "
                       f"'2026-03-09 10:00:00.000000')" for i in range(CAP + 10))
    tamper(engine, db_url, f"INSERT INTO contacts (case_id, at, channel, direction, summary, created_at) VALUES {values}")
    code, out, err = verify_cli(db_url, capsys)
    assert code == 1
    assert out.count("was written outside deskapp") == CAP and "… and 10 more rows differ" in out
    assert f"and {CAP} more problems" in err


def test_drop_the_triggers_and_nothing_else(approved, engine, db_url, capsys):
    if db_url.startswith("sqlite"):
        sql = "DROP TRIGGER audit_rows_no_delete"
        named = "trigger audit_rows_no_delete on audit_rows was dropped"
    else:
        sql = "DROP TRIGGER audit_events_no_truncate ON audit_events"
        named = "trigger audit_events_no_truncate on audit_events was dropped"
    tamper(engine, db_url, sql)
    code, out, err = verify_cli(db_url, capsys)
    assert code == 1 and f"problem: protection missing: {named}" in out and named in err
    assert "audit chain broken" not in err


def test_every_trigger_dropped_is_named(approved, engine, db_url, capsys):
    if db_url.startswith("sqlite"):
        names = [f"{t}_no_{op}" for t in AUDIT_TABLES for op in ("update", "delete")]
        tamper(engine, db_url, "".join(f"DROP TRIGGER {n};" for n in names))
    else:
        names = [f"{t}_no_{op}" for t in AUDIT_TABLES for op in ("change", "truncate")]
        tamper(engine, db_url, ";".join(f"DROP TRIGGER {n} ON {n.split('_no_')[0]}" for n in names))
    code, out, _ = verify_cli(db_url, capsys)
    assert code == 1
    for name in names:
        assert f"trigger {name} on" in out


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_trigger_that_ignores_instead_of_refusing_is_named(approved, engine, db_url, capsys):
    tamper(engine, db_url, "DROP TRIGGER audit_events_no_update; CREATE TRIGGER audit_events_no_update BEFORE "
                           "UPDATE ON audit_events BEGIN SELECT RAISE(IGNORE); END")
    code, out, _ = verify_cli(db_url, capsys)
    assert code == 1 and "protection altered: trigger audit_events_no_update on audit_events" in out


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_postgres_disabled_trigger_and_rule_are_named(approved, engine, db_url, capsys):
    tamper(engine, db_url, "ALTER TABLE audit_rows DISABLE TRIGGER audit_rows_no_change")
    code, out, err = verify_cli(db_url, capsys)
    assert code == 1 and "protection off: trigger audit_rows_no_change on audit_rows is disabled" in out, out
    tamper(engine, db_url, "ALTER TABLE audit_rows ENABLE TRIGGER audit_rows_no_change")
    assert verify_cli(db_url, capsys)[0] == 0
    tamper(engine, db_url, "ALTER TABLE audit_events ENABLE REPLICA TRIGGER audit_events_no_change")
    code, out, _ = verify_cli(db_url, capsys)
    assert code == 1 and "audit_events_no_change on audit_events is set to fire only on replicas" in out
    tamper(engine, db_url, "ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change;"
                           "CREATE RULE keep_quiet AS ON UPDATE TO audit_events DO INSTEAD NOTHING")
    code, out, _ = verify_cli(db_url, capsys)
    assert code == 1 and "rule keep_quiet on audit_events" in out


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_postgres_grants_to_others_are_warned_about(approved, engine, db_url, capsys):
    tamper(engine, db_url, "GRANT UPDATE, TRUNCATE ON audit_events TO PUBLIC")
    code, out, _ = verify_cli(db_url, capsys)
    assert code == 0, out
    assert "warning: PUBLIC holds UPDATE on audit_events" in out and "PUBLIC holds TRUNCATE on audit_events" in out


def test_edited_contact_on_postgres_with_trigger_disabled_is_named(approved, engine, db_url, capsys):
    """Both at once: a disabled guard and the edit it let through to audit_rows and contacts."""
    contact = one(engine, "SELECT MAX(id) FROM contacts")
    if db_url.startswith("sqlite"):
        sql = (f"DROP TRIGGER audit_rows_no_update; UPDATE contacts SET summary = 'Nothing to see' WHERE id = {contact};"
               f"UPDATE audit_rows SET digest = 'x' WHERE tbl = 'contacts' AND row_id = {contact}")
    else:
        sql = (f"ALTER TABLE audit_rows DISABLE TRIGGER audit_rows_no_change; UPDATE contacts SET summary = "
               f"'Nothing to see' WHERE id = {contact}; UPDATE audit_rows SET digest = 'x' WHERE tbl = 'contacts' "
               f"AND row_id = {contact}")
    tamper(engine, db_url, sql)
    code, out, err = verify_cli(db_url, capsys)
    assert code == 1 and "audit chain broken" in err and "was altered" in err
    assert f"contact {contact} of C-1001 was changed after event" in out
    assert "protection" in out


def test_digests_added_for_an_event_that_is_not_there_are_named(approved, engine, db_url, capsys):
    """Recording a forged row by adding audit_rows for an event beyond the head (INSERT is not refused)."""
    head = one(engine, "SELECT MAX(id) FROM audit_events")
    tamper(engine, db_url, "INSERT INTO contacts (id, case_id, at, channel, direction, summary, created_at) VALUES "
                           "(900, 1, '2026-03-09 10:00:00.000000', 'note', 'internal', 'forged', "
                           f"'2026-03-09 10:00:00.000000'); INSERT INTO audit_rows (event_id, tbl, row_id, digest) "
                           f"VALUES ({head + 5}, 'contacts', 900, 'whatever')")
    code, out, _ = verify_cli(db_url, capsys)
    assert code == 1 and f"audit_rows names event {head + 5}, which is not in the log" in out


def _write_as_action(engine, action: str, write) -> None:
    """Write rows and record them in one audit event, as an action would (a test's stand-in for H5's erase)."""
    from deskapp.actions import audit
    from deskapp.store.rowdigests import audited_session

    with audited_session(engine) as session:
        write(session)
        audit.append(session, actor="ada", action=action, at=datetime(2026, 3, 10, 12, 0))
        session.commit()


def test_a_tombstone_passes_only_where_an_erasure_recorded_it(approved, engine, db_url, capsys):
    from deskapp.store.models import Contact

    contact = one(engine, "SELECT MIN(id) FROM contacts")

    def erase(session: Session) -> None:
        row = session.get(Contact, contact)
        row.summary, row.body = TOMBSTONE, TOMBSTONE

    _write_as_action(engine, "case.erase", erase)
    assert verify_cli(db_url, capsys)[0] == 0
    other = one(engine, "SELECT MAX(id) FROM contacts")

    def hide(session: Session) -> None:
        session.get(Contact, other).body = TOMBSTONE

    _write_as_action(engine, "note", hide)
    code, out, _ = verify_cli(db_url, capsys)
    assert code == 1
    assert f"contact {other} of C-1001 holds an erasure tombstone, but event" in out
    assert f"contact {contact} " not in out


def test_a_row_recorded_deleted_that_is_back_is_named(approved, engine, db_url, capsys):
    from deskapp.store.models import Contact

    contact = one(engine, "SELECT MAX(id) FROM contacts") + 1
    _write_as_action(engine, "note", lambda s: s.add(Contact(id=contact, case_id=approved.id, at=datetime(2026, 3, 10),
                                                               channel="note", direction="internal", summary="x")))
    _write_as_action(engine, "contact.delete", lambda s: s.delete(s.get(Contact, contact)))
    assert verify_cli(db_url, capsys)[0] == 0, "a row recorded deleted and gone is fine"
    tamper(engine, db_url, "INSERT INTO contacts (id, case_id, at, channel, direction, summary, created_at) VALUES "
                           f"({contact}, 1, '2026-03-09 10:00:00.000000', 'note', 'internal', 'back again', "
                           "'2026-03-09 10:00:00.000000')")
    code, out, _ = verify_cli(db_url, capsys)
    assert code == 1 and f"contact {contact} of C-1001 is back: event" in out


def test_big_desk_path_checks_rows_in_a_second_process(approved, engine, db_url, monkeypatch):
    """Above PARALLEL_CASES the rows are checked by a spawned process: same findings, same names."""
    import os

    from deskapp.supervision import verify as verify_module

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: the row check stays in this process")
    monkeypatch.setattr(verify_module, "PARALLEL_CASES", 1)
    contact = one(engine, "SELECT MAX(id) FROM contacts")
    tamper(engine, db_url, f"UPDATE contacts SET summary = 'Never happened' WHERE id = {contact}")
    report = verify_module.verify(engine)
    assert report.rows.count == 1 and report.rows.checked["contacts"] >= 4
    assert report.row_lines[0].startswith(f"contact {contact} of C-1001 was changed after event")
