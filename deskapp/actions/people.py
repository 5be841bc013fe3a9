"""What a handler does to a PERSON (not one case): standing arrangements and vulnerability.

Each is recorded from a case (the one the handler is working, `case_id` +
`version`), in ONE transaction like every action: the role re-read, the case's
version checked and bumped, the rows written, an audit event holding their
digests (persons and arrangements are digested like parties) and a change-feed
line. What is recorded holds on every case of the person: the rules read it as
`person.*` facts (deskapp.policy.facts).

`person_for_party` is how a new party gets its person: the one named, or a new
one made from the party's details (normalised: deskapp.core.people).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import audit
from deskapp.actions.desk import Desk
from deskapp.actions.outcomes import Conflict, Done
from deskapp.actions.permissions import require
from deskapp.actions.person_flags import keep_in_step
from deskapp.actions.reads import view_of
from deskapp.actions.submit import bump_version, conflict_message, refresh_due
from deskapp.actions.validate import MAX_BODY, InvalidInput, check_choice, check_length, clean_text
from deskapp.core.contact_points import DEFAULT_REGION
from deskapp.core.people import ARRANGEMENT_KINDS, ARRANGEMENT_LIMITS, name_key, normalise_email, normalise_phone
from deskapp.errors import DeskError
from deskapp.store.changes import record as record_change
from deskapp.store.models import Arrangement, Case, Contact, Organisation, Party, Person
from deskapp.store.retry import retry_on_busy


def person_for_party(session: Session, fields: dict[str, Any], person_id: Optional[int], now: datetime,
                     region: str = DEFAULT_REGION) -> Person:
    """The person a new party is: `person_id` if given (it must exist and not be merged away), else a new
    person from the party's name and contact details (a phone without +CC read in `region`, the desk's:
    PolicyPack.phone_region). Flushed, so it has an id."""
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None or person.erased_at is not None:
            raise InvalidInput("person", f"person {person_id} does not exist")
        if person.merged_into_id is not None:
            raise InvalidInput("person", f"person {person_id} was merged into person {person.merged_into_id}")
        return person
    phone = normalise_phone(fields.get("phone"), region)
    person = Person(
        name=fields["name"], name_key=name_key(fields["name"]), email=normalise_email(fields.get("email")),
        phone=phone.value if phone else None, phone_valid=phone is None or phone.valid,
        address=fields.get("address"), organisation_id=_organisation(session, fields.get("organisation"), now),
        created_at=now, updated_at=now)
    session.add(person)
    session.flush()
    return person


def fill_gaps(session: Session, person_id: Optional[int], fields: dict[str, Any], now: datetime,
              region: str = DEFAULT_REGION) -> None:
    """A party's new email, phone or address becomes its person's where the person has none: contact points
    are kept on the person; one already there is never overwritten from a single case."""
    person = session.get(Person, person_id) if person_id is not None else None
    if person is None or person.erased_at is not None:
        return
    changed = False
    if person.email is None and fields.get("email"):
        person.email, changed = normalise_email(fields["email"]), True
    phone = normalise_phone(fields.get("phone"), region)
    if person.phone is None and phone is not None:
        person.phone, person.phone_valid, changed = phone.value, phone.valid, True
    if person.address is None and fields.get("address"):
        person.address, changed = fields["address"], True
    if changed:
        person.version += 1
        person.updated_at = now


# What a designation made from a case's record says (the sidebar: "designated by the case record on C-1001").
CASE_RECORD = "the case record"


def case_subject(session: Session, case_id: int) -> Optional[Party]:
    """Whom a case's designated representative acts for: its first resident not designated, else its first
    customer (the same choice migration people3 made for designations from before persons)."""
    for role in ("resident", "customer"):
        party = session.execute(select(Party).where(Party.case_id == case_id, Party.role == role,
                                                    Party.designated.is_(False), Party.person_id.is_not(None))
                                .order_by(Party.id).limit(1)).scalar()
        if party is not None:
            return party
    return None


def carry_designation(session: Session, case: Case, party: Party, was_designated: bool, recorded_by: int,
                      now: datetime) -> dict[str, Any]:
    """Keep the person arrangement in step with a case's designated party, in the caller's transaction.

    Marking `party` designated records on the case's subject (case_subject) that the party's person is
    their designated representative, on every case of theirs (the one before ends, as record_arrangement
    does); unmarking it ends the arrangement this case made. Returns what the audit detail says (ids only).
    """
    if party.person_id is None:
        return {}
    if not party.designated:
        if not was_designated:
            return {}
        ended = []
        for row in session.execute(select(Arrangement).where(
                Arrangement.case_id == case.id, Arrangement.representative_id == party.person_id,
                Arrangement.kind == "designated", Arrangement.ended_at.is_(None))).scalars():
            row.ended_at = now
            if row.ends_at is None or row.ends_at > now:
                row.ends_at = now
            ended.append(row.id)
        return {"arrangement_ends": ended} if ended else {}
    subject = case_subject(session, case.id)
    if subject is None or subject.person_id == party.person_id:
        return {}
    active = list(session.execute(select(Arrangement).where(
        Arrangement.person_id == subject.person_id, Arrangement.kind == "designated",
        Arrangement.ended_at.is_(None))).scalars())
    if any(a.representative_id == party.person_id and (a.ends_at is None or a.ends_at > now) for a in active):
        return {}  # already their designated representative: nothing to duplicate
    ended = []
    for old in active:
        old.ended_at = now
        if old.ends_at is None or old.ends_at > now:
            old.ends_at = now
        ended.append(old.id)
    row = Arrangement(person_id=subject.person_id, representative_id=party.person_id, kind="designated",
                      authorised_by=CASE_RECORD, starts_at=now, case_id=case.id,
                      evidence_note=f"Marked designated representative on {case.ref} (party form)",
                      recorded_by_id=recorded_by, created_at=now)
    session.add(row)
    session.flush()
    return {"arrangement_id": row.id, "person_id": subject.person_id, "representative_id": party.person_id,
            "ends": ended}


def _organisation(session: Session, name: Optional[str], now: datetime) -> Optional[int]:
    """The organisation of this name (same name key), made if there is none."""
    key = name_key(name)
    if key is None:
        return None
    found = session.execute(select(Organisation.id).where(Organisation.name_key == key).order_by(Organisation.id)
                            .limit(1)).scalar()
    if found is not None:
        return int(found)
    org = Organisation(name=" ".join((name or "").split()), name_key=key, created_at=now)
    session.add(org)
    session.flush()
    return org.id


def _on_case(session: Session, case_id: int, person_id: int, field: str) -> Person:
    """A person with a party on this case (what a handler working the case may change)."""
    person = session.get(Person, person_id)
    linked = session.execute(select(Party.id).where(Party.case_id == case_id, Party.person_id == person_id)
                             .limit(1)).first()
    if person is None or linked is None:
        raise InvalidInput(field, f"person {person_id} is not on this case")
    if person.erased_at is not None or person.merged_into_id is not None:
        raise InvalidInput(field, f"person {person_id} is no longer in use (erased or merged)")
    return person


def _text(field: str, value: Optional[str], limit: int = MAX_BODY) -> Optional[str]:
    text = clean_text(value).strip() if value is not None else ""
    check_length(field, text, limit)
    return text or None


def _open(desk: Desk, session: Session, case_id: int, version: int, now: datetime) -> Case | Conflict:
    case = session.get(Case, case_id)
    if case is None:
        raise DeskError(f"case {case_id} does not exist")
    require(desk, "case.work", session=session)
    if case.version != version or not bump_version(session, case, version, now):
        return Conflict(conflict_message(session, case, version), view_of(session, case))
    return case


def _finish(desk: Desk, session: Session, case: Case, action: str, detail: dict[str, Any], now: datetime) -> Done:
    view = refresh_due(desk, session, case, now)
    event = audit.append(session, **audit.by(desk), action=action, at=now, case_id=case.id,
                         detail={"version": case.version, **detail})
    record_change(session, kind=action, actor=desk.me.username, at=now, case_id=case.id, version=case.version)
    return Done(case=view, audit_id=event.id)


@retry_on_busy("record the arrangement")
def record_arrangement(
    desk: Desk, case_id: int, version: int, *, person_id: int, representative_id: int,
    kind: str = "designated", authorised_by: str, starts_at: Optional[datetime] = None,
    ends_at: Optional[datetime] = None, evidence_contact_id: Optional[int] = None,
    evidence_note: Optional[str] = None,
) -> Done | Conflict:
    """Record on a person that `representative_id` represents them (designated: all contact goes through
    them) from `starts_at` (default now) until `ends_at` (None: until withdrawn), authorised by whom and on
    what evidence (a contact on this case, or a note). A new designated arrangement ends the one before."""
    check_choice("kind", kind, ARRANGEMENT_KINDS)
    who = _text("authorised_by", authorised_by, ARRANGEMENT_LIMITS["authorised_by"])
    if who is None:
        raise InvalidInput("authorised_by", "say who authorised it (the person, a court, an attorney, ...)")
    note = _text("evidence_note", evidence_note)
    if evidence_contact_id is None and note is None:
        raise InvalidInput("evidence", "give the evidence: the contact holding the signed form, or a note")
    if person_id == representative_id:
        raise InvalidInput("representative", "a person cannot be their own representative")
    now = desk.now()
    starts = starts_at or now
    if ends_at is not None and ends_at <= starts:
        raise InvalidInput("ends_at", "must be after it starts")
    with desk.session() as session:
        with session.begin():
            case = _open(desk, session, case_id, version, now)
            if isinstance(case, Conflict):
                return case
            person = _on_case(session, case.id, person_id, "person")
            rep = session.get(Person, representative_id)
            if rep is None or rep.erased_at is not None or rep.merged_into_id is not None:
                raise InvalidInput("representative", f"person {representative_id} does not exist")
            if evidence_contact_id is not None:
                contact = session.get(Contact, evidence_contact_id)
                if contact is None or contact.case_id != case.id:
                    raise InvalidInput("evidence", f"contact {evidence_contact_id} is not on case {case.ref}")
            ended = []
            if kind == "designated":
                for old in session.execute(select(Arrangement).where(
                        Arrangement.person_id == person.id, Arrangement.kind == "designated",
                        Arrangement.ended_at.is_(None))).scalars():
                    old.ended_at = now
                    if old.ends_at is None or old.ends_at > now:
                        old.ends_at = now
                    ended.append(old.id)
            row = Arrangement(person_id=person.id, representative_id=rep.id, kind=kind, authorised_by=who,
                              starts_at=starts, ends_at=ends_at, case_id=case.id,
                              evidence_contact_id=evidence_contact_id, evidence_note=note,
                              recorded_by_id=desk.me.id, created_at=now)
            session.add(row)
            session.flush()
            # Ids and vocabulary only: the names and the note are in the rows, where erasure reaches.
            return _finish(desk, session, case, "person.arrangement", {
                "arrangement_id": row.id, "person_id": person.id, "representative_id": rep.id, "kind": kind,
                "ends": ended}, now)


@retry_on_busy("end the arrangement")
def end_arrangement(desk: Desk, case_id: int, version: int, *, arrangement_id: int) -> Done | Conflict:
    """Withdraw a standing arrangement now (kept on record, ended)."""
    now = desk.now()
    with desk.session() as session:
        with session.begin():
            case = _open(desk, session, case_id, version, now)
            if isinstance(case, Conflict):
                return case
            row = session.get(Arrangement, arrangement_id)
            if row is None or row.ended_at is not None:
                raise InvalidInput("arrangement", f"arrangement {arrangement_id} is not in force")
            _on_case(session, case.id, row.person_id, "arrangement")
            row.ended_at = now
            if row.ends_at is None or row.ends_at > now:
                row.ends_at = now
            return _finish(desk, session, case, "person.arrangement.end",
                           {"arrangement_id": row.id, "person_id": row.person_id}, now)


@retry_on_busy("save the vulnerability")
def set_vulnerability(
    desk: Desk, case_id: int, version: int, *, person_id: int, vulnerable: bool, reason: Optional[str] = None,
    review: Optional[datetime] = None,
) -> Done | Conflict:
    """Mark a person vulnerable (with why, and when to look at it again) or not: it shows on all their cases."""
    why = _text("reason", reason)
    if vulnerable and why is None:
        raise InvalidInput("reason", "say why the person is vulnerable (it is shown on all their cases)")
    now = desk.now()
    if vulnerable and review is not None and review <= now:
        raise InvalidInput("review", "the review date must be in the future")
    with desk.session() as session:
        with session.begin():
            case = _open(desk, session, case_id, version, now)
            if isinstance(case, Conflict):
                return case
            person = _on_case(session, case.id, person_id, "person")
            person.vulnerable = bool(vulnerable)
            person.vulnerability_reason = why if vulnerable else None
            person.vulnerability_review = review if vulnerable else None
            person.version += 1
            person.updated_at = now
            keep_in_step(desk, session, kind="person.vulnerability", at=now, person_ids=[person.id],
                         announced=[case.id])
            return _finish(desk, session, case, "person.vulnerability",
                           {"person_id": person.id, "vulnerable": bool(vulnerable)}, now)
