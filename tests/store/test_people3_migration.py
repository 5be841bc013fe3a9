"""people3: each case's designated representative (parties.designated) becomes a person arrangement, so
the rule fires on the person's other cases; downgrade removes only what it made. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlmodel import Session

from deskapp.store import migrate
from deskapp.store.models import Arrangement, Case, Party, Person
from deskapp.supervision.verify import verify

NOW = datetime(2026, 3, 10, 11, 0)
TODAY = date(2026, 3, 10)
RULE = "person-designated-representative"
MADE = ("SELECT id, person_id, representative_id, case_id, authorised_by, evidence_note, starts_at, recorded_by_id "
        "FROM person_arrangements WHERE recorded_by_id IS NULL AND evidence_note LIKE '%migration people3' "
        "ORDER BY id")


def _to(engine, revision, down=False):
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def _rows(engine, sql):
    with engine.connect() as conn:
        return conn.execute(text(sql)).all()


def _all(engine):
    return _rows(engine, "SELECT id, person_id, representative_id, case_id, ended_at FROM person_arrangements "
                         "ORDER BY id")


def test_on_a_small_demo_up_down_and_up_again_and_the_chain_verifies(engine):
    from deskapp.demo.load import fill_demo

    fill_demo(engine, cases=60, seed=1, today=TODAY, me="sam")
    _to(engine, "people2", down=True)
    before = _all(engine)  # the demo's own arrangements (its stories record some on persons)
    _to(engine, "head")
    made = _rows(engine, MADE)
    assert made, "the demo has generated cases with a designated representative"
    with Session(engine) as s:
        for row in made:
            parties = {p.id: p for p in s.execute(select(Party).where(Party.case_id == row.case_id)).scalars()}
            rep = [p for p in parties.values() if p.designated]
            assert row.representative_id in {p.person_id for p in rep}
            subject = next(p for p in parties.values() if p.person_id == row.person_id)
            assert subject.role in ("resident", "customer") and not subject.designated
            starts = s.get(Arrangement, row.id).starts_at
            assert starts == min(p.created_at for p in rep if p.person_id == row.representative_id)
            ref = s.get(Case, row.case_id).ref
            assert row.authorised_by == "the case record" and ref in row.evidence_note
    persons = [r.person_id for r in made]
    assert len(persons) == len(set(persons)), "one arrangement per person at most"
    already = {r.person_id for r in before if r.ended_at is None}
    assert not already & set(persons), "a person with a designated representative in force keeps theirs"
    report = verify(engine)
    assert report.ok, report.problems()

    _to(engine, "people2", down=True)
    assert _all(engine) == before, "downgrade removes only what it made"
    report = verify(engine)
    assert report.ok, report.problems()
    _to(engine, "head")
    assert [r[1:] for r in _rows(engine, MADE)] == [r[1:] for r in made]
    assert verify(engine).ok


def _seed(engine):
    """At head, written straight to the store as data from before persons carried designations: Lee Price
    (cases A and B) with Dana Hill designated on A only; a namesake on case C; a case whose designated
    party has no person; a person who already has a designated representative recorded on them."""
    from deskapp.actions import audit

    with Session(engine, expire_on_commit=False) as s, s.begin():
        def person(name):
            row = Person(name=name)
            s.add(row)
            s.flush()
            return row.id

        def case(ref, *parties):
            row = Case(ref=ref, title=f"case {ref}", received_at=datetime(2026, 3, 2, 9), status="investigating")
            s.add(row)
            s.flush()
            for role, name, person_id, designated in parties:
                s.add(Party(case_id=row.id, person_id=person_id, role=role, name=name, designated=designated,
                            created_at=datetime(2026, 3, 3, 9)))
            return row.id

        lee, dana, namesake, ann, sol, kim = (person(n) for n in ("Lee Price", "Dana Hill", "Lee Price", "Ann Lee",
                                                                   "Sol Ray", "Kim Oh"))
        ids = {
            "A": case("A-1", ("resident", "Lee Price", lee, False), ("representative", "Dana Hill", dana, True)),
            "B": case("B-1", ("resident", "Lee Price", lee, False)),
            "C": case("C-1", ("resident", "Lee Price", namesake, False)),
            "D": case("D-1", ("customer", "Kim Oh", kim, False), ("representative", "Nobody", None, True)),
            "E": case("E-1", ("customer", "Ann Lee", ann, False), ("representative", "Dana Hill", dana, True)),
        }
        s.add(Arrangement(person_id=ann, representative_id=sol, kind="designated", authorised_by="Ann Lee",
                          evidence_note="signed form", created_at=NOW))
        s.flush()
        audit.append(s, actor="seed", action="seed", at=NOW)
    return ids, {"lee": lee, "dana": dana, "namesake": namesake, "ann": ann, "kim": kim}


def test_the_rule_fires_on_the_persons_other_case_and_not_on_a_namesake(engine, db_url):
    from deskapp.actions import Done, NeedsReason, open_desk, preview, load_case, submit
    from deskapp.actions import ActionRequest
    from deskapp.actions.policies import publish_default
    from deskapp.store.handlers import add_handler

    ids, who = _seed(engine)
    _to(engine, "people2", down=True)
    _to(engine, "head")
    made = _rows(engine, MADE)
    assert [(r.person_id, r.representative_id, r.case_id) for r in made] == [(who["lee"], who["dana"], ids["A"])]
    assert verify(engine).ok

    publish_default(engine, "setup")
    add_handler(engine, "sam", "handler", "Sam Reid")
    desk = open_desk(db_url, None, "sam", clock=lambda: NOW)
    try:
        def phone(case_id):
            case = load_case(desk, case_id)
            party = next(p for p in case.parties if p.name == "Lee Price")
            return case, ActionRequest(kind="contact", case_id=case.id, version=case.version, channel="phone",
                                       direction="out", party_id=party.id, outcome="reached", summary="Rang")

        case_b, request = phone(ids["B"])
        outcome = submit(desk, request)
        assert isinstance(outcome, NeedsReason)
        finding = next(f for f in outcome.findings if f.rule == RULE)
        assert "Dana Hill" in finding.message and "designated by the case record on A-1, Tue 3 Mar 2026" in \
            finding.message
        case_c, request = phone(ids["C"])
        assert RULE not in [f.rule for f in preview(desk, case_c, request)]
        assert isinstance(submit(desk, request), Done), "the namesake is phoned without a word"
    finally:
        desk.close()

    _to(engine, "people2", down=True)
    assert _rows(engine, MADE) == []
    assert len(_all(engine)) == 1, "Ann's own arrangement stays"
    report = verify(engine)
    assert report.ok, report.problems()
