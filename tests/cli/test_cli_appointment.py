"""`deskapp case appointment REF book|move|cancel|kept|missed`: the desk's appointment form from a script.

Each verb must be the desk's own action (the same rules, reasons and audit
event, exit 0 done, 2 bad input, 3 a warning needs --reason, 4 blocked, 5 lost
race) and write nothing otherwise; the appointment's number is shown wherever
the case lists its appointments.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deskapp.config import os_username
from test_cli_cases import audit_actions, cli, db, rows, template  # noqa: F401 - the demo desk fixtures

FUTURE_TUESDAY = "2031-03-11 10:00"
FUTURE_SATURDAY = "2031-03-15 10:00"
PAST_TUESDAY, PAST_WEDNESDAY = "2025-03-11 10:00", "2025-03-12 14:30"
POLICIES = Path(__file__).resolve().parents[2] / "policies.yaml"


def appointment(capsys, db, *argv: str) -> tuple[int, str, str]:
    return cli(capsys, "case", "appointment", "C-1001", *argv, "--db", db)


def book(capsys, db, at: str = FUTURE_TUESDAY, *extra: str) -> int:
    """Book on C-1001 with Nadia Kowalski; answers the new appointment's number."""
    code, out, err = appointment(capsys, db, "book", "--at", at, "--party", "nadia kowalski",
                                 "--purpose", "Plumber: trace the leak", *extra)
    assert code == 0, err
    (number,) = rows(db, "SELECT max(id) FROM appointments")[0]
    assert out.startswith(f"C-1001: appointment #{number} booked: ") and "with Nadia Kowalski (audit event " in out
    return number


def appointment_row(db: str, number: int) -> tuple:
    return rows(db, "SELECT at, status, purpose FROM appointments WHERE id = ?", number)[0]


def last_event(db: str) -> tuple:
    action, actor, reason, detail = rows(db, "SELECT action, actor, reason, detail FROM audit_events "
                                             "ORDER BY id DESC LIMIT 1")[0]
    return action, actor, reason, json.loads(detail)


def test_book_move_cancel_each_written_and_audited(capsys, db):
    before = len(audit_actions(db))
    number = book(capsys, db)
    assert appointment_row(db, number) == ("2031-03-11 10:00:00.000000", "booked", "Plumber: trace the leak")
    action, actor, reason, detail = last_event(db)
    assert (action, actor, reason) == ("appointment", os_username(), None)
    assert (detail["appointment_id"], detail["op"]) == (number, "book")

    code, out, err = appointment(capsys, db, "move", f"#{number}", "--at", "2031-03-12 14:00",
                                 "--note", "The resident asked for the afternoon")
    assert code == 0, err
    assert out.startswith(f"C-1001: appointment #{number} moved: Wed 12 Mar 2031 14:00 with Nadia Kowalski")
    assert appointment_row(db, number)[:2] == ("2031-03-12 14:00:00.000000", "booked")
    assert last_event(db)[3].items() >= {"op": "move", "from_at": "2031-03-11T10:00", "at": "2031-03-12T14:00"}.items()
    assert rows(db, "SELECT body FROM contacts ORDER BY id DESC LIMIT 1") == \
        [("The resident asked for the afternoon",)]

    code, out, err = appointment(capsys, db, "move", str(number), "--purpose", "Plumber and electrician")
    assert code == 0, err  # a new purpose alone keeps the time
    assert appointment_row(db, number) == ("2031-03-12 14:00:00.000000", "booked", "Plumber and electrician")

    code, out, err = appointment(capsys, db, "cancel", str(number))
    assert code == 0 and f"appointment #{number} cancelled: " in out, err
    assert appointment_row(db, number)[1] == "cancelled"
    assert [a for a, _, _ in audit_actions(db)[before:]] == ["appointment"] * 4


def test_kept_and_missed_once_the_time_has_passed(capsys, db):
    kept, missed = book(capsys, db, PAST_TUESDAY), book(capsys, db, PAST_WEDNESDAY)
    code, out, err = appointment(capsys, db, "kept", str(kept))
    assert code == 0 and f"appointment #{kept} marked kept: Tue 11 Mar 2025 10:00" in out, err
    code, out, err = appointment(capsys, db, "missed", str(missed), "--note", "Nobody answered the door")
    assert code == 0 and f"appointment #{missed} marked missed" in out, err
    assert (appointment_row(db, kept)[1], appointment_row(db, missed)[1]) == ("kept", "missed")
    assert last_event(db)[3]["op"] == "missed"
    code, out, err = cli(capsys, "case", "show", "C-1001", "--db", db)
    assert f"  #{missed} 2025-03-12 14:30 missed with Nadia Kowalski: Plumber: trace the leak" in out


def test_a_weekend_booking_warns_exit_3_until_a_reason_is_given(capsys, db):
    before = audit_actions(db), rows(db, "SELECT count(*) FROM appointments")
    code, out, err = appointment(capsys, db, "book", "--at", FUTURE_SATURDAY, "--party", "1", "--purpose", "Visit")
    assert code == 3 and out == "", err
    assert "appointment not done: a rule warns; run again with --reason" in err
    assert "warn   appointment-not-working-day: Sat 15 Mar 2031 10:00 is not a working day" in err
    assert (audit_actions(db), rows(db, "SELECT count(*) FROM appointments")) == before

    why = "The resident works all week and asked for a Saturday"
    code, out, err = appointment(capsys, db, "book", "--at", FUTURE_SATURDAY, "--party", "1", "--purpose", "Visit",
                                 "--reason", why)
    assert code == 0 and "appointment #" in out, err
    assert audit_actions(db)[-1] == ("appointment", os_username(), why)


