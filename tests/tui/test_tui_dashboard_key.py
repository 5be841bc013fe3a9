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


def _footer_words(app) -> list[str]:
    from deskapp.tui.widgets.footer import DeskFooter

    return [description for _key, description, _enabled in app.screen.query_one(DeskFooter).items()]


async def test_footer_lists_approvals_dashboard_new_and_edit_party_where_they_apply(demo_url, demo_desk):
    """Issue #17.9: A, D, N and P were in help and the palette only. The footer lists them where they
    apply: N always, P with a case that has parties, D and A for a supervisor, not for a handler."""
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_until(pilot, lambda: app.screen.case is not None)
        await settle(pilot, app)
        words = _footer_words(app)
        assert "New" in words and "Edit party" in words
        assert "Dashboard" not in words and "Approvals" not in words
    desk = open_desk(demo_url, None, "priya", clock=fixed_now)
    try:
        app = DeskApp(desk, now=fixed_now, show_clock=False)
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_until(pilot, lambda: app.screen.case is not None)
            await settle(pilot, app)
            words = _footer_words(app)
            assert {"New", "Edit party", "Dashboard", "Approvals"} <= set(words)
    finally:
        desk.close()
