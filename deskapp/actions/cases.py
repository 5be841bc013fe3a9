"""Opening a case and keeping its parties right.

These are not policy actions (no rule watches them) but they change the case,
so they go through the same version check and audit trail as everything else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from deskapp import vocab
from deskapp.actions import audit
from deskapp.actions.desk import Desk
from deskapp.actions.outcomes import Conflict, Done
from deskapp.actions.people import carry_designation, fill_gaps, person_for_party
from deskapp.actions.person_flags import keep_in_step
from deskapp.actions.reads import view_of
from deskapp.actions.submit import bump_version, conflict_message, refresh_due, reindex
from deskapp.actions.validate import (
    MAX_BODY,
    MAX_TITLE,
    InvalidInput,
    check_choice,
    check_length,
    clean_text,
)
from deskapp.core.parties import PARTY_FIELDS, PARTY_LIMITS
from deskapp.core.views import CaseView
from deskapp.errors import DeskError
from deskapp.store.changes import record as record_change
from deskapp.store.retry import retry_on_busy
from deskapp.store.models import Case, Party
from deskapp.store.refs import next_case_refs
from deskapp.actions.permissions import require



def _party_values(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(PARTY_FIELDS)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "not a party field")
    out: dict[str, Any] = {}
    for key in PARTY_FIELDS:
        if key not in values:
            continue
        value = values[key]
        if key in ("designated", "authorised"):
            out[key] = bool(value)
            continue
        text = clean_text(value).strip() if value is not None else ""
        check_length(key, text, PARTY_LIMITS.get(key, MAX_BODY))
        out[key] = text or None
    if "role" in out:
        check_choice("role", out["role"], vocab.PARTY_ROLES)
    if "name" in values and not out.get("name"):
        raise InvalidInput("name", "a party needs a name")
    return out


def _flags(fields: dict[str, Any]) -> dict[str, Any]:
    """The party's role and yes/no marks as set by this change: vocabulary, not personal text.

    A party's name, organisation, email, phone, address and notes never enter the audit
    detail: the party row holds them (its digest is in the event), where erasure can reach.
    """
    return {key: fields[key] for key in ("role", "designated", "authorised") if key in fields}


@retry_on_busy("open the case")
def new_case(
    desk: Desk,
    *,
    kind: str,
    category: str,
    title: str,
    priority: int = 3,
    vulnerable: bool = False,
    received_at: Optional[datetime] = None,
    party: Optional[dict[str, Any]] = None,
    assign_to_me: bool = True,
    person_id: Optional[int] = None,
) -> CaseView:
    """Open a case with its first party. The case is assigned to the handler who opened it.

    The party is `person_id` (an existing person: their other cases, representative and vulnerability
    carry to this one), or a new person made from the party's details."""
    check_choice("kind", kind, vocab.CASE_KINDS)
    check_choice("priority", priority, tuple(vocab.PRIORITIES))
    category = clean_text(category).strip() or "general"
    check_length("category", category, 64)
    title = clean_text(title).strip()
    if not title:
        raise InvalidInput("title", "give the case a short title")
    check_length("title", title, MAX_TITLE)
    first_party = _party_values({"role": "customer", **(party or {})}) if party else None
    if party is not None and not first_party.get("name"):
        raise InvalidInput("name", "a party needs a name")
    now = desk.now()
    received = received_at or now
    if received > now:
        raise InvalidInput("received_at", "cannot be in the future")
    for _attempt in range(5):
        try:
            with desk.session() as session, session.begin():
                require(desk, "case.create", session=session)
                case = Case(
                    ref=next_case_refs(session)[0],
                    kind=kind,
                    category=category,
                    title=title,
                    priority=priority,
                    vulnerable=bool(vulnerable),
                    received_at=received,
                    status="new",
                    status_changed_at=now,
                    assigned_to_id=desk.me.id if assign_to_me else None,
                    created_at=now,
                    updated_at=now,
                )
                session.add(case)
                session.flush()
                party = None
                if first_party:
                    person = person_for_party(session, first_party, person_id, now, desk.policies.phone_region)
                    party = Party(case_id=case.id, person_id=person.id, **first_party)
                    session.add(party)
                    keep_in_step(desk, session, kind="case.new", at=now, case_ids=[case.id], announced=[case.id])
                view = refresh_due(desk, session, case, now)
                audit.append(
                    session, **audit.by(desk), action="case.new", at=now,
                    case_id=case.id, detail={"version": case.version, "ref": case.ref, "kind": kind,
                                             "category": category,
                                             "party_id": party.id if party is not None else None},
                )
                record_change(session, kind="case.new", actor=desk.me.username, at=now, case_id=case.id,
                              version=case.version)
                reindex(session, case.id)
                return view
        except IntegrityError:
            continue  # another desk took the same ref at the same moment
    raise DeskError("could not allocate a case reference; try again")


