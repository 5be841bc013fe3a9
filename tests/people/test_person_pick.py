"""A person picked in a form from another case: the rules see them as a party of this case before anything is
written (their designated representative warns on the second case, a namesake does not), and adding them is
an audited party.add. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from deskapp.actions import ActionRequest, Done, NeedsReason, load_case, preview, submit
from deskapp.actions.person_pick import add_picked_party, party_of_person, prospective_case
from deskapp.actions.people import record_arrangement
from deskapp.actions.validate import InvalidInput
from deskapp.store.models import AuditEvent, Party

from .conftest import add_person

STAND_IN = -1


def state(engine) -> dict:
    with engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
                for t in ("parties", "persons", "audit_events", "cases")}


@pytest.fixture
def story(team, engine):
    """Arthur (two cases) with Nadia recorded on his first case as his designated representative; a third
    case of someone else's, where the handler is about to contact Arthur."""
    sam = team["sam"]
    arthur, arthur_cases = add_person(engine, "Arthur Penrose", phone="07700 900412", cases=2)
    nadia, _ = add_person(engine, "Nadia Kowalski", cases=0)
    case = load_case(sam, arthur_cases[0])
    done = record_arrangement(sam, case.id, case.version, person_id=arthur, representative_id=nadia,
                              authorised_by="Arthur Penrose", evidence_note="signed consent form")
    assert isinstance(done, Done)
    _other, other_cases = add_person(engine, "Helen Marsh", cases=1)
    return sam, arthur, arthur_cases, other_cases[0]


def contact(case, party_id: int) -> ActionRequest:
    return ActionRequest(kind="contact", case_id=case.id, version=case.version, channel="phone", direction="out",
                         party_id=party_id, outcome="reached", summary="About the repair")


def test_the_picked_person_brings_their_representative_to_the_live_check(story):
    sam, arthur, arthur_cases, here = story
    case = load_case(sam, here)
    seen = prospective_case(sam, case, {STAND_IN: (arthur, "resident")})
    assert [p.name for p in seen.parties][-1] == "Arthur Penrose" and seen.party(STAND_IN).role == "resident"
    warned = [f for f in preview(sam, seen, contact(seen, STAND_IN)) if f.rule == "person-designated-representative"]
    assert warned and warned[0].severity == "warn"
    assert f"P-{arthur}-0" in warned[0].message and "Nadia Kowalski" in warned[0].message
    assert prospective_case(sam, case, {}) is case


def test_a_namesake_from_another_case_brings_nothing(story, engine):
    sam, _arthur, _cases, here = story
    namesake, _ = add_person(engine, "Arthur Penrose", phone="020 7946 0999", cases=1)
    case = load_case(sam, here)
    seen = prospective_case(sam, case, {STAND_IN: (namesake, "resident")})
    assert not [f for f in preview(sam, seen, contact(seen, STAND_IN)) if f.rule.startswith("person-")]


def test_adding_the_picked_person_is_an_audited_party_add_then_the_action_warns(story, engine):
    sam, arthur, _cases, here = story
    case = load_case(sam, here)
    done = add_picked_party(sam, case.id, case.version, person_id=arthur, role="resident")
    assert isinstance(done, Done) and done.case.version == case.version + 1
    party_id = party_of_person(done.case, arthur)
    with Session(engine) as s:
        party = s.get(Party, party_id)
        event = s.get(AuditEvent, done.audit_id)
    assert (party.person_id, party.name, party.role, party.phone) == (arthur, "Arthur Penrose", "resident",
                                                                      "+447700900412")
    assert event.action == "party.add" and event.detail["party_id"] == party_id
    outcome = submit(sam, contact(done.case, party_id))
    assert isinstance(outcome, NeedsReason)
    assert "person-designated-representative" in [f.rule for f in outcome.findings]


@pytest.mark.parametrize("person, role, field", [(999_999, "resident", "party"), (None, "landlord", "role")])
def test_bad_picks_are_one_field_and_write_nothing(story, engine, person, role, field):
    sam, arthur, _cases, here = story
    case = load_case(sam, here)
    before = state(engine)
    for attempt in (lambda: prospective_case(sam, case, {STAND_IN: (person or arthur, role)}),
                    lambda: add_picked_party(sam, case.id, case.version, person_id=person or arthur, role=role)):
        with pytest.raises(InvalidInput) as caught:
            attempt()
        assert caught.value.field == field and "\n" not in str(caught.value)
    assert state(engine) == before


def test_a_stale_case_is_a_conflict_and_adds_nobody(story, engine):
    sam, arthur, _cases, here = story
    case = load_case(sam, here)
    submit(sam, ActionRequest(kind="note", case_id=case.id, version=case.version, body="someone else was quicker"))
    outcome = add_picked_party(sam, case.id, case.version, person_id=arthur, role="resident")
    assert type(outcome).__name__ == "Conflict"
    with Session(engine) as s:
        assert s.execute(select(Party).where(Party.case_id == here, Party.person_id == arthur)).first() is None
