"""Turn what the desk holds into what the policy engine reads.

One translation for both the live sidebar (preview) and the write path
(submit), so the handler sees exactly the findings the write will act on.
"""

from __future__ import annotations

from deskapp.core.parties import PARTY_FACTS
from deskapp.core.views import ActionRequest, CaseView
from deskapp.core.views import PersonView
from deskapp.policy.snapshot import (
    ActionSnap,
    AppointmentSnap,
    CaseSnap,
    ContactSnap,
    PartySnap,
    PersonSnap,
    RepresentativeSnap,
)


def _pid(party_id: int | None) -> str | None:
    return None if party_id is None else str(party_id)


def case_snapshot(case: CaseView) -> CaseSnap:
    return CaseSnap(
        ref=case.ref,
        kind=case.kind,
        stage=case.stage,
        status=case.status,
        category=case.category,
        priority=case.priority,
        received_at=case.received_at,
        acknowledged_at=case.acknowledged_at,
        responded_at=case.responded_at,
        closed_at=case.closed_at,
        status_changed_at=case.status_changed_at,
        stage2_at=case.stage2_at,
        extension_days=case.extension_days,
        assigned_to=case.assigned_to,
        stage1_handler=case.stage1_handler,
        vulnerable=case.vulnerable,
        parties=tuple(
            PartySnap(id=str(p.id), **{name: getattr(p, name) for name in PARTY_FACTS}) for p in case.parties
        ),
        history=tuple(
            ContactSnap(
                at=c.at,
                channel=c.channel,
                direction=c.direction,
                party=_pid(c.party_id),
                outcome=c.outcome,
                handler=c.handler,
                body=" ".join(part for part in (c.summary, c.body or "") if part),
                call_id=c.call_id,
                response_stage=c.response_stage,
            )
            for c in case.history
        ),
        appointments=tuple(
            AppointmentSnap(at=a.at, status=a.status, party=_pid(a.party_id), purpose=a.purpose, id=str(a.id))
            for a in case.appointments
        ),
        persons=tuple(person_snapshot(p) for p in case.persons),
    )


def person_snapshot(person: PersonView) -> PersonSnap:
    """What the rules may know of a person: who, vulnerable or not, open cases, standing arrangements."""
    return PersonSnap(
        id=str(person.id),
        name=person.name,
        parties=tuple(str(i) for i in person.party_ids),
        vulnerable=person.vulnerable,
        vulnerability_reason=person.vulnerability_reason or "",
        open_cases=person.open_cases,
        arrangements=tuple(
            RepresentativeSnap(
                name=a.representative_name, kind=a.kind, organisation=a.representative_organisation,
                party=_pid(a.representative_party_id), authorised_by=a.authorised_by, starts_at=a.starts_at,
                ends_at=a.ends_at, case=a.case_ref, recorded_at=a.recorded_at)
            for a in person.arrangements
        ),
    )


# Which channel and direction each action implies when the form leaves them out.
_DEFAULTS = {
    "contact": (None, "out"),
    "message": ("email", "out"),
    "end_call": ("phone", "in"),
    "note": ("note", "internal"),
}


def action_snapshot(request: ActionRequest, handler: str) -> ActionSnap:
    channel, direction = _DEFAULTS.get(request.kind, (None, None))
    # The subject line of a message is outbound text too: a card number there is as bad as in the body.
    text = "\n".join(part for part in (request.summary, request.body) if part)
    return ActionSnap(
        kind=request.kind,
        channel=request.channel or channel,
        direction=request.direction or direction,
        party=_pid(request.party_id),
        handler=handler,
        body=text or "",
        to=request.to,
        at_request_of=_pid(request.at_request_of),
        working_days=request.working_days,
        reason=(request.body or request.summary or None) if request.kind in ("extend", "escalate") else None,
        outcome=request.outcome,
        call_id=request.call_id,
        extra=dict(request.extra),
        at=request.at if request.kind == "appointment" else None,
        appointment=_pid((request.extra or {}).get("appointment_id")) if request.kind == "appointment" else None,
    )
