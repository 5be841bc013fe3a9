"""One person's data across cases: the subject-access export finds it all, `erase --person` tombstones it all
and leaves a neighbour's, the chain still verifies, search no longer finds them; bad input writes nothing."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from deskapp.actions import ActionRequest, ApprovalRequested, Done, new_case, save_party, submit
from deskapp.actions.person_erasure import erase_person, person_id_of
from deskapp.actions.person_search import find_persons
from deskapp.actions.saved_views import save_view
from deskapp.actions.subject import parse_subject
from deskapp.core.roles import NotAllowed
from deskapp.core.rowdigest import TOMBSTONE
from deskapp.errors import DeskError
from deskapp.store.models import (Appointment, Arrangement, AttachmentBlob, AuditEvent, Case, Contact,
                                  ContactAttachment, Outbox, Party, Person, SavedView)
from deskapp.store.search import search_case_ids
from deskapp.supervision.verify import verify

from desk_support import set_desk_setting

from .conftest import NOW, run_cli

WHY = "the resident asked us to record this"
REASON = "Erasure request DP-18 (the requester's identity was checked)"
LEE_WORDS = ("Lee Price", "lee-hedge.jpg", "07700 900111", "lee@example.org", "hedge with Lee", "Lee rang", "Dear Lee",
             "12 Elm Road", "signed form")
NIA_WORDS = ("Nia Jones", "07700 900333", "nia@example.org", "Nia says the hedge", "Dear Nia")


@pytest.fixture
def lee(team, engine, db_url):
    """Lee Price on three cases: two theirs alone, the third shared with their neighbour Nia (a contact, an
    appointment and an email each), Lee as Nia's representative, and saved views naming Lee and not."""
    sam, jo = team["sam"], team["jo"]
    set_desk_setting(db_url, "mail_from", "desk@council.example")
    first = new_case(sam, kind="complaint", category="housing", title="Damp in the bathroom",
                     party={"name": "Lee Price", "phone": "07700 900111", "email": "lee@example.org",
                            "address": "12 Elm Road"})
    with Session(engine) as s:
        person = s.execute(select(Party.person_id).where(Party.case_id == first.id)).scalar_one()
    second = new_case(sam, kind="enquiry", category="parking", title="Parking permit", person_id=person,
                      party={"name": "Lee Price", "phone": "07700 900111", "email": "lee@example.org"})
    shared = new_case(jo, kind="complaint", category="environment", title="Overgrown hedge between 12 and 14",
                      party={"name": "Nia Jones", "phone": "07700 900333", "email": "nia@example.org"})
    done = save_party(jo, shared.id, shared.version, person_id=person, name="Lee Price", role="third_party",
                      phone="07700 900111", email="lee@example.org")
    shared = done.case
    lee_party = next(p for p in shared.parties if p.name == "Lee Price")
    nia_party = next(p for p in shared.parties if p.name == "Nia Jones")
    for party, summary, body in ((lee_party, "Lee rang about the hedge", "Lee will trim it"),
                                 (nia_party, "Nia says the hedge is 3m", "Nia wants it cut")):
        out = submit(jo, ActionRequest(kind="contact", case_id=shared.id, version=shared.version, channel="phone",
                                       direction="in", party_id=party.id, outcome="reached", summary=summary,
                                       body=body), reason=WHY)
        assert isinstance(out, Done), out
        shared = out.case
    for party, name in ((lee_party, "Lee"), (nia_party, "Nia")):
        out = submit(jo, ActionRequest(kind="message", case_id=shared.id, version=shared.version, channel="email",
                                       party_id=party.id, summary=f"Hedge visit for {name}",
                                       body=f"Dear {name}, we will visit on Thursday."), reason=WHY)
        assert isinstance(out, Done), out
        shared = out.case
    with Session(engine) as s, s.begin():
        nia = s.execute(select(Party.person_id).where(Party.id == nia_party.id)).scalar_one()
        s.add(Appointment(case_id=shared.id, party_id=lee_party.id, at=datetime(2026, 3, 12, 10),
                          purpose="look at the hedge with Lee"))
        s.add(Appointment(case_id=shared.id, party_id=nia_party.id, at=datetime(2026, 3, 12, 11),
                          purpose="Nia says the hedge blocks light"))
        lee_call = s.execute(select(Contact.id).where(Contact.party_id == lee_party.id, Contact.channel == "phone")
                             ).scalar_one()
        s.add(AttachmentBlob(sha256="a" * 64, size=5, data=b"hedge"))
        s.flush()
        s.add(ContactAttachment(contact_id=lee_call, case_id=shared.id, sha256="a" * 64, name="lee-hedge.jpg",
                                content_type="image/jpeg", size=5))
        s.add(Arrangement(person_id=nia, representative_id=person, kind="authorised",
                          authorised_by="Nia Jones, signed form", case_id=shared.id))
        s.flush()
        from deskapp.actions import audit

        audit.append(s, actor="seed", action="seed", at=NOW)
    save_view(sam, "Lee's cases", {"search": "Lee Price"})
    save_view(sam, "By phone", {"search": "07700-900-111"})
    save_view(sam, "Hedges", {"search": "hedge"})
    return {"person": person, "nia": nia, "cases": [first.id, second.id, shared.id], "shared": shared.id,
            "refs": [first.ref, second.ref, shared.ref]}


