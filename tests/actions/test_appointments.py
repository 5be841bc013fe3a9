"""Appointments through the action layer: book, move, cancel, kept, missed — each one audited transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import ActionRequest, Done, InvalidInput, NeedsReason, new_case, open_desk, standing, submit
from deskapp.actions.audit import hash_holds, recorded_rows
from deskapp.store.handlers import add_handler
from deskapp.store.models import Appointment, AuditEvent

from test_approval_binding import Clock  # a desk clock the test moves on, so an appointment's time passes

NOW = datetime(2026, 3, 10, 11, 0)  # a Tuesday
THURSDAY = datetime(2026, 3, 12, 10, 0)


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def sam(engine, published, db_url, clock):
    add_handler(engine, "sam", "handler", "Sam Reid")
    desk = open_desk(db_url, None, "sam", clock=clock)
    yield desk
    desk.close()


@pytest.fixture
def case(sam):
    return new_case(sam, kind="complaint", category="repairs", title="Broken boiler",
                    received_at=datetime(2026, 3, 9, 9, 0), party={"role": "resident", "name": "Lee Price"})


def appointment(case, op, **kw) -> ActionRequest:
    return ActionRequest(kind="appointment", case_id=case.id, version=case.version, to=op, **kw)


def book(sam, case, at=THURSDAY, purpose="Boiler repair visit") -> Done:
    done = submit(sam, appointment(case, "book", at=at, party_id=case.parties[0].id, summary=purpose))
    assert isinstance(done, Done), done
    return done


def test_book_shows_on_the_case_and_is_audited_with_the_row(sam, case, engine):
    done = book(sam, case)
    (appt,) = done.case.appointments
    assert (appt.at, appt.party_id, appt.purpose, appt.status) == (THURSDAY, case.parties[0].id,
                                                                   "Boiler repair visit", "booked")
    assert done.case.history[-1].summary == "Appointment booked: Thu 12 Mar 2026 10:00"
    assert done.case.history[-1].direction == "internal"
    with Session(engine) as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "appointment")).scalar_one()
        rows = recorded_rows(s, [event.id])[event.id]
        assert ("appointments", appt.id) in {(t, i) for t, i, _ in rows}
        assert hash_holds(event, rows)
        assert event.detail["appointment_id"] == appt.id and event.detail["op"] == "book"
        assert "Boiler" not in str(event.detail), "the purpose is personal text: the row's digest covers it"


def test_move_then_cancel(sam, case):
    booked = book(sam, case).case
    appt_id = booked.appointments[0].id
    friday = datetime(2026, 3, 13, 14, 0)
    moved = submit(sam, appointment(booked, "move", at=friday, extra={"appointment_id": appt_id}))
    assert isinstance(moved, Done)
    assert (moved.case.appointments[0].at, moved.case.appointments[0].purpose) == (friday, "Boiler repair visit")
    cancelled = submit(sam, appointment(moved.case, "cancel", extra={"appointment_id": appt_id}))
    assert isinstance(cancelled, Done) and cancelled.case.appointments[0].status == "cancelled"
    with pytest.raises(InvalidInput, match="the appointment is cancelled; only a booked one can be moved"):
        submit(sam, appointment(cancelled.case, "move", at=THURSDAY, extra={"appointment_id": appt_id}))


def test_booking_on_a_weekend_needs_a_reason(sam, case):
    saturday = datetime(2026, 3, 14, 10, 0)
    request = appointment(case, "book", at=saturday, party_id=case.parties[0].id, summary="Boiler repair visit")
    outcome = submit(sam, request)
    assert isinstance(outcome, NeedsReason)
    assert [f.rule for f in outcome.findings] == ["appointment-not-working-day"]
    assert "Sat 14 Mar 2026 10:00 is not a working day" in outcome.findings[0].message
    assert isinstance(submit(sam, request, reason="The resident works all week and asked for Saturday"), Done)


@pytest.mark.parametrize("fields, field", [
    ({"party_id": None}, "party"),
    ({"summary": "  "}, "purpose"),
    ({"at": None}, "at"),
    ({"to": "postpone"}, "appointment"),
    ({"summary": "x" * 201}, "purpose"),
])
def test_book_refuses_what_is_missing(sam, case, fields, field):
    values = dict(at=THURSDAY, party_id=case.parties[0].id, summary="Boiler repair visit") | fields
    op = values.pop("to", "book")
    with pytest.raises(InvalidInput) as caught:
        submit(sam, appointment(case, op, **values))
    assert caught.value.field == field


def test_an_appointment_of_another_case_is_refused(sam, case):
    other = new_case(sam, kind="complaint", category="repairs", title="Leak",
                     received_at=datetime(2026, 3, 9, 9, 0), party={"role": "resident", "name": "Ann Lowe"})
    theirs = book(sam, other).case.appointments[0].id
    with pytest.raises(InvalidInput, match=f"appointment {theirs} is not on case {case.ref}"):
        submit(sam, appointment(case, "cancel", extra={"appointment_id": theirs}))


def test_missed_feeds_the_rule_until_someone_gets_in_touch(sam, case, clock, engine):
    booked = book(sam, case).case
    appt_id = booked.appointments[0].id
    with pytest.raises(InvalidInput, match="still to come: it can be marked missed once its time has passed"):
        submit(sam, appointment(booked, "missed", extra={"appointment_id": appt_id}))
    with Session(engine) as s:
        assert s.get(Appointment, appt_id).status == "booked", "a refused mark leaves nothing written"
    clock.now = THURSDAY + timedelta(hours=2)
    assert "missed-appointment" not in [f.rule for f in standing(sam, booked).findings]
    missed = submit(sam, appointment(booked, "missed", extra={"appointment_id": appt_id}))
    assert isinstance(missed, Done) and missed.case.appointments[0].status == "missed"
    advice = {f.rule: f.message for f in standing(sam, missed.case).findings}
    assert "Thu 12 Mar 2026 10:00 with Lee Price" in advice["missed-appointment"]
    assert "Boiler repair visit" in advice["missed-appointment"]
    # The note the mark leaves is internal: it does not count as getting in touch. A call does.
    called = submit(sam, ActionRequest(kind="contact", case_id=case.id, version=missed.case.version,
                                       channel="phone", direction="out", party_id=case.parties[0].id,
                                       outcome="reached", summary="Rebooking the visit"))
    assert isinstance(called, Done)
    assert "missed-appointment" not in [f.rule for f in standing(sam, called.case).findings]


def test_kept_and_missed_correct_each_other(sam, case, clock):
    booked = book(sam, case).case
    appt_id = booked.appointments[0].id
    clock.now = THURSDAY + timedelta(hours=2)
    kept = submit(sam, appointment(booked, "kept", extra={"appointment_id": appt_id}))
    assert isinstance(kept, Done) and kept.case.appointments[0].status == "kept"
    missed = submit(sam, appointment(kept.case, "missed", extra={"appointment_id": appt_id}))
    assert isinstance(missed, Done) and missed.case.appointments[0].status == "missed"


def test_a_closed_case_takes_no_new_booking(sam):
    enquiry = new_case(sam, kind="enquiry", category="repairs", title="When is the visit?",
                       received_at=datetime(2026, 3, 9, 9, 0), party={"role": "resident", "name": "Lee Price"})
    closed = submit(sam, ActionRequest(kind="status", case_id=enquiry.id, version=enquiry.version, to="closed"),
                    reason="Answered on the phone, nothing more to do")
    assert isinstance(closed, Done), closed
    with pytest.raises(InvalidInput, match="is closed; reopen it"):
        submit(sam, appointment(closed.case, "book", at=THURSDAY, party_id=enquiry.parties[0].id, summary="Visit"))
