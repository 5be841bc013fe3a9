"""Statuses that tell the truth (issue 15, items 4 and 5).

`responded` and `closed` rest on a recorded final response (an outbound
message or letter marked as the stage's final response), never on the status;
the only way round is a supervisor's approval with a reason, at each step.
Reasons that say nothing ("ok", "n/a", too short) are refused everywhere.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from deskapp.actions import (
    ActionRequest,
    ApprovalRequested,
    Blocked,
    Done,
    InvalidInput,
    decide_approval,
    load_case,
    new_case,
    open_desk,
    submit,
)
from deskapp.store.handlers import add_handler
from deskapp.store.models import ApprovalRequest, AuditEvent, Contact
from deskapp.supervision.casefile import gather
from deskapp.supervision.render import render
from deskapp.tui.widgets.case_pane import contact_details

NOW = datetime(2026, 3, 10, 11, 0)
SUPERVISOR_REASON = "Customer confirmed by phone the refund settles it; letter follows"


def written(engine):
    with Session(engine) as s:
        return tuple(s.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (Contact, AuditEvent, ApprovalRequest))


@pytest.fixture
def desks(engine, published, db_url):
    add_handler(engine, "sam", "handler", "Sam Reid")
    add_handler(engine, "priya", "supervisor", "Priya Shah")
    opened = {name: open_desk(db_url, None, name, clock=lambda: NOW) for name in ("sam", "priya")}
    yield opened
    for desk in opened.values():
        desk.close()


@pytest.fixture
def complaint(desks):
    """Like demo C-1004: an acknowledged complaint with no response sent yet."""
    sam = desks["sam"]
    case = new_case(sam, kind="complaint", category="waste and recycling", title="Recycling missed three weeks",
                    received_at=datetime(2026, 3, 2, 12, 10), party={"role": "customer", "name": "Helen Marsh"})
    done = submit(sam, status(case, "acknowledged"))
    assert isinstance(done, Done)
    return done.case


def status(case, to):
    return ActionRequest(kind="status", case_id=case.id, version=case.version, to=to)


def letter(case, **kw):
    fields = dict(kind="message", case_id=case.id, version=case.version, channel="letter",
                  party_id=case.parties[0].id, summary="Our final response",
                  body="We have upheld your complaint and changed the crew's round.", final_response=True)
    fields.update(kw)
    return ActionRequest(**fields)


def rules_of(outcome):
    return [f.rule for f in outcome.findings]


def test_responded_then_closed_is_blocked_at_both_steps(desks, complaint, engine):
    """The C-1004 report: `s` responded, then `s` closed, with no response ever sent."""
    before = written(engine)
    responded = submit(desks["sam"], status(complaint, "responded"))
    assert isinstance(responded, Blocked) and rules_of(responded) == ["respond-without-final-response"]
    closed = submit(desks["sam"], status(complaint, "closed"))
    assert isinstance(closed, Blocked) and rules_of(closed) == ["close-without-response"]
    assert written(engine) == before, "a blocked status writes nothing"
    assert load_case(desks["sam"], complaint.id).status == "acknowledged"


def test_an_approved_responded_does_not_open_the_way_to_closing(desks, complaint):
    sam, priya = desks["sam"], desks["priya"]
    asked = submit(sam, status(complaint, "responded"), request_approval=True,
                   reason="Customer withdrew in person at the office; no letter wanted")
    assert isinstance(asked, ApprovalRequested)
    decide_approval(priya, asked.approval_id, approve=True, reason=SUPERVISOR_REASON)
    done = submit(sam, status(complaint, "responded"), approval_id=asked.approval_id)
    assert isinstance(done, Done) and done.case.status == "responded"
    assert done.case.responded_at is None, "a status is a claim: no response time without a response"
    closed = submit(sam, status(done.case, "closed"))
    assert isinstance(closed, Blocked) and rules_of(closed) == ["close-without-response"]
    # History: the status note says whose approval it was and why, not "went ahead against a warning".
    note = done.case.history[-1]
    assert note.approved_by == "priya" and note.reason == SUPERVISOR_REASON
    shown = contact_details(note).plain
    assert f"Carried out with supervisor approval (priya): {SUPERVISOR_REASON}" in shown
    assert "Went ahead against a warning" not in shown


def test_a_final_response_letter_is_the_fact_both_statuses_rest_on(desks, complaint, engine):
    sent = submit(desks["sam"], letter(complaint))
    assert isinstance(sent, Done)
    assert sent.case.responded_at == NOW and sent.case.status == "acknowledged"
    last = sent.case.history[-1]
    assert (last.channel, last.direction, last.response_stage) == ("letter", "out", 1)
    with Session(engine) as s:
        event = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert event.detail["final_response"] == {"stage": 1}
    responded = submit(desks["sam"], status(sent.case, "responded"))
    assert isinstance(responded, Done), responded
    closed = submit(desks["sam"], status(responded.case, "closed"))
    assert isinstance(closed, Done), closed


def test_closing_straight_after_the_final_response_needs_no_responded_step(desks, complaint):
    sent = submit(desks["sam"], letter(complaint, channel="email"))
    closed = submit(desks["sam"], status(sent.case, "closed"))
    assert isinstance(closed, Done)


def test_a_logged_outbound_letter_can_be_the_final_response(desks, complaint):
    logged = submit(desks["sam"], ActionRequest(
        kind="contact", case_id=complaint.id, version=complaint.version, channel="letter", direction="out",
        party_id=complaint.parties[0].id, summary="Posted the final response", final_response=True))
    assert isinstance(logged, Done) and logged.case.history[-1].response_stage == 1
    assert isinstance(submit(desks["sam"], status(logged.case, "responded")), Done)


@pytest.mark.parametrize("change, field", [
    (dict(channel="sms"), "final_response"),
    (dict(kind="contact", channel="phone", direction="out", outcome="reached"), "final_response"),
    (dict(kind="contact", channel="letter", direction="in"), "final_response"),
    (dict(kind="note", channel=None, party_id=None), "final_response"),
])
def test_only_a_written_outbound_message_can_be_a_final_response(desks, complaint, engine, change, field):
    before = written(engine)
    with pytest.raises(InvalidInput) as refused:
        submit(desks["sam"], letter(complaint, **change))
    assert refused.value.field == field
    assert written(engine) == before


def test_the_stage_1_response_does_not_answer_stage_2(desks, complaint):
    sam = desks["sam"]
    sent = submit(sam, letter(complaint))
    escalated = submit(sam, ActionRequest(kind="escalate", case_id=complaint.id, version=sent.case.version,
                                          body="Customer not satisfied with the stage 1 answer"),
                       reason="Nobody else on the team is free to take stage 2 this week")
    assert isinstance(escalated, Done) and escalated.case.responded_at is None
    assert isinstance(submit(sam, status(escalated.case, "acknowledged")), Done)
    case = load_case(sam, complaint.id)
    blocked = submit(sam, status(case, "closed"))
    assert isinstance(blocked, Blocked) and "stage 2" in blocked.findings[0].message
    answered = submit(sam, letter(case, summary="Stage 2 final response"))
    assert answered.case.history[-1].response_stage == 2
    assert isinstance(submit(sam, status(answered.case, "closed")), Done)


def test_export_deadlines_read_the_final_response_not_the_status(desks, complaint):
    sam, priya = desks["sam"], desks["priya"]
    asked = submit(sam, status(complaint, "responded"), request_approval=True,
                   reason="Customer withdrew in person at the office; no letter wanted")
    decide_approval(priya, asked.approval_id, approve=True, reason=SUPERVISOR_REASON)
    assert isinstance(submit(sam, status(complaint, "responded"), approval_id=asked.approval_id), Done)
    casefile = gather(priya, complaint.ref, NOW)
    response = next(m for m in casefile.milestones if m.what == "response")
    assert response.done is None, "the status change is not the response"
    out = render(casefile, "md")
    assert "| 1 | response |" in out and "| not sent |" in out
    assert f"Carried out with supervisor approval (priya): {SUPERVISOR_REASON}" in out
    assert "Went ahead against a warning" not in out

    sent = submit(sam, letter(load_case(sam, complaint.id)))
    assert isinstance(sent, Done)
    response = next(m for m in gather(priya, complaint.ref, NOW).milestones if m.what == "response")
    assert response.done == NOW and response.verdict == "met"


# --- reasons ---------------------------------------------------------------------------------------


EMPTY = ["ok", "OK.", "  o.k!! ", "n/a", "N/A", "As discussed.", "as  DISCUSSED", "see above"]


@pytest.mark.parametrize("reason", EMPTY + ["too short", "Agreed w/ Dana"])
def test_an_empty_reason_does_not_get_past_a_warning(desks, engine, reason):
    sam = desks["sam"]
    case = new_case(sam, kind="complaint", category="repairs", title="Boiler", received_at=datetime(2026, 3, 2, 9),
                    party={"role": "resident", "name": "Lee Price"})
    from deskapp.actions import save_party

    case = save_party(sam, case.id, case.version, role="representative", name="Dana Hill", designated=True).case
    resident = next(p for p in case.parties if p.name == "Lee Price")
    call = ActionRequest(kind="contact", case_id=case.id, version=case.version, channel="phone", direction="out",
                         party_id=resident.id, outcome="reached", summary="Rang Lee")
    before = written(engine)
    with pytest.raises(InvalidInput) as refused:
        submit(sam, call, reason=reason)
    assert refused.value.field == "reason"
    assert "say" in str(refused.value) or "short" in str(refused.value)
    assert written(engine) == before
    assert isinstance(submit(sam, call, reason="Dana asked me by email to ring Lee directly"), Done)


def test_empty_reasons_are_refused_when_asking_and_when_deciding(desks, complaint, engine):
    sam, priya = desks["sam"], desks["priya"]
    before = written(engine)
    with pytest.raises(InvalidInput, match="^reason:"):
        submit(sam, status(complaint, "closed"), request_approval=True, reason="n/a")
    assert written(engine) == before
    asked = submit(sam, status(complaint, "closed"), request_approval=True,
                   reason="Customer withdrew the complaint in person today")
    for empty in ("ok", "As discussed", "fine"):
        with pytest.raises(InvalidInput, match="^reason:"):
            decide_approval(priya, asked.approval_id, approve=True, reason=empty)
    with Session(engine) as s:
        assert s.get(ApprovalRequest, asked.approval_id).status == "pending"


def test_the_approval_line_always_carries_the_supervisors_reason(desks, complaint):
    """Even when the handler types a reason of their own while carrying the approval out."""
    sam, priya = desks["sam"], desks["priya"]
    asked = submit(sam, status(complaint, "closed"), request_approval=True,
                   reason="Customer withdrew the complaint in person today")
    decide_approval(priya, asked.approval_id, approve=True, reason=SUPERVISOR_REASON)
    done = submit(sam, status(complaint, "closed"), approval_id=asked.approval_id,
                  reason="Carrying out what Priya approved this morning")
    assert isinstance(done, Done)
    note = done.case.history[-1]
    assert (note.approved_by, note.reason) == ("priya", SUPERVISOR_REASON)
    entry = [e for e in gather(priya, complaint.ref, NOW).timeline if e.action == "status"][-1]
    assert (entry.approved_by, entry.reason) == ("priya", SUPERVISOR_REASON)
