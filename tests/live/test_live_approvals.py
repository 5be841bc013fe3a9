"""Approvals across desks: the request reaches supervisors through the change feed, the decision
reaches the handler, who then completes or drops the action."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import (
    ActionRequest,
    ApprovalRequested,
    Blocked,
    Done,
    decide_approval,
    new_case,
    open_desk,
    submit,
)
from deskapp.errors import DeskError
from deskapp.live.feed import ChangeFeed
from deskapp.actions.inbox import (
    complete_approval,
    decided_for_me,
    my_requests,
    pending_for_me,
    stored_request,
    withdraw_approval,
)
from deskapp.store.handlers import add_handler
from deskapp.store.models import ApprovalRequest, AuditEvent, Contact

NOW = datetime(2026, 3, 10, 11, 0)
CARD_TEXT = "As asked, the card on file is 4111 1111 1111 1111 from the March invoice."
STORED_TEXT = "As asked, the card on file is 4111 11•• •••• 1111 from the March invoice."  # as stored (PCI DSS 3.4)


@pytest.fixture
def desks(engine, published, db_url):
    add_handler(engine, "sam", "handler", "Sam Reid")
    add_handler(engine, "priya", "supervisor", "Priya Shah")
    add_handler(engine, "lee", "supervisor", "Lee Chan")
    opened = {name: open_desk(db_url, None, name, clock=lambda: NOW) for name in ("sam", "priya", "lee")}
    yield opened
    for desk in opened.values():
        desk.close()


@pytest.fixture
def case(desks):
    return new_case(desks["sam"], kind="complaint", category="billing", title="Asks for old card details",
                    received_at=datetime(2026, 3, 9, 9, 0), party={"role": "customer", "name": "Ray Moss"})


def card_message(case):
    return ActionRequest(kind="message", case_id=case.id, version=case.version, channel="email",
                         party_id=case.parties[0].id, summary="Your invoice", body=CARD_TEXT)


def ask(desks, case) -> int:
    sam = desks["sam"]
    request = card_message(case)
    assert isinstance(submit(sam, request), Blocked)
    asked = submit(sam, request, reason="Customer insists; he is the card holder", request_approval=True)
    assert isinstance(asked, ApprovalRequested)
    return asked.approval_id


def test_request_decision_and_completion_travel_through_the_feed(desks, case, engine):
    sam, priya = desks["sam"], desks["priya"]
    priya_feed, sam_feed = ChangeFeed(priya.engine), ChangeFeed(sam.engine)
    try:
        approval_id = ask(desks, case)
        news = priya_feed.poll(force=True)
        assert [(c.kind, c.case_id, c.actor) for c in news] == [("approval.request", case.id, "sam")]
        waiting = pending_for_me(priya)
        assert [(a.id, a.requested_by, a.case_ref) for a in waiting] == [(approval_id, "sam", case.ref)]
        assert pending_for_me(sam) == [], "a handler decides nothing"
        assert [a.status for a in my_requests(sam)] == ["pending"]

        sam_feed.poll(force=True)
        decide_approval(priya, approval_id, approve=True, reason="Confirmed he is the card holder")
        news = sam_feed.poll(force=True)
        assert [(c.kind, c.actor) for c in news] == [("approval.approved", "priya")]
        decided = decided_for_me(sam, [c.case_id for c in news])
        assert [(a.id, a.decided_by, a.decision_reason) for a in decided] == [
            (approval_id, "priya", "Confirmed he is the card holder")]
        assert pending_for_me(priya) == []

        done = complete_approval(sam, decided[0])
        assert isinstance(done, Done)
        assert done.case.history[-1].body == STORED_TEXT
        assert [(c.kind, c.case_id) for c in sam_feed.poll(force=True)] == [("message", case.id)]
        with Session(engine) as s:
            assert s.get(ApprovalRequest, approval_id).status == "completed"
            event = s.execute(select(AuditEvent).where(AuditEvent.action == "message")).scalar_one()
            assert event.approval_id == approval_id
        assert my_requests(sam) == []
        with pytest.raises(DeskError):
            complete_approval(sam, decided[0])  # stale view: the request is used up
    finally:
        priya_feed.stop()
        sam_feed.stop()


def test_completion_uses_the_current_version(desks, case):
    sam, priya = desks["sam"], desks["priya"]
    approval_id = ask(desks, case)
    decide_approval(priya, approval_id, approve=True, reason="Checked the account and the request")
    note = submit(sam, ActionRequest(kind="note", case_id=case.id, version=case.version, body="Checked the file"))
    assert isinstance(note, Done)
    (approval,) = [a for a in my_requests(sam) if a.id == approval_id]
    request = stored_request(approval, note.case.version)
    assert request.body == STORED_TEXT and request.version == note.case.version
    assert isinstance(complete_approval(sam, approval), Done)


def test_refused_request_is_shown_with_the_reason_and_cannot_be_completed(desks, case, engine):
    sam, priya = desks["sam"], desks["priya"]
    approval_id = ask(desks, case)
    decide_approval(priya, approval_id, approve=False, reason="Never read card numbers out; send the masked form")
    (refused,) = my_requests(sam)
    assert refused.status == "refused" and refused.decision_reason.startswith("Never read")
    with pytest.raises(DeskError, match="refused"):
        complete_approval(sam, refused)
    with Session(engine) as s:
        assert s.execute(select(Contact).where(Contact.body == CARD_TEXT)).first() is None


def test_handler_drops_an_approved_request(desks, case, engine):
    sam, priya, lee = desks["sam"], desks["priya"], desks["lee"]
    approval_id = ask(desks, case)
    with pytest.raises(DeskError, match="not yours"):
        withdraw_approval(priya, approval_id)
    decide_approval(priya, approval_id, approve=True, reason="OK this once: checked the account")
    feed = ChangeFeed(lee.engine)
    dropped = withdraw_approval(sam, approval_id)
    assert dropped.status == "withdrawn"
    assert [c.kind for c in feed.poll(force=True)] == ["approval.withdrawn"]
    feed.stop()
    assert my_requests(sam) == []
    with pytest.raises(DeskError, match="already withdrawn"):
        withdraw_approval(sam, approval_id)
    with Session(engine) as s:
        assert s.execute(select(AuditEvent.action).where(AuditEvent.approval_id == approval_id)
                         .order_by(AuditEvent.id)).scalars().all() == [
            "approval.request", "approval.approve", "approval.withdraw"]


def test_supervisor_does_not_see_own_request_as_theirs_to_decide(desks, case):
    priya, lee = desks["priya"], desks["lee"]
    request = card_message(case)
    asked = submit(priya, request, reason="I will handle it", request_approval=True)
    assert isinstance(asked, ApprovalRequested)
    assert pending_for_me(priya) == []
    assert [a.id for a in pending_for_me(lee)] == [asked.approval_id]
    with pytest.raises(DeskError):
        decide_approval(priya, asked.approval_id, approve=True, reason="Approving my own request")
