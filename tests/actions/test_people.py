"""People across cases: a designated representative and vulnerability recorded on the PERSON carry to
every case of theirs - and not to someone else who merely shares the name. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from deskapp.actions import (
    ActionRequest,
    Done,
    InvalidInput,
    NeedsReason,
    end_arrangement,
    load_case,
    new_case,
    open_desk,
    preview,
    record_arrangement,
    save_party,
    set_vulnerability,
    standing,
    submit,
)
from deskapp.store.handlers import add_handler
from deskapp.store.models import Arrangement, AuditEvent, Person
from deskapp.supervision.verify import verify

NOW = datetime(2026, 3, 10, 11, 0)
RULE = "person-designated-representative"


@pytest.fixture
def sam(engine, published, db_url):
    add_handler(engine, "sam", "handler", "Sam Reid")
    desk = open_desk(db_url, None, "sam", clock=lambda: NOW)
    yield desk
    desk.close()


def _party(case, name, role=None):
    return next(p for p in case.parties if p.name == name and (role is None or p.role == role))


@pytest.fixture
def first(sam):
    """Lee Price's first case: Dana Hill (social services) recorded on LEE as his designated representative."""
    case = new_case(sam, kind="complaint", category="repairs", title="Damp", received_at=datetime(2026, 3, 2, 9),
                    party={"role": "resident", "name": "Lee Price", "phone": "07700 900412"})
    case = save_party(sam, case.id, case.version, role="representative", name="Dana Hill",
                      organisation="Social services").case
    lee, dana = case.person_of(_party(case, "Lee Price").id), case.person_of(_party(case, "Dana Hill").id)
    done = record_arrangement(sam, case.id, case.version, person_id=lee.id, representative_id=dana.id,
                              authorised_by="Lee Price", starts_at=datetime(2026, 3, 3, 9),
                              evidence_note="Signed consent form, held by social services")
    assert isinstance(done, Done)
    return done.case


def _second(sam, first, name="Lee Price", same_person=True):
    lee = first.person_of(_party(first, "Lee Price").id)
    return new_case(sam, kind="complaint", category="repairs", title="Cold radiator",
                    received_at=datetime(2026, 3, 9, 9), party={"role": "resident", "name": name},
                    person_id=lee.id if same_person else None)


def _phone(case, party):
    return ActionRequest(kind="contact", case_id=case.id, version=case.version, channel="phone", direction="out",
                         party_id=party.id, outcome="reached", summary="Rang about the radiator")


def test_the_warning_fires_on_the_same_persons_second_case(sam, first, engine):
    second = _second(sam, first)
    assert second.designated_representative is None, "nobody is marked designated on the second case"
    outcome = submit(sam, _phone(second, _party(second, "Lee Price")))
    assert isinstance(outcome, NeedsReason)
    finding = next(f for f in outcome.findings if f.rule == RULE)
    assert finding.severity == "warn"
    assert "Dana Hill (Social services)" in finding.message
    assert f"designated by Lee Price on {first.ref}, Tue 3 Mar 2026, until withdrawn" in finding.message
    advice = [f for f in standing(sam, second).findings if f.rule == "person-arrangements"]
    assert advice and f"on {first.ref}" in advice[0].message, "the sidebar says where it came from"


def test_a_different_person_with_the_same_name_is_not_warned_about(sam, first):
    other = _second(sam, first, same_person=False)
    lee = first.person_of(_party(first, "Lee Price").id)
    assert other.persons[0].id != lee.id
    findings = preview(sam, other, _phone(other, _party(other, "Lee Price")))
    assert RULE not in [f.rule for f in findings]
    assert isinstance(submit(sam, _phone(other, _party(other, "Lee Price"))), Done)


def test_on_the_first_case_the_case_rule_speaks_once(sam, first):
    case = save_party(sam, first.id, first.version, party_id=_party(first, "Dana Hill").id, designated=True).case
    rules = [f.rule for f in preview(sam, case, _phone(case, _party(case, "Lee Price")))]
    assert "designated-representative" in rules and RULE not in rules
    assert RULE not in [f.rule for f in preview(sam, case, _phone(case, _party(case, "Dana Hill")))]


