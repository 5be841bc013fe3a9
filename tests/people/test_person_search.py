"""Finding persons across cases: name, phone in any format, email, postcode or case ref; their cases, open first."""

from __future__ import annotations

from sqlmodel import Session

from deskapp.actions.person_search import cases_of_person, find_persons
from deskapp.store.models import Person

from .conftest import add_person


def test_a_person_is_found_by_every_way_a_caller_identifies_themselves(team, engine):
    arthur, cases = add_person(engine, "Arthur Penrose", phone="07700 900412", email="a.penrose@example.org",
                               address="Flat 4, Linden Court, Northvale NV3 2LP", cases=3)
    add_person(engine, "Maria Penrose", phone="07700 900999")
    sam = team["sam"]
    for typed, how in (("+44 7700 900412", "phone"), ("07700900412", "phone"), ("A.Penrose@EXAMPLE.org", "email"),
                       ("Arthur Penrose", "name"), ("penrose, arthur", "name"), ("nv3 2lp", "place"),
                       (f"p-{arthur}-1", "case")):
        hits = find_persons(sam, typed)
        assert hits and hits[0].id == arthur and hits[0].matched == how, (typed, hits)
    top = find_persons(sam, "07700 900412")[0]
    assert (top.name, top.cases, top.open_cases) == ("Arthur Penrose", 3, 1)


def test_a_surname_lists_everyone_of_that_name_best_match_first(team, engine):
    arthur, _ = add_person(engine, "Arthur Penrose")
    maria, _ = add_person(engine, "Maria Penrose")
    add_person(engine, "Arthur Pendle")
    hits = find_persons(team["sam"], "Maria Penrose")
    assert [h.id for h in hits] == [maria, arthur]
    assert [h.matched for h in hits] == ["name", "surname"]


def test_merged_persons_are_not_found(team, engine):
    arthur, _ = add_person(engine, "Arthur Penrose", phone="07700 900412")
    twin, _ = add_person(engine, "A Penrose", phone="07700 900412")
    with Session(engine) as s, s.begin():
        s.get(Person, twin).merged_into_id = arthur
    assert [h.id for h in find_persons(team["sam"], "07700 900412")] == [arthur]
    assert find_persons(team["sam"], "no such person at all") == []
    assert find_persons(team["sam"], "") == []


def test_a_persons_cases_come_open_first(team, engine):
    arthur, cases = add_person(engine, "Arthur Penrose", cases=3)
    listed = cases_of_person(team["sam"], arthur)
    assert [c.case_id for c in listed][0] == cases[0] and listed[0].open
    assert {c.case_id for c in listed} == set(cases) and not any(c.open for c in listed[1:])


def test_persons_brought_in_by_an_import_are_found(team, engine, db_url, tmp_path, capsys, desk_setting):
    """`deskapp import` writes persons with a Core insert (no ORM events): it keys them itself."""
    import json

    from .conftest import run_cli

    path = tmp_path / "old.json"
    path.write_text(json.dumps({"source": "OldCRM", "cases": [
        {"external_ref": "J-1", "kind": "complaint", "title": "Damp", "received_at": "2026-03-01T08:15:00",
         "parties": [{"name": "Lee Price", "role": "resident", "phone": "07700 900111"}]}]}), encoding="utf-8")
    desk_setting(db_url, "demo", "1")
    code, out, err = run_cli("--as", "ada", "import", str(path), "--db", db_url, capsys=capsys)
    assert code == 0, err
    hits = find_persons(team["sam"], "+44 7700 900111")
    assert [(h.name, h.matched) for h in hits] == [("Lee Price", "phone")]
