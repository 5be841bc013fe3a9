"""An approval covers exactly the request a supervisor saw, once, until it expires (issue 14 item 3).

Real databases (SQLite and PostgreSQL through `db_url`); desks with a clock the test moves.
"""

from __future__ import annotations

import threading
from dataclasses import fields, replace
from datetime import datetime

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session

from deskapp.actions import (
    ActionRequest,
    ApprovalRequested,
    Blocked,
    Conflict,
    Done,
    InvalidInput,
    decide_approval,
    load_case,
    new_case,
    open_desk,
    preview,
    save_party,
    submit,
)
from deskapp.actions.inbox import complete_approval, my_requests, pending_for_me, stored_request
from deskapp.actions.policies import publish_default
from deskapp.actions.submit import request_json
from deskapp.core.cards import redact_cards
from deskapp.core.request_digest import EXCLUDED, differing_fields, request_digest
from deskapp.errors import DeskError
from deskapp.store.handlers import add_handler
from deskapp.store.models import ApprovalRequest, AuditEvent, Contact

TUE = datetime(2026, 3, 10, 11, 0)  # decisions are made on Tue 10 Mar 2026
EMAIL_TEXT = "Dear Ray, as you asked, the card on file is 4111 1111 1111 1111. Kind regards, Sam"
ATTACK_TEXT = ("Cards 4111 1111 1111 1111, 5555 5555 5555 4444 and 4012 8888 8888 1881 are on file. "
               "As I have already explained, that is simply not our problem.")


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock(TUE)


@pytest.fixture
def desks(engine, db_url, clock):
    publish_default(engine, "setup")
    add_handler(engine, "sam", "handler", "Sam Reid")
    add_handler(engine, "priya", "supervisor", "Priya Shah")
    opened = {name: open_desk(db_url, None, name, clock=clock) for name in ("sam", "priya")}
    yield opened
    for desk in opened.values():
        desk.close()


@pytest.fixture
def case(desks):
    return new_case(desks["sam"], kind="complaint", category="billing", title="Asks for old card details",
                    received_at=datetime(2026, 3, 9, 9, 0), party={"role": "customer", "name": "Ray Moss"})


def email(case, **kw) -> ActionRequest:
    values = dict(kind="message", case_id=case.id, version=case.version, channel="email",
                  party_id=case.parties[0].id, summary="Your invoice", body=EMAIL_TEXT)
    values.update(kw)
    return ActionRequest(**values)


def approved(desks, request) -> int:
    """sam asks for `request`, priya approves it: the approval's id."""
    assert isinstance(submit(desks["sam"], request), Blocked)
    asked = submit(desks["sam"], request, request_approval=True, reason="He is the card holder")
    assert isinstance(asked, ApprovalRequested)
    decide_approval(desks["priya"], asked.approval_id, approve=True, reason="Checked his ID against the account")
    return asked.approval_id


