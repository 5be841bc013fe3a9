"""The new-case form links the caller to a person already known by default, and warns when "New person"
would record a likely duplicate."""

from __future__ import annotations

from forms_support import FormApp, settle, submit_form, type_text
from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions.outcomes import Done
from deskapp.store.models import Party
from deskapp.tui.forms import open_form


async def fill(pilot, form, name: str, phone: str) -> None:
    form.widget("title").value = "Radiator cold again"
    form.widget("name").focus()
    await type_text(pilot, name)
    form.widget("phone").value = phone
    await settle(pilot)
    for _ in range(20):  # the look-up runs in a worker; the panel is shown again when it answers
        if any(h.rule in ("known-person", "likely-duplicate") for h in form.live_findings):
            break
        await pilot.pause(0.1)
        await settle(pilot)


def person_of(desk, case_id: int) -> int:
    with Session(desk.engine) as s:
        return s.execute(select(Party.person_id).where(Party.case_id == case_id)).scalar_one()


def arthur(desk) -> int:
    from deskapp.store.models import Person

    with Session(desk.engine) as s:
        return s.execute(select(Person.id).where(Person.name == "Arthur Penrose").order_by(Person.id)).scalars().first()


async def test_a_known_caller_is_linked_to_their_person_by_default(desk):
    app = FormApp(open_form("new_case", desk, None))
    async with app.run_test(size=(120, 50)) as pilot:
        form = app.form
        await fill(pilot, form, "Arthur Penrose", "07700900412")
        known = [h for h in form.live_findings if h.rule == "known-person"]
        assert known and f"#{arthur(desk)} Arthur Penrose" in known[0].message
        assert "same phone +447700900412" in known[0].message
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    assert person_of(desk, app.result.case.id) == arthur(desk)


async def test_new_person_is_recorded_when_ticked_with_a_warning(desk):
    app = FormApp(open_form("new_case", desk, None))
    async with app.run_test(size=(120, 50)) as pilot:
        form = app.form
        await fill(pilot, form, "Arthur Penrose", "07700900412")
        form.widget("new_person").value = True
        await settle(pilot)
        for _ in range(20):
            if any(h.rule == "likely-duplicate" for h in form.live_findings):
                break
            await pilot.pause(0.1)
        warned = [h for h in form.live_findings if h.rule == "likely-duplicate"]
        assert warned and warned[0].severity == "warn" and "Likely already known" in warned[0].message
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    assert person_of(desk, app.result.case.id) != arthur(desk)


async def test_a_stranger_gets_a_new_person_and_no_warning(desk):
    app = FormApp(open_form("new_case", desk, None))
    async with app.run_test(size=(120, 50)) as pilot:
        form = app.form
        await fill(pilot, form, "Zebedee Quartermaine", "01632 960999")
        assert not any(h.rule in ("known-person", "likely-duplicate") for h in form.live_findings)
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    assert person_of(desk, app.result.case.id) != arthur(desk)
