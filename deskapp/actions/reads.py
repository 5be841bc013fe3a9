"""Reading a case for the desk: rows in, plain views out.

Used both by the UI (through the Desk) and inside the action layer's write
transaction, so a rule is always evaluated against what is in the database
at the moment of the write.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select
from sqlmodel import Session

from deskapp.core.views import (
    AppointmentView,
    ApprovalView,
    AttachmentView,
    CaseView,
    ContactView,
    DeliveryView,
    HandlerView,
    PartyView,
)
from deskapp.actions.link_reads import links_of, merged_into_this
from deskapp.actions.person_reads import persons_of
from deskapp.errors import DeskError
from deskapp.store.models import (
    Appointment,
    ApprovalRequest,
    AuditEvent,
    Case,
    Contact,
    ContactAttachment,
    Handler,
    Outbox,
    Party,
)


def handler_view(row: Handler) -> HandlerView:
    return HandlerView(id=row.id, username=row.username, display_name=row.display_name, role=row.role)


def usernames(session: Session) -> dict[int, str]:
    """All handler ids -> usernames. Handlers are few (a team), so one small query beats joins everywhere."""
    return {hid: name for hid, name in session.execute(select(Handler.id, Handler.username)).all()}


def case_view(session: Session, case_id: int) -> CaseView:
    """The whole case as the desk shows it. Raises DeskError if it does not exist."""
    case = session.get(Case, case_id)
    if case is None:
        raise DeskError(f"case {case_id} does not exist (it may have been removed)")
    return view_of(session, case)


def view_of(session: Session, case: Case) -> CaseView:
    names = usernames(session)
    parties = session.execute(select(Party).where(Party.case_id == case.id).order_by(Party.id)).scalars().all()
    party_names = {p.id: p.name for p in parties}
    links = links_of(session, case.id)
    # Duplicates merged into this case: their contacts are read across, in time order, labelled with their ref.
    merged = merged_into_this(session, case.id) if any(link.kind == "merged from" for link in links) else {}
    case_ids = [case.id, *merged]
    if merged:
        party_names.update(dict(session.execute(select(Party.id, Party.name)
                                                .where(Party.case_id.in_(list(merged)))).all()))
    contacts = (
        session.execute(select(Contact).where(Contact.case_id.in_(case_ids)).order_by(Contact.at, Contact.id))
        .scalars()
        .all()
    )
    reasons: dict[int, tuple[Optional[str], Optional[str]]] = {}
    for contact_id, reason, decided_by, decision_reason in session.execute(
        select(AuditEvent.contact_id, AuditEvent.reason, ApprovalRequest.decided_by_id,
               ApprovalRequest.decision_reason)
        .outerjoin(ApprovalRequest, ApprovalRequest.id == AuditEvent.approval_id)
        .where(
            AuditEvent.case_id.in_(case_ids),
            AuditEvent.contact_id.is_not(None),
            (AuditEvent.reason.is_not(None)) | (AuditEvent.approval_id.is_not(None)),
        )
    ).all():
        # Carried out under an approval: the reason shown is the supervisor's, beside their name.
        if decided_by is not None:
            reasons[contact_id] = (decision_reason or reason, names.get(decided_by))
        else:
            reasons[contact_id] = (reason, None)
    sent = deliveries(session, case.id, {c.id: c.outcome for c in contacts})
    for merged_id in merged:
        sent.update(deliveries(session, merged_id, {c.id: c.outcome for c in contacts}))
    appointments = (
        session.execute(
            select(Appointment).where(Appointment.case_id == case.id).order_by(Appointment.at, Appointment.id)
        )
        .scalars()
        .all()
    )
    approvals = (
        session.execute(
            select(ApprovalRequest)
            .where(ApprovalRequest.case_id == case.id, ApprovalRequest.status == "pending")
            .order_by(ApprovalRequest.created_at)
        )
        .scalars()
        .all()
    )
    return CaseView(
        **case_fields(case, names),
        parties=tuple(
            PartyView(id=p.id, **PartyView.fields_of(p)) for p in parties
        ),
        history=tuple(contact_view(c, party_names, names, *reasons.get(c.id, (None, None)), delivery=sent.get(c.id),
                                   origin=merged.get(c.case_id))
                      for c in contacts),
        appointments=tuple(
            AppointmentView(id=a.id, at=a.at, party_id=a.party_id, purpose=a.purpose, status=a.status)
            for a in appointments
        ),
        pending_approvals=tuple(approval_view(session, a, case.ref, names) for a in approvals),
        attachments=attachment_views(session, case.id),
        persons=persons_of(session, parties),
        links=links,
    )


def deliveries(session: Session, case_id: int, outcomes: dict[int, Optional[str]]) -> dict[int, DeliveryView]:
    """Contact id -> where its email stands in the outbox (one query over the outbox's case index)."""
    out: dict[int, DeliveryView] = {}
    for contact_id, status, sent_at, answer, error in session.execute(
            select(Outbox.contact_id, Outbox.status, Outbox.sent_at, Outbox.relay_answer, Outbox.last_error)
            .where(Outbox.case_id == case_id)):
        if outcomes.get(contact_id) == "bounced":
            status = "bounced"  # the relay took it; the recipient's server sent it back
        out[contact_id] = DeliveryView(status=status, at=sent_at,
                                       answer=(error or answer) if status == "failed" else answer)
    return out


def attachment_views(session: Session, case_id: int) -> tuple[AttachmentView, ...]:
    """The files that came with the case's contacts (received mail), oldest first: names and hashes, no bytes."""
    t = ContactAttachment
    return tuple(AttachmentView(id=a.id, contact_id=a.contact_id, at=a.created_at, name=a.name,
                                content_type=a.content_type, size=a.size, sha256=a.sha256)
                 for a in session.execute(select(t).where(t.case_id == case_id).order_by(t.id)).scalars())


def case_fields(case: Case, names: dict[int, str]) -> dict[str, Any]:
    """The case row's own fields as the view holds them (handler ids turned into usernames)."""
    return dict(
        id=case.id,
        ref=case.ref,
        kind=case.kind,
        category=case.category,
        title=case.title,
        stage=case.stage,
        status=case.status,
        priority=case.priority,
        vulnerable=case.vulnerable,
        received_at=case.received_at,
        acknowledged_at=case.acknowledged_at,
        responded_at=case.responded_at,
        closed_at=case.closed_at,
        status_changed_at=case.status_changed_at,
        stage2_at=case.stage2_at,
        extension_days=case.extension_days,
        due_at=case.due_at,
        assigned_to=names.get(case.assigned_to_id),
        stage1_handler=names.get(case.stage1_handler_id),
        version=case.version,
        updated_at=case.updated_at,
    )


def contact_view(c: Contact, party_names: dict[int, str], names: dict[int, str],
                 reason: Optional[str] = None, approved_by: Optional[str] = None,
                 delivery: Optional[DeliveryView] = None, origin: Optional[str] = None) -> ContactView:
    return ContactView(
        id=c.id,
        at=c.at,
        channel=c.channel,
        direction=c.direction,
        party_id=c.party_id,
        party_name=party_names.get(c.party_id),
        handler=names.get(c.handler_id),
        outcome=c.outcome,
        summary=c.summary,
        body=c.body,
        call_id=c.call_id,
        reason=reason,
        response_stage=c.response_stage,
        approved_by=approved_by,
        delivery=delivery,
        origin=origin,
    )


def changed_view(session: Session, before: CaseView, case: Case, contact: Optional[Contact] = None) -> CaseView:
    """`before` with this write's changes to the case row and its new contact, without re-reading the case.

    Inside the write transaction the parties, appointments and earlier history
    are exactly as `before` read them (the claimed version keeps other writers
    out), so the deadlines can be worked out from this instead of a fresh
    `view_of` (six queries). Handler names are read again: an action can name
    a handler the view did not mention.
    """
    names = usernames(session)
    history = before.history
    if contact is not None:
        party_names = {p.id: p.name for p in before.parties}
        added = contact_view(contact, party_names, names)
        history = tuple(sorted((*history, added), key=lambda c: (c.at, c.id)))  # view_of's order
    return replace(before, **case_fields(case, names), history=history)


def approval_view(session: Session, row: ApprovalRequest, case_ref: str | None = None,
                  names: dict[int, str] | None = None, now: Optional[datetime] = None) -> ApprovalView:
    """The request as stored. Given `now`, a pending or approved request past its expiry reads "expired"."""
    names = names if names is not None else usernames(session)
    if case_ref is None:
        case_ref = session.execute(select(Case.ref).where(Case.id == row.case_id)).scalar_one()
    action = dict(row.action or {})
    party_name = None
    if isinstance(action.get("party_id"), int):
        party_name = session.execute(
            select(Party.name).where(Party.id == action["party_id"], Party.case_id == row.case_id)
        ).scalar_one_or_none()
    return ApprovalView(
        id=row.id,
        case_id=row.case_id,
        case_ref=case_ref,
        requested_by=names.get(row.requested_by_id, "?"),
        action=action,
        findings=list(row.findings or []),
        reason=row.reason,
        status=effective_status(row, now),
        created_at=row.created_at,
        decided_by=names.get(row.decided_by_id) if row.decided_by_id else None,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        expires_at=row.expires_at,
        digest=row.digest,
        party_name=party_name,
    )


def effective_status(row: ApprovalRequest, now: Optional[datetime]) -> str:
    """The stored status, or "expired" for a pending/approved request whose time has run out."""
    if (now is not None and row.status in ("pending", "approved") and row.expires_at is not None
            and now > row.expires_at):
        return "expired"
    return row.status
