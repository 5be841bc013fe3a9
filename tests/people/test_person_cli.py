"""`deskapp person arrangement add|end` and `deskapp person vulnerable`: the desk's actions from a script, on the
person's newest open case by default; bad input is one line, exit 2, nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from deskapp.store.models import Arrangement, AuditEvent, Person

from .conftest import add_person, run_cli


def state(engine) -> dict:
    with engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
                for t in ("persons", "person_arrangements", "audit_events", "cases")}


@pytest.fixture
def arthur(engine, db_url, desk_setting):
    """Arthur on two cases (the first open, the second closed) and Nadia, who will represent him. (A demo desk,
    so `--as` may name the handler.)"""
    desk_setting(db_url, "demo", "1")
    person, cases = add_person(engine, "Arthur Penrose", phone="07700 900412", cases=2)
    rep, _ = add_person(engine, "Nadia Kowalski", cases=1)
    return person, cases, rep


def test_an_arrangement_from_the_command_line_holds_on_his_other_case(team, engine, db_url, arthur, capsys):
    from deskapp.actions import load_case, standing

    person, cases, rep = arthur
    code, out, err = run_cli("--as", "sam", "person", "arrangement", "add", f"#{person}", "--representative",
                             str(rep), "--authorised-by", "Arthur Penrose", "--evidence-note", "signed form",
                             "--db", db_url, capsys=capsys)
    assert (code, err) == (0, ""), err
    assert out.startswith(f"P-{person}-0: #{rep} recorded as designated representative of #{person}")
    with Session(engine) as s:
        row = s.execute(select(Arrangement)).scalar_one()
        event = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert (row.person_id, row.representative_id, row.case_id) == (person, rep, cases[0]), "his newest open case"
    assert event.action == "person.arrangement" and event.actor == "sam"
    other = load_case(team["sam"], cases[1])
    at = row.starts_at + timedelta(minutes=1)  # the command ran on the real clock; the team's desks are pinned
    said = [f.message for f in standing(team["sam"], other, now=at).findings if f.rule == "person-arrangements"]
    assert said and f"on P-{person}-0" in said[0], "the other case names where it came from"

    code, out, err = run_cli("--as", "sam", "person", "arrangement", "end", str(row.id), "--case", f"P-{person}-1",
                             "--db", db_url, capsys=capsys)
    assert (code, err) == (0, ""), err
    assert out.startswith(f"P-{person}-1: arrangement {row.id} ended")
    with Session(engine) as s:
        assert s.get(Arrangement, row.id).ended_at is not None


def test_vulnerable_and_clear_from_the_command_line(team, engine, db_url, arthur, capsys):
    person, _cases, _rep = arthur
    code, out, err = run_cli("--as", "sam", "person", "vulnerable", str(person), "--reason", "lives alone",
                             "--review", "2099-01-31", "--db", db_url, capsys=capsys)
    assert (code, err) == (0, ""), err
    assert f"#{person} marked vulnerable" in out
    with Session(engine) as s:
        p = s.get(Person, person)
        assert (p.vulnerable, p.vulnerability_reason, f"{p.vulnerability_review:%Y-%m-%d}") == \
            (True, "lives alone", "2099-01-31")
    code, out, err = run_cli("--as", "sam", "person", "vulnerable", str(person), "--clear", "--db", db_url,
                             capsys=capsys)
    assert (code, err) == (0, ""), err
    with Session(engine) as s:
        p = s.get(Person, person)
        assert (p.vulnerable, p.vulnerability_reason, p.vulnerability_review) == (False, None, None)


@pytest.mark.parametrize("argv, names", [
    (("person", "vulnerable", "{person}", "--reason", "lives alone", "--review", "31/31/2099"), "--review"),
    (("person", "vulnerable", "{person}", "--reason", "  "), "reason"),
    (("person", "vulnerable", "{person}", "--clear", "--review", "2099-01-01"), "--review"),
    (("person", "vulnerable", "#999999", "--reason", "lives alone"), "person 999999"),
    (("person", "vulnerable", "abc", "--reason", "lives alone"), "PERSON 'abc'"),
    (("person", "vulnerable", "{person}", "--reason", "x", "--case", "NOPE-1"), "NOPE-1"),
    (("person", "arrangement", "add", "{person}", "--representative", "{rep}", "--authorised-by", "him"),
     "evidence"),
    (("person", "arrangement", "add", "{person}", "--representative", "{person}", "--authorised-by", "him",
      "--evidence-note", "form"), "representative"),
    (("person", "arrangement", "add", "{person}", "--representative", "{rep}", "--authorised-by", "him",
      "--evidence-note", "form", "--until", "2000-01-01"), "ends_at"),
    (("person", "arrangement", "end", "424242"), "arrangement 424242"),
])
def test_bad_input_is_one_line_and_nothing_is_written(team, engine, db_url, arthur, capsys, argv, names):
    person, _cases, rep = arthur
    before = state(engine)
    args = [a.format(person=person, rep=rep) for a in argv]
    code, out, err = run_cli("--as", "sam", *args, "--db", db_url, capsys=capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and names in err and "Traceback" not in err
    assert state(engine) == before


def test_a_person_on_no_case_needs_a_case_named(team, engine, db_url, capsys, desk_setting):
    desk_setting(db_url, "demo", "1")
    lonely, _ = add_person(engine, "Nobody Yet", cases=0)
    code, _out, err = run_cli("--as", "sam", "person", "vulnerable", str(lonely), "--reason", "lives alone",
                              "--db", db_url, capsys=capsys)
    assert code == 2 and "is on no case: give --case REF" in err