def everything(engine) -> str:
    with engine.connect() as conn:
        return json.dumps({t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
                           for t in ("cases", "persons", "parties", "contacts", "appointments", "outbox",
                                     "person_arrangements", "saved_views", "person_keys")}, default=str)


def state(engine) -> dict:
    with engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
                for t in ("persons", "parties", "contacts", "appointments", "outbox", "saved_views", "audit_events",
                          "person_arrangements", "cases")}


def erase_cli(capsys, db_url, *argv, user="ada"):
    set_desk_setting(db_url, "demo", "1")  # a test desk: `--as` picks the team member
    return run_cli("--as", user, "erase", *argv, "--db", db_url, capsys=capsys)


def test_erasing_a_person_tombstones_theirs_everywhere_and_keeps_the_neighbours(lee, team, engine, db_url, capsys):
    assert verify(engine).ok
    code, out, err = erase_cli(capsys, db_url, "--person", str(lee["person"]), "--reason", REASON)
    assert code == 0, err
    first, second, shared = lee["refs"]
    assert out.startswith(f"erased person #{lee['person']}: 2 cases erased whole ({first}, {second}), their data on "
                          f"1 shared case ({shared}); ") and "2 saved views deleted" in out

    stored = everything(engine)
    for word in LEE_WORDS:
        assert word not in stored, word
    for word in NIA_WORDS:
        assert word in stored, word
    with Session(engine) as s:
        cases = {c.id: c for c in s.execute(select(Case)).scalars()}
        assert cases[lee["cases"][0]].erased_at and cases[lee["cases"][1]].erased_at
        assert cases[lee["shared"]].erased_at is None and cases[lee["shared"]].title.startswith("Overgrown hedge")
        person = s.get(Person, lee["person"])
        assert person.erased_at is not None and person.name == TOMBSTONE and person.phone == TOMBSTONE
        nia = s.get(Person, lee["nia"])
        assert nia.erased_at is None and nia.name == "Nia Jones"
        parties = s.execute(select(Party.name, Party.person_id).where(Party.case_id == lee["shared"])
                            .order_by(Party.id)).all()
        assert parties == [("Nia Jones", lee["nia"]), (TOMBSTONE, lee["person"])]
        contacts = s.execute(select(Contact.summary).where(Contact.case_id == lee["shared"])
                             .order_by(Contact.id)).scalars().all()
        assert contacts.count(TOMBSTONE) == 2 and "Nia says the hedge is 3m" in contacts
        assert sorted(s.execute(select(Outbox.to_addr)).scalars()) == [TOMBSTONE, "nia@example.org"]
        arrangement = s.execute(select(Arrangement)).scalar_one()
        assert arrangement.authorised_by == TOMBSTONE and arrangement.person_id == lee["nia"]
        assert s.execute(select(SavedView.name)).scalars().all() == ["Hedges"]
        assert s.execute(select(ContactAttachment)).first() is None
        assert s.execute(select(AttachmentBlob)).first() is None
        events = s.execute(select(AuditEvent.action, AuditEvent.case_id).where(AuditEvent.id > 0)
                           .order_by(AuditEvent.id)).all()[-5:]
        assert events == [("case.erase", lee["cases"][0]), ("case.erase", lee["cases"][1]),
                          ("person.erase", lee["shared"]), ("case.resalt", lee["shared"]), ("person.erase", None)]
        last = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
        assert last.detail["cases_erased"] == lee["cases"][:2] and last.detail["cases_shared"] == [lee["shared"]]
        assert "Lee" not in json.dumps(last.detail)
    report = verify(engine)
    assert report.ok, report.problems()
    # Search no longer finds them: neither the person search nor the cases' search documents.
    assert find_persons(team["sam"], "Lee Price") == [] and find_persons(team["sam"], "07700 900111") == []
    assert search_case_ids(engine, "Lee") == []
    assert search_case_ids(engine, "Nia") == [lee["shared"]]
    # The shared case's file still reads whole: the neighbour's story, their erasure as one line, no Lee.
    code, out, err = run_cli("--as", "priya", "export", shared, "--db", db_url, capsys=capsys)
    assert code == 0, err
    assert "Nia says the hedge is 3m" in out and "Lee" not in out and "Erased one person's records" in out
    assert "This case was erased" not in out and "altered" not in out.lower()


