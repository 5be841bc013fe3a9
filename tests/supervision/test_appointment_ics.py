"""An appointment as an iCalendar file: what it says, that customer text cannot break it, and its audit record."""

from __future__ import annotations

import os
import pwd
from datetime import datetime, timezone

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import ActionRequest, Done, new_case, open_desk, submit
from deskapp.cli import main
from deskapp.store.handlers import add_handler
from deskapp.store.models import AuditEvent
from deskapp.supervision.appointment_ics import export_appointment, export_to_folder, render_ics

ME = pwd.getpwuid(os.geteuid()).pw_name
NOW = datetime(2026, 3, 10, 11, 0)
VISIT = datetime(2026, 3, 12, 10, 0)
TRICKY = "Boiler check; bring keys,\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:pay 4111 1111 1111 1111 \x1b]0;pwned\x07"


@pytest.fixture(autouse=True)
def _no_identity_from_the_environment(monkeypatch):
    monkeypatch.delenv("DESKAPP_USER", raising=False)


@pytest.fixture
def desk(engine, published, db_url):
    add_handler(engine, ME, "handler", "Me")
    opened = open_desk(db_url, None, ME, clock=lambda: NOW)
    yield opened
    opened.close()


def booked(desk, purpose=TRICKY, email="lee@example.org"):
    case = new_case(desk, kind="complaint", category="repairs", title="Boiler", received_at=NOW,
                    party={"role": "resident", "name": "Lee Price, Flat 2", "email": email})
    done = submit(desk, ActionRequest(kind="appointment", case_id=case.id, version=case.version, to="book",
                                      at=VISIT, party_id=case.parties[0].id, summary=purpose))
    assert isinstance(done, Done), done
    return done.case


def test_the_file_says_when_what_and_with_whom_and_customer_text_stays_text(desk):
    from deskapp.actions.appointments import appointment_row

    case = booked(desk)
    text = render_ics(appointment_row(desk, case.appointments[0].id), NOW)
    lines = text.split("\r\n")
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1, "the purpose cannot add lines"
    (event,) = Calendar.from_ical(text).walk("VEVENT")
    assert event.decoded("dtstart") == VISIT.astimezone().astimezone(timezone.utc)
    assert str(event["uid"]) == f"appointment-{case.appointments[0].id}@deskapp"
    summary = str(event["summary"])
    assert summary.startswith("Boiler check; bring keys,\nEND:VEVENT") and summary.endswith(f"({case.ref})")
    assert "4111 1111 1111 1111" not in text and "1111" in summary, "a card number is masked, as in exports"
    assert "\x1b" not in text and "\x07" not in text and "\\x1b]0;pwned\\x07" in summary, "controls shown, not sent"
    assert str(event["attendee"]) == "mailto:lee@example.org"
    assert event["attendee"].params["cn"] == "Lee Price, Flat 2"
    assert str(event["status"]) == "CONFIRMED"


def test_a_cancelled_appointment_says_so(desk):
    from deskapp.actions.appointments import appointment_row

    case = booked(desk, purpose="Visit", email=None)
    appt = case.appointments[0].id
    done = submit(desk, ActionRequest(kind="appointment", case_id=case.id, version=case.version, to="cancel",
                                      extra={"appointment_id": appt}))
    assert isinstance(done, Done)
    (event,) = Calendar.from_ical(render_ics(appointment_row(desk, appt), NOW)).walk("VEVENT")
    assert str(event["status"]) == "CANCELLED"
    assert str(event["contact"]) == "Lee Price, Flat 2", "no email address: the party is named, not invited"


def test_a_written_file_is_recorded_in_the_audit_trail(desk, engine, tmp_path):
    case = booked(desk, purpose="Visit")
    appt = case.appointments[0].id
    path = export_to_folder(desk, appt, tmp_path / "exports")
    assert path.name == f"{case.ref}-appointment-{appt}.ics" and "BEGIN:VCALENDAR" in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with Session(engine) as s:
        (event,) = s.execute(select(AuditEvent).where(AuditEvent.action == "appointment.ics")).scalars()
        assert event.detail == {"appointment_id": appt, "status": "booked", "to": str(path)}
        assert event.case_id == case.id


def test_the_command_prints_or_writes_and_refuses_in_one_line(desk, db_url, tmp_path, capsys):
    case = booked(desk, purpose="Visit")
    appt = case.appointments[0].id
    assert main(["appointment", "ics", str(appt), "--db", db_url]) == 0
    assert capsys.readouterr().out.startswith("BEGIN:VCALENDAR")
    out = tmp_path / "visit.ics"
    assert main(["appointment", "ics", str(appt), "--db", db_url, "-o", str(out)]) == 0
    assert f"wrote appointment {appt} ({case.ref}, Thu 12 Mar 2026 10:00)" in capsys.readouterr().out
    assert out.read_text().startswith("BEGIN:VCALENDAR")
    assert main(["appointment", "ics", "999", "--db", db_url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["deskapp: appointment 999 does not exist"]
    with pytest.raises(SystemExit) as caught:
        main(["appointment", "ics", "seven", "--db", db_url])
    assert caught.value.code == 2 and "invalid int value: 'seven'" in capsys.readouterr().err


def test_the_case_file_tells_what_happened_to_each_appointment(desk, engine, db_url):
    from deskapp.supervision.export import export_case

    case = booked(desk, purpose="Visit")
    appt = case.appointments[0].id
    moved = submit(desk, ActionRequest(kind="appointment", case_id=case.id, version=case.version, to="move",
                                       at=datetime(2026, 3, 13, 14, 0), extra={"appointment_id": appt}))
    assert isinstance(moved, Done), moved
    add_handler(engine, "priya", "supervisor", "Priya Shah")
    lead = open_desk(db_url, None, "priya", clock=lambda: NOW)
    try:
        body, _casefile, _where = export_case(lead, case.ref, "md", None)
    finally:
        lead.close()
    assert f"Booked appointment {appt} (2026-03-12T10:00)" in body
    assert f"Moved appointment {appt} from 2026-03-12T10:00 to 2026-03-13T14:00" in body