@retry_on_busy("save the party")
def save_party(
    desk: Desk, case_id: int, version: int, *, party_id: Optional[int] = None, person_id: Optional[int] = None,
    **values: Any
) -> Done | Conflict:
    """Add a party (party_id None) or change one. Marking a party designated un-designates the others.

    A new party is `person_id` (an existing person) or a new person made from its details; changing a
    party changes what this case records of them, not the person. Marking a party designated also
    records it on the case's subject as their designated representative (a person arrangement, in the
    same transaction: it holds on their other cases); unmarking it ends the one this case made."""
    fields = _party_values(values)
    if party_id is None and not fields.get("name"):
        raise InvalidInput("name", "a party needs a name")
    now = desk.now()
    with desk.session() as session:
        with session.begin():
            case = session.get(Case, case_id)
            if case is None:
                raise DeskError(f"case {case_id} does not exist")
            require(desk, "case.work", session=session)
            if case.version != version or not bump_version(session, case, version, now):
                return Conflict(conflict_message(session, case, version), view_of(session, case))
            if party_id is None:
                person = person_for_party(session, fields, person_id, now, desk.policies.phone_region)
                party = Party(case_id=case.id, person_id=person.id, **fields)
                session.add(party)
                before: dict[str, Any] = {}
            else:
                party = session.get(Party, party_id)
                if party is None or party.case_id != case.id:
                    raise InvalidInput("party", f"party {party_id} is not on case {case.ref}")
                before = {k: getattr(party, k) for k in fields}
                for key, value in fields.items():
                    setattr(party, key, value)
                fill_gaps(session, party.person_id, fields, now, desk.policies.phone_region)
            changed = sorted(k for k, v in fields.items() if party_id is None or before[k] != v)
            session.flush()
            carried: dict[str, Any] = {}
            if fields.get("designated"):
                for other in session.execute(
                    select(Party).where(Party.case_id == case.id, Party.id != party.id, Party.designated)
                ).scalars():
                    other.designated = False
                    carried.update(carry_designation(session, case, other, True, desk.me.id, now))
                session.flush()
            if party_id is not None and before.get("designated") and not party.designated:
                carried.update(carry_designation(session, case, party, True, desk.me.id, now))
            if party_id is None or {"designated", "role"} & set(changed):
                # A new designation, or a new subject for the one there is (the resident added after them).
                rep = session.execute(select(Party).where(Party.case_id == case.id, Party.designated)
                                      .order_by(Party.role != "representative", Party.id).limit(1)).scalar()
                if rep is not None:
                    carried.update(carry_designation(session, case, rep, True, desk.me.id, now))
            if party_id is None:  # a person marked vulnerable joins the case: it shows V in the queue
                keep_in_step(desk, session, kind="party.add", at=now, case_ids=[case.id], announced=[case.id])
            view = refresh_due(desk, session, case, now)
            event = audit.append(
                session, **audit.by(desk),
                action="party.add" if party_id is None else "party.edit", at=now, case_id=case.id,
                detail={"version": case.version, "party_id": party.id, "changed": changed,
                        **_flags(fields), **carried},
            )
            record_change(session, kind=event.action, actor=desk.me.username, at=now, case_id=case.id,
                          version=case.version)
            reindex(session, case.id)
        return Done(case=view, audit_id=event.id)