def test_the_subject_export_by_person_finds_all_three_cases(lee, engine, db_url, capsys):
    set_desk_setting(db_url, "demo", "1")
    code, out, err = run_cli("--as", "priya", "export", "--subject", f"person:{lee['person']}", "--db", db_url,
                             capsys=capsys)
    assert code == 0, err
    assert out.startswith("# Subject-access export: 3 records on 3 cases")
    for ref in lee["refs"]:
        assert f"## Case {ref}:" in out
    assert f"## Person #{lee['person']}" in out and "12 Elm Road" in out
    assert "Lee rang about the hedge" in out and "Nia says the hedge is 3m" not in out
    assert "look at the hedge with Lee" in out and "blocks light" not in out
    assert "Hedge visit for Lee" in out and "Hedge visit for Nia" not in out  # the outbox: emails to them
    assert "to lee@example.org: \\[" in out and "- lee-hedge.jpg (5 bytes), with the contact of" in out
    assert "Representative of person" in out and "Nia Jones, signed form" in out
    assert "Lee's cases" in out and "By phone" in out and "Hedges" not in out  # saved views naming them
    with Session(engine) as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "subject.export")).scalar_one()
    assert event.detail["by"] == "person" and event.detail["person_ids"] == [lee["person"]]
    assert event.detail["case_ids"] == sorted(lee["cases"]) and len(event.detail["party_ids"]) == 3


def test_an_email_resolves_to_the_person_and_their_every_case(lee, db_url, capsys):
    set_desk_setting(db_url, "demo", "1")
    code, out, err = run_cli("--as", "priya", "export", "--subject", "LEE@example.org", "--db", db_url,
                             capsys=capsys)
    assert code == 0, err
    assert out.startswith("# Subject-access export: 3 records on 3 cases")
    assert f"## Person #{lee['person']}" in out


def test_erasing_twice_is_refused(lee, team, engine):
    erase_person(team["ada"], lee["person"], REASON)
    before = state(engine)
    with pytest.raises(DeskError, match=rf"^person #{lee['person']} was already erased on .*: nothing to do$"):
        erase_person(team["ada"], lee["person"], REASON)
    assert state(engine) == before


def test_a_pending_approval_on_any_of_their_cases_refuses_and_writes_nothing(lee, team, engine, db_url, capsys):
    with Session(engine) as s:
        case = s.get(Case, lee["cases"][1])
        version = case.version
        party_id = s.execute(select(Party.id).where(Party.case_id == case.id)).scalar_one()
    asked = submit(team["sam"], ActionRequest(kind="message", case_id=case.id, version=version, channel="email",
                                              party_id=party_id, summary="Refund",
                                              body="Refunded to card 4111 1111 1111 1111"),
                   request_approval=True, reason="the customer read it out to us")
    assert isinstance(asked, ApprovalRequested), asked
    before = state(engine)
    code, out, err = erase_cli(capsys, db_url, "--person", str(lee["person"]), "--reason", REASON)
    assert code == 2 and out == ""
    assert err.strip().endswith(f"on {case.ref} is still pending: decide or withdraw it first; nothing erased")
    assert len(err.strip().splitlines()) == 1
    assert state(engine) == before


