"""The action layer: rules decide, one transaction writes change + contact + audit, or nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from deskapp.actions import (
    ActionRequest,
    ApprovalRequested,
    Blocked,
    Conflict,
    Done,
    InvalidInput,
    NeedsReason,
    decide_approval,
    discard_draft,
    load_case,
    load_draft,
    my_approvals,
    new_case,
    open_desk,
    pending_approvals,
    preview,
    save_draft,
    save_party,
    standing,
    submit,
)
from deskapp.actions.audit import hash_holds, recorded_rows
from deskapp.actions.facts import case_snapshot
from deskapp.errors import DeskError
from deskapp.store.handlers import add_handler
from deskapp.store.models import ApprovalRequest, AuditEvent, Case, Contact

NOW = datetime(2026, 3, 10, 11, 0)


def counts(engine):
    with Session(engine) as s:
        return tuple(
            s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Contact, AuditEvent, ApprovalRequest)
        )


@pytest.fixture
def desks(engine, published, db_url):
    add_handler(engine, "sam", "handler", "Sam Reid")
    add_handler(engine, "jo", "handler", "Jo Park")
    add_handler(engine, "priya", "supervisor", "Priya Shah")
    opened = {name: open_desk(db_url, None, name, clock=lambda: NOW) for name in ("sam", "jo", "priya")}
    yield opened
    for desk in opened.values():
        desk.close()


@pytest.fixture
def housing(desks):
    """A repairs complaint where all contact must go through the resident's social worker."""
    sam = desks["sam"]
    case = new_case(
        sam, kind="complaint", category="repairs", title="Damp and broken boiler", vulnerable=True,
        received_at=datetime(2026, 3, 2, 9, 0), party={"role": "resident", "name": "Lee Price"},
    )
    done = save_party(sam, case.id, case.version, role="representative", name="Dana Hill",
                      organisation="Social services", designated=True)
    assert isinstance(done, Done)
    return done.case


def contact_request(case, party, **kw):
    fields = dict(kind="contact", case_id=case.id, version=case.version, channel="phone", direction="out",
                  party_id=party.id, outcome="reached", summary="Discussed the repair dates")
    fields.update(kw)
    return ActionRequest(**fields)


def party_named(case, name):
    return next(p for p in case.parties if p.name == name)


def test_contact_with_representative_goes_straight_through(desks, housing, engine):
    rep = party_named(housing, "Dana Hill")
    before = counts(engine)
    outcome = submit(desks["sam"], contact_request(housing, rep))
    assert isinstance(outcome, Done)
    assert outcome.case.version == housing.version + 1
    assert counts(engine)[:2] == (before[0] + 1, before[1] + 1)
    assert outcome.case.history[-1].party_name == "Dana Hill"
    assert outcome.case.history[-1].handler == "sam"


def test_contact_with_resident_needs_reason_and_records_it(desks, housing, engine):
    resident = party_named(housing, "Lee Price")
    request = contact_request(housing, resident)
    before = counts(engine)

    outcome = submit(desks["sam"], request)
    assert isinstance(outcome, NeedsReason)
    assert [f.rule for f in outcome.findings] == ["designated-representative"]
    assert "Dana Hill" in outcome.findings[0].message
    assert counts(engine) == before, "a warning without a reason must write nothing"

    done = submit(desks["sam"], request, reason="Dana asked me by email to ring Lee directly today")
    assert isinstance(done, Done)
    last = done.case.history[-1]
    assert last.party_name == "Lee Price"
    assert last.reason == "Dana asked me by email to ring Lee directly today"
    with Session(engine) as s:
        event = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert event.action == "contact" and event.contact_id == done.contact_id
    assert event.findings[0]["rule"] == "designated-representative"
    assert event.reason.startswith("Dana asked")


def test_preview_matches_submit(desks, housing):
    resident = party_named(housing, "Lee Price")
    findings = preview(desks["sam"], housing, contact_request(housing, resident))
    assert [(f.rule, f.severity) for f in findings] == [("designated-representative", "warn")]


