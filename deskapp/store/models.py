"""The desk's tables.

Times are naive datetimes in the desk's local time (the site's time zone):
deadlines are counted in local working days, and both SQLite and PostgreSQL
store them the same way. Free-text columns hold untrusted customer and handler
text; the UI must never interpret them as markup.

Schema changes go through Alembic migrations (deskapp/store/migrations), never
`create_all` in production paths.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Column, DateTime, Index, LargeBinary, Text, UniqueConstraint, func, text
from sqlmodel import Field, SQLModel

from deskapp.core.parties import PARTY_LIMITS as _PARTY
from deskapp.core.parties import PARTY_ROLE_MAX
from deskapp.core.people import ARRANGEMENT_LIMITS as _ARR
from deskapp.core.people import ORGANISATION_LIMITS as _ORG
from deskapp.core.people import PERSON_LIMITS as _PERSON
from deskapp.store import masking, person_keys
from deskapp.store.masking import MaskedJSON, MaskedString, MaskedText


# Named constraints, so later migrations can alter them by name (SQLite batch mode needs names).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Every datetime column is declared `sa_type=DateTime` (naive): recent SQLModel
# versions otherwise map `datetime` to a UTC-only type that rejects local times.


def new_salt() -> str:
    """A fresh key for a case's row digests (deskapp.core.rowdigest)."""
    return secrets.token_hex(16)


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


class Handler(SQLModel, table=True):
    """A person who works the desk. Handlers are OS users: `username` is their login."""

    __tablename__ = "handlers"

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=120)
    role: str = Field(default="handler", max_length=16)  # handler | supervisor | admin
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)


# Rows the queue's partial indexes hold. Spelled exactly as queue.py's filter term, so both
# SQLite and PostgreSQL can prove a query's WHERE implies the index's.
OPEN_CASES_WHERE = "status != 'closed'"


def _open_cases_index(name: str, *columns: str) -> Index:
    return Index(name, *columns, sqlite_where=text(OPEN_CASES_WHERE), postgresql_where=text(OPEN_CASES_WHERE))


# The queue's "vulnerable" filter: the case's own flag or a person on it (people4), spelled as SQLAlchemy
# renders queue.py's term on each engine (booleans are `= 1` on SQLite), so each can use the index below.
VULNERABLE_WHERE = {"sqlite": "vulnerable = 1 OR person_vulnerable = 1",
                    "postgresql": "vulnerable OR person_vulnerable"}
OPEN_VULNERABLE_WHERE = {engine: f"{OPEN_CASES_WHERE} AND ({where})" for engine, where in VULNERABLE_WHERE.items()}


