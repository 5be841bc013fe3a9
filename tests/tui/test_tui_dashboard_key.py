"""The team dashboard opens from the desk for supervisors, and only for them."""

from __future__ import annotations

from deskapp.actions import open_desk
from deskapp.tui.app import DeskApp
from deskapp.tui.screens.dashboard import DashboardScreen

from tui_support import fixed_now, settle, wait_until


async def test_supervisor_opens_the_dashboard_with_D(demo_url):
    desk = open_desk(demo_url, None, "priya", clock=fixed_now)
    try:
        app = DeskApp(desk, now=fixed_now, show_clock=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, app)
            await pilot.press("D")
            await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
    finally:
        desk.close()


async def test_handler_is_told_the_dashboard_is_for_leads(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("D")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, DashboardScreen)
        assert any("supervisors and admins" in n.message for n in app._notifications)


def test_dashboard_and_approvals_keys_are_remappable():
    from deskapp.tui.app import known_binding_ids

    ids = set(known_binding_ids())
    assert "app.dashboard" in ids
    assert any(i.startswith("dashboard.") for i in ids)
    assert any(i.startswith("approvals.") for i in ids)