def written(engine) -> tuple[int, int]:
    with Session(engine) as s:
        return (s.execute(select(func.count()).select_from(Contact)).scalar_one(),
                s.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def approval_row(engine, approval_id) -> ApprovalRequest:
    with Session(engine) as s:
        return s.get(ApprovalRequest, approval_id)


def current(desks, case) -> ActionRequest:
    return load_case(desks["sam"], case.id)


# --- the digest ---------------------------------------------------------------------------------


def test_digest_is_the_same_for_the_request_and_its_stored_form():
    request = ActionRequest(kind="contact", case_id=4, version=7, channel="phone", direction="out", party_id=9,
                            outcome="reached", summary="Rang", body="Text", at=datetime(2026, 3, 10, 9, 30, 12),
                            extra={"b": 1, "a": [1, 2]})
    stored = request_json(request)
    assert request_digest(stored) == request_digest(request)
    assert request_digest(replace(request, version=8)) == request_digest(request), "the loaded version is left out"
    assert EXCLUDED == {"version"}


CHANGES = {
    "kind": "note", "case_id": 5, "channel": "sms", "direction": "in", "party_id": 10, "outcome": "voicemail",
    "summary": "Rang.", "body": "Text ", "to": "closed", "at_request_of": 3, "working_days": 2, "call_id": "c-2",
    "at": datetime(2026, 3, 10, 9, 30, 13), "extra": {"b": 2, "a": [1, 2]}, "final_response": True,
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_every_field_but_the_version_changes_the_digest(name):
    request = ActionRequest(kind="contact", case_id=4, version=7, channel="phone", direction="out", party_id=9,
                            outcome="reached", summary="Rang", body="Text", to=None, at_request_of=None,
                            working_days=None, call_id="c-1", at=datetime(2026, 3, 10, 9, 30, 12),
                            extra={"b": 1, "a": [1, 2]})
    changed = replace(request, **{name: CHANGES[name]})
    assert request_digest(changed) != request_digest(request)
    assert differing_fields(request, changed) == [name]


def test_the_digest_covers_every_field_of_the_request():
    # A field added to ActionRequest is covered unless someone argues it out in EXCLUDED.
    assert {f.name for f in fields(ActionRequest)} - EXCLUDED == set(CHANGES)


# --- the attack from the issue ------------------------------------------------------------------


def test_approved_email_cannot_send_a_different_sms(desks, case, engine):
    approval_id = approved(desks, email(case))
    before = written(engine)
    attack = ActionRequest(kind="message", case_id=case.id, version=current(desks, case).version, channel="sms",
                           party_id=case.parties[0].id, summary="", body=ATTACK_TEXT)
    with pytest.raises(InvalidInput) as refused:
        submit(desks["sam"], attack, approval_id=approval_id, reason="approved already")
    assert refused.value.field == "approval"
    message = str(refused.value)
    assert "ask for approval again" in message and "channel" in message and "body" in message
    assert "4111" not in message, "the refusal names fields, never the text the rules blocked"
    assert written(engine) == before, "nothing written"
    assert approval_row(engine, approval_id).status == "approved", "the real request can still be carried out"

    done = submit(desks["sam"], email(case, version=current(desks, case).version), approval_id=approval_id)
    # What was sent and stored keeps only the first six and last four digits (PCI DSS 3.4).
    assert isinstance(done, Done) and done.case.history[-1].body == redact_cards(EMAIL_TEXT) != EMAIL_TEXT


def test_tone_warning_of_another_text_cannot_ride_on_the_approval(desks, case, engine):
    approval_id = approved(desks, email(case))
    hostile = email(case, version=current(desks, case).version,
                    body=EMAIL_TEXT + " As I have already explained, that is simply not our problem.")
    findings = preview(desks["sam"], current(desks, case), hostile)
    assert {"hostile-tone", "card-number-disclosure"} <= {f.rule for f in findings}
    before = written(engine)
    with pytest.raises(InvalidInput, match=r"body differs.*ask for approval again"):
        submit(desks["sam"], hostile, approval_id=approval_id, reason="the customer was rude first")
    assert written(engine) == before


def test_a_warning_that_came_up_after_the_request_is_not_covered(desks, case, engine):
    """Same text, but the case changed: a designated representative now makes it a warning."""
    approval_id = approved(desks, email(case))
    now = current(desks, case)
    done = save_party(desks["sam"], case.id, now.version, role="representative", name="Dana Hill",
                      organisation="Social services", designated=True)
    assert isinstance(done, Done)
    before = written(engine)
    with pytest.raises(InvalidInput, match=r"rules also say: warn: All contact on this case goes through Dana"):
        submit(desks["sam"], email(case, version=done.case.version), approval_id=approval_id)
    assert written(engine) == before
    assert approval_row(engine, approval_id).status == "approved"


# --- once -----------------------------------------------------------------------------------------


def test_the_same_approval_is_refused_the_second_time(desks, case, engine):
    approval_id = approved(desks, email(case))
    (view,) = [a for a in my_requests(desks["sam"]) if a.id == approval_id]
    assert isinstance(complete_approval(desks["sam"], view), Done)
    before = written(engine)
    again = stored_request(view, current(desks, case).version)
    with pytest.raises(InvalidInput, match="used once already"):
        submit(desks["sam"], again, approval_id=approval_id)
    with pytest.raises(DeskError):
        complete_approval(desks["sam"], view)  # the stale view still says approved: the database decides
    assert written(engine) == before
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Contact).where(Contact.body == EMAIL_TEXT)).scalar_one() == 1
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "message")).scalar_one()
        assert event.approval_id == approval_id
        assert event.detail["approval_digest"] == request_digest(email(case))


def test_two_desks_carrying_out_at_once_one_wins(desks, case, engine, db_url, clock):
    """The same handler on two desks presses carry-out together: one message is sent, not two."""
    approval_id = approved(desks, email(case))
    (view,) = [a for a in my_requests(desks["sam"]) if a.id == approval_id]
    request = stored_request(view, current(desks, case).version)
    start = threading.Barrier(2, timeout=10)
    waited = threading.local()

    def together() -> datetime:
        if not getattr(waited, "done", False):  # both submits start at once; a retry does not wait again
            waited.done = True
            start.wait()
        return clock.now

    second = [open_desk(db_url, None, "sam", clock=clock) for _ in range(2)]
    for d in second:
        d.clock = together  # only the carry-outs wait for each other, not opening the desks
    results: list[object] = [None, None]

    def carry_out(i: int) -> None:
        try:
            results[i] = submit(second[i], request, approval_id=approval_id)
        except Exception as exc:  # noqa: BLE001 - the loser's refusal is the result
            results[i] = exc

    threads = [threading.Thread(target=carry_out, args=(i,)) for i in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        for d in second:
            d.close()
    wins = [r for r in results if isinstance(r, Done)]
    losses = [r for r in results if isinstance(r, Conflict)
              or (isinstance(r, InvalidInput) and r.field == "approval")]
    assert len(wins) == 1 and len(losses) == 1, results
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Contact).where(Contact.body == EMAIL_TEXT)).scalar_one() == 1
        assert s.get(ApprovalRequest, approval_id).status == "completed"