class Case(SQLModel, table=True):
    """A complaint, enquiry, compliment or service request and where it stands.

    `due_at` is the next statutory deadline (acknowledgement, then response),
    kept up to date by the action layer so the queue can sort on it with an
    index. `version` is bumped on every write: a write that finds another
    version than the one it loaded is refused (optimistic locking).
    """

    __tablename__ = "cases"
    __table_args__ = (
        # The sort indexes carry status, assigned_to_id (and due_at where not a key) after the key, so
        # "mine", status and due-date filters on any sort are checked in the index, not row by row (queue2).
        Index("ix_cases_due", "due_at", "id", "status", "assigned_to_id"),
        Index("ix_cases_priority_due", "priority", "due_at", "id", "status", "assigned_to_id"),
        Index("ix_cases_received", "received_at", "id", "status", "due_at", "assigned_to_id"),
        Index("ix_cases_assigned_due", "assigned_to_id", "due_at", "id"),
        Index("ix_cases_status_due", "status", "due_at", "id"),
        Index("ix_cases_kind_due", "kind", "due_at", "id"),
        Index("ix_cases_category_due", "category", "due_at", "id"),
        # A case brought in by `deskapp import` keeps the other system's reference, so a re-import matches it.
        Index("ix_cases_external_ref", "external_ref", unique=True),
        # The dashboard's cases per category/kind per week: answered from this index alone (migration sup2).
        Index("ix_cases_received_kind_category", "received_at", "kind", "category"),
        # The default queue shows open cases only: these partial indexes hold just those, so a
        # desk with a million mostly-closed cases sorts, pages and counts at the speed of its
        # open ones (deskapp/store/queue.py names them; migrations queue1 and queue2 create them).
        _open_cases_index("ix_cases_open_due", "due_at", "id", "status", "assigned_to_id"),
        _open_cases_index("ix_cases_open_priority", "priority", "due_at", "id", "status", "assigned_to_id"),
        _open_cases_index("ix_cases_open_received", "received_at", "id", "status", "due_at",
                          "assigned_to_id"),
        _open_cases_index("ix_cases_open_assigned", "assigned_to_id", "due_at", "id"),
        _open_cases_index("ix_cases_open_kind", "kind", "due_at", "id"),
        _open_cases_index("ix_cases_open_category", "category", "due_at", "id"),
        Index("ix_cases_open_vulnerable", "due_at", "id", "status", "assigned_to_id",
              sqlite_where=text(OPEN_VULNERABLE_WHERE["sqlite"]),
              postgresql_where=text(OPEN_VULNERABLE_WHERE["postgresql"])),
        Index("ix_cases_vulnerable", "due_at", "id", "status", "assigned_to_id",
              sqlite_where=text(VULNERABLE_WHERE["sqlite"]), postgresql_where=text(VULNERABLE_WHERE["postgresql"])),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    ref: str = Field(max_length=32, unique=True, index=True)
    kind: str = Field(default="complaint", max_length=24)
    category: str = Field(default="general", max_length=64, sa_type=MaskedString(64))
    title: str = Field(default="", max_length=200, sa_type=MaskedString(200))
    stage: int = Field(default=1)
    status: str = Field(default="new", max_length=24)
    priority: int = Field(default=3)  # 1 urgent .. 4 low
    vulnerable: bool = Field(default=False)
    # A person on this case is marked vulnerable (Person.vulnerable): kept in step, in the same transaction, by
    # every action that changes it (deskapp.store.person_flags), so the queue's V column reads one row.
    person_vulnerable: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    received_at: datetime = Field(sa_type=DateTime)
    acknowledged_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    responded_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    closed_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    status_changed_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    stage2_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    extension_days: int = Field(default=0)  # working days added to the current stage's response deadline
    due_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    assigned_to_id: Optional[int] = Field(default=None, foreign_key="handlers.id")
    stage1_handler_id: Optional[int] = Field(default=None, foreign_key="handlers.id")
    external_ref: Optional[str] = Field(default=None, max_length=64)  # its id in the system it was imported from
    # The key of this case's row digests (deskapp.core.rowdigest); erasure replaces it.
    record_salt: Optional[str] = Field(default_factory=new_salt, max_length=64,
                                       sa_column_kwargs={"default": new_salt})
    erased_at: Optional[datetime] = Field(default=None, sa_type=DateTime)  # `deskapp erase`: personal text gone
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime)


# "Sort by reference" in natural order (C-999 before C-1001): by length, then text.
Index("ix_cases_ref_natural", func.length(Case.__table__.c.ref), Case.__table__.c.ref, Case.__table__.c.status,
      Case.__table__.c.due_at, Case.__table__.c.assigned_to_id)
Index("ix_cases_open_ref", func.length(Case.__table__.c.ref), Case.__table__.c.ref, Case.__table__.c.status,
      Case.__table__.c.due_at, Case.__table__.c.assigned_to_id,
      sqlite_where=text(OPEN_CASES_WHERE), postgresql_where=text(OPEN_CASES_WHERE))


class Organisation(SQLModel, table=True):
    """A social-care team, a contractor, a solicitor: what a person may belong to (text masked at rest)."""

    __tablename__ = "organisations"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=_ORG["name"], sa_type=MaskedString(_ORG["name"]))
    name_key: Optional[str] = Field(default=None, max_length=_ORG["name"], index=True,
                                    sa_type=MaskedString(_ORG["name"]))  # deskapp.core.people.name_key
    kind: str = Field(default="other", max_length=_ORG["kind"])  # deskapp.core.people.ORGANISATION_KINDS
    email: Optional[str] = Field(default=None, max_length=_ORG["email"], sa_type=MaskedString(_ORG["email"]))
    phone: Optional[str] = Field(default=None, max_length=_ORG["phone"], sa_type=MaskedString(_ORG["phone"]))
    address: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    notes: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    # The key of this row's digests (deskapp.core.rowdigest): an organisation belongs to no one case.
    record_salt: Optional[str] = Field(default_factory=new_salt, max_length=64,
                                       sa_column_kwargs={"default": new_salt})
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)