def test_card_number_blocks_until_supervisor_approves(desks, housing, engine):
    rep = party_named(housing, "Dana Hill")
    request = ActionRequest(kind="message", case_id=housing.id, version=housing.version, channel="email",
                            party_id=rep.id, summary="Your refund",
                            body="The card on file is 4111 1111 1111 1111, please confirm.")
    before = counts(engine)
    outcome = submit(desks["sam"], request, reason="customer insisted")
    assert isinstance(outcome, Blocked)
    assert "card-number-disclosure" in [f.rule for f in outcome.findings]
    assert counts(engine) == before

    asked = submit(desks["sam"], request, request_approval=True, reason="Customer needs it for a chargeback")
    assert isinstance(asked, ApprovalRequested)
    contacts, events, approvals = counts(engine)
    assert (contacts, approvals) == (before[0], before[2] + 1), "the message itself is not sent yet"
    assert events == before[1] + 1

    assert [a.id for a in pending_approvals(desks["priya"])] == [asked.approval_id]
    assert [a.id for a in pending_approvals(desks["jo"])] == [], "handlers see only their own requests"
    with pytest.raises(DeskError, match="supervisor"):
        decide_approval(desks["jo"], asked.approval_id, approve=True, reason="Checked with the team leader")
    decided = decide_approval(desks["priya"], asked.approval_id, approve=True, reason="Chargeback team confirmed")
    assert decided.status == "approved" and decided.decided_by == "priya"
    assert [a.id for a in my_approvals(desks["sam"], housing.id)] == [asked.approval_id]

    done = submit(desks["sam"], request, approval_id=asked.approval_id)
    assert isinstance(done, Done)
    with Session(engine) as s:
        assert s.get(ApprovalRequest, asked.approval_id).status == "completed"
    with pytest.raises(InvalidInput, match="completed"):
        submit(desks["sam"], request.__class__(**{**request.__dict__, "version": done.case.version}),
               approval_id=asked.approval_id)


def test_supervisor_cannot_approve_own_request(desks, housing):
    rep = party_named(housing, "Dana Hill")
    request = ActionRequest(kind="message", case_id=housing.id, version=housing.version, channel="email",
                            party_id=rep.id, body="Card 5555 5555 5555 4444")
    asked = submit(desks["priya"], request, request_approval=True, reason="Testing the approval path")
    assert isinstance(asked, ApprovalRequested)
    with pytest.raises(DeskError, match="your own"):
        decide_approval(desks["priya"], asked.approval_id, approve=True, reason="Checked the account and the request")


def test_stale_version_is_refused_naming_who_changed_it(desks, housing, engine):
    rep = party_named(housing, "Dana Hill")
    loaded = load_case(desks["sam"], housing.id)
    assert isinstance(submit(desks["jo"], ActionRequest(kind="status", case_id=loaded.id, version=loaded.version,
                                                        to="investigating")), Done)
    before = counts(engine)
    outcome = submit(desks["sam"], contact_request(loaded, rep))
    assert isinstance(outcome, Conflict)
    assert "jo" in outcome.message and "investigating" in outcome.message
    assert outcome.case.version == loaded.version + 1
    assert counts(engine) == before


def test_closing_complaint_without_response_is_blocked(desks, housing):
    outcome = submit(desks["sam"], ActionRequest(kind="status", case_id=housing.id, version=housing.version,
                                                 to="closed"))
    assert isinstance(outcome, Blocked)
    assert [f.rule for f in outcome.findings] == ["close-without-response"]


