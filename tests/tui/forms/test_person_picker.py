"""The person picker in the forms: find a person across cases by name, phone or case ref, pick them with the
keyboard; the live panel sees them as a party (their standing arrangements with them), and submitting adds
them to the case as a party (audited party.add) just before the form's own action."""

from __future__ import annotations

from forms_support import UNSET, FormApp, counts, last_contact, party_named, rules, settle, submit_form, type_text, until
from sqlalchemy import select
from sqlmodel import Session

from deskapp import actions
from deskapp.actions.outcomes import Done
from deskapp.store.models import AuditEvent, Party
from deskapp.tui.forms import ReasonModal, open_form
from deskapp.tui.widgets.person_picker import PersonPick, PersonPicker


def person_of_party(desk, party_id: int) -> int:
    with Session(desk.engine) as s:
        return s.get(Party, party_id).person_id


def designate_on_person(desk, case_of) -> tuple[int, str]:
    """On C-1001, record on Arthur Penrose (the resident) that the social worker is his designated
    representative: it then holds on every case of his. Returns (Arthur's person id, his name)."""
    case = case_of("C-1001")
    arthur = party_named(case, "Arthur Penrose")
    rep = case.designated_representative
    done = actions.record_arrangement(desk, case.id, case.version, person_id=person_of_party(desk, arthur.id),
                                      representative_id=person_of_party(desk, rep.id),
                                      authorised_by="Arthur Penrose", evidence_note="signed consent form")
    assert isinstance(done, Done)
    return person_of_party(desk, arthur.id), arthur.name


async def search(pilot, picker: PersonPicker, text: str) -> None:
    picker.find.focus()
    await type_text(pilot, text)
    await until(pilot, lambda: not picker.searching and picker.searched == text.strip(), timeout=10)
    await settle(pilot)


def other_case(case_of, name: str):
    """A demo case that does not have `name` as a party."""
    for ref in ("C-1002", "C-1003", "C-1004", "C-1005"):
        case = case_of(ref)
        if all(p.name != name for p in case.parties):
            return case
    raise AssertionError("no case without them")


async def test_picking_a_person_from_another_case_warns_and_adds_them(desk, case_of):
    person_id, name = designate_on_person(desk, case_of)
    case = other_case(case_of, name)
    before = counts(desk)
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        picker = form.widget("party")
        assert "person-designated-representative" not in [r for r, _ in rules(form.live_findings)]
        await search(pilot, picker, "arthur penrose")
        assert person_id in [h.id for h in picker.hits], "found by name across cases"
        await pilot.press("down", "enter")  # into the hits, pick the first (keyboard only)
        await settle(pilot)
        assert isinstance(picker.value, PersonPick) and picker.value.person_id == person_id
        assert picker.has_class("-new"), "the role on this case is asked for"
        found = [f for f in form.live_findings if f.rule == "person-designated-representative"]
        assert found and found[0].severity == "warn"
        assert "C-1001" in found[0].message, "the warning says where the arrangement came from"
        form.widget("summary").value = "Asked about the repair"
        await submit_form(pilot)
        assert isinstance(app.screen, ReasonModal), "the warning asks for a reason"
        assert "Added to the case as a party" in form.notice
        await pilot.press("escape")  # back out: the contact is not written
        await settle(pilot)
        assert isinstance(picker.value, int), "the picker now holds the party added"
    after = counts(desk)
    assert after["contacts"] == before["contacts"]
    assert after["parties"] == before["parties"] + 1
    with Session(desk.engine) as s:
        party = s.execute(select(Party).where(Party.case_id == case.id, Party.person_id == person_id)).scalar_one()
        event = s.execute(select(AuditEvent).where(AuditEvent.case_id == case.id)
                          .order_by(AuditEvent.id.desc())).scalars().first()
    assert (party.name, party.role) == (name, "customer")
    assert event.action == "party.add" and event.detail["party_id"] == party.id


async def test_the_same_name_but_another_person_does_not_warn(desk, case_of):
    """A namesake is a different person: no arrangement of Arthur's follows them."""
    person_id, name = designate_on_person(desk, case_of)
    case = other_case(case_of, name)
    namesake = actions.save_party(desk, case.id, case.version, name=name, role="resident",
                                  phone="020 7946 0999")
    case = namesake.case
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("party").value = party_named(case, name).id
        await settle(pilot)
        assert "person-designated-representative" not in [r for r, _ in rules(form.live_findings)]


async def test_enter_in_the_search_picks_a_person_already_on_the_case(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        picker = form.widget("party")
        await search(pilot, picker, case.ref)
        assert picker.hits, "found by case ref"
        on_case = {person_of_party(desk, p.id): p.id for p in case.parties}
        first = picker.hits[0]
        await pilot.press("enter")  # Enter in the search box picks the first hit; it does not submit
        await settle(pilot)
        assert app.result is not None and form.is_attached, "the form is still open"
        assert picker.value == on_case[first.id], "a person on the case is picked as their party"
        assert not picker.has_class("-new")


async def test_logging_the_contact_goes_through_with_a_reason(desk, case_of):
    person_id, name = designate_on_person(desk, case_of)
    case = other_case(case_of, name)
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        picker = form.widget("party")
        await search(pilot, picker, "07700 900412")  # Arthur's phone, written another way
        assert person_id in [h.id for h in picker.hits]
        picker.choose(next(h for h in picker.hits if h.id == person_id))
        picker.role_select.value = "resident"
        form.widget("summary").value = "Told him the date"
        await submit_form(pilot)
        modal = app.screen
        assert isinstance(modal, ReasonModal)
        modal.query_one("#reason").text = "He rang us himself and asked for a call back today"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.result, Done)
    contact = last_contact(desk, case.id)
    assert person_of_party(desk, contact.party_id) == person_id
    with Session(desk.engine) as s:
        assert s.get(Party, contact.party_id).role == "resident"


