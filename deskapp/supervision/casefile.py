"""A case file: everything an ombudsman asks for about one case, gathered in one place.

Who the parties were (and who was the designated representative), every
contact in order, whether each deadline was met or missed, and — from the
audit trail — what each action was, what the rules said at that moment, the
reason the handler gave when going ahead against a warning, and who approved
or refused a blocked action and why. deskapp.supervision.render turns it into
Markdown or HTML; deskapp.supervision.export writes it and records the export
in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, Optional

from sqlalchemy import select

from deskapp.actions.audit import hash_holds, recorded_rows
from deskapp.actions.erasure import case_by_ref
from deskapp.actions.reads import view_of
from deskapp.core.views import CaseView, ContactView
from deskapp.errors import DeskError
from deskapp.store.models import ApprovalRequest, AuditEvent, Handler
from deskapp.store.rowdigests import rows_that_differ

FORMATS = ("md", "html")


@dataclass(frozen=True)
class Milestone:
    """One deadline of one stage and how it went."""

    stage: int
    what: str  # "acknowledgement" | "response"
    due: Optional[datetime]
    done: Optional[datetime]
    verdict: str  # met | missed | overdue | due | not recorded
    note: str = ""


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: an audited action (with what the rules said) or a contact with no audit record."""

    at: datetime
    actor: Optional[str]
    action: str  # audit action, or "contact" for history that predates deskapp
    summary: str  # what happened, in words (built from trusted vocabulary + untrusted names)
    contact: Optional[ContactView] = None
    findings: tuple[dict[str, Any], ...] = ()
    reason: Optional[str] = None
    approval_id: Optional[int] = None
    audit_id: Optional[int] = None
    intact: bool = True  # the audit record still matches its hash
    differs: Optional[str] = None  # its contact row no longer matches the audit record's digest: how
    approved_by: Optional[str] = None  # username of the supervisor whose approval this was carried out under


@dataclass(frozen=True)
class Approval:
    id: int
    kind: str
    requested_by: str
    requested_at: datetime
    reason: Optional[str]
    findings: tuple[dict[str, Any], ...]
    status: str
    decided_by: Optional[str]
    decided_at: Optional[datetime]
    decision_reason: Optional[str]
    differs: Optional[str] = None  # the request's row no longer matches the audit record's digest: how


@dataclass(frozen=True)
class Erasure:
    """The case's personal text was erased (deskapp erase): when, by whom, why."""

    at: datetime
    by: str
    reason: Optional[str]


@dataclass(frozen=True)
class CaseFile:
    case: CaseView
    external_ref: Optional[str]
    handler_names: dict[str, str]  # username -> display name
    timescale: str  # title of the timescale the deadlines come from ("" when none applies)
    milestones: tuple[Milestone, ...]
    timeline: tuple[Entry, ...]
    approvals: tuple[Approval, ...]
    generated_at: datetime
    generated_by: str
    audit_records: int
    altered_records: tuple[int, ...] = field(default_factory=tuple)
    erasure: Optional[Erasure] = None
    rows_checked: int = 0  # rows printed here checked against their recorded digests
    rows_differ: tuple[str, ...] = field(default_factory=tuple)  # one line per row that does not match

    @property
    def verified(self) -> bool:
        """Every audit record of the case matches its hash and every row printed matches its digest."""
        return bool(self.audit_records) and not self.altered_records and not self.rows_differ

    def who(self, username: Optional[str]) -> str:
        if not username:
            return "—"
        name = self.handler_names.get(username)
        return f"{name} ({username})" if name and name != username else username


# ----------------------------------------------------------------------------- deadlines


def _parse_time(value: Any) -> Optional[datetime]:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _verdict(calendar: Any, due: Optional[datetime], done: Optional[datetime], ended: Optional[datetime],
             now: datetime) -> tuple[str, str]:
    """(verdict, note). `ended`: the stage ended (escalated / closed) without this being done."""
    if due is None:
        return "not recorded", ""
    if done is not None:
        if done <= due:
            return "met", ""
        late = calendar.working_days_between(due, done) if calendar else (done.date() - due.date()).days
        return "missed", f"{late} working day{'s' if late != 1 else ''} late"
    cutoff = ended or now
    if cutoff > due:
        late = calendar.working_days_between(due, cutoff) if calendar else (cutoff.date() - due.date()).days
        if ended is not None:
            return "missed", "never done"
        return "overdue", f"{late} working day{'s' if late != 1 else ''} overdue"
    return "due", ""


