"""What the policy engine is told: a plain snapshot of a case and of the action about to happen.

The engine never reads the database. The action layer builds these from the
store; `deskapp policy test` builds them from scenario files. Both speak the
same shape, so a scenario written by a team leader is exactly what the desk
evaluates.

Parties are referred to by a string id (in scenarios, whatever the file says;
from the store, str(Party.id)); handlers by username.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional


@dataclass(frozen=True)
class PartySnap:
    id: str
    name: str
    role: str = "customer"  # customer | resident | representative | third_party
    designated: bool = False
    authorised: bool = False
    organisation: Optional[str] = None


@dataclass(frozen=True)
class RepresentativeSnap:
    """A standing arrangement on a person: someone who represents them on every case of theirs."""

    name: str
    kind: str = "designated"  # designated | authorised
    organisation: Optional[str] = None
    party: Optional[str] = None  # PartySnap.id of the representative on THIS case, if they are a party here
    authorised_by: str = ""  # who authorised it
    starts_at: Optional[datetime] = None
    ends_at: Optional[datetime] = None  # None: until withdrawn
    case: Optional[str] = None  # ref of the case it was recorded on
    recorded_at: Optional[datetime] = None


@dataclass(frozen=True)
class PersonSnap:
    """The person behind parties of this case: what holds on every case of theirs."""

    id: str
    name: str
    parties: tuple[str, ...] = ()  # PartySnap ids of this person on this case
    vulnerable: bool = False
    vulnerability_reason: str = ""
    open_cases: int = 0  # their cases not closed, this one included
    arrangements: tuple[RepresentativeSnap, ...] = ()


@dataclass(frozen=True)
class ContactSnap:
    at: datetime
    channel: str  # phone | email | letter | sms | visit | portal | note
    direction: str  # in | out | internal
    party: Optional[str] = None  # PartySnap.id
    outcome: Optional[str] = None
    handler: Optional[str] = None  # username
    body: str = ""
    call_id: Optional[str] = None
    # The stage this outbound message or letter is the final response of (None: not a final response).
    response_stage: Optional[int] = None


@dataclass(frozen=True)
class AppointmentSnap:
    at: datetime
    status: str = "booked"  # booked | kept | missed | cancelled
    party: Optional[str] = None
    purpose: str = ""
    id: Optional[str] = None  # what an appointment action names it by (str of the row id)


@dataclass(frozen=True)
class CaseSnap:
    ref: str
    kind: str = "complaint"
    stage: int = 1
    status: str = "new"
    category: str = "general"
    priority: int = 3
    received_at: Optional[datetime] = None
    acknowledged_at: Optional[datetime] = None
    responded_at: Optional[datetime] = None
    closed_at: Optional[datetime] = None
    status_changed_at: Optional[datetime] = None
    stage2_at: Optional[datetime] = None
    extension_days: int = 0
    assigned_to: Optional[str] = None  # username
    stage1_handler: Optional[str] = None  # username; None = not known, fall back to history
    vulnerable: bool = False
    parties: tuple[PartySnap, ...] = ()
    history: tuple[ContactSnap, ...] = ()  # oldest first
    appointments: tuple[AppointmentSnap, ...] = ()
    persons: tuple[PersonSnap, ...] = ()  # who the parties are across cases


@dataclass(frozen=True)
class ActionSnap:
    """The action being prepared. Unused fields stay None; `extra` keeps anything else the form holds.

    kind: contact | message | status | assign | escalate | extend | end_call | note | appointment
    """

    kind: str
    channel: Optional[str] = None
    direction: Optional[str] = "out"
    party: Optional[str] = None
    handler: Optional[str] = None  # who is doing it (username)
    body: str = ""
    to: Optional[str] = None  # status: target status; assign/escalate: target handler username
    at_request_of: Optional[str] = None  # assign: party id who asked for a named handler
    working_days: Optional[int] = None  # extend
    reason: Optional[str] = None
    outcome: Optional[str] = None
    call_id: Optional[str] = None
    extra: dict[str, Any] = field(default_factory=dict)
    at: Optional[datetime] = None  # appointment: when it is to be (book, move)
    appointment: Optional[str] = None  # appointment: the AppointmentSnap.id it changes (not book)