class Person(SQLModel, table=True):
    """One human across all their cases: deskapp.core.people.PersonFields, stored (text masked at rest).

    `phone` is E.164 when it parsed (phone_valid), else exactly as written; `email` is normalised;
    `name_key` is what exact matching compares. Each Party row links a person to one case in a role.
    `merged_into_id` is set on a person merged into another (the merge itself is people18b's).
    """

    __tablename__ = "persons"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=_PERSON["name"], sa_type=MaskedString(_PERSON["name"]))
    name_key: Optional[str] = Field(default=None, max_length=_PERSON["name"], index=True,
                                    sa_type=MaskedString(_PERSON["name"]))
    email: Optional[str] = Field(default=None, max_length=_PERSON["email"], index=True,
                                 sa_type=MaskedString(_PERSON["email"]))
    phone: Optional[str] = Field(default=None, max_length=_PERSON["phone"], index=True,
                                 sa_type=MaskedString(_PERSON["phone"]))
    phone_valid: bool = Field(default=True)
    address: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    preferred_channel: Optional[str] = Field(default=None, max_length=_PERSON["preferred_channel"])
    notes: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    accessibility: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    vulnerable: bool = Field(default=False)
    vulnerability_reason: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    vulnerability_review: Optional[datetime] = Field(default=None, sa_type=DateTime)
    organisation_id: Optional[int] = Field(default=None, foreign_key="organisations.id", index=True)
    merged_into_id: Optional[int] = Field(default=None, foreign_key="persons.id")
    # The key of this person's row digests (and their arrangements'); erasure of the person replaces it.
    record_salt: Optional[str] = Field(default_factory=new_salt, max_length=64,
                                       sa_column_kwargs={"default": new_salt})
    erased_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime)


class Arrangement(SQLModel, table=True):
    """A standing arrangement on a person (deskapp.core.people.ArrangementFields): a designated or authorised
    representative, who authorised it, from and until when, on what evidence, recorded on which case.

    Never deleted: ending one sets `ended_at` (and `ends_at`), so the record of who could speak when stays.
    """

    __tablename__ = "person_arrangements"
    __table_args__ = (Index("ix_person_arrangements_person", "person_id", "kind", "id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="persons.id")
    representative_id: int = Field(foreign_key="persons.id", index=True)
    kind: str = Field(default="designated", max_length=_ARR["kind"])  # designated | authorised
    authorised_by: str = Field(default="", max_length=_ARR["authorised_by"],
                               sa_type=MaskedString(_ARR["authorised_by"]))
    starts_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    ends_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    case_id: Optional[int] = Field(default=None, foreign_key="cases.id")
    evidence_contact_id: Optional[int] = Field(default=None, foreign_key="contacts.id")
    evidence_note: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    recorded_by_id: Optional[int] = Field(default=None, foreign_key="handlers.id")
    ended_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)


class Party(SQLModel, table=True):
    """A person's role on one case: deskapp.core.parties.PartyFields, stored (text masked at rest).

    `person_id` is who they are across cases (deskapp.store.models.Person). The party keeps the name
    and contact details as given on this case: the case's record of who it dealt with, which the
    case's erasure, export and audit digests cover, whatever later happens to the person.
    """

    __tablename__ = "parties"

    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    person_id: Optional[int] = Field(default=None, foreign_key="persons.id", index=True)
    role: str = Field(default="customer", max_length=PARTY_ROLE_MAX)  # deskapp.vocab.PARTY_ROLES
    name: str = Field(max_length=_PARTY["name"], sa_type=MaskedString(_PARTY["name"]))
    designated: bool = Field(default=False)
    authorised: bool = Field(default=False)
    organisation: Optional[str] = Field(default=None, max_length=_PARTY["organisation"],
                                        sa_type=MaskedString(_PARTY["organisation"]))
    email: Optional[str] = Field(default=None, max_length=_PARTY["email"], sa_type=MaskedString(_PARTY["email"]))
    phone: Optional[str] = Field(default=None, max_length=_PARTY["phone"], sa_type=MaskedString(_PARTY["phone"]))
    address: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    notes: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)


# Received mail finds the open case of a sender by address (deskapp.actions.mail): one index lookup (mail2).
Index("ix_parties_email_lower", func.lower(Party.__table__.c.email))


