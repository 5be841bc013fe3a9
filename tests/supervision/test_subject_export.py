"""`deskapp export --subject`: everything held about one person, across cases; audited; ambiguity refused."""

from __future__ import annotations

import os
import stat

import pytest
from hypothesis import given, strategies as st
from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import ActionRequest, Done, new_case, save_party, submit
from deskapp.actions.subject import digits, parse_subject
from deskapp.errors import DeskError
from deskapp.store.models import AuditEvent

from desk_support import set_desk_setting

from .conftest import run_cli


@pytest.fixture
def two_cases(worked_case, team):
    """Lee Price (phone 07700 900111) on worked_case and, with the number typed differently, on a second case;
    a different person on a third case."""
    sam, jo = team["sam"], team["jo"]
    lee = next(p for p in worked_case.parties if p.name == "Lee Price")
    case = save_party(sam, worked_case.id, worked_case.version, party_id=lee.id, phone="07700 900111").case
    done = submit(sam, ActionRequest(kind="contact", case_id=case.id, version=case.version, channel="phone",
                                     direction="in", party_id=lee.id, outcome="reached",
                                     summary="Lee rang about the boiler", body="Lee said the boiler failed again"),
                  reason="Lee rang us; the representative was told afterwards")
    assert isinstance(done, Done), done
    second = new_case(jo, kind="enquiry", category="parking", title="Parking permit renewal",
                      party={"name": "Lee Price", "phone": "+(0)7700-900-111", "email": "Lee@Example.org"})
    other = new_case(jo, kind="complaint", category="waste", title="Missed bin collection",
                     party={"name": "Kim Other", "phone": "07700 900222"})
    return done.case, second, other


def subject(capsys, db_url, query, *extra, user="priya"):
    set_desk_setting(db_url, "demo", "1")
    return run_cli("--as", user, "export", "--subject", query, "--db", db_url, *extra, capsys=capsys)


def events(engine, action):
    with Session(engine) as s:
        return s.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars().all()


def test_a_phone_in_another_format_finds_the_person_on_both_cases(two_cases, engine, db_url, capsys):
    first, second, other = two_cases
    code, out, err = subject(capsys, db_url, "07700-900-111")
    assert code == 0, err
    assert out.startswith("# Subject-access export: 2 records on 2 cases")
    assert f"Cases: {first.ref}, {second.ref}." in out and other.ref not in out and "Kim Other" not in out
    assert f"## Case {first.ref}: Damp and a broken boiler" in out and f"## Case {second.ref}: Parking permit" in out
    assert "Lee said the boiler failed again" in out and "Summary: Lee rang about the boiler" in out
    assert "Contractor confirmed parts on order" in out, "the case's internal notes are about them too"
    assert "Phone: +(0)7700-900-111" in out and "Email: Lee@Example.org" in out
    assert "Dana Hill" not in out.split("### Held about them")[1].split("###")[0], "only their own records"
    [event] = events(engine, "subject.export")
    assert event.actor == "priya" and event.detail["by"] == "phone"
    assert event.detail["case_ids"] == sorted([first.id, second.id]) and len(event.detail["party_ids"]) == 2
    assert "900" not in str(event.detail), "the query itself is not kept in the chain"


def test_email_is_case_insensitive_and_the_file_is_written_whole_0600(two_cases, db_url, capsys, tmp_path):
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "lee.md"
    code, out, err = subject(capsys, db_url, "lee@EXAMPLE.org", "--output", str(target))
    assert code == 0, err
    assert out == f"wrote the subject-access export to {target} (1 record on 1 case)\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert "Parking permit renewal" in target.read_text(encoding="utf-8")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["lee.md"], "no temporary file left behind"


def test_an_exact_name_across_cases_that_disagree_is_ambiguous(two_cases, engine, team, db_url, capsys):
    first, second, _other = two_cases
    new_case(team["jo"], kind="enquiry", category="parking", title="Another Lee",
             party={"name": "lee  price", "phone": "01632 960000"})
    code, out, err = subject(capsys, db_url, "Lee Price")
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == ("deskapp: --subject: that name matches 3 records with different phone numbers; narrow it "
                        "(give an email address or phone number)")
    assert len(lines) == 4 and lines[1].startswith(f"  {first.ref}: party ") and "01632 960000" in err
    assert events(engine, "subject.export") == []


def test_a_name_whose_records_agree_is_one_person(two_cases, db_url, capsys):
    code, out, err = subject(capsys, db_url, "  LEE   price ")
    assert code == 0, err
    assert out.startswith("# Subject-access export: 2 records on 2 cases")


@pytest.mark.parametrize("query, message", [
    ("nobody@example.org", "deskapp: --subject: no party on any case has that email address\n"),
    ("12-34", "deskapp: --subject: a phone number needs at least 6 digits\n"),
    ("[erased]", "deskapp: --subject: [erased] marks erased text, not a person\n"),
    ("a@b@c", "deskapp: --subject: not an email address (give it whole, e.g. lee@example.org)\n"),
])
def test_bad_queries_are_one_line(two_cases, engine, db_url, capsys, query, message):
    assert subject(capsys, db_url, query) == (2, "", message)
    assert events(engine, "subject.export") == []


def test_a_handler_may_not_and_is_audited(two_cases, engine, db_url, capsys):
    code, out, err = subject(capsys, db_url, "07700 900111", user="sam")
    assert code == 2 and err == "deskapp: sam is a handler: a subject-access export needs a supervisor or admin\n"
    assert [(e.actor, e.detail["permission"]) for e in events(engine, "refused")] == [("sam", "subject.export")]


def test_ref_or_subject_not_both(two_cases, db_url, capsys):
    first = two_cases[0]
    set_desk_setting(db_url, "demo", "1")
    code, _out, err = run_cli("--as", "priya", "export", first.ref, "--subject", "x y", "--db", db_url,
                              capsys=capsys)
    assert code == 2 and err == "deskapp: export: give a case reference (REF) or --subject QUERY, not both\n"
    code, _out, err = run_cli("--as", "priya", "export", "--db", db_url, capsys=capsys)
    assert code == 2 and err == "deskapp: export: give a case reference (REF) or --subject QUERY\n"
    code, _out, err = subject(capsys, db_url, "07700 900111", "--format", "html")
    assert code == 2 and "Markdown only" in err


def test_an_erased_case_is_not_in_a_subject_export(two_cases, team, db_url, capsys):
    from deskapp.actions.erasure import erase_case

    first, second, _other = two_cases
    erase_case(team["ada"], first.ref, "Erasure request DP-7")
    code, out, err = subject(capsys, db_url, "07700900111")
    assert code == 0, err
    assert out.startswith("# Subject-access export: 1 record on 1 case") and first.ref not in out


@given(st.text(alphabet="0123456789", min_size=6, max_size=15),
       st.lists(st.sampled_from([" ", "-", ".", "(", ")", "/"]), max_size=6), st.booleans())
def test_any_phone_layout_parses_to_its_digits(number, seps, plus):
    typed = ("+" if plus else "") + "".join(ch + (seps[i] if i < len(seps) else "") for i, ch in enumerate(number))
    key = parse_subject(typed)
    assert (key.kind, key.value) == ("phone", number) == ("phone", digits(typed))


@given(st.text(min_size=1, max_size=40))
def test_any_query_is_a_key_or_a_one_line_error(text):
    try:
        key = parse_subject(text)
    except DeskError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("--subject: ")
    else:
        assert key.kind in ("name", "email", "phone") and key.value