# --- until it expires ------------------------------------------------------------------------------


def test_expiry_is_the_end_of_the_next_working_day_after_the_decision(desks, case, engine, clock):
    request = email(case)
    clock.now = datetime(2026, 3, 12, 16, 0)  # asked on Thursday
    asked = submit(desks["sam"], request, request_approval=True, reason="He is the card holder")
    row = approval_row(engine, asked.approval_id)
    assert row.digest == request_digest(request)
    assert row.expires_at == datetime(2026, 3, 13, 23, 59, 59), "an undecided request lapses too"
    clock.now = datetime(2026, 3, 13, 16, 0)  # decided on Friday: usable until the end of Monday
    decide_approval(desks["priya"], asked.approval_id, approve=True, reason="Checked the account and the request")
    assert approval_row(engine, asked.approval_id).expires_at == datetime(2026, 3, 16, 23, 59, 59)
    with Session(engine) as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "approval.approve")).scalar_one()
        assert event.detail["digest"] == row.digest and event.detail["expires_at"] == "2026-03-16T23:59:59"


def test_expired_approval_is_refused_and_shows_as_expired(desks, case, engine, clock):
    approval_id = approved(desks, email(case))  # decided Tue 10 Mar: usable until the end of Wed 11 Mar
    clock.now = datetime(2026, 3, 12, 9, 0)
    (view,) = [a for a in my_requests(desks["sam"]) if a.id == approval_id]
    assert view.status == "expired" and view.expires_at == datetime(2026, 3, 11, 23, 59, 59)
    before = written(engine)
    with pytest.raises(InvalidInput, match=r"expired at Wed 11 Mar 23:59.*ask for approval again"):
        submit(desks["sam"], email(case, version=current(desks, case).version), approval_id=approval_id)
    with pytest.raises(DeskError, match="expired"):
        complete_approval(desks["sam"], view)
    assert written(engine) == before

    clock.now = datetime(2026, 3, 11, 23, 0)  # the last evening it is good for
    (view,) = [a for a in my_requests(desks["sam"]) if a.id == approval_id]
    assert view.status == "approved"
    assert isinstance(complete_approval(desks["sam"], view), Done)


def test_an_undecided_request_expires_for_the_supervisor_too(desks, case, clock):
    asked = submit(desks["sam"], email(case), request_approval=True, reason="He is the card holder")
    assert [a.id for a in pending_for_me(desks["priya"])] == [asked.approval_id]
    clock.now = datetime(2026, 3, 12, 9, 0)
    assert pending_for_me(desks["priya"]) == []
    with pytest.raises(DeskError, match="expired .* the handler must ask again"):
        decide_approval(desks["priya"], asked.approval_id, approve=True, reason="Approved late in the day")
    assert [a.status for a in my_requests(desks["sam"])] == ["expired"]
    clock.now = datetime(2026, 3, 14, 9, 0)  # two days after it lapsed it leaves the handler's list
    assert my_requests(desks["sam"]) == []


# --- the supervisor decides on the request as stored -------------------------------------------------


def test_a_stored_request_changed_after_asking_cannot_be_approved_or_carried_out(desks, case, engine):
    request = email(case)
    asked = submit(desks["sam"], request, request_approval=True, reason="He is the card holder")
    (seen,) = pending_for_me(desks["priya"])
    with Session(engine) as s, s.begin():  # someone edits the stored request behind the desk's back
        s.execute(update(ApprovalRequest).where(ApprovalRequest.id == asked.approval_id)
                  .values(action=request_json(replace(request, body=ATTACK_TEXT))))
    with pytest.raises(DeskError, match="no longer holds what the handler asked"):
        decide_approval(desks["priya"], asked.approval_id, approve=True, reason="Checked the account and the request", seen_digest=seen.digest)
    refused = decide_approval(desks["priya"], asked.approval_id, approve=False, reason="Tampered with after asking")
    assert refused.status == "refused"


def test_the_supervisor_decides_only_on_what_they_saw(desks, case, engine):
    asked = submit(desks["sam"], email(case), request_approval=True, reason="He is the card holder")
    with pytest.raises(DeskError, match="changed since you opened it"):
        decide_approval(desks["priya"], asked.approval_id, approve=True, reason="Checked the account and the request", seen_digest="0" * 64)
    assert approval_row(engine, asked.approval_id).status == "pending"


def test_an_approval_without_a_digest_is_not_usable(desks, case, engine):
    """Approved before digests were kept (an older desk): carrying it out needs a fresh request."""
    approval_id = approved(desks, email(case))
    with Session(engine) as s, s.begin():
        s.execute(update(ApprovalRequest).where(ApprovalRequest.id == approval_id).values(digest=None))
    with pytest.raises(InvalidInput, match="not tied to an exact request.*ask for approval again"):
        submit(desks["sam"], email(case, version=current(desks, case).version), approval_id=approval_id)