def final_response_at(case: CaseView, stage: int) -> Optional[datetime]:
    """When the stage's final response went: the first outbound contact recorded as it.

    The same fact the rules read (case.final_response_sent): a status of
    "responded", or a response time with no such contact, is not a response.
    """
    return next((c.at for c in case.history
                 if getattr(c, "response_stage", None) == stage and c.direction == "out"), None)


def milestones(desk: Any, case: CaseView, escalation: Optional[dict[str, Any]], now: datetime
               ) -> tuple[str, tuple[Milestone, ...]]:
    """Acknowledgement and response deadlines per stage, judged met or missed.

    Stage 1 of an escalated case is rebuilt from what the escalation recorded
    about stage 1 (its acknowledgement time and extension). A response counts
    only as the recorded final response of its stage (`final_response_at`).
    """
    pack = desk.policies
    calendar = getattr(pack, "calendar", None)
    out: list[Milestone] = []
    title = ""
    stages: list[tuple[int, SimpleNamespace, Optional[datetime]]] = []
    base = dict(kind=case.kind, category=case.category, received_at=case.received_at)
    if case.stage >= 2 and escalation is not None:
        before = escalation.get("stage1") or {}
        stages.append((1, SimpleNamespace(**base, stage=1, status="investigating", stage2_at=None,
                                          acknowledged_at=_parse_time(before.get("acknowledged_at")),
                                          responded_at=final_response_at(case, 1),
                                          extension_days=int(before.get("extension_days") or 0)),
                       case.stage2_at))
    stages.append((case.stage, SimpleNamespace(**base, stage=case.stage, status="investigating",
                                               stage2_at=case.stage2_at, acknowledged_at=case.acknowledged_at,
                                               responded_at=final_response_at(case, case.stage),
                                               extension_days=case.extension_days),
                   case.closed_at if case.status == "closed" else None))
    for stage, snap, ended in stages:
        deadlines = pack.deadlines(snap, now)
        title = title or deadlines.title
        if deadlines.timescale is None:
            continue
        for what, due, done in (("acknowledgement", deadlines.acknowledge_by, snap.acknowledged_at),
                                ("response", deadlines.respond_by, snap.responded_at)):
            if due is None:
                continue
            verdict, note = _verdict(calendar, due, done, ended, now)
            if what == "response" and done is None and note == "never done":
                note = "never sent"
            if what == "response" and deadlines.extension_days:
                note = (note + "; " if note else "") + f"extended by {deadlines.extension_days} working days"
            out.append(Milestone(stage=stage, what=what, due=due, done=done, verdict=verdict, note=note))
    return title, tuple(out)


# ----------------------------------------------------------------------------- the timeline

_PLAIN = {
    "note": "Internal note",
    "case.new": "Opened the case",
    "case.export": "Exported the case file",
    "appointment.ics": "Wrote an appointment's calendar file",
    "case.erase": "Erased the personal text on the case (names, contact details, what was said)",
    "person.erase": "Erased one person's records, contacts and emails on the case (a person's erasure)",
    "case.resalt": "Re-recorded the case's other records under a new key (after a person's erasure)",
    "end_call": "Ended a call for abusive behaviour",
}


_APPROVAL_EVENTS = ("approval.request", "approval.approve", "approval.refuse")

_CHANNEL_NOUN = {"phone": "phone call", "email": "email", "letter": "letter", "sms": "text message",
                 "visit": "visit", "portal": "portal message", "note": "note"}


def contact_words(contact: ContactView) -> str:
    """"Phone call from Dana Hill — no answer", "Email to ...", "Internal note"."""
    if contact.channel == "note" or contact.direction == "internal":
        return "Internal note"
    noun = _CHANNEL_NOUN.get(contact.channel, contact.channel).capitalize()
    way = "from" if contact.direction == "in" else "to"
    if contact.channel == "visit":
        way = "from" if contact.direction == "in" else "to see"
    words = f"{noun} {way} {contact.party_name or 'someone not on the case'}"
    return words + (f" — {contact.outcome.replace('_', ' ')}" if contact.outcome else "")