def test_bad_input_is_one_line_and_only_admins_erase(lee, team, engine, db_url, capsys):
    before = state(engine)
    for argv, message in (((lee["refs"][0], "--person", "1"), "erase: give a case reference (REF) or --person ID, "
                                                              "not both"),
                          (("--person", "Lee"), "--person 'Lee': give a person's number"),
                          (("--person", "999999"), "--person 999999: there is no such person; nothing erased"),
                          (("--person", str(lee["person"]), "--reason", " "), "reason")):
        code, out, err = erase_cli(capsys, db_url, *argv, *(() if "--reason" in argv else ("--reason", REASON)))
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (argv, err)
    with pytest.raises(NotAllowed):
        erase_person(team["priya"], lee["person"], REASON)
    after = state(engine)
    refusals = len(after["audit_events"]) - len(before["audit_events"])
    assert refusals == 1 and {k: v for k, v in after.items() if k != "audit_events"} == \
        {k: v for k, v in before.items() if k != "audit_events"}
    assert person_id_of("person:12") == person_id_of("#12") == 12


def test_person_subject_keys():
    assert parse_subject("person:12") == parse_subject("Person: #12")
    assert parse_subject("person:12").kind == "person" and parse_subject("person:12").value == "12"
    with pytest.raises(DeskError, match="person:ID needs a person's number"):
        parse_subject("person:lee")


def test_a_merged_person_is_erased_through_the_one_they_were_merged_into(lee, team, engine):
    from deskapp.actions.person_merge import merge_persons

    other = new_case(team["sam"], kind="enquiry", category="bins", title="Bin day",
                     party={"name": "L. Price", "phone": "+44 7700 900111", "address": "12 Elm Road"})
    with Session(engine) as s:
        dup = s.execute(select(Party.person_id).where(Party.case_id == other.id)).scalar_one()
    merge_persons(team["priya"], lee["person"], dup, "same phone")
    with pytest.raises(DeskError, match=rf"^person #{dup} was merged into #{lee['person']}: erase"):
        erase_person(team["ada"], dup, REASON)
    done = erase_person(team["ada"], lee["person"], REASON)
    assert done.persons == tuple(sorted((lee["person"], dup))) and other.ref in done.whole
    with Session(engine) as s:
        assert s.get(Person, dup).name == TOMBSTONE and s.get(Person, dup).erased_at is not None
    assert "L. Price" not in everything(engine)
    assert verify(engine).ok


def test_a_tombstone_typed_into_the_neighbours_record_later_is_still_caught(lee, team, engine):
    """The neighbour's rows were re-recorded (new salt) by `case.resalt`, not by an erase event: verify's rule
    that a tombstone stands only where an erasure put it still holds for them."""
    erase_person(team["ada"], lee["person"], REASON)
    assert verify(engine).ok
    with Session(engine) as s:
        case = s.get(Case, lee["shared"])
        nia_party = s.execute(select(Party).where(Party.person_id == lee["nia"])).scalar_one()
        version, party_id = case.version, nia_party.id
    save_party(team["jo"], lee["shared"], version, party_id=party_id, notes=TOMBSTONE)
    problems = verify(engine).problems()
    assert any(f"party {party_id}" in p and "holds an erasure tombstone" in p for p in problems), problems


def test_erasing_a_case_deletes_the_saved_views_naming_whoever_goes_with_it(team, engine, db_url, capsys):
    case = new_case(team["sam"], kind="complaint", category="noise", title="Noise at night",
                    party={"name": "Kit Marlowe", "email": "kit@example.org"})
    save_view(team["sam"], "Kit", {"search": "kit@example.org"})
    save_view(team["sam"], "Noise", {"search": "noise"})
    code, out, err = erase_cli(capsys, db_url, case.ref, "--reason", "request DP-9")
    assert code == 0, err
    with Session(engine) as s:
        assert s.execute(select(SavedView.name)).scalars().all() == ["Noise"]
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "case.erase")).scalar_one()
    assert len(event.detail["saved_views_deleted"]) == 1
    assert verify(engine).ok