def test_status_dates_and_due_date_follow_the_case(desks, housing, engine):
    assert housing.due_at is not None
    done = submit(desks["sam"], ActionRequest(kind="status", case_id=housing.id, version=housing.version,
                                              to="acknowledged"))
    assert isinstance(done, Done)
    assert done.case.acknowledged_at == NOW
    assert done.case.due_at is not None and done.case.due_at > housing.due_at
    letter = ActionRequest(kind="message", case_id=housing.id, version=done.case.version, channel="letter",
                           party_id=party_named(housing, "Dana Hill").id, summary="Our final response",
                           body="We have upheld the complaint; the boiler is replaced on Friday.",
                           final_response=True)
    sent = submit(desks["sam"], letter)
    assert isinstance(sent, Done) and sent.case.responded_at == NOW, "the final response sets responded_at"
    responded = submit(desks["sam"], ActionRequest(kind="status", case_id=housing.id, version=sent.case.version,
                                                   to="responded"))
    assert isinstance(responded, Done) and responded.case.responded_at == NOW
    closed = submit(desks["sam"], ActionRequest(kind="status", case_id=housing.id,
                                                version=responded.case.version, to="closed"))
    assert isinstance(closed, Done) and closed.case.closed_at == NOW and closed.case.due_at is None


def test_escalation_to_stage_one_handler_warns(desks, housing):
    done = submit(desks["sam"], ActionRequest(kind="escalate", case_id=housing.id, version=housing.version,
                                              to="jo", body="Customer unhappy with the stage 1 answer"))
    assert isinstance(done, Done), done
    case = done.case
    assert (case.stage, case.stage1_handler, case.assigned_to, case.status) == (2, "sam", "jo", "new")
    back = submit(desks["jo"], ActionRequest(kind="assign", case_id=case.id, version=case.version, to="sam"))
    assert isinstance(back, NeedsReason)
    assert "stage2-same-handler" in [f.rule for f in back.findings]


def test_validation_names_the_field_and_writes_nothing(desks, housing, engine):
    before = counts(engine)
    with pytest.raises(InvalidInput, match="^status:"):
        submit(desks["sam"], ActionRequest(kind="status", case_id=housing.id, version=housing.version, to="done"))
    with pytest.raises(InvalidInput, match="^party:"):
        submit(desks["sam"], contact_request(housing, party_named(housing, "Dana Hill"), party_id=99999))
    with pytest.raises(InvalidInput, match="^body: too long"):
        submit(desks["sam"], ActionRequest(kind="note", case_id=housing.id, version=housing.version,
                                           body="x" * 1_000_001))
    with pytest.raises(InvalidInput, match="^working_days"):
        submit(desks["sam"], ActionRequest(kind="extend", case_id=housing.id, version=housing.version,
                                           working_days=0, body="waiting on contractor"))
    assert counts(engine) == before


def test_untrusted_text_is_stored_as_typed(desks, housing):
    nasty = "[@click=app.quit]x[/] \x1b[2J \x1b]52;c;aGk=\x07 bell\x00"
    done = submit(desks["sam"], ActionRequest(kind="note", case_id=housing.id, version=housing.version,
                                              body=nasty))
    assert isinstance(done, Done)
    assert done.case.history[-1].body == nasty.replace("\x00", "")


def test_audit_chain_links_every_event(desks, housing, engine):
    rep = party_named(housing, "Dana Hill")
    submit(desks["sam"], contact_request(housing, rep))
    with Session(engine) as s:
        events = s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        digests = recorded_rows(s, [e.id for e in events])
    assert len(events) >= 3
    assert any(digests.values()), "events record the rows they wrote"
    previous = ""
    for event in events:
        assert event.prev_hash == previous
        assert hash_holds(event, digests.get(event.id, []))
        previous = event.hash


def test_designating_a_party_undesignates_the_others(desks, housing):
    resident = party_named(housing, "Lee Price")
    done = save_party(desks["sam"], housing.id, housing.version, party_id=resident.id, designated=True)
    assert isinstance(done, Done)
    assert [p.name for p in done.case.parties if p.designated] == ["Lee Price"]
    stale = save_party(desks["sam"], housing.id, housing.version, name="Someone")
    assert isinstance(stale, Conflict)