_APPOINTMENT_VERBS = {"book": "Booked", "move": "Moved", "cancel": "Cancelled", "kept": "Marked kept",
                      "missed": "Marked missed"}


def appointment_words(detail: dict) -> str:
    """'Moved appointment 12 from 2026-03-12T10:00 to 2026-03-13T14:00' (the audit detail holds no text)."""
    verb = _APPOINTMENT_VERBS.get(detail.get("op"), "Changed")
    words = f"{verb} appointment {detail.get('appointment_id', '?')}"
    if detail.get("op") == "move":
        return words + f" from {detail.get('from_at', '?')} to {detail.get('at', '?')}"
    return words + f" ({detail.get('at', '?')})"


def describe(event: AuditEvent, contact: Optional[ContactView], case: CaseView) -> str:
    """The action in words. Vocabulary words are ours; names and free text stay untrusted for the renderer."""
    detail = event.detail if isinstance(event.detail, dict) else {}
    request = detail.get("request") if isinstance(detail.get("request"), dict) else {}
    action = event.action
    if action in ("contact", "end_call") and contact is not None:
        return contact_words(contact)
    if action == "message" and contact is not None:
        return f"Sent {_CHANNEL_NOUN.get(contact.channel, contact.channel)} to {contact.party_name or 'no party'}"
    if action == "status":
        return f"Status {detail.get('from', '?')} → {detail.get('to', '?')}"
    if action == "assign":
        return f"Assigned to {detail.get('to', '?')}" + (" at the customer's request" if detail.get("at_request_of")
                                                          else "")
    if action == "escalate":
        return "Escalated to stage 2" + (f", handled by {detail['to']}" if detail.get("to") else "")
    if action == "extend":
        return f"Extended the response deadline by {request.get('working_days', '?')} working days"
    if action == "appointment":
        return appointment_words(detail)
    if action in ("party.add", "party.edit"):
        # Events written before audit details dropped personal text carry the values ("after").
        after = detail.get("after") if isinstance(detail.get("after"), dict) else detail
        name = next((p.name for p in case.parties if p.id == detail.get("party_id")), None) or "a party"
        words = ("Added" if action == "party.add" else "Changed") + f" party {name}"
        if after.get("designated"):
            words += " (now the designated representative)"
        return words
    if action == "approval.request":
        return f"Asked a supervisor to allow a blocked {detail.get('kind', 'action')}"
    if action in ("approval.approve", "approval.refuse"):
        verb = "Approved" if action == "approval.approve" else "Refused"
        return f"{verb} approval request {event.approval_id} ({detail.get('kind', 'action')})"
    if action == "case.import":
        source = detail.get("source", "another system")
        if detail.get("mode") == "update":
            changed = ", ".join(str(c) for c in detail.get("changed") or []) or "parties or history"
            return f"Updated from a new import of {source} (changed: {changed})"
        return f"Imported from {source}" + (f" as {detail['external_ref']}" if detail.get("external_ref") else "")
    if action == "case.export":
        return f"Exported the case file ({detail.get('format', '?')})"
    return _PLAIN.get(action, action.replace("_", " ").replace(".", ": ").capitalize())