def test_vulnerability_on_the_person_shows_on_all_their_cases(sam, first):
    second = _second(sam, first)
    lee = first.person_of(_party(first, "Lee Price").id)
    done = set_vulnerability(sam, first.id, first.version, person_id=lee.id, vulnerable=True,
                             reason="Recently bereaved", review=datetime(2026, 6, 1))
    assert isinstance(done, Done)
    again = load_case(sam, second.id)
    assert not again.vulnerable and [p.name for p in again.vulnerable_persons] == ["Lee Price"]
    assert again.person_of(_party(again, "Lee Price").id).open_cases == 2
    advice = next(f for f in standing(sam, again).findings if f.rule == "person-vulnerable")
    assert "Lee Price is vulnerable: Recently bereaved" in advice.message


def test_an_ended_arrangement_no_longer_warns(sam, first):
    second = _second(sam, first)
    arrangement = load_case(sam, first.id).persons[0].arrangements[0]
    assert isinstance(end_arrangement(sam, first.id, first.version, arrangement_id=arrangement.id), Done)
    second = load_case(sam, second.id)
    assert RULE not in [f.rule for f in preview(sam, second, _phone(second, _party(second, "Lee Price")))]


def test_bad_input_is_one_line_and_writes_nothing(sam, first, engine):
    lee = first.person_of(_party(first, "Lee Price").id)
    dana = first.person_of(_party(first, "Dana Hill").id)

    def rows():
        with Session(engine) as s:
            return (s.execute(select(func.count()).select_from(Arrangement)).scalar_one(),
                    s.execute(select(func.count()).select_from(AuditEvent)).scalar_one())

    before = rows()
    cases = [
        (dict(person_id=lee.id, representative_id=lee.id, authorised_by="Lee"), "^representative: .*own"),
        (dict(person_id=lee.id, representative_id=dana.id, authorised_by=" "), "^authorised_by:"),
        (dict(person_id=lee.id, representative_id=dana.id, authorised_by="Lee", evidence_note=None), "^evidence:"),
        (dict(person_id=lee.id, representative_id=9999, authorised_by="Lee"), "^representative: person 9999"),
        (dict(person_id=9999, representative_id=dana.id, authorised_by="Lee"), "^person: person 9999 is not on"),
        (dict(person_id=lee.id, representative_id=dana.id, authorised_by="Lee", kind="friend"), "^kind:"),
    ]
    for kw, message in cases:
        kw.setdefault("evidence_note", "form")
        with pytest.raises(InvalidInput, match=message):
            record_arrangement(sam, first.id, first.version, **kw)
    with pytest.raises(InvalidInput, match="^reason:"):
        set_vulnerability(sam, first.id, first.version, person_id=lee.id, vulnerable=True, reason="")
    with pytest.raises(InvalidInput, match="^person:"):
        new_case(sam, kind="complaint", category="x", title="t", party={"name": "Lee"}, person_id=9999)
    assert rows() == before


def test_every_write_is_audited_and_verifies(sam, first, engine):
    second = _second(sam, first)
    lee = first.person_of(_party(first, "Lee Price").id)
    set_vulnerability(sam, second.id, second.version, person_id=lee.id, vulnerable=True, reason="Bereaved")
    with Session(engine) as s:
        actions = [a for (a,) in s.execute(select(AuditEvent.action).order_by(AuditEvent.id))]
        person = s.get(Person, lee.id)
    assert {"person.arrangement", "person.vulnerability"} <= set(actions)
    assert person.phone == "+447700900412" and person.phone_valid
    report = verify(engine)
    assert report.ok, report.problems()
    assert report.rows.checked["persons"] >= 2 and report.rows.checked["person_arrangements"] == 1


def test_erasing_a_case_takes_only_the_persons_on_no_other_case(sam, first, engine, db_url):
    from deskapp.actions.erasure import erase_case
    from deskapp.core.rowdigest import TOMBSTONE

    second = _second(sam, first)
    lee = first.person_of(_party(first, "Lee Price").id)
    dana = first.person_of(_party(first, "Dana Hill").id)
    add_handler(engine, "ada", "admin", "Ada Admin")
    admin = open_desk(db_url, None, "ada", clock=lambda: NOW)
    try:
        erase_case(admin, first.ref, "Erasure request DP-9 for the first case")
    finally:
        admin.close()
    with Session(engine) as s:
        kept, gone = s.get(Person, lee.id), s.get(Person, dana.id)
        arrangement = s.execute(select(Arrangement)).scalar_one()
    assert kept.name == "Lee Price" and kept.erased_at is None, "Lee is still on the second case"
    assert gone.name == TOMBSTONE and gone.erased_at is not None
    assert arrangement.evidence_note == TOMBSTONE and arrangement.authorised_by == TOMBSTONE
    assert load_case(sam, second.id).persons[0].name == "Lee Price"
    report = verify(engine)
    assert report.ok, report.problems()
