"""`deskapp import`: all or nothing, row-numbered problems, re-import never duplicates, worked cases are safe."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from deskapp.actions import ActionRequest, Done, load_case, submit
from deskapp.store.models import Appointment, AuditEvent, Case, Contact, Party
from deskapp.store.refs import next_case_refs
from deskapp.supervision.verify import verify

from desk_support import set_desk_setting

from .conftest import run_cli

CSV = """external_ref,kind,title,received_at,category,status,priority,vulnerable,acknowledged_at,assigned_to,\
customer_name,customer_role,customer_email,representative_name,representative_organisation,third_party_name,note
OLD-1,complaint,Boiler broken for a week,2026-03-02 09:30,housing repairs,acknowledged,high,yes,2026-03-03 10:00,sam,\
Ann Smith,resident,ann@example.org,Bob Jones,Citizens Advice,,"Called twice, ""urgent""
second line"
OLD-2,enquiry,Council tax band question,2026-03-05,council tax,new,normal,no,,,Carl Diaz,,,,,,
OLD-3,complaint,Missed bin collection,2026-02-20,waste,closed,4,n,2026-02-21,jo,Dee Eze,,,,,Waste Co,
"""
# OLD-3 is closed without closed_at: fixed below where a valid file is needed.
CSV = CSV.replace("2026-02-20,waste,closed,4,n,2026-02-21,jo", "2026-02-20,waste,responded,4,n,2026-02-21,jo")

JSON = {
    "source": "OldCRM",
    "cases": [
        {"external_ref": "J-1", "kind": "complaint", "title": "Damp in the bedroom", "received_at": "2026-03-01T08:15:00",
         "category": "damp and mould", "vulnerable": True, "priority": 2,
         "parties": [{"name": "Lee Price", "role": "resident", "phone": "07700 900111"},
                     {"name": "Dana Hill", "role": "representative", "organisation": "Social services",
                      "designated": True, "authorised": True}],
         "contacts": [{"at": "2026-03-01T08:15:00", "channel": "phone", "direction": "in", "party": "Dana Hill",
                       "outcome": "reached", "summary": "Reported damp", "body": "Black mould <b>everywhere</b>"},
                      {"at": "2026-03-02T11:00:00", "channel": "email", "direction": "out", "party": "Dana Hill",
                       "summary": "Booked a survey"}],
         "appointments": [{"at": "2026-03-20T09:00:00", "party": "Lee Price", "purpose": "Damp survey",
                           "status": "booked"}]},
        {"external_ref": "J-2", "kind": "compliment", "title": "Thanks to the bin crew",
         "received_at": "2026-03-04", "parties": [{"name": "Kim Lo"}]},
    ],
}


def counts(engine) -> tuple[int, ...]:
    with Session(engine) as s:
        return tuple(s.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (Case, Party, Contact, Appointment, AuditEvent))


def do_import(capsys, monkeypatch, db_url, path, *extra, user="ada"):
    set_desk_setting(db_url, "demo", "1")  # a test desk: `--as` picks the team member
    return run_cli("--as", user, "import", str(path), "--db", db_url, *extra, capsys=capsys)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def case_by_external(engine, ref) -> Case:
    with Session(engine) as s:
        return s.execute(select(Case).where(Case.external_ref == ref)).scalar_one()


def test_csv_import_round_trip_and_reimport(team, engine, db_url, tmp_path, capsys, monkeypatch):
    path = write(tmp_path, "old.csv", CSV)
    code, out, err = do_import(capsys, monkeypatch, db_url, path)
    assert code == 0, err
    assert "3 new, 0 updated, 0 unchanged" in out
    one = case_by_external(engine, "OLD-1")
    assert (one.kind, one.title, one.category, one.status, one.priority, one.vulnerable) == \
        ("complaint", "Boiler broken for a week", "housing repairs", "acknowledged", 2, True)
    assert one.received_at == datetime(2026, 3, 2, 9, 30) and one.acknowledged_at == datetime(2026, 3, 3, 10, 0)
    assert one.ref.startswith("C-") and one.due_at is not None, "imported cases get a deadline for the queue"
    view = load_case(team["sam"], one.id)
    assert view.assigned_to == "sam"
    assert [(p.name, p.role, p.designated) for p in view.parties] == \
        [("Ann Smith", "resident", False), ("Bob Jones", "representative", True)]
    assert view.history[0].body == 'Called twice, "urgent"\nsecond line'
    three = load_case(team["sam"], case_by_external(engine, "OLD-3").id)
    assert [(p.role, p.name) for p in three.parties] == [("customer", "Dee Eze"), ("third_party", "Waste Co")]
    with Session(engine) as s:
        events = s.execute(select(AuditEvent).where(AuditEvent.action == "case.import")).scalars().all()
    assert len(events) == 3 and events[0].actor == "ada" and events[0].detail["line"] == 2
    assert events[0].detail["source"] == "old.csv"
    assert [e.detail["line"] for e in events] == [2, 4, 5], "OLD-1 spans lines 2-3 (a quoted newline)"

    before = counts(engine)
    code, out, _ = do_import(capsys, monkeypatch, db_url, path)
    assert code == 0 and "0 new, 0 updated, 3 unchanged" in out
    assert counts(engine) == before, "the same file again writes nothing at all"
    assert verify(engine).ok


def test_json_import_with_history_and_appointments(team, engine, db_url, tmp_path, capsys, monkeypatch):
    path = write(tmp_path, "old.json", json.dumps(JSON, indent=2))
    code, out, err = do_import(capsys, monkeypatch, db_url, path)
    assert code == 0, err
    view = load_case(team["sam"], case_by_external(engine, "J-1").id)
    assert view.designated_representative.name == "Dana Hill"
    assert [(c.channel, c.direction, c.party_name) for c in view.history] == \
        [("phone", "in", "Dana Hill"), ("email", "out", "Dana Hill")]
    assert view.history[0].body == "Black mould <b>everywhere</b>"
    assert [(a.purpose, a.status) for a in view.appointments] == [("Damp survey", "booked")]
    assert view.appointments[0].party_id == next(p.id for p in view.parties if p.name == "Lee Price")
    with Session(engine) as s:
        detail = s.execute(select(AuditEvent.detail).where(AuditEvent.case_id == view.id)).scalar_one()
    assert detail["source"] == "OldCRM" and detail["line"] == 4
    # The imported cases can be worked straight away, and the audit chain carries on.
    done = submit(team["sam"], ActionRequest(kind="note", case_id=view.id, version=view.version, body="Called Dana"))
    assert isinstance(done, Done)
    assert verify(engine).ok


def test_changed_rows_update_unworked_cases_and_worked_ones_are_protected(team, engine, db_url, tmp_path, capsys,
                                                                         monkeypatch):
    path = write(tmp_path, "old.json", json.dumps(JSON))
    assert do_import(capsys, monkeypatch, db_url, path)[0] == 0
    j1 = case_by_external(engine, "J-1")
    j2 = case_by_external(engine, "J-2")
    # Someone works J-2 in deskapp.
    view = load_case(team["sam"], j2.id)
    assert isinstance(submit(team["sam"], ActionRequest(kind="note", case_id=j2.id, version=view.version,
                                                        body="Passed the thanks on")), Done)
    changed = json.loads(json.dumps(JSON))
    changed["cases"][0]["title"] = "Damp and mould in the bedroom"
    changed["cases"][0]["parties"][0]["phone"] = "07700 900222"
    changed["cases"][1]["title"] = "Thanks to the crew"
    path.write_text(json.dumps(changed, indent=2), encoding="utf-8")

    before = counts(engine)
    code, _, err = do_import(capsys, monkeypatch, db_url, path)
    assert code == 2
    first = err.splitlines()[0]
    assert first.startswith(f"{path}:") and "external_ref: case " in first
    assert "was worked in deskapp since it was imported (note by sam on" in first
    assert counts(engine) == before, "refused: nothing written, not even the unworked update"

    code, out, err = do_import(capsys, monkeypatch, db_url, path, "--skip-worked")
    assert code == 0, err
    assert "0 new, 1 updated, 0 unchanged, 1 left alone" in out and f"J-2 ({j2.ref})" in out
    after = load_case(team["sam"], j1.id)
    assert after.title == "Damp and mould in the bedroom" and after.ref == j1.ref
    assert after.version == j1.version + 1
    assert next(p for p in after.parties if p.name == "Lee Price").phone == "07700 900222"
    assert len(after.history) == 2 and len(after.parties) == 2, "history replaced, not doubled"
    assert load_case(team["sam"], j2.id).title == "Thanks to the bin crew"
    with Session(engine) as s:
        last = s.execute(select(AuditEvent).where(AuditEvent.case_id == j1.id)
                         .order_by(AuditEvent.id.desc())).scalars().first()
    assert last.detail["mode"] == "update" and last.detail["changed"] == ["title"]
    assert verify(engine).ok


BAD_CSV = """external_ref,kind,title,received_at,status,closed_at,customer_email,assigned_to
A-1,grumble,,2026-13-02,closed,,not-an-email,nobody
A-1,complaint,dup,2026-03-01,new,,,
A-2,complaint,"Fine title",2099-01-01,new,,,
A-3,complaint,ok,2026-03-01,new,2026-03-02,,
"""


def test_problems_are_row_numbered_and_nothing_is_written(team, engine, db_url, tmp_path, capsys, monkeypatch):
    path = write(tmp_path, "bad.csv", BAD_CSV)
    before = counts(engine)
    code, out, err = do_import(capsys, monkeypatch, db_url, path)
    assert code == 2 and out == ""
    lines = err.splitlines()
    p = str(path)
    assert lines[:-1] == [
        f"{p}:2: kind: 'grumble' is not one of: complaint, enquiry, compliment, service_request",
        f"{p}:2: title: required",
        f"{p}:2: received_at: '2026-13-02' is not a date like 2026-03-02 or 2026-03-02 09:30",
        f"{p}:2: assigned_to: no active handler called 'nobody' (add them with `deskapp users add`, or leave it empty)",
        f"{p}:2: closed_at: required when the status is closed",
        f"{p}:2: customer_name: required",
        f"{p}:2: customer_email: 'not-an-email' is not an email address",
        f"{p}:3: external_ref: 'A-1' appears twice in the file (first on line 2)",
        f"{p}:4: received_at: 2099-01-01 00:00 is in the future",
        f"{p}:5: status: is new but closed_at is given: a closed case has status closed",
    ]
    assert lines[-1] == f"deskapp: import refused: 10 problems in {p}; nothing was written"
    assert counts(engine) == before


@pytest.mark.parametrize("name, content, expected", [
    ("x.csv", "external_ref,kind,title,recieved_at\n", ":1: recieved_at: not a column deskapp imports (did you mean received_at?)"),
    ("x.csv", "external_ref,kind,title\n", ":1: received_at: required column is missing from the header"),
    ("x.csv", "", ": the file is empty: it needs a header row and one row per case"),
    ("x.csv", 'external_ref,kind,title,received_at\nA,complaint,"open quote,2026-01-01\n', ":2: not valid CSV: unexpected end of data"),
    ("x.csv", "external_ref,kind,title,received_at\nA,complaint,t,2026-01-01,extra\n", ":2: row has 5 values but the header has 4 columns"),
    ("x.json", '{"cases": [', ":1: not valid JSON: Expecting value (column 12)"),
    ("x.json", '{"cases": [{"external_ref": "A", "kind": "complaint", "title": "t", "received_at": "2026-01-01",\n'
               ' "parties": [{"name": "Ann", "designated": true}, {"name": "Bo", "designated": "yes"}]},\n'
               ' "oops"]}', ":1: parties: more than one party is marked designated"),
    ("x.json", '[{"external_ref": "A", "kind": "complaint", "title": "t", "received_at": "2026-01-01"},\n 7]',
     ":2: cases[2]: expected a case object {...}, not a number"),
    ("x.json", '{"case": []}', ":1: case: unknown key"),
    ("x.json", "[" * 50_000, "not valid JSON"),
    ("x.txt", "hello", ": give a .csv or .json file"),
])
def test_malformed_files_get_one_clear_line_each(team, engine, db_url, tmp_path, capsys, monkeypatch, name, content,
                                                 expected):
    path = write(tmp_path, name, content)
    before = counts(engine)
    code, out, err = do_import(capsys, monkeypatch, db_url, path)
    assert code == 2
    assert expected in err.splitlines()[0], err
    assert "Traceback" not in err and counts(engine) == before


def test_bytes_that_are_not_utf8_or_not_text(team, db_url, tmp_path, capsys, monkeypatch):
    bad = tmp_path / "latin.csv"
    bad.write_bytes(b"external_ref,kind,title,received_at\nA,complaint,caf\xe9,2026-01-01\n")
    code, _, err = do_import(capsys, monkeypatch, db_url, bad)
    assert code == 2 and f"{bad}:2: not UTF-8 text (byte 0xe9)" in err
    workbook = tmp_path / "cases.csv"
    workbook.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    code, _, err = do_import(capsys, monkeypatch, db_url, workbook)
    assert code == 2 and "spreadsheet workbook (xlsx), not CSV" in err
    code, _, err = do_import(capsys, monkeypatch, db_url, tmp_path / "missing.csv")
    assert code == 2 and err == f"deskapp: {tmp_path / 'missing.csv'}: no such file\n"
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffexternal_ref,kind,title,received_at\nB-1,enquiry,Excel saved me,2026-01-05\n".encode())
    code, out, err = do_import(capsys, monkeypatch, db_url, bom)
    assert code == 0 and "1 new" in out, err


def test_huge_file_is_refused_before_reading(team, db_url, tmp_path, capsys, monkeypatch):
    from deskapp.supervision import import_format, importing

    monkeypatch.setattr(importing, "MAX_BYTES", 1000)
    monkeypatch.setattr(import_format, "MAX_BYTES", 1000)
    path = write(tmp_path, "big.csv", "external_ref,kind,title,received_at\n" + "A,complaint,t,2026-01-01\n" * 100)
    code, _, err = do_import(capsys, monkeypatch, db_url, path)
    assert code == 2 and "is more than one import takes" in err and "split the file" in err


def test_only_admins_import_and_dry_run_writes_nothing(team, engine, db_url, tmp_path, capsys, monkeypatch):
    path = write(tmp_path, "old.csv", CSV)
    code, _, err = do_import(capsys, monkeypatch, db_url, path, user="priya")
    assert code == 2 and err == "deskapp: priya is a supervisor: importing cases needs an admin\n"
    before = counts(engine)
    code, out, err = do_import(capsys, monkeypatch, db_url, path, "--dry-run")
    assert code == 0 and out.startswith("would import") and "3 new" in out, err
    assert counts(engine) == before


def test_new_refs_follow_the_highest_number_in_use(team, engine):
    from deskapp.actions import new_case

    new_case(team["sam"], kind="enquiry", category="x", title="first", party={"name": "A"})
    with Session(engine) as s, s.begin():
        s.add(Case(ref="C-5000", title="made elsewhere", received_at=datetime(2026, 3, 1)))
        s.add(Case(ref="C-99x", title="odd ref", received_at=datetime(2026, 3, 1)))
    with Session(engine) as s:
        assert next_case_refs(s, 3) == ["C-5001", "C-5002", "C-5003"]


# --------------------------------------------------------------------------- through the action layer


def _events(engine, action=None):
    with Session(engine) as s:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return s.execute(query).scalars().all()


def test_import_by_a_non_admin_is_refused_and_audited(team, engine, tmp_path):
    """Refused before the file is parsed; the attempt is on the audit chain under the person's name."""
    from deskapp.core.roles import NotAllowed
    from deskapp.supervision.importing import import_file

    path = write(tmp_path, "old.csv", CSV)
    before = counts(engine)
    for name, role in (("sam", "a handler"), ("priya", "a supervisor")):
        with pytest.raises(NotAllowed, match=f"{name} is {role}: importing cases needs an admin"):
            import_file(team[name], str(path))
    refused = _events(engine, "refused")
    assert [(e.actor, e.handler_id, e.detail["permission"]) for e in refused] == \
        [("sam", team["sam"].me.id, "case.import"), ("priya", team["priya"].me.id, "case.import")]
    assert counts(engine)[:4] == before[:4] and counts(engine)[4] == before[4] + 2
    assert verify(engine).ok


