"""The case view lists, per person on the case, their OTHER cases: open first, newest first, the first few and
how many in all; a person in two roles on one case counts it once. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event

from deskapp.actions import load_case, new_case, save_party
from deskapp.actions.person_reads import OTHER_SHOWN
from deskapp.store.models import Case
from sqlmodel import Session


def _case(sam, title, day, person=None, name="Lee Price"):
    return new_case(sam, kind="complaint", category="repairs", title=title, received_at=datetime(2026, 3, day, 9),
                    party={"role": "resident", "name": name}, person_id=person)


def _close(engine, *case_ids):
    with Session(engine) as s, s.begin():
        for case_id in case_ids:
            s.get(Case, case_id).status = "closed"


def test_other_cases_open_first_newest_first_then_how_many_more(team, engine):
    sam = team["sam"]
    here = _case(sam, "Here", 2)
    lee = here.person_of(here.parties[0].id).id
    older = [_case(sam, f"Old {d}", d, lee) for d in (3, 4, 5, 6)]
    newer = [_case(sam, f"New {d}", d, lee) for d in (7, 8)]
    _close(engine, newer[1].id)
    namesake = _case(sam, "Namesake", 9)  # same name, another person: not his
    view = load_case(sam, here.id)
    (person,) = view.persons
    assert person.other_total == 6
    assert [c.ref for c in person.other_cases] == [newer[0].ref, *[c.ref for c in reversed(older)]][:OTHER_SHOWN]
    assert all(c.open for c in person.other_cases)  # the closed one is last, past the five shown
    assert namesake.ref not in [c.ref for c in view.other_cases]
    assert person.other_cases[0].role == "resident" and person.other_cases[0].title == "New 7"
    assert load_case(sam, namesake.id).persons[0].other_total == 0


def test_two_roles_on_one_case_count_once_and_both_persons_are_listed(team, engine):
    sam = team["sam"]
    here = _case(sam, "Here", 2)
    lee = here.person_of(here.parties[0].id).id
    there = _case(sam, "There", 3, lee)
    save_party(sam, there.id, there.version, role="third_party", name="Lee Price", person_id=lee)
    here = save_party(sam, here.id, load_case(sam, here.id).version, role="representative",
                      name="Dana Hill").case
    dana = next(p for p in here.persons if p.name == "Dana Hill")
    view = load_case(sam, here.id)
    lee_view = next(p for p in view.persons if p.id == lee)
    assert lee_view.other_total == 1 and [c.ref for c in lee_view.other_cases] == [there.ref]
    assert next(p for p in view.persons if p.id == dana.id).other_total == 0
    assert [c.ref for c in view.other_cases] == [there.ref]


def test_one_query_reads_the_other_cases(team, engine):
    sam = team["sam"]
    here = _case(sam, "Here", 2)
    lee = here.person_of(here.parties[0].id).id
    for d in range(3, 10):
        _case(sam, f"Case {d}", d, lee)
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(sam.engine, "before_cursor_execute", count)
    try:
        load_case(sam, here.id)
    finally:
        event.remove(sam.engine, "before_cursor_execute", count)
    assert sum("row_number()" in s.lower() for s in seen) == 1
