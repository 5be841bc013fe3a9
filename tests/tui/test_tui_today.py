"""The "today" view: the day's appointments on my cases, opening a case, a calendar file, the team's."""

from __future__ import annotations

from datetime import datetime

from deskapp.actions import ActionRequest, Done, load_case, open_desk, submit
from deskapp.tui.app import DeskApp
from deskapp.tui.screens.main import MainScreen
from deskapp.tui.screens.today import TodayScreen

from tui_support import case_id, fixed_now, screen_text, settle, wait_until


def book(desk, ref: str, at: datetime, purpose: str) -> int:
    """Book through the action layer on `ref`, first taking the case so it is `desk`'s own."""
    case = load_case(desk, case_id(desk, ref))
    if case.assigned_to != desk.me.username:
        taken = submit(desk, ActionRequest(kind="assign", case_id=case.id, version=case.version,
                                           to=desk.me.username))
        assert isinstance(taken, Done), taken
        case = taken.case
    done = submit(desk, ActionRequest(kind="appointment", case_id=case.id, version=case.version, to="book", at=at,
                                      party_id=case.parties[0].id, summary=purpose))
    assert isinstance(done, Done), done
    return done.case.appointments[-1].id


async def open_today(pilot, app) -> None:
    """Start the desk, press t and wait for the day's list to load."""
    await settle(pilot, app)
    await pilot.press("t")
    await wait_until(pilot, lambda: isinstance(app.screen, TodayScreen) and app.screen.rows is not None
                     and "loading" not in screen_text(app))


async def test_today_lists_my_appointments_and_enter_opens_the_case(demo_desk, tmp_path, monkeypatch):
    monkeypatch.setenv("DESKAPP_DATA_DIR", str(tmp_path / "data"))
    appt = book(demo_desk, "C-1002", datetime(2026, 3, 10, 15, 30), "Call back [b]about[/b] the refund")
    book(demo_desk, "C-1002", datetime(2026, 3, 11, 9, 0), "Tomorrow's visit")
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot, app)
        text = screen_text(app)
        assert "Appointments Tue 10 Mar 2026" in text and "1 appointment" in text
        assert "15:30" in text and "C-1002" in text and "Call back [b]about[/b] the refund" in text
        assert f"#{appt}" in text and "Tomorrow's visit" not in text
        await pilot.press("i")
        path = tmp_path / "data" / "exports" / f"C-1002-appointment-{appt}.ics"
        await wait_until(pilot, lambda: path.exists())
        assert "Call back [b]about[/b] the refund" in path.read_text().replace("\r\n ", "")
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: "Tomorrow's visit" in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_until(pilot, lambda: app.screen.case is not None and app.screen.case.ref == "C-1002")


async def test_the_team_s_appointments_are_for_supervisors(demo_desk, demo_url):
    book(demo_desk, "C-1002", datetime(2026, 3, 10, 15, 30), "Refund call")
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_today(pilot, app)
        await pilot.press("T")
        await pilot.pause(0.2)
        assert not app.screen.team
        assert any("supervisors and admins" in n.message for n in app._notifications)
    priya = open_desk(demo_url, None, "priya", clock=fixed_now)
    try:
        app = DeskApp(priya, now=fixed_now, show_clock=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_today(pilot, app)
            assert "none" in screen_text(app)
            await pilot.press("T")
            await wait_until(pilot, lambda: "Refund call" in screen_text(app))
            assert "the team's cases" in screen_text(app) and demo_desk.me.username in screen_text(app)
    finally:
        priya.close()