def test_the_role_is_read_again_in_the_import_transaction(team, engine, tmp_path):
    """An admin demoted after the desk opened (and after the file was checked) writes nothing."""
    from deskapp.actions.imports import import_cases, importers_view
    from deskapp.core.roles import NotAllowed
    from deskapp.store.models import Handler
    from deskapp.supervision.import_format import read

    ada = team["ada"]
    handler_ids = importers_view(ada)
    _parsed, records = read("old.csv", CSV.encode(), NOW_, set(handler_ids))
    with Session(engine) as s, s.begin():
        s.get(Handler, ada.me.id).role = "handler"
    before = counts(engine)
    with pytest.raises(NotAllowed, match="ada is a handler"):
        import_cases(ada, records, source="old.csv", handler_ids=handler_ids, now=NOW_)
    assert counts(engine)[:4] == before[:4]
    assert [e.actor for e in _events(engine, "refused")] == ["ada"]


def test_import_events_carry_the_rules_hash_and_the_change_feed_line(team, engine, tmp_path):
    from deskapp.store.models import Change
    from deskapp.supervision.importing import import_file

    ada = team["ada"]
    ada.policy_hash = "ab" * 32
    report = import_file(ada, str(write(tmp_path, "old.csv", CSV)))
    assert len(report.created) == 3
    events = _events(engine, "case.import")
    assert len(events) == 3 and all(e.policy_hash == "ab" * 32 and e.actor == "ada" for e in events)
    with Session(engine) as s:
        feed = s.execute(select(Change.kind, Change.actor)).all()
    assert ("case.import", "ada") in feed
    report = verify(engine)
    assert report.ok and report.checked == len(_events(engine))


NOW_ = datetime(2026, 3, 10, 11, 0)
