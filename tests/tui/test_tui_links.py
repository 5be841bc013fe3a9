"""Linked cases and merging from the desk: `l` links (rules, audit), the pane lists the link, `L` jumps to it;
a supervisor's `M` merges the duplicate and the kept case's history shows both, labelled; a handler may not."""

from __future__ import annotations

from deskapp.actions import open_desk
from deskapp.supervision.verify import verify
from deskapp.tui.app import DeskApp
from deskapp.tui.screens.main import MainScreen
from deskapp.tui.screens.pick import PickScreen
from deskapp.tui.widgets.case_pane import CasePane

from test_tui_actions import type_text
from tui_support import fixed_now, pick_in_queue, settle, wait_until


async def link_duplicate(pilot, app, screen, other: str) -> None:
    from deskapp.tui.forms.link import LinkForm

    await pilot.press("l")
    await wait_until(pilot, lambda: isinstance(app.screen, LinkForm))
    form = app.screen
    await pilot.pause(0.2)
    await pilot.press(*other)
    form.widget("kind").value = "duplicate"
    await pilot.pause(0.2)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: app.screen is screen)
    await wait_until(pilot, lambda: screen.case is not None and any(link.ref == other for link in screen.case.links))


async def test_link_then_jump_with_L(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick_in_queue(pilot, app, demo_desk, "C-1001")
        await link_duplicate(pilot, app, screen, "C-1002")
        await settle(pilot, app)
        text = screen.query_one(CasePane).text
        assert "Linked cases (1)" in text and "C-1002" in text
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_until(pilot, lambda: screen.case is not None and screen.case.ref == "C-1002")
        assert screen.case.links[0].ref == "C-1001" and screen.case.links[0].kind == "duplicate"


async def test_a_supervisor_merges_from_the_desk_and_the_history_shows_both(demo_desk, demo_url):
    from deskapp.tui.forms.link import MergeForm

    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:  # a handler: M is refused before any form opens
        screen = await pick_in_queue(pilot, app, demo_desk, "C-1001")
        await pilot.press("M")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, MergeForm)
        assert any("needs a supervisor or admin" in n.message for n in app._notifications)
    priya = open_desk(demo_url, None, "priya", clock=fixed_now)
    try:
        app = DeskApp(priya, now=fixed_now, show_clock=False)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await pick_in_queue(pilot, app, priya, "C-1001")
            own = len(screen.case.history)
            await link_duplicate(pilot, app, screen, "C-1002")
            await pilot.press("M")
            await wait_until(pilot, lambda: isinstance(app.screen, MergeForm))
            form = app.screen
            assert form.text("keep") == "C-1001" and form.text("dup") == "C-1002"  # the linked duplicate
            form.widget("reason").focus()
            await type_text(pilot, "the same repair reported twice")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: app.screen is screen)
            await wait_until(pilot, lambda: screen.case is not None and screen.case.merged_from)
            await settle(pilot, app)
            case = screen.case
            assert case.ref == "C-1001" and len(case.history) > own + 2
            assert {c.origin for c in case.history} == {None, "C-1002"}
            assert "[C-1002]" in screen.query_one(CasePane).text
            await pilot.press("L")
            await wait_until(pilot, lambda: isinstance(app.screen, PickScreen))
            await pilot.press("enter")
            await wait_until(pilot, lambda: screen.case is not None and screen.case.ref == "C-1002")
            await settle(pilot, app)
            assert "Merged into C-1001" in screen.query_one(CasePane).text
    finally:
        priya.close()
    assert verify(demo_desk.engine).ok
