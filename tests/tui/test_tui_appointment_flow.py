"""On the desk: b books an appointment, marking it missed brings the missed-appointment advice, a call clears it."""

from __future__ import annotations

from deskapp.tui.app import DeskApp
from deskapp.tui.forms.appointment import AppointmentForm
from deskapp.tui.screens.main import MainScreen
from deskapp.tui.widgets.sidebar import PolicySidebar

from tui_support import fixed_now, pick_in_queue, screen_text, settle, wait_until


def advice_rules(screen) -> list[str]:
    return [f.rule for f in (screen.standing.findings if screen.standing is not None else [])]


async def test_marking_missed_brings_the_advice_on_the_case(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await pick_in_queue(pilot, app, demo_desk, "C-1002")
        assert "missed-appointment" not in advice_rules(screen)
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, AppointmentForm))
        form = app.screen
        form.widget("at").value = "09:30"  # this morning (recorded late), after his last call
        form.widget("purpose").value = "Refund call"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_until(pilot, lambda: screen.case is not None and any(
            a.status == "booked" for a in screen.case.appointments))
        booked = next(a for a in screen.case.appointments if a.status == "booked")
        await settle(pilot, app)
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, AppointmentForm))
        form = app.screen
        form.widget("appointment").value = booked.id
        await pilot.pause()
        form.widget("op").value = "missed"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_until(pilot, lambda: "missed-appointment" in advice_rules(screen))
        await settle(pilot, app)
        message = next(f.message for f in screen.standing.findings if f.rule == "missed-appointment")
        assert "Tue 10 Mar 2026 09:30 with Graham Whitlock (Refund call)" in message
        assert "Missed appointment" in screen.query_one(PolicySidebar).standing_findings.text