def test_new_case_validates_and_gets_a_fresh_ref(desks):
    with pytest.raises(InvalidInput, match="^kind:"):
        new_case(desks["sam"], kind="grumble", category="x", title="t")
    with pytest.raises(InvalidInput, match="^title:"):
        new_case(desks["sam"], kind="enquiry", category="x", title="   ")
    a = new_case(desks["sam"], kind="enquiry", category="billing", title="Bill query", party={"name": "A"})
    b = new_case(desks["jo"], kind="compliment", category="staff", title="Thanks", party={"name": "B"})
    assert a.ref != b.ref and a.assigned_to == "sam"


def test_standing_advice_and_deadlines(desks, housing):
    advice = standing(desks["sam"], housing)
    assert advice.deadlines.next_due is not None


def test_drafts_round_trip(desks, housing):
    sam = desks["sam"]
    assert load_draft(sam, housing.id, "message") is None
    save_draft(sam, housing.id, "message", {"party_id": 1}, "Dear Dana,")
    save_draft(sam, housing.id, "message", {"party_id": 2}, "Dear Dana, the dates")
    assert load_draft(sam, housing.id, "message") == ({"party_id": 2}, "Dear Dana, the dates")
    assert load_draft(desks["jo"], housing.id, "message") is None
    discard_draft(sam, housing.id, "message")
    assert load_draft(sam, housing.id, "message") is None


def test_unknown_handler_cannot_open_a_desk(engine, db_url):
    with pytest.raises(DeskError, match="not a deskapp handler"):
        open_desk(db_url, None, "mallory")


def test_case_ids_persist_between_reads(desks, housing, engine):
    with Session(engine) as s:
        assert s.get(Case, housing.id).ref == housing.ref


def test_new_case_numbers_after_the_highest_ref_whoever_made_it(desks, engine):
    """Demo and imports number cases too: a new case must not collide with them."""
    with Session(engine) as s, s.begin():
        for n in (1101, 1102, 5000):
            s.add(Case(ref=f"C-{n}", kind="enquiry", title="made elsewhere", received_at=NOW))
    made = new_case(desks["sam"], kind="enquiry", category="billing", title="Bill query", party={"name": "A"})
    assert made.ref == "C-5001"


@pytest.mark.parametrize("kind", ["contact", "message", "note", "end_call", "status", "assign", "escalate", "extend"])
def test_done_view_and_due_date_are_what_a_fresh_read_gives(desks, housing, kind):
    """submit works the deadline out from the case as the write leaves it (not a re-read) and reads the view
    once, after the audit event: both must equal what a fresh desk reads and the rules say afterwards."""
    rep = party_named(housing, "Dana Hill")
    fields = {
        "contact": dict(channel="phone", direction="out", party_id=rep.id, outcome="reached", summary="Called",
                        at=datetime(2026, 3, 3, 9, 0)),  # logged late: lands mid-history
        "message": dict(channel="email", party_id=rep.id, summary="Dates", body="The visit is on Friday"),
        "note": dict(body="Chased the contractor"),
        "end_call": dict(party_id=rep.id, summary="Abusive", call_id="call-9"),
        "status": dict(to="acknowledged"),
        "assign": dict(to="jo"),
        "escalate": dict(to="jo", body="Unhappy with the answer"),
        "extend": dict(working_days=10, body="Waiting on the contractor"),
    }[kind]
    request = ActionRequest(kind=kind, case_id=housing.id, version=housing.version, **fields)
    outcome = submit(desks["sam"], request)
    if isinstance(outcome, NeedsReason):
        outcome = submit(desks["sam"], request, reason="Went ahead on purpose")
    assert isinstance(outcome, Done), outcome
    fresh = load_case(desks["priya"], housing.id)
    assert outcome.case == fresh
    expected = desks["sam"].policies.deadlines(case_snapshot(fresh), NOW).next_due
    assert fresh.due_at == expected
