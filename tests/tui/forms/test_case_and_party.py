"""Opening a new case and adding / editing parties."""

from __future__ import annotations

import pytest
from forms_support import FormApp, counts, party_named, settle, submit_form, type_text
from sqlmodel import Session

from deskapp.actions import load_case
from deskapp.actions.outcomes import Done
from deskapp.errors import DeskError
from deskapp.store.models import Party
from deskapp.tui.forms import open_form, open_party_form


async def test_new_case_with_its_first_party(desk):
    before = counts(desk)
    app = FormApp(open_form("new_case", desk, None))
    async with app.run_test(size=(120, 50)) as pilot:
        form = app.form
        await settle(pilot)
        await submit_form(pilot)
        assert form.row("title").error == "title: give the case a short title"
        form.widget("title").value = "Streetlight out on Mill Lane"
        form.widget("category").value = "street lighting"
        form.widget("priority").value = 2
        form.widget("kind").value = "service_request"
        form.widget("received").value = "2026-03-09 16:30"
        await submit_form(pilot)
        assert form.row("name").error == "name: who got in touch? (a name)"
        form.widget("name").focus()
        await type_text(pilot, "Rosa Pike")
        form.widget("phone").value = "01632 960123"
        form.widget("vulnerable").value = True
        await settle(pilot)
        assert any("Vulnerable" in h.message for h in form.live_findings)
        await submit_form(pilot)
        assert isinstance(app.result, Done)
        case = app.result.case
    assert counts(desk)["cases"] == before["cases"] + 1
    assert (case.kind, case.category, case.priority, case.vulnerable) == (
        "service_request", "street lighting", 2, True)
    assert case.received_at.strftime("%Y-%m-%d %H:%M") == "2026-03-09 16:30"
    assert case.assigned_to == "tester"
    assert [(p.name, p.role, p.phone) for p in case.parties] == [("Rosa Pike", "customer", "01632 960123")]


async def test_new_case_received_in_the_future_is_refused(desk):
    before = counts(desk)
    app = FormApp(open_form("new_case", desk, None))
    async with app.run_test(size=(120, 50)) as pilot:
        form = app.form
        form.widget("title").value = "x"
        form.widget("name").value = "y"
        form.widget("received").value = "2027-01-01"
        await submit_form(pilot)
        assert form.row("received").error == "received: 2027-01-01 00:00 is in the future"
    assert counts(desk) == before


async def test_add_a_designated_party_names_who_stops_being_designated(desk, case_of):
    case = case_of("C-1001")
    old_rep = case.designated_representative
    app = FormApp(open_party_form(desk, case))
    async with app.run_test(size=(120, 50)) as pilot:
        form = app.form
        await settle(pilot)
        assert form.FORM_TITLE == "Add a party"
        form.widget("role").value = "representative"
        form.widget("name").value = "Omar Reyes"
        form.widget("organisation").value = "Advocacy Trust"
        form.widget("designated").value = True
        form.widget("email").value = "omar@example.org"
        await settle(pilot)
        assert any(old_rep.name in h.message and h.severity == "warn" for h in form.live_findings)
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    fresh = load_case(desk, case.id)
    assert fresh.designated_representative.name == "Omar Reyes"
    assert not fresh.party(old_rep.id).designated


async def test_edit_a_party(desk, case_of):
    case = case_of("C-1001")
    resident = party_named(case, "Arthur Penrose")
    app = FormApp(open_form("party", desk, case, party_id=resident.id))
    async with app.run_test(size=(120, 50)) as pilot:
        form = app.form
        await settle(pilot)
        assert form.FORM_TITLE == "Edit party"
        assert form.value("name") == "Arthur Penrose" and form.value("role") == "resident"
        form.widget("phone").value = "07700 900123"
        form.widget("authorised").value = True
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    with Session(desk.engine) as s:
        row = s.get(Party, resident.id)
    assert (row.phone, row.authorised, row.name) == ("07700 900123", True, "Arthur Penrose")


async def test_party_needs_a_name(desk, case_of):
    case = case_of("C-1004")
    before = counts(desk)
    app = FormApp(open_party_form(desk, case))
    async with app.run_test(size=(120, 50)) as pilot:
        await submit_form(pilot)
        assert app.form.row("name").error == "name: a party needs a name"
    assert counts(desk) == before


def test_open_form_refuses_unknown_kinds_and_missing_cases(desk, case_of):
    with pytest.raises(DeskError, match="no form called 'frobnicate'"):
        open_form("frobnicate", desk, case_of("C-1001"))
    with pytest.raises(DeskError, match="choose a case first"):
        open_form("contact", desk, None)
    with pytest.raises(DeskError, match="party 999999 is not on case C-1001"):
        open_party_form(desk, case_of("C-1001"), party_id=999999)
