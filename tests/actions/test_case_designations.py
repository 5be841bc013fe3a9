"""A designated representative marked on a case (the party form) is recorded on the case's subject as a
person arrangement in the same transaction, so the rule fires on the person's other cases and names the
case it came from - and not on a namesake. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import (ActionRequest, Done, NeedsReason, load_case, new_case, open_desk, preview, save_party,
                            standing, submit)
from deskapp.store.handlers import add_handler
from deskapp.store.models import Arrangement, AuditEvent
from deskapp.supervision.verify import verify

NOW = datetime(2026, 3, 10, 11, 0)
RULE = "person-designated-representative"


def _party(case, name):
    return next(p for p in case.parties if p.name == name)


def _phone(case, party):
    return ActionRequest(kind="contact", case_id=case.id, version=case.version, channel="phone", direction="out",
                         party_id=party.id, outcome="reached", summary="Rang about the radiator")


@pytest.fixture
def sam(engine, published, db_url):
    add_handler(engine, "sam", "handler", "Sam Reid")
    desk = open_desk(db_url, None, "sam", clock=lambda: NOW)
    yield desk
    desk.close()


def _arrangements(engine):
    with Session(engine) as s:
        return list(s.execute(select(Arrangement).order_by(Arrangement.id)).scalars())


@pytest.fixture
def case_a(sam):
    """Lee Price's case A: Dana Hill (social services) marked designated on the CASE, in the party form."""
    case = new_case(sam, kind="complaint", category="repairs", title="Damp", received_at=datetime(2026, 3, 2, 9),
                    party={"role": "resident", "name": "Lee Price", "phone": "07700 900412"})
    done = save_party(sam, case.id, case.version, role="representative", name="Dana Hill",
                      organisation="Social services", designated=True)
    assert isinstance(done, Done)
    return done.case


def test_marking_a_party_designated_records_it_on_the_case_subject(sam, case_a, engine):
    lee, dana = (case_a.person_of(_party(case_a, n).id) for n in ("Lee Price", "Dana Hill"))
    [row] = _arrangements(engine)
    assert (row.person_id, row.representative_id, row.kind, row.case_id) == (lee.id, dana.id, "designated",
                                                                             case_a.id)
    assert row.authorised_by == "the case record" and case_a.ref in row.evidence_note
    assert row.recorded_by_id == sam.me.id and row.ended_at is None
    with Session(engine) as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "party.add")
                          .order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert event.detail["arrangement_id"] == row.id and event.detail["person_id"] == lee.id, "one event, one write"
    report = verify(engine)
    assert report.ok, report.problems()


def test_the_rule_fires_on_the_persons_other_case_naming_case_a(sam, case_a):
    lee = case_a.person_of(_party(case_a, "Lee Price").id)
    case_b = new_case(sam, kind="complaint", category="repairs", title="Cold radiator",
                      received_at=datetime(2026, 3, 9, 9), party={"role": "resident", "name": "Lee Price"},
                      person_id=lee.id)
    assert case_b.designated_representative is None, "nobody is marked designated on case B"
    outcome = submit(sam, _phone(case_b, _party(case_b, "Lee Price")))
    assert isinstance(outcome, NeedsReason)
    finding = next(f for f in outcome.findings if f.rule == RULE)
    assert "Dana Hill (Social services)" in finding.message
    assert f"designated by the case record on {case_a.ref}, Tue 10 Mar 2026" in finding.message
    advice = [f for f in standing(sam, case_b).findings if f.rule == "person-arrangements"]
    assert advice and f"on {case_a.ref}" in advice[0].message, "the sidebar names the source case"
    # On case A itself the case's own rule speaks, once.
    rules = [f.rule for f in preview(sam, case_a, _phone(case_a, _party(case_a, "Lee Price")))]
    assert "designated-representative" in rules and RULE not in rules


def test_a_namesake_on_another_case_is_not_warned_about(sam, case_a):
    other = new_case(sam, kind="complaint", category="repairs", title="Cold radiator",
                     received_at=datetime(2026, 3, 9, 9), party={"role": "resident", "name": "Lee Price"})
    assert other.persons[0].id != case_a.person_of(_party(case_a, "Lee Price").id).id
    assert RULE not in [f.rule for f in preview(sam, other, _phone(other, _party(other, "Lee Price")))]
    assert isinstance(submit(sam, _phone(other, _party(other, "Lee Price"))), Done)


def test_saving_the_designated_party_again_does_not_duplicate_and_unmarking_ends_it(sam, case_a, engine):
    dana = _party(case_a, "Dana Hill")
    case = save_party(sam, case_a.id, case_a.version, party_id=dana.id, designated=True, notes="Mon-Wed").case
    assert len(_arrangements(engine)) == 1
    case = save_party(sam, case.id, case.version, party_id=dana.id, designated=False).case
    [row] = _arrangements(engine)
    assert row.ended_at == NOW and row.ends_at == NOW
    assert verify(engine).ok


def test_a_new_designation_on_the_case_replaces_the_persons_one(sam, case_a, engine):
    case = save_party(sam, case_a.id, case_a.version, role="representative", name="Sol Ray",
                      organisation="Advocacy", designated=True).case
    old, new = _arrangements(engine)
    assert old.ended_at == NOW and new.ended_at is None
    assert new.representative_id == case.person_of(_party(case, "Sol Ray").id).id
    assert not _party(load_case(sam, case.id), "Dana Hill").designated, "the case keeps one designated party"


def test_the_subject_added_after_the_representative_gets_the_arrangement(sam, engine):
    case = new_case(sam, kind="complaint", category="repairs", title="Damp",
                    party={"role": "representative", "name": "Dana Hill", "designated": True})
    assert _arrangements(engine) == [], "no one yet for Dana to act for"
    case = save_party(sam, case.id, case.version, role="resident", name="Lee Price").case
    [row] = _arrangements(engine)
    assert row.person_id == case.person_of(_party(case, "Lee Price").id).id
    assert verify(engine).ok