def gather(desk: Any, ref: str, now: Optional[datetime] = None, session=None) -> CaseFile:
    """Read everything about one case. DeskError if it does not exist."""
    now = now or desk.now()
    own = session is None
    session = session or desk.session()
    try:
        row = case_by_ref(session, ref)
        case = view_of(session, row)
        names = {u: d for u, d in session.execute(select(Handler.username, Handler.display_name)).all()}
        events = session.execute(
            select(AuditEvent).where(AuditEvent.case_id == row.id).order_by(AuditEvent.id)).scalars().all()
        approvals = session.execute(
            select(ApprovalRequest).where(ApprovalRequest.case_id == row.id).order_by(ApprovalRequest.id)
        ).scalars().all()
        ids = {h: u for h, u in session.execute(select(Handler.id, Handler.username)).all()}
        digests = recorded_rows(session, [e.id for e in events])
        external_ref = row.external_ref
        printed = [("cases", row.id), *(("parties", p.id) for p in case.parties),
                   *(("contacts", c.id) for c in case.history), *(("appointments", a.id) for a in case.appointments),
                   *(("approval_requests", a.id) for a in approvals)]
        differ = rows_that_differ(session.connection(), printed)
    finally:
        if own:
            session.close()

    deciders = {a.id: (ids.get(a.decided_by_id), a.decision_reason) for a in approvals if a.decided_by_id}
    contacts = {c.id: c for c in case.history}
    entries: list[Entry] = []
    altered: list[int] = []
    linked: set[int] = set()
    escalation = None
    erasure = None
    for event in events:
        if event.action == "case.erase":
            erasure = Erasure(at=event.at, by=event.actor, reason=event.reason)
        intact = hash_holds(event, digests.get(event.id, []))
        if not intact:
            altered.append(event.id)
        contact = contacts.get(event.contact_id) if event.contact_id is not None else None
        if contact is not None:
            linked.add(contact.id)
        if event.action == "escalate" and isinstance(event.detail, dict):
            escalation = event.detail
        approved_by, reason = None, event.reason
        if event.approval_id is not None and event.action not in _APPROVAL_EVENTS:
            # Carried out under an approval: shown with the supervisor's name and their reason.
            approved_by, decision_reason = deciders.get(event.approval_id, (None, None))
            reason = decision_reason or reason
        entries.append(Entry(
            at=event.at, actor=event.actor, action=event.action, summary=describe(event, contact, case),
            contact=contact, findings=tuple(f for f in (event.findings or []) if isinstance(f, dict)),
            reason=reason, approval_id=event.approval_id, audit_id=event.id, intact=intact,
            differs=_differs(differ, "contacts", contact.id) if contact is not None else None,
            approved_by=approved_by,
        ))
    for contact in case.history:
        if contact.id not in linked:
            entries.append(Entry(at=contact.at, actor=contact.handler, action="contact",
                                 summary=contact_words(contact), contact=contact, reason=contact.reason,
                                 differs=_differs(differ, "contacts", contact.id)))
    entries.sort(key=lambda e: (e.at, e.audit_id if e.audit_id is not None else -1))
    title, stones = milestones(desk, case, escalation, now)
    return CaseFile(
        case=case,
        external_ref=external_ref,
        handler_names=names,
        timescale=title,
        milestones=stones,
        timeline=tuple(entries),
        approvals=tuple(
            Approval(id=a.id, kind=str((a.action or {}).get("kind", "action")),
                     requested_by=ids.get(a.requested_by_id, "?"), requested_at=a.created_at, reason=a.reason,
                     findings=tuple(f for f in (a.findings or []) if isinstance(f, dict)), status=a.status,
                     decided_by=ids.get(a.decided_by_id) if a.decided_by_id else None, decided_at=a.decided_at,
                     decision_reason=a.decision_reason, differs=_differs(differ, "approval_requests", a.id))
            for a in approvals
        ),
        generated_at=now,
        generated_by=desk.me.username,
        audit_records=len(events),
        altered_records=tuple(altered),
        erasure=erasure,
        rows_checked=len(printed),
        rows_differ=tuple(f"{_NOUN[t]} {i}" + (f" ({case.ref})" if t == "cases" else "") + ": " + _differs(differ, t, i)
                          for t, i in sorted(differ)),
    )


_NOUN = {"cases": "case", "parties": "party", "contacts": "contact", "appointments": "appointment",
         "approval_requests": "approval request"}


def _differs(differ: dict, table: str, row_id: int) -> Optional[str]:
    """How one printed row differs from what the audit trail recorded of it, in words; None if it matches."""
    found = differ.get((table, row_id))
    if found is None:
        return None
    kind, event_id = found
    if kind == "changed":
        return f"changed after audit record {event_id} recorded it"
    if kind == "back":
        return f"present although audit record {event_id} recorded it deleted"
    return "written outside deskapp: no audit record recorded it"


# ----------------------------------------------------------------------------- writing it