class Contact(SQLModel, table=True):
    """One entry in a case's history: a call, email, letter, visit or internal note.

    Contacts made during one phone call share a `call_id`, so the desk can
    tell whether a warning was given earlier in that call.
    """

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_case_at", "case_id", "at", "id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    at: datetime = Field(sa_type=DateTime)
    channel: str = Field(max_length=16)  # phone | email | letter | sms | visit | portal | note
    direction: str = Field(max_length=16)  # in | out | internal
    party_id: Optional[int] = Field(default=None, foreign_key="parties.id")
    handler_id: Optional[int] = Field(default=None, foreign_key="handlers.id")
    outcome: Optional[str] = Field(default=None, max_length=24)
    summary: str = Field(default="", max_length=300, sa_type=MaskedString(300))
    body: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    call_id: Optional[str] = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)
    # Set on the outbound message or letter that is the final response of that stage (1 or 2).
    response_stage: Optional[int] = Field(default=None)


class Appointment(SQLModel, table=True):
    """A booked visit or call, e.g. a repair appointment, and whether it was kept."""

    __tablename__ = "appointments"

    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    party_id: Optional[int] = Field(default=None, foreign_key="parties.id")
    at: datetime = Field(sa_type=DateTime)
    purpose: str = Field(default="", max_length=200, sa_type=MaskedString(200))
    status: str = Field(default="booked", max_length=16)  # booked | kept | missed | cancelled
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)


class ApprovalRequest(SQLModel, table=True):
    """A blocked action waiting for a supervisor: the action is kept whole so it can be completed later."""

    __tablename__ = "approval_requests"
    __table_args__ = (Index("ix_approvals_status_created", "status", "created_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    requested_by_id: int = Field(foreign_key="handlers.id")
    action: dict[str, Any] = Field(default_factory=dict, sa_column=Column(MaskedJSON, nullable=False))
    findings: list[Any] = Field(default_factory=list, sa_column=Column(MaskedJSON, nullable=False))
    reason: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    status: str = Field(default="pending", max_length=16)  # pending | approved | refused | withdrawn
    decided_by_id: Optional[int] = Field(default=None, foreign_key="handlers.id")
    decided_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    decision_reason: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)
    # What was approved, exactly (deskapp.actions.approvals.request_digest): carrying out anything else is refused.
    digest: Optional[str] = Field(default=None, max_length=64)
    expires_at: Optional[datetime] = Field(default=None, sa_type=DateTime)


class AuditEvent(SQLModel, table=True):
    """Append-only record of what was done, what the rules said, and why the handler went ahead.

    `hash` covers this event's content and `prev_hash`, making the log a chain
    that `deskapp audit verify` can check.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_case_at", "case_id", "at"),
        Index("ix_audit_at", "at"),  # the dashboard's "overrides in the last N days"
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=_now, sa_type=DateTime)
    actor: str = Field(max_length=64)  # username, kept as text so the record outlives the handler row
    handler_id: Optional[int] = Field(default=None, foreign_key="handlers.id")
    case_id: Optional[int] = Field(default=None, foreign_key="cases.id")
    action: str = Field(max_length=40)  # contact, message, status, ..., approval.request, user.add
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(MaskedJSON, nullable=False))
    findings: list[Any] = Field(default_factory=list, sa_column=Column(MaskedJSON, nullable=False))
    reason: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    contact_id: Optional[int] = Field(default=None, foreign_key="contacts.id")
    approval_id: Optional[int] = Field(default=None, foreign_key="approval_requests.id")
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)
    policy_hash: Optional[str] = Field(default=None, max_length=64)  # the published pack the action was checked against
    via: Optional[str] = Field(default=None, max_length=64)  # the admin who opened the desk as `actor`, if one did


class AuditRow(SQLModel, table=True):
    """The digest of one row an audit event wrote (deskapp.core.rowdigest); covered by the event's hash.

    Append-only like audit_events. `digest` is "deleted" for a row the event removed. No foreign key
    to audit_events: the chain, not a constraint, is what says an event is missing.
    """

    __tablename__ = "audit_rows"
    __table_args__ = (Index("ix_audit_rows_row", "tbl", "row_id", "event_id"),)

    event_id: int = Field(primary_key=True)
    tbl: str = Field(primary_key=True, max_length=32)
    row_id: int = Field(primary_key=True)
    digest: str = Field(max_length=64)


class DeskSetting(SQLModel, table=True):
    """One fact about the desk itself: `demo` (a demo desk: several identities allowed), `service_account`."""

    __tablename__ = "desk_settings"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime)


class PolicyPack(SQLModel, table=True):
    """A published rules pack: the desk runs on the newest; every audit event names its hash."""

    __tablename__ = "policy_packs"

    id: Optional[int] = Field(default=None, primary_key=True)
    version: int = Field(sa_column_kwargs={"unique": True})
    sha256: str = Field(max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    source: str = Field(max_length=300)  # the file it was published from, as named then
    published_by: str = Field(max_length=64)
    published_at: datetime = Field(default_factory=_now, sa_type=DateTime)
    note: Optional[str] = Field(default=None, sa_column=Column(Text))


class HandlerKey(SQLModel, table=True):
    """An SSH public key that reaches the service account as this handler (authorized_keys is made from these)."""

    __tablename__ = "handler_keys"

    id: Optional[int] = Field(default=None, primary_key=True)
    handler_id: int = Field(foreign_key="handlers.id", index=True)
    key_type: str = Field(max_length=64)
    key_data: str = Field(sa_column=Column(Text, nullable=False))
    comment: Optional[str] = Field(default=None, max_length=200)
    fingerprint: str = Field(max_length=80, sa_column_kwargs={"unique": True})
    added_by: str = Field(max_length=64)
    added_at: datetime = Field(default_factory=_now, sa_type=DateTime)


class Draft(SQLModel, table=True):
    """A message or form being composed, saved as the handler types so a dropped link loses nothing."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("case_id", "handler_id", "kind", name="uq_drafts_case_handler_kind"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    handler_id: int = Field(foreign_key="handlers.id")
    kind: str = Field(default="message", max_length=24)
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(MaskedJSON, nullable=False))
    body: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime)


