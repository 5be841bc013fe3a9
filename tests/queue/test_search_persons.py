"""The desk's `/` search finds persons too: a phone in any format, an email, a postcode or a full name also
yields the cases of the persons it reads as - a ref still comes first, closed cases after open ones.
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from deskapp.actions import new_case
from deskapp.store.models import Case
from deskapp.store.queue import Queue, QueueFilter
from deskapp.store.search import find

from supervision.conftest import team  # noqa: F401 (desks on SQLite and PostgreSQL)

NOW = datetime(2026, 3, 10, 11, 0)


def _search(engine, text):
    queue = Queue(engine, QueueFilter(search=text, open_only=False, closed_last=True), "relevance", NOW)
    return [r.ref for r in queue.rows(0, queue.count())], queue


def _lee(sam):
    """Lee Price's three cases: only the first records his phone and email on the party; one is closed."""
    first = new_case(sam, kind="complaint", category="repairs", title="Damp", received_at=datetime(2026, 3, 2, 9),
                     party={"role": "resident", "name": "Lee Price", "phone": "07700 900412",
                            "email": "Lee.Price@Example.org", "address": "4 Linden Court, Leeds LS6 2AB"})
    lee = first.person_of(first.parties[0].id).id
    later = [new_case(sam, kind="complaint", category="repairs", title=title, received_at=datetime(2026, 3, d, 9),
                      party={"role": "customer", "name": name}, person_id=lee)
             for d, title, name in ((5, "Old boiler", "Mr L Price"), (9, "Cold radiator", "Lee"))]
    return first, later[0], later[1], lee


def test_a_phone_in_another_format_finds_every_case_of_the_person(team, engine):
    first, closed, newest, lee = _lee(team["sam"])
    with Session(engine) as s, s.begin():
        s.get(Case, closed.id).status = "closed"
    other = new_case(team["sam"], kind="enquiry", category="rent", title="Rent", received_at=datetime(2026, 3, 9, 10),
                     party={"role": "customer", "name": "Joan Smith", "phone": "07700 900999"})
    refs, queue = _search(engine, "+44 7700 900412")
    assert refs == [newest.ref, first.ref, closed.ref], "his cases, open newest first, the closed one last"
    assert queue.persons == (lee,)
    assert other.ref not in refs
    refs, _ = _search(engine, "lee.price@example.org")
    assert set(refs) == {first.ref, closed.ref, newest.ref}


def test_a_full_name_and_a_postcode_find_the_persons_cases(team, engine):
    first, older, newest, lee = _lee(team["sam"])
    namesake = new_case(team["sam"], kind="complaint", category="repairs", title="Fence",
                        received_at=datetime(2026, 3, 9, 11), party={"role": "customer", "name": "Lisa Price"})
    refs, queue = _search(engine, "Lee Price")
    assert set(refs) == {first.ref, older.ref, newest.ref}  # "Lee" and "Mr L Price" too: they are him
    assert namesake.ref not in refs and queue.persons == (lee,)
    refs, queue = _search(engine, "LS6 2AB")
    assert set(refs) == {first.ref, older.ref, newest.ref} and queue.persons == (lee,)


def test_a_ref_comes_first_and_reads_as_no_person(team, engine):
    first, older, newest, _lee_id = _lee(team["sam"])
    refs, queue = _search(engine, newest.ref)
    assert refs[0] == newest.ref and queue.persons == ()


def test_words_that_are_no_person_change_nothing(team, engine):
    _lee(team["sam"])
    refs, queue = _search(engine, "boiler")
    assert len(refs) == 1 and queue.persons == ()
    with engine.connect() as conn:
        assert find(conn, "07700 900412", persons=False).persons == ()


def test_a_phone_many_persons_share_names_the_first_few_and_says_there_are_more(team, engine, monkeypatch):
    from deskapp.store import people_index

    monkeypatch.setattr(people_index, "QUEUE_PERSONS", 2)
    for n in range(3):
        new_case(team["sam"], kind="enquiry", category="rent", title=f"Rent {n}", received_at=datetime(2026, 3, 9, 9),
                 party={"role": "customer", "name": f"Tenant {n}", "phone": "07700 900555"})
    with engine.connect() as conn:
        hits = find(conn, "+44 7700 900555")
        assert len(hits.persons) == 2 and hits.more_persons
        assert len(hits.ids) == 2  # the persons listed; the text itself matches no party's phone as typed


def test_an_erased_case_is_no_longer_found_through_its_person(team, engine):
    from deskapp.actions import load_case
    from deskapp.actions.erasure import erase_case

    first, older, newest, _lee_id = _lee(team["sam"])
    erase_case(team["ada"], older.ref, "erasure request 7")
    refs, queue = _search(engine, "+44 7700 900412")
    assert older.ref not in refs and set(refs) == {first.ref, newest.ref}
    assert older.ref not in [c.ref for c in load_case(team["sam"], first.id).other_cases]
