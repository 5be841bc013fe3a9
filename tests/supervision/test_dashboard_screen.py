"""The dashboard screen (Pilot): figures arrive from a worker, outliers and spikes stand out, text is literal."""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App
from textual.widgets import DataTable, Sparkline, Static

from deskapp.tui.screens.dashboard import DashboardScreen

from .conftest import HOSTILE_CATEGORY

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


class Host(App):
    def __init__(self, desk) -> None:
        super().__init__()
        self.desk = desk
        self.quit_pressed = False

    def on_mount(self) -> None:
        self.push_screen(DashboardScreen(self.desk))

    def action_quit(self) -> None:  # a click=app.quit smuggled in through text must never get here
        self.quit_pressed = True


async def loaded(pilot, screen: DashboardScreen, period: int | None = None) -> None:
    for _ in range(200):
        await pilot.pause(0.05)
        if not screen.loading and (screen.result is not None or screen.query(".alert")) and \
                (period is None or (screen.result is not None and screen.result.period_days == period)):
            return
    raise AssertionError("the dashboard never finished loading")


def texts(screen) -> list[str]:
    return [str(w.render()) for w in screen.query(Static)]


@sqlite_only
async def test_dashboard_shows_the_team_figures(desk_data):
    app = Host(desk_data["priya"])
    async with app.run_test(size=(100, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        await loaded(pilot, screen)
        shown = "\n".join(texts(screen))
        assert "Overdue 3" in shown and "(2 acknowledgement, 1 response)" in shown
        assert "Stands out: jo — 6 × card-number-disclosure" in shown
        table = screen.query_one("#overrides", DataTable)
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first == ["jo", "card-number-disclosure", "0", "6", "1", "▲"]
        trends = list(screen.query(".trend"))
        parking = next(t for t in trends if "parking" in str(t.query_one(".label", Static).render()))
        assert parking.has_class("-spike")
        assert parking.query_one(Sparkline).data[-2] == 40
        assert "▲" in str(parking.query_one(".marks", Static).render())
        assert "Waiting on third parties" in shown and "Ace Repairs <script>" in shown
        # Issue #17.10: working days, as the desk counts them, and saying so.
        assert "   3 working days late" in shown and "   1 working day  late" in shown
        assert "for more than 10 working days" in shown and "  11 working days  " in shown
        assert " days late" not in shown.replace("working days late", "")
        assert "Complaints 85" in shown and "compliments 20" in shown

        await pilot.press("1")
        await loaded(pilot, screen, period=7)
        assert screen.result.overrides.days == 7
        assert "Overrides in the last 7 days" in "\n".join(texts(screen))
        await pilot.press("3")
        await loaded(pilot, screen, period=90)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DashboardScreen)


@sqlite_only
async def test_untrusted_text_is_shown_literally(desk_data):
    app = Host(desk_data["priya"])
    async with app.run_test(size=(100, 40)) as pilot:
        screen = app.screen
        await loaded(pilot, screen)
        labels = [str(w.render()) for w in screen.query(".trend .label")]
        hostile = [label for label in labels if label.startswith("[@click=app.quit]")]
        assert hostile == ["[@click=app.quit]boo…"], labels  # clipped to the label column, markup not parsed
        assert all("\x1b" not in label for label in labels)
        for _ in range(3):
            await pilot.click(".trend .label")
        assert not app.quit_pressed and app.is_running


@sqlite_only
async def test_a_handler_gets_one_line_not_the_figures(desk_data):
    app = Host(desk_data["sam"])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await loaded(pilot, screen)
        alerts = [str(w.render()) for w in screen.query(".alert")]
        assert alerts == ["sam is a handler: the team dashboard needs a supervisor or admin"]
        assert screen.result is None


@sqlite_only
async def test_fits_a_thin_client(desk_data):
    app = Host(desk_data["priya"])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await loaded(pilot, screen)
        for _ in range(30):
            await pilot.press("j")
        await pilot.press("r")
        await loaded(pilot, screen)
        assert screen.result is not None