class SavedView(SQLModel, table=True):
    """A named filter + sort of the queue (deskapp.core.saved_views.ViewSpec as JSON).

    Personal views have an owner; team views have none and name who published them.
    Names are unique per owner, and among team views (a partial index: NULL owners
    would not collide in a plain unique constraint on either engine).
    """

    __tablename__ = "saved_views"
    __table_args__ = (
        UniqueConstraint("owner_id", "name", name="uq_saved_views_owner_name"),
        Index("uq_saved_views_team_name", "name", unique=True, sqlite_where=text("owner_id IS NULL"),
              postgresql_where=text("owner_id IS NULL")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    owner_id: Optional[int] = Field(default=None, foreign_key="handlers.id", index=True)
    name: str = Field(max_length=40, sa_type=MaskedString(40))
    spec: dict[str, Any] = Field(default_factory=dict, sa_column=Column(MaskedJSON, nullable=False))
    published_by: Optional[str] = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime)


class Change(SQLModel, table=True):
    """One line of the change feed: which case changed, by whom, to which version.

    Written in the same transaction as the change itself (deskapp.store.changes.record),
    so other desks can ask "what changed since id N?" and refresh within a couple of
    seconds. Ids follow commit order (appends are serialised like the audit chain).
    Old lines are pruned; the audit log, not this table, is the record.
    """

    __tablename__ = "changes"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=_now, sa_type=DateTime)
    case_id: Optional[int] = Field(default=None)
    version: Optional[int] = Field(default=None)
    actor: str = Field(default="", max_length=64)
    kind: str = Field(max_length=40)  # the audit action (contact, status, approval.request ...) or presence


class Presence(SQLModel, table=True):
    """A running desk's heartbeat: who is at it and which case they have open.

    One row per desk session (`token`), refreshed every few seconds; a row whose
    `last_seen` is older than the expiry is a desk that died (kill -9, SSH drop).
    """

    __tablename__ = "presence"
    __table_args__ = (Index("ix_presence_case_seen", "case_id", "last_seen"),)

    token: str = Field(primary_key=True, max_length=40)
    handler_id: int = Field(foreign_key="handlers.id")
    username: str = Field(max_length=64)
    desk: str = Field(default="", max_length=120)
    case_id: Optional[int] = Field(default=None)
    opened_at: Optional[datetime] = Field(default=None, sa_type=DateTime)  # when case_id was opened here
    started_at: datetime = Field(default_factory=_now, sa_type=DateTime)
    last_seen: datetime = Field(default_factory=_now, sa_type=DateTime)