def test_a_blocking_rule_exits_4_and_writes_nothing(capsys, db, tmp_path):
    trial = tmp_path / "policies.yaml"
    trial.write_text(POLICIES.read_text() + """
  - id: bookings-need-a-supervisor
    on: [appointment]
    severity: block
    when: action.appointment.op == "book"
    say: Bookings need a supervisor this week.
""")
    before = audit_actions(db), rows(db, "SELECT count(*) FROM appointments")
    code, out, err = appointment(capsys, db, "book", "--at", FUTURE_TUESDAY, "--party", "1", "--purpose", "Visit",
                                 "--policies", str(trial))
    assert code == 4, err
    assert "block  bookings-need-a-supervisor: Bookings need a supervisor this week." in err
    assert (audit_actions(db), rows(db, "SELECT count(*) FROM appointments")) == before


@pytest.mark.parametrize("argv, needle", [
    (["book", "--at", "next week", "--party", "1", "--purpose", "Visit"],
     "argument --at: 'next week' is not a time; use HH:MM, YYYY-MM-DD or YYYY-MM-DD HH:MM"),
    (["book", "--at", "2031-02-30 10:00", "--party", "1", "--purpose", "Visit"], "argument --at: '2031-02-30 10:00'"),
    (["book", "--at", FUTURE_TUESDAY, "--party", "1"], "the following arguments are required: --purpose"),
    (["book", "--at", FUTURE_TUESDAY, "--party", "nobody", "--purpose", "Visit"], "is not a party on C-1001"),
    (["book", "--at", FUTURE_TUESDAY, "--party", "1", "--purpose", "x" * 201], "purpose: "),
    (["move", "999", "--at", FUTURE_TUESDAY], "appointment: appointment 999 is not on case C-1001"),
    (["cancel", "twelve"], "argument ID: 'twelve' is not an appointment number"),
    (["postpone", "1"], "invalid choice: 'postpone'"),
])
def test_bad_input_is_one_line_exit_2(capsys, db, argv, needle):
    before = audit_actions(db)
    code, out, err = appointment(capsys, db, *argv)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, (code, err)
    assert "Traceback" not in err and audit_actions(db) == before


def test_what_the_form_refuses_is_refused_here(capsys, db):
    number = book(capsys, db)
    before = audit_actions(db)
    code, out, err = appointment(capsys, db, "kept", str(number))
    assert code == 2 and "still to come: it can be marked kept once its time has passed" in err, err
    code, out, err = appointment(capsys, db, "move", str(number))
    assert code == 2 and "nothing changes: give a new time, party or purpose" in err, err
    assert audit_actions(db) == before and appointment_row(db, number)[1] == "booked"


def test_a_lost_race_exits_5_and_writes_nothing(capsys, db, monkeypatch):
    from dataclasses import replace

    from deskapp.actions import lookup

    number = book(capsys, db)
    read = lookup.case_by_reference
    monkeypatch.setattr(lookup, "case_by_reference", lambda desk, ref: replace(read(desk, ref), version=0))
    before = audit_actions(db)
    code, out, err = appointment(capsys, db, "cancel", str(number))
    assert code == 5 and "was changed by" in err and "Nothing was saved" in err, err
    assert audit_actions(db) == before and appointment_row(db, number)[1] == "booked"


def test_the_number_is_shown_where_the_case_lists_its_appointments(capsys, db):
    numbered = rows(db, "SELECT a.id, a.purpose FROM appointments a JOIN cases c ON c.id = a.case_id "
                        "WHERE c.ref = 'C-1001' ORDER BY a.at")
    assert len(numbered) == 2  # the demo's two missed repair visits
    code, out, err = cli(capsys, "case", "show", "C-1001", "--db", db)
    assert code == 0, err
    listed = out[out.index("Appointments:"):].splitlines()[1:3]
    assert [line.split()[0] for line in listed] == [f"#{number}" for number, _ in numbered]
    code, out, err = cli(capsys, "--as", "admin", "export", "C-1001", "--db", db)
    assert code == 0, err
    assert "| No. | When | Purpose | With | Status |" in out
    for number, purpose in numbered:
        assert f"| #{number} | " in out and purpose in out


def test_book_and_cancel_on_both_engines(capsys, db_url):
    from sqlalchemy import text

    from deskapp.demo.load import fill_demo
    from deskapp.store.engine import connect
    from deskapp.store.migrate import upgrade

    engine = connect(db_url)
    try:
        upgrade(engine)
        fill_demo(engine, cases=5, seed=1, me=os_username())
        code, out, err = appointment(capsys, db_url, "book", "--at", FUTURE_TUESDAY, "--party", "1",
                                     "--purpose", "Plumber: trace the leak")
        assert code == 0, err
        with engine.connect() as conn:
            number = conn.execute(text("SELECT max(id) FROM appointments")).scalar_one()
        code, out, err = appointment(capsys, db_url, "cancel", str(number))
        assert code == 0 and f"appointment #{number} cancelled" in out, err
        with engine.connect() as conn:
            assert conn.execute(text("SELECT status FROM appointments WHERE id = :i"), {"i": number}).scalar_one() \
                == "cancelled"
            events = conn.execute(text("SELECT action, actor FROM audit_events ORDER BY id DESC LIMIT 2")).all()
        assert [tuple(e) for e in events] == [("appointment", os_username())] * 2
    finally:
        engine.dispose()
