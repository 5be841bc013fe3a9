"""SVG snapshots of the desk (pytest-textual-snapshot). Update with: pytest tests/tui --snapshot-update

Deterministic by construction: a demo database built with a fixed seed and
day, the clock pinned at Tue 10 Mar 2026 11:00, the header clock hidden, a
fixed desk name and database label, C-1001 (the representative case) selected.
"""

from __future__ import annotations

import pytest

from deskapp.tui.app import DeskApp

from tui_support import fixed_now, pick_in_queue, wait_until

pytestmark = pytest.mark.slow


def desk_app(desk, theme: str) -> DeskApp:
    return DeskApp(desk, theme=theme, now=fixed_now, show_clock=False, database_label="sqlite demo.db")


def select_representative_case(desk, pane: str = "2"):
    async def run_before(pilot) -> None:
        await pick_in_queue(pilot, pilot.app, desk, "C-1001")
        await pilot.press(pane)  # at 80x24 the only pane shown; wider, where the focus is
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("theme", ["desk-dark", "desk-light"])
@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_main_screen(snap_compare, demo_desk, theme, size):
    assert snap_compare(desk_app(demo_desk, theme), terminal_size=size,
                        run_before=select_representative_case(demo_desk))


def test_main_screen_sidebar_at_80x24(snap_compare, demo_desk):
    assert snap_compare(desk_app(demo_desk, "desk-16"), terminal_size=(80, 24),
                        run_before=select_representative_case(demo_desk, pane="3"))


def test_main_screen_queue_at_80x24(snap_compare, demo_desk):
    assert snap_compare(desk_app(demo_desk, "desk-high-contrast"), terminal_size=(80, 24),
                        run_before=select_representative_case(demo_desk, pane="1"))


def test_help_screen(snap_compare, demo_desk):
    async def run_before(pilot):
        await wait_until(pilot, lambda: pilot.app.screen.case is not None)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(desk_app(demo_desk, "desk-dark"), terminal_size=(100, 30), run_before=run_before)