class Outbox(SQLModel, table=True):
    """One outbound email waiting for (or done with) the relay: queued with its contact, in the same transaction.

    The message is fixed at queue time (addresses, subject, body, Message-ID), so a retry sends the
    same bytes under the same Message-ID. `status`: queued -> sending -> sent | failed | unknown.
    A sender claims a row by setting `claimed_by` and `lease_until`; `data_at` is set just before
    the message text goes to the relay, so a row found `sending` after its sender died is known to
    be safe to send again (no data_at) or not (data_at: the relay may have it: `unknown`).
    Free text is masked at rest like every other column a person wrote.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    contact_id: int = Field(foreign_key="contacts.id", unique=True)
    message_id: str = Field(max_length=255, unique=True)  # <...@domain>, made by deskapp at queue time
    from_addr: str = Field(max_length=320, sa_type=MaskedString(320))
    to_addr: str = Field(max_length=320, sa_type=MaskedString(320))
    subject: str = Field(default="", max_length=300, sa_type=MaskedString(300))
    body: str = Field(default="", sa_column=Column(MaskedText, nullable=False))
    status: str = Field(default="queued", max_length=16)  # deskapp.vocab.OUTBOX_STATUSES
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=_now, sa_type=DateTime)
    claimed_by: Optional[str] = Field(default=None, max_length=120)  # host:pid:token of the sender holding it
    lease_until: Optional[datetime] = Field(default=None, sa_type=DateTime)
    data_at: Optional[datetime] = Field(default=None, sa_type=DateTime)  # the text went to the relay at
    sent_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    relay_answer: Optional[str] = Field(default=None, max_length=500, sa_type=MaskedString(500))
    last_error: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)
    # The case's latest received Message-ID when this was queued (<...>): In-Reply-To and References,
    # so the reply threads on the customer's side (mail19c). Fixed at queue time like the rest.
    in_reply_to: Optional[str] = Field(default=None, max_length=255, sa_type=MaskedString(255))


class InboundMail(SQLModel, table=True):
    """One received email, by its Message-ID: what became of it (deskapp mail fetch).

    The unique Message-ID is what makes a re-run harmless: a message already
    here is skipped, whatever the mailbox says. `kind` is message, auto_reply,
    bounce, loop or rejected; `contact_id` the inbound contact it became (none
    for a rejected message or machine mail that matched no case).
    """

    __tablename__ = "inbound_mail"

    id: Optional[int] = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=255, sa_type=MaskedString(255), sa_column_kwargs={"unique": True})
    kind: str = Field(max_length=16)
    case_id: Optional[int] = Field(default=None, foreign_key="cases.id", index=True)
    contact_id: Optional[int] = Field(default=None, foreign_key="contacts.id")
    bounced_contact_id: Optional[int] = Field(default=None, foreign_key="contacts.id")  # what a bounce returned
    how: str = Field(default="", max_length=24)  # reply, subject_ref, sender, new_case, unmatched, rejected
    note: Optional[str] = Field(default=None, sa_column=Column(MaskedText))  # a rejection's reason, a kind's why
    size: int = Field(default=0)
    fetched_at: datetime = Field(default_factory=_now, sa_type=DateTime)


class AttachmentBlob(SQLModel, table=True):
    """An attachment's bytes, once per content (sha256): the same file sent twice is stored once."""

    __tablename__ = "attachment_blobs"

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)


class ContactAttachment(SQLModel, table=True):
    """A file that came with a contact: its name and type as sent (masked text), its bytes by hash."""

    __tablename__ = "contact_attachments"

    id: Optional[int] = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    sha256: str = Field(max_length=64, foreign_key="attachment_blobs.sha256")
    name: str = Field(max_length=200, sa_type=MaskedString(200))
    content_type: str = Field(max_length=100)
    size: int
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)


ALL_TABLES = (Handler, Case, Party, Contact, Appointment, ApprovalRequest, AuditEvent, AuditRow, Draft, DeskSetting,
              PolicyPack, HandlerKey, SavedView)
