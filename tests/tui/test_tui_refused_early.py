"""An action the case rules out is refused when its key is pressed, before the handler fills in a form."""

from __future__ import annotations

from deskapp.tui.app import DeskApp
from deskapp.tui.screens.main import MainScreen

from tui_support import fixed_now, pick_in_queue, settle


async def press_and_read(pilot, app, screen: MainScreen, key: str) -> str:
    await pilot.press(key)
    await pilot.pause(0.3)
    await settle(pilot, app)
    assert app.screen is screen, f"{key!r} opened {type(app.screen).__name__} although the case rules it out"
    return "\n".join(n.message for n in app._notifications)


async def test_escalating_a_stage_two_case_is_refused_before_the_form_opens(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick_in_queue(pilot, app, demo_desk, "C-1008")
        assert screen.case.stage == 2
        said = await press_and_read(pilot, app, screen, "e")
        assert "case C-1008 is already at stage 2" in said


async def test_a_handler_assigning_a_colleagues_case_is_told_before_the_form_opens(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick_in_queue(pilot, app, demo_desk, "C-1118")
        assert screen.case.assigned_to == "jo" and screen.case.status != "closed"
        said = await press_and_read(pilot, app, screen, "a")
        assert "C-1118 is jo's case: taking a case off another handler needs a supervisor or admin" in said
        # Working the case is still open to every handler: a note's form opens.
        await pilot.press("n")
        await pilot.pause(0.3)
        assert app.screen is not screen
