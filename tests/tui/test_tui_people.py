"""The People screen: find a person by a phone in any format, list their cases open first, open one; `o` on a
case lists its persons; a supervisor merges two persons with a reason."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import open_desk
from deskapp.tui.app import DeskApp
from deskapp.tui.screens.main import MainScreen
from deskapp.tui.screens.people import PeopleScreen

from tui_support import fixed_now, screen_text, settle, wait_until


async def find(pilot, app, text: str, expect: str) -> None:
    await pilot.press("u")
    await wait_until(pilot, lambda: isinstance(app.screen, PeopleScreen))
    await pilot.press(*text)
    await pilot.press("enter")
    await wait_until(pilot, lambda: expect in screen_text(app))


async def test_a_phone_finds_the_person_and_their_cases_open_first(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await find(pilot, app, "+447700900412", "Arthur Penrose")
        text = screen_text(app)
        assert "(phone)" in text and "2 open / 2 cases" in text
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Cases of #" in screen_text(app) and "C-1001" in screen_text(app))
        assert "C-1009" in screen_text(app)
        await pilot.press("down", "o")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_until(pilot, lambda: app.screen.case is not None and app.screen.case.ref in ("C-1001", "C-1009"))


async def test_o_on_a_case_opens_the_persons_only_other_case(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.select_case(_case(demo_desk, "C-1009"), delay=0)
        await wait_until(pilot, lambda: app.screen.case is not None and app.screen.case.ref == "C-1009")
        await wait_until(pilot, lambda: "Other cases of Arthur Penrose" in screen_text(app))
        await pilot.press("o")  # Arthur's one other case opens; more than one would list them (test_tui_people_across)
        await wait_until(pilot, lambda: app.screen.case is not None and app.screen.case.ref == "C-1001")
        assert isinstance(app.screen, MainScreen)


async def test_u_with_a_ref_lists_the_persons_on_that_case(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.action_people("C-1009")
        await wait_until(pilot, lambda: isinstance(app.screen, PeopleScreen) and "Arthur Penrose" in screen_text(app))
        assert "(case)" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))


def _case(desk, ref):
    from tui_support import case_id

    return case_id(desk, ref)


async def test_a_supervisor_merges_two_persons_and_a_handler_may_not(demo_desk, demo_url):
    from deskapp.actions import audit
    from deskapp.store.models import Person

    with Session(demo_desk.engine) as s, s.begin():
        twin = Person(name="A Penrose", phone="+447700900412")
        s.add(twin)
        s.flush()
        twin_id = twin.id
        audit.append(s, actor="seed", action="seed", at=fixed_now())
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await find(pilot, app, "07700 900412", f"#{twin_id}")
        await pilot.press("m")
        await pilot.pause(0.1)
        assert any("supervisors and admins" in n.message for n in app._notifications)
    priya = open_desk(demo_url, None, "priya", clock=fixed_now)
    try:
        app = DeskApp(priya, now=fixed_now, show_clock=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, app)
            await find(pilot, app, "07700 900412", f"#{twin_id}")
            screen = app.screen
            keep = next(i for i, h in enumerate(screen.hits) if h.id != twin_id)
            other = next(i for i, h in enumerate(screen.hits) if h.id == twin_id)
            screen.query_one("OptionList").highlighted = keep
            await pilot.press("m")
            screen.query_one("OptionList").highlighted = other
            await pilot.press("m")
            await wait_until(pilot, lambda: "Why?" in screen_text(app))
            await pilot.press(*"same caller")
            await pilot.press("enter")
            await wait_until(pilot, lambda: f"Merged #{twin_id} into" in screen_text(app))
            await wait_until(pilot, lambda: f"#{twin_id}" not in " ".join(
                f"#{h.id}" for h in app.screen.hits))
        with Session(priya.engine) as s:
            assert s.execute(select(Person.merged_into_id).where(Person.id == twin_id)).scalar_one() is not None
    finally:
        priya.close()