class PersonKey(SQLModel, table=True):
    """One key a live person is found by (deskapp.store.person_keys): phone, email, name, address.

    Kept by the ORM events deskapp.store.person_keys installs; derived data (like the case
    search index), so not row-digested. The unique index (key, person_id) answers every lookup.
    """

    __tablename__ = "person_keys"
    # Secondary indexes, not a composite primary key, so a bulk rebuild can drop them and build each
    # once over sorted data (bulk.indexes_suspended) instead of updating them row by row.
    __table_args__ = (Index("ix_person_keys_key", "key", "person_id", unique=True),
                      Index("ix_person_keys_person", "person_id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=person_keys.KEY_MAX, sa_type=MaskedString(person_keys.KEY_MAX))
    person_id: int = Field(foreign_key="persons.id")


class PersonMerge(SQLModel, table=True):
    """One merge of a person into another (deskapp.actions.person_merge): what moved, so it can be undone.

    `moved` lists the party and arrangement ids that moved and KEEP's details the merge filled in
    (with their values before); the merge's audit event holds the same, and the undo trusts this
    row only where they agree.
    """

    __tablename__ = "person_merges"
    __table_args__ = (Index("ix_person_merges_other", "other_id", "id"), Index("ix_person_merges_keep", "keep_id", "id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    keep_id: int = Field(foreign_key="persons.id")
    other_id: int = Field(foreign_key="persons.id")
    at: datetime = Field(sa_type=DateTime)
    actor: str = Field(max_length=64)
    reason: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    moved: dict[str, Any] = Field(default_factory=dict, sa_column=Column(MaskedJSON, nullable=False))
    audit_id: Optional[int] = Field(default=None)
    undo_until: datetime = Field(sa_type=DateTime)
    undone_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    undone_by: Optional[str] = Field(default=None, max_length=64)
    undo_reason: Optional[str] = Field(default=None, sa_column=Column(MaskedText))


class CaseLink(SQLModel, table=True):
    """A link between two cases (deskapp.actions.case_links): `kind` says what OTHER is to CASE.

    duplicate (the same issue reported twice), related, parent (OTHER is CASE's parent) or child.
    One row per pair, read from either side (parent and child swap). Never deleted: unlinking sets
    `removed_at`, so who linked what, when, stays on record.
    """

    __tablename__ = "case_links"
    __table_args__ = (Index("ix_case_links_case", "case_id", "other_id"), Index("ix_case_links_other", "other_id", "case_id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    other_id: int = Field(foreign_key="cases.id")
    kind: str = Field(max_length=16)  # deskapp.vocab.LINK_KINDS
    created_by_id: Optional[int] = Field(default=None, foreign_key="handlers.id")
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime)
    removed_by_id: Optional[int] = Field(default=None, foreign_key="handlers.id")
    removed_at: Optional[datetime] = Field(default=None, sa_type=DateTime)


class CaseMerge(SQLModel, table=True):
    """A duplicate case merged into the case that stays (deskapp.actions.case_merge): what changed, for the undo.

    While `undone_at` is empty the duplicate is closed as merged into `keep_id`, and the kept case's
    history shows the duplicate's contacts (read across, never moved: their digests stay valid).
    `moved` records the parties added to KEEP and the fields changed on both cases with their values
    before; the merge's audit event holds the same, and the undo trusts this row only where they agree.
    """

    __tablename__ = "case_merges"
    __table_args__ = (Index("ix_case_merges_keep", "keep_id", "id"), Index("ix_case_merges_dup", "dup_id", "id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    keep_id: int = Field(foreign_key="cases.id")
    dup_id: int = Field(foreign_key="cases.id")
    at: datetime = Field(sa_type=DateTime)
    actor: str = Field(max_length=64)
    reason: Optional[str] = Field(default=None, sa_column=Column(MaskedText))
    moved: dict[str, Any] = Field(default_factory=dict, sa_column=Column(MaskedJSON, nullable=False))
    audit_id: Optional[int] = Field(default=None)
    undo_until: datetime = Field(sa_type=DateTime)
    undone_at: Optional[datetime] = Field(default=None, sa_type=DateTime)
    undone_by: Optional[str] = Field(default=None, max_length=64)
    undo_reason: Optional[str] = Field(default=None, sa_column=Column(MaskedText))


ALL_TABLES = (Handler, Case, Organisation, Person, Arrangement, Party, Contact, Appointment, ApprovalRequest,
              AuditEvent, AuditRow, Draft, DeskSetting,
              PolicyPack, HandlerKey)
# Change and Presence are working state for live desks, not records: kept out of ALL_TABLES.
# Outbox is a delivery queue; the contact it was queued with is the record (and is digested).

# ORM objects are masked in memory before each flush too (the column types mask what is bound).
masking.install()
# A person is re-keyed for search and duplicates on every ORM insert and update.
person_keys.install(Person, PersonKey)
