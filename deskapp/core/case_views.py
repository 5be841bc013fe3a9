"""The case's plain, read-only views and the handler's ActionRequest (see deskapp.core.views).

Kept apart from HandlerView and QueueRow only so that a desk opening shows its
queue before these are made; everything imports them through
deskapp.core.views. Text fields are untrusted: render them literally.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from deskapp.core.parties import PartyFields


@dataclass(frozen=True)
class PartyView(PartyFields):
    id: int = field(kw_only=True)


@dataclass(frozen=True)
class DeliveryView:
    """Where an outbound email stands in the outbox (deskapp.actions.outbox): what the case shows on it.

    status: queued | sending | sent | failed | unknown, or bounced (sent, then a bounce came back);
    at: when it was sent; answer: the relay's answer or the last error (relay text: show it literally).
    """

    status: str
    at: Optional[datetime] = None
    answer: Optional[str] = None

    def words(self) -> str:
        """One short phrase for a heading line: `sent Mon 07 Dec 11:02`, `failed: 554 no such user`."""
        if self.status == "sent" and self.at is not None:
            return f"sent {self.at:%a %d %b %H:%M}"
        if self.status == "failed":
            return f"failed: {' '.join((self.answer or 'refused').split())[:120]}"
        if self.status == "unknown":
            return "unknown: may not have been delivered"
        return self.status


@dataclass(frozen=True)
class ArrangementView:
    """A standing arrangement on a person (deskapp.core.people.ArrangementFields), as a case shows it.

    `representative_party_id`: the party on THIS case who is that representative, if they are one here.
    `case_ref`: the case it was recorded on (where it came from).
    """

    id: int
    kind: str  # designated | authorised
    representative_id: int
    representative_name: str
    representative_organisation: Optional[str]
    representative_party_id: Optional[int]
    authorised_by: str
    starts_at: Optional[datetime]
    ends_at: Optional[datetime]
    case_ref: Optional[str]
    recorded_at: datetime
    evidence_contact_id: Optional[int] = None
    evidence_note: Optional[str] = None


@dataclass(frozen=True)
class OtherCaseView:
    """Another case of a person on this case (their role there): what the case pane lists and `o` opens."""

    id: int
    ref: str
    status: str
    title: str
    role: str
    received_at: datetime

    @property
    def open(self) -> bool:
        return self.status != "closed"


@dataclass(frozen=True)
class PersonView:
    """The person behind one or more parties of a case, with what holds on every case of theirs."""

    id: int
    name: str
    party_ids: tuple[int, ...]  # their parties on this case
    vulnerable: bool = False
    vulnerability_reason: Optional[str] = None
    vulnerability_review: Optional[datetime] = None
    accessibility: Optional[str] = None
    open_cases: int = 0  # their cases not closed, this one included
    arrangements: tuple[ArrangementView, ...] = ()  # not ended, newest first
    other_cases: tuple[OtherCaseView, ...] = ()  # their other cases: open first, newest first; the first few
    other_total: int = 0  # how many other cases they have in all (other_cases may list fewer)


@dataclass(frozen=True)
class ContactView:
    id: int
    at: datetime
    channel: str
    direction: str
    party_id: Optional[int]
    party_name: Optional[str]
    handler: Optional[str]  # username
    outcome: Optional[str]
    summary: str
    body: Optional[str]
    call_id: Optional[str] = None
    reason: Optional[str] = None  # the handler's recorded reason when they went ahead against a warning
    response_stage: Optional[int] = None  # this outbound message/letter is that stage's final response
    # Carried out under a supervisor's approval: who approved (username); `reason` is then theirs.
    approved_by: Optional[str] = None
    delivery: Optional[DeliveryView] = None  # an outbound email the desk sent through its outbox
    # Set on a contact of a duplicate case merged into this one (deskapp.actions.case_merge): its ref.
    origin: Optional[str] = None


@dataclass(frozen=True)
class LinkView:
    """Another case linked to this one, as the case pane lists it (and `L` jumps to it).

    kind: what the other case is to this one: duplicate | related | parent | child (vocab.LINK_KINDS),
    or "merged into" (this case was merged into it) / "merged from" (it was merged into this one).
    link_id: the case_links row (what unlink takes); merge_id: the case_merges row of a merge.
    """

    kind: str
    case_id: int
    ref: str
    status: str
    title: str = ""
    link_id: Optional[int] = None
    merge_id: Optional[int] = None
    at: Optional[datetime] = None


@dataclass(frozen=True)
class AppointmentView:
    id: int
    at: datetime
    party_id: Optional[int]
    purpose: str
    status: str


@dataclass(frozen=True)
class AttachmentView:
    """A file that came with a contact (received mail): name and type as the sender gave them (untrusted)."""

    id: int
    contact_id: int
    at: datetime
    name: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ApprovalView:
    id: int
    case_id: int
    case_ref: str
    requested_by: str  # username
    action: dict[str, Any]
    findings: list[dict[str, Any]]
    reason: Optional[str]
    status: str
    created_at: datetime
    decided_by: Optional[str] = None
    decided_at: Optional[datetime] = None
    decision_reason: Optional[str] = None
    # `status` above is "expired" once expires_at has passed on a pending or approved request.
    expires_at: Optional[datetime] = None
    digest: Optional[str] = None  # deskapp.core.request_digest of `action`, taken when the handler asked
    party_name: Optional[str] = None  # who `action.party_id` names, for showing what exactly was asked


@dataclass(frozen=True)
class CaseView:
    """Everything the case pane and the policy sidebar need about one case, as loaded at `version`."""

    id: int
    ref: str
    kind: str
    category: str
    title: str
    stage: int
    status: str
    priority: int
    vulnerable: bool
    received_at: datetime
    acknowledged_at: Optional[datetime]
    responded_at: Optional[datetime]
    closed_at: Optional[datetime]
    status_changed_at: Optional[datetime]
    stage2_at: Optional[datetime]
    extension_days: int
    due_at: Optional[datetime]
    assigned_to: Optional[str]
    stage1_handler: Optional[str]
    version: int
    parties: tuple[PartyView, ...] = ()
    history: tuple[ContactView, ...] = ()  # oldest first
    appointments: tuple[AppointmentView, ...] = ()
    pending_approvals: tuple[ApprovalView, ...] = ()
    updated_at: Optional[datetime] = None
    attachments: tuple[AttachmentView, ...] = ()  # files that came with its contacts, oldest first
    persons: tuple[PersonView, ...] = ()  # who the parties are across cases (deskapp.store.models.Person)
    links: tuple[LinkView, ...] = ()  # linked cases and merges, merges first (deskapp.actions.case_links)

    @property
    def merged_into(self) -> Optional[LinkView]:
        """The case this one was merged into (it is closed as a duplicate), if it was."""
        return next((link for link in self.links if link.kind == "merged into"), None)

    @property
    def merged_from(self) -> tuple[LinkView, ...]:
        """The duplicate cases merged into this one (their contacts show in its history)."""
        return tuple(link for link in self.links if link.kind == "merged from")

    def party(self, party_id: Optional[int]) -> Optional[PartyView]:
        return next((p for p in self.parties if p.id == party_id), None)

    @property
    def designated_representative(self) -> Optional[PartyView]:
        return next((p for p in self.parties if p.designated), None)

    def person_of(self, party_id: Optional[int]) -> Optional[PersonView]:
        return next((p for p in self.persons if party_id in p.party_ids), None)

    @property
    def other_cases(self) -> tuple[OtherCaseView, ...]:
        """The other cases of the persons on this case (each once, as listed: open first, newest first)."""
        seen: dict[int, OtherCaseView] = {}
        for person in self.persons:
            for other in person.other_cases:
                seen.setdefault(other.id, other)
        return tuple(seen.values())

    @property
    def vulnerable_persons(self) -> tuple[PersonView, ...]:
        """The persons on this case marked vulnerable (on the person: it shows on every case of theirs)."""
        return tuple(p for p in self.persons if p.vulnerable)


@dataclass(frozen=True)
class ActionRequest:
    """What a handler's form holds when they press submit (or while they type, for the live sidebar).

    kind is one of vocab.ACTION_KINDS. Which fields matter depends on kind:
      contact:  channel, direction, party_id, outcome, summary, body, call_id, final_response
      message:  channel (email|letter|sms|portal), party_id, summary (subject), body, final_response
      status:   to (a case status)
      assign:   to (username), at_request_of (party id who asked for a named handler, if any)
      escalate: to (username taking stage 2, optional), summary (why)
      extend:   working_days, body (reason given to the customer)
      end_call: party_id, summary, call_id (ends a call for abuse)
      note:     body (internal note)
      appointment: to (vocab.APPOINTMENT_OPS: book | move | cancel | kept | missed),
                extra["appointment_id"] (every op but book), at (when it is: book, move),
                party_id (who it is with: book; move may change it), summary (purpose: book;
                move may change it), body (an optional note)
    A warning during a call is a `contact` with outcome "warning_given" and the call's call_id.
    final_response: this outbound message or letter (a written contact going out) is the final
    response of the case's current stage - the fact `responded` and `closed` require.
    """

    kind: str
    case_id: int
    version: int
    channel: Optional[str] = None
    direction: Optional[str] = None
    party_id: Optional[int] = None
    outcome: Optional[str] = None
    summary: str = ""
    body: str = ""
    to: Optional[str] = None
    at_request_of: Optional[int] = None
    working_days: Optional[int] = None
    call_id: Optional[str] = None
    at: Optional[datetime] = None  # when it happened; None = now
    extra: dict[str, Any] = field(default_factory=dict)
    final_response: bool = False
