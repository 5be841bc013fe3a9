"""A person picked in a form who is not (yet) a party on the case: what the rules see, and adding them.

A form's person picker (deskapp.tui.widgets.person_picker) finds persons across
cases. While the handler is still filling the form, the live policy panel must
see the picked person as they would be on this case — their standing
arrangements and vulnerability come with them — so `prospective_case` returns
the case view with a stand-in party (a negative id, never stored) and that
person's PersonView, read the same way a case's own persons are read.

On submit the person is added as a party by `add_picked_party` JUST BEFORE the
form's own action, as its own audited `party.add` (deskapp.actions.cases.save_party),
not inside the same transaction. Why: the action that follows is then checked
against the case exactly as stored (the same path, the same findings as any
other party), and an approval a supervisor gives covers a request naming a real
party of the case, not "whoever gets added" — the request digest stays what it
is for every other action. The price: when the handler then backs out (no reason
given, blocked), the person stays on the case as a party; the form says so, and
it is true in any case that they are involved.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any, Optional

from deskapp.actions.cases import save_party
from deskapp.actions.outcomes import Conflict, Done
from deskapp.actions.permissions import require
from deskapp.actions.person_reads import persons_of
from deskapp.actions.validate import InvalidInput, check_choice
from deskapp.core.views import CaseView, PartyView
from deskapp.store.models import Person
from deskapp import vocab


def _person(session, person_id: int, field: str) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise InvalidInput(field, f"person {person_id} does not exist")
    if person.merged_into_id is not None:
        raise InvalidInput(field, f"person {person_id} was merged into person {person.merged_into_id}")
    return person


def prospective_case(desk: Any, case: CaseView, picks: dict[int, tuple[int, str]]) -> CaseView:
    """`case` as it would be with each picked person added: {stand-in party id (< 0): (person id, role)}.

    Persons already on the case keep their own parties; nothing is written."""
    if not picks:
        return case
    with desk.session() as session:
        require(desk, "case.view", session=session)
        parties = [SimpleNamespace(id=pid, person_id=p.id, case_id=case.id, organisation=(case.party(pid) or
                                   SimpleNamespace(organisation=None)).organisation)
                   for p in case.persons for pid in p.party_ids]
        added = []
        for stand_in, (person_id, role) in picks.items():
            check_choice("role", role, vocab.PARTY_ROLES)
            person = _person(session, person_id, "party")
            parties.append(SimpleNamespace(id=stand_in, person_id=person.id, case_id=case.id, organisation=None))
            added.append(PartyView(id=stand_in, name=person.name, role=role, email=person.email,
                                   phone=person.phone, address=person.address))
        persons = persons_of(session, parties)
    return replace(case, parties=tuple(case.parties) + tuple(added), persons=persons)


def party_of_person(case: CaseView, person_id: int) -> Optional[int]:
    """This person's party on the case (the newest, if more than one), or None."""
    person = next((p for p in case.persons if p.id == person_id), None)
    return max(person.party_ids) if person is not None and person.party_ids else None


def add_picked_party(desk: Any, case_id: int, version: int, *, person_id: int, role: str) -> Done | Conflict:
    """Add a known person to the case as a party in `role` (audited `party.add`, its own transaction).

    The party copies the person's name and contact points (what this case records of them)."""
    check_choice("role", role, vocab.PARTY_ROLES)
    with desk.session() as session:
        person = _person(session, person_id, "party")
        details = {"name": person.name, "email": person.email, "phone": person.phone, "address": person.address}
    return save_party(desk, case_id, version, person_id=person_id, role=role,
                      **{k: v for k, v in details.items() if v})


def working_case(desk: Any, person_id: int, ref: Optional[str] = None) -> CaseView:
    """The case a change to a person is recorded from: `ref` if given, else the person's newest open case
    (their newest case when none is open). One clear line when the person has no case."""
    from deskapp.actions.lookup import case_by_reference
    from deskapp.actions.pane_reads import load_case
    from deskapp.actions.person_search import cases_of_person
    from deskapp.errors import DeskError

    if ref:
        return case_by_reference(desk, ref)
    with desk.session() as session:
        require(desk, "case.view", session=session)
        _person(session, person_id, "person")
    cases = cases_of_person(desk, person_id, limit=1)
    if not cases:
        raise DeskError(f"person {person_id} is on no case: give --case REF")
    return load_case(desk, cases[0].case_id)


def arrangement_person(desk: Any, arrangement_id: int) -> int:
    """Whose arrangement this is (person id); InvalidInput when there is none."""
    from deskapp.store.models import Arrangement

    with desk.session() as session:
        require(desk, "case.view", session=session)
        row = session.get(Arrangement, arrangement_id)
        if row is None:
            raise InvalidInput("arrangement", f"arrangement {arrangement_id} does not exist")
        return int(row.person_id)
