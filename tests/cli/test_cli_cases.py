"""`deskapp cases list`, `deskapp case show|note|status|assign|contact`, `deskapp dashboard`, as scripts run them.

The writes must be the desk's own: the same rules, reasons and audit events
(exit 0 done, 3 a warning needs --reason, 4 blocked), nothing written otherwise.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
import sys

import pytest
from desk_support import set_desk_setting

from deskapp.config import os_username

ESC_TITLE = "Leak \x1b]52;c;ZXZpbA==\x07\x1b[2J upstairs"
FORMULA_NAME = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The demo stories plus 10 generated cases; the OS account running the tests is a handler."""
    from deskapp.demo.load import fill_demo
    from deskapp.store.engine import connect
    from deskapp.store.migrate import upgrade

    path = tmp_path_factory.mktemp("cli-demo") / "demo.db"
    engine = connect(f"sqlite:///{path}")
    try:
        upgrade(engine)
        fill_demo(engine, cases=10, seed=1, me=os_username())
    finally:
        engine.dispose()
    set_desk_setting(f"sqlite:///{path}", "demo", "1")  # a demo desk: `--as` picks a team member
    return path


@pytest.fixture
def db(tmp_path, template) -> str:
    target = tmp_path / "desk.db"
    shutil.copyfile(template, target)
    target.chmod(0o600)  # a private desk file: no warning about its mode on stderr
    return f"sqlite:///{target}"


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """`deskapp ARGV` in-process: (exit code, stdout, stderr); argparse's exits are caught like a shell would."""
    from deskapp.cli import main

    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rows(db: str, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        return conn.execute(sql, params).fetchall()


def audit_actions(db: str) -> list[tuple]:
    return rows(db, "SELECT action, actor, reason FROM audit_events ORDER BY id")


# --------------------------------------------------------------------------- reading


def test_list_filters_as_the_desk_does(capsys, db):
    code, out, err = cli(capsys, "cases", "list", "--db", db, "--filter", "status=investigating",
                         "--filter", "kind=complaint", "--format", "csv", "--limit", "0")
    assert code == 0, err
    listed = list(csv.DictReader(io.StringIO(out)))
    expected = rows(db, "SELECT ref FROM cases WHERE status = 'investigating' AND kind = 'complaint'")
    assert sorted(r["ref"] for r in listed) == sorted(ref for (ref,) in expected) and listed
    assert {r["status"] for r in listed} == {"investigating"}
    c1001 = next(r for r in listed if r["ref"] == "C-1001")
    assert c1001["customer"] == "Arthur Penrose" and c1001["vulnerable"] == "yes"


def test_list_default_is_open_cases_by_due_date_with_a_limit(capsys, db):
    code, out, err = cli(capsys, "cases", "list", "--db", db, "--format", "json", "--limit", "3")
    assert code == 0, err
    listed = json.loads(out)
    assert len(listed) == 3 and all(r["status"] != "closed" for r in listed)
    dues = [r["due_at"] for r in listed]
    assert dues == sorted(dues)
    (open_count,) = rows(db, "SELECT count(*) FROM cases WHERE status != 'closed'")[0]
    assert err.strip() == f"deskapp: 3 of {open_count} cases shown (--limit 0 for all)"


def test_list_mine_and_search(capsys, db):
    code, out, _ = cli(capsys, "cases", "list", "--db", db, "--filter", "mine", "--format", "csv", "--limit", "0")
    assert code == 0
    assert {r["assigned_to"] for r in csv.DictReader(io.StringIO(out))} == {os_username()}
    code, out, _ = cli(capsys, "cases", "list", "--db", db, "--filter", "search=Kowalski", "--sort", "relevance",
                       "--format", "csv")
    assert code == 0 and [r["ref"] for r in csv.DictReader(io.StringIO(out))][:1] == ["C-1001"]


def test_customer_text_is_never_raw_on_the_terminal_and_csv_holds_no_formula(capsys, db):
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE cases SET title = ? WHERE ref = 'C-1001'", (ESC_TITLE,))
        conn.execute("UPDATE parties SET name = ? WHERE name = 'Arthur Penrose'", (FORMULA_NAME,))
    for fmt in ("table", "csv", "json"):
        code, out, _ = cli(capsys, "cases", "list", "--db", db, "--format", fmt, "--filter", "search=C-1001")
        assert code == 0 and "C-1001" in out
        assert "\x1b" not in out and "\x07" not in out, fmt
    code, out, _ = cli(capsys, "cases", "list", "--db", db, "--format", "csv", "--filter", "search=C-1001")
    row = next(r for r in csv.DictReader(io.StringIO(out)) if r["ref"] == "C-1001")
    assert row["customer"] == "'" + FORMULA_NAME
    assert row["title"] == "Leak  upstairs"
    code, out, _ = cli(capsys, "cases", "list", "--db", db, "--format", "json", "--filter", "search=C-1001")
    exact = next(r for r in json.loads(out) if r["ref"] == "C-1001")
    assert exact["title"] == ESC_TITLE and exact["customer"] == FORMULA_NAME  # scripts get the exact text
    code, out, _ = cli(capsys, "case", "show", "C-1001", "--db", db)
    assert code == 0 and "\x1b" not in out and "Leak  upstairs" in out


def test_show_prints_parties_history_and_advice(capsys, db):
    code, out, err = cli(capsys, "case", "show", "c-1001", "--db", db)
    assert code == 0, err
    assert out.startswith("C-1001  Leaking bathroom ceiling")
    assert "arrange everything through his social worker" in out
    assert "designated representative" in out and "What the rules say:" in out
    code, out, _ = cli(capsys, "case", "show", "C-1001", "--db", db, "--format", "json")
    data = json.loads(out)
    assert data["ref"] == "C-1001" and data["parties"][1]["designated"] is True
    assert all(set(f) == {"rule", "severity", "message"} for f in data["advice"])


# --------------------------------------------------------------------------- writing: the desk's rules and audit


def test_note_is_written_and_audited(capsys, db):
    before = audit_actions(db)
    code, out, err = cli(capsys, "case", "note", "C-1001", "--db", db, "Rang the repairs team for dates")
    assert code == 0, err
    assert out.startswith("C-1001: note added (audit event ")
    assert audit_actions(db)[len(before):] == [("note", os_username(), None)]
    assert rows(db, "SELECT summary FROM contacts WHERE channel = 'note' ORDER BY id DESC LIMIT 1") == \
        [("Rang the repairs team for dates",)]


def test_a_warning_exits_3_and_writes_nothing_until_a_reason_is_given(capsys, db):
    before = audit_actions(db), rows(db, "SELECT count(*) FROM contacts")
    code, out, err = cli(capsys, "case", "contact", "C-1001", "--db", db, "--party", "Arthur Penrose",
                         "--summary", "Rang him about the visit")
    assert code == 3, err
    assert out == ""
    assert "run again with --reason" in err and "warn   designated-representative:" in err
    assert (audit_actions(db), rows(db, "SELECT count(*) FROM contacts")) == before

    reason = "He rang us himself and asked for a call back"
    code, out, err = cli(capsys, "case", "contact", "C-1001", "--db", db, "--party", "1",
                         "--summary", "Rang him about the visit", "--reason", reason)
    assert code == 0, err
    assert "phone contact logged" in out
    assert audit_actions(db)[-1] == ("contact", os_username(), reason)


def test_a_meaningless_reason_is_refused_in_one_line(capsys, db):
    code, out, err = cli(capsys, "case", "contact", "C-1001", "--db", db, "--party", "1", "--summary", "x",
                         "--reason", "ok")
    assert code == 2 and err.startswith("deskapp: reason: ") and len(err.strip().splitlines()) == 1


def test_a_block_exits_4_and_can_ask_for_approval(capsys, db):
    before = audit_actions(db)
    code, out, err = cli(capsys, "case", "status", "C-1001", "closed", "--db", db)
    assert code == 4, err
    assert "block  close-without-response:" in err and "--request-approval" in err
    assert audit_actions(db) == before and rows(db, "SELECT status FROM cases WHERE ref = 'C-1001'") == \
        [("investigating",)]

    why = "The resident withdrew the complaint in writing"
    code, out, err = cli(capsys, "case", "status", "C-1001", "closed", "--db", db, "--request-approval",
                         "--reason", why)
    assert code == 4, err
    assert "approval request #" in err
    assert audit_actions(db)[len(before):] == [("approval.request", os_username(), why)]
    assert rows(db, "SELECT status, reason FROM approval_requests") == [("pending", why)]
    assert rows(db, "SELECT status FROM cases WHERE ref = 'C-1001'") == [("investigating",)]


def test_status_and_assign_go_through_roles(capsys, db):
    code, out, err = cli(capsys, "case", "status", "C-1001", "awaiting_customer", "--db", db, "--note", "Waiting")
    assert code == 0 and "status set to awaiting_customer" in out, err
    other = rows(db, "SELECT c.ref FROM cases c JOIN handlers h ON h.id = c.assigned_to_id "
                     "WHERE h.username != ? ORDER BY c.id LIMIT 1", os_username())[0][0]
    before = audit_actions(db)
    code, out, err = cli(capsys, "case", "assign", other, os_username(), "--db", db)
    assert code == 2 and "needs a supervisor or admin" in err and len(err.strip().splitlines()) == 1
    assert audit_actions(db) == before
    code, out, err = cli(capsys, "--as", "admin", "case", "assign", other, os_username(), "--db", db)
    assert code == 0 and f"assigned to {os_username()}" in out, err
    assert audit_actions(db)[-1][:2] == ("assign", "admin")


@pytest.mark.parametrize("argv, needle", [
    (["case", "note", "C-9999", "text"], "no case with reference 'C-9999'"),
    (["case", "contact", "C-1001", "--party", "nobody", "--summary", "x"], "is not a party on C-1001"),
    (["case", "note", "C-1001", "   "], "body: the note is empty"),
    (["cases", "list", "--filter", "status=open"], "'open' is not a status"),
])
def test_bad_input_is_one_line_exit_2(capsys, db, argv, needle):
    before = audit_actions(db)
    code, out, err = cli(capsys, *argv, "--db", db)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, (code, err)
    assert "Traceback" not in err and audit_actions(db) == before


def test_parser_errors_are_one_line_exit_2_from_a_real_process(db):
    for argv in (["cases", "list", "--sort", "sideways"], ["case", "status", "C-1001", "bogus"],
                 ["cases", "list", "--limit", "-1"]):
        proc = subprocess.run([sys.executable, "-m", "deskapp", *argv, "--db", db], capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert proc.returncode == 2, (argv, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr


# --------------------------------------------------------------------------- the dashboard's tables


def test_dashboard_tables_for_supervisors_only(capsys, db):
    code, out, err = cli(capsys, "dashboard", "overrides", "--db", db)
    assert code == 2 and "the team dashboard needs a supervisor or admin" in err
    code, out, err = cli(capsys, "--as", "admin", "dashboard", "overrides", "--db", db, "--format", "csv")
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(out)))
    assert table and set(table[0]) == {"handler", "rule", "reasons", "approvals", "actions", "team_median",
                                       "outlier"}
    code, out, err = cli(capsys, "--as", "admin", "dashboard", "kinds", "--db", db, "--format", "json")
    weeks = json.loads(out)
    assert code == 0 and {r["kind"] for r in weeks} == {"complaint", "compliment", "enquiry", "service_request"}


def test_an_approved_request_is_carried_out_by_the_same_command_with_approval(capsys, db):
    from deskapp.actions import decide_approval, open_desk

    why = "The resident withdrew the complaint in writing"
    close = ("case", "status", "C-1001", "closed", "--db", db)
    code, _, err = cli(capsys, *close, "--request-approval", "--reason", why)
    assert code == 4, err
    (approval_id,) = rows(db, "SELECT id FROM approval_requests")[0]
    code, _, err = cli(capsys, *close, "--approval", str(approval_id))
    assert code == 2 and f"approval {approval_id} is pending, not approved" in err

    priya = open_desk(db, None, "priya")
    try:
        decide_approval(priya, approval_id, approve=True, reason="Withdrawal letter seen on file")
    finally:
        priya.close()
    code, _, err = cli(capsys, "case", "status", "C-1001", "awaiting_customer", "--db", db,
                       "--approval", str(approval_id))
    assert code == 2 and "covers a different status" in err  # only exactly what was approved
    code, out, err = cli(capsys, *close, "--approval", str(approval_id))
    assert code == 0 and "status set to closed" in out, err
    assert rows(db, "SELECT status FROM cases WHERE ref = 'C-1001'") == [("closed",)]
    assert rows(db, "SELECT status FROM approval_requests") == [("completed",)]
    assert rows(db, "SELECT action, approval_id FROM audit_events ORDER BY id DESC LIMIT 1") == \
        [("status", approval_id)]


def test_list_and_work_a_case_on_both_engines(capsys, db_url):
    from sqlalchemy import text

    from deskapp.demo.load import fill_demo
    from deskapp.store.engine import connect
    from deskapp.store.migrate import upgrade

    engine = connect(db_url)
    try:
        upgrade(engine)
        fill_demo(engine, cases=5, seed=1, me=os_username())
        code, out, err = cli(capsys, "cases", "list", "--db", db_url, "--filter", "search=Kowalski",
                             "--format", "csv")
        assert code == 0 and [r["ref"] for r in csv.DictReader(io.StringIO(out))] == ["C-1001"], err
        code, _, err = cli(capsys, "case", "contact", "C-1001", "--db", db_url, "--party", "1", "--summary", "Rang")
        assert code == 3, err
        code, _, err = cli(capsys, "case", "note", "C-1001", "--db", db_url, "Rang the repairs team")
        assert code == 0, err
        with engine.connect() as conn:
            last = conn.execute(text("SELECT action, actor FROM audit_events ORDER BY id DESC LIMIT 1")).one()
        assert tuple(last) == ("note", os_username())
    finally:
        engine.dispose()


def test_a_bad_dashboard_period_is_one_line_exit_2(capsys, db):
    code, out, err = cli(capsys, "--as", "admin", "dashboard", "overrides", "--period", "14", "--db", db)
    assert code == 2 and err.strip() == "deskapp: --period 14: use one of 7, 30, 90"


def test_building_the_parser_loads_no_writer_nor_dashboard():
    """Every `deskapp COMMAND` builds every parser: these commands' registration must stay cheap."""
    code = ("import sys\nfrom deskapp import cli\ncli.build_parser()\n"
            "print(sorted(m for m in sys.modules if m in ('deskapp.commands.tables', 'deskapp.tui.text', "
            "'deskapp.supervision.stats', 'textual', 'rich')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


def test_a_note_can_come_from_standard_input(capsys, db, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("First line\nsecond line of the note\n"))
    code, out, err = cli(capsys, "case", "note", "C-1001", "-", "--db", db)
    assert code == 0, err
    assert rows(db, "SELECT summary, body FROM contacts WHERE channel = 'note' ORDER BY id DESC LIMIT 1") == \
        [("First line", "First line\nsecond line of the note\n")]


def test_who_acts_is_decided_as_for_the_desk(capsys, db, monkeypatch):
    set_desk_setting(db, "demo", "0")  # not a demo desk: only an admin may act as someone else
    monkeypatch.setenv("DESKAPP_USER", "priya")  # no environment variable says who you are
    before = audit_actions(db)
    code, out, err = cli(capsys, "--as", "sam", "case", "note", "C-1001", "Written as sam?", "--db", db)
    assert code == 2 and "only an admin may act as another handler" in err, err
    assert audit_actions(db)[len(before):] == [("identity.refused", os_username(), err.strip()[len("deskapp: "):])]
    code, out, err = cli(capsys, "case", "note", "C-1001", "Written by me", "--db", db)
    assert code == 0 and audit_actions(db)[-1][:2] == ("note", os_username()), err


def test_a_lost_race_exits_5_and_writes_nothing(capsys, db, monkeypatch):
    from dataclasses import replace

    from deskapp.actions import lookup

    read = lookup.case_by_reference
    monkeypatch.setattr(lookup, "case_by_reference", lambda desk, ref: replace(read(desk, ref), version=0))
    before = audit_actions(db)
    code, out, err = cli(capsys, "case", "note", "C-1001", "Too late", "--db", db)
    assert code == 5 and "was changed by" in err and "Nothing was saved" in err, err
    assert audit_actions(db) == before