def test_the_picker_with_persons_found_at_80x24(snap_compare, desk, case_of):
    """The contact form at 80x24 with a search across cases open: the hits under the search box."""
    from forms_support import NOW, case_id

    from deskapp.actions import load_case
    from deskapp.tui.app import DeskApp

    async def run_before(pilot) -> None:
        form = open_form("contact", desk, load_case(desk, case_id(desk, "C-1002")))
        await pilot.pause()
        pilot.app.push_screen(form)
        await settle(pilot)
        picker = form.widget("party")
        picker.find.focus()
        picker.find.value = "Penrose"
        await until(pilot, lambda: not picker.searching and picker.searched == "Penrose", timeout=10)
        await settle(pilot)
        assert picker.hits

    app = DeskApp(desk, theme="desk-dark", now=lambda: NOW, show_clock=False, database_label="sqlite demo.db")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_a_new_party_can_be_someone_already_known(desk, case_of):
    """The party form: search, pick; the blank details are filled and the party is linked to that person."""
    person_id, name = designate_on_person(desk, case_of)
    case = other_case(case_of, name)
    app = FormApp(open_form("party", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        picker = form.widget("person")
        assert app.focused is picker.find, "adding a party starts in the search"
        await search(pilot, picker, "Penrose")
        picker.choose(next(h for h in picker.hits if h.id == person_id))
        await settle(pilot)
        assert form.text("name") == name and form.text("phone") == "+447700900412"
        assert not picker.has_class("-new"), "the party form asks the role itself"
        assert any(h.rule == "known-person" and f"#{person_id}" in h.message for h in form.live_findings)
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    with Session(desk.engine) as s:
        party = s.execute(select(Party).where(Party.case_id == case.id).order_by(Party.id.desc())).scalars().first()
    assert party.person_id == person_id and party.name == name


async def test_the_new_case_form_links_the_person_chosen(desk):
    app = FormApp(open_form("new_case", desk, None))
    async with app.run_test(size=(120, 50)) as pilot:
        form = app.form
        await settle(pilot)
        form.widget("title").value = "Another leak"
        picker = form.widget("person")
        await search(pilot, picker, "07700900412")
        hit = picker.hits[0]
        picker.choose(hit)
        await settle(pilot)
        assert form.text("name") == hit.name
        assert any(h.rule == "known-person" and "as chosen" in h.message for h in form.live_findings)
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    with Session(desk.engine) as s:
        assert s.execute(select(Party.person_id).where(Party.case_id == app.result.case.id)).scalar_one() == hit.id


async def test_escape_closes_the_search_first_then_the_form(desk, case_of):
    app = FormApp(open_form("contact", desk, case_of("C-1002")))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        picker = form.widget("party")
        await search(pilot, picker, "Penrose")
        assert picker.has_class("-hits")
        await pilot.press("down", "escape")  # from the hits: the search closes, the form stays
        await pilot.pause()
        assert not picker.has_class("-hits") and picker.find.value == "" and app.result is UNSET
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None


async def test_the_message_form_sees_a_picked_person_too(desk, case_of):
    person_id, name = designate_on_person(desk, case_of)
    case = other_case(case_of, name)
    app = FormApp(open_form("message", desk, case, drafts=False))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        picker = form.widget("party")
        await search(pilot, picker, "Arthur Penrose")
        picker.choose(next(h for h in picker.hits if h.id == person_id))
        form.widget("body").text = "Dear Mr Penrose, the roofer comes on Thursday."
        await settle(pilot)
        assert ("person-designated-representative", "warn") in rules(form.live_findings)


async def test_a_representative_found_elsewhere_is_named_not_added(desk, case_of):
    """The arrangement form's representative can be anyone found across cases; they are not added to the case,
    and the evidence can be a contact of the case."""
    from deskapp.store.models import Arrangement

    case = case_of("C-1001")
    before = counts(desk)
    app = FormApp(open_form("arrangement", desk, case))
    async with app.run_test(size=(120, 50)) as pilot:
        form = app.form
        await settle(pilot)
        picker = form.widget("representative")
        await search(pilot, picker, "Helen Marsh")
        helen = next(h for h in picker.hits if h.name == "Helen Marsh")
        picker.choose(helen)
        form.widget("arr_kind").value = "authorised"
        form.widget("authorised_by").value = "Arthur Penrose"
        contact_id = case.history[-1].id
        form.widget("evidence").value = ("contact", contact_id)
        await submit_form(pilot)
        assert isinstance(app.result, Done), form.status
    assert counts(desk)["parties"] == before["parties"], "the representative is not added to the case"
    with Session(desk.engine) as s:
        row = s.execute(select(Arrangement).order_by(Arrangement.id.desc())).scalars().first()
    assert (row.representative_id, row.kind, row.evidence_contact_id, row.case_id) == \
        (helen.id, "authorised", contact_id, case.id)
