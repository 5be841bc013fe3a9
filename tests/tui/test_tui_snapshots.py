"""SVG snapshots of the desk (pytest-textual-snapshot). Update with: pytest tests/tui --snapshot-update

Deterministic by construction: a demo database built with a fixed seed and
day, the clock pinned at Tue 10 Mar 2026 11:00, the header clock hidden, a
fixed desk name and database label, C-1001 (the representative case) selected.
"""

from __future__ import annotations

import pytest

from deskapp.tui.app import DeskApp

from tui_support import case_id, fixed_now

pytestmark = pytest.mark.slow


def desk_app(desk, theme: str) -> DeskApp:
    return DeskApp(desk, theme=theme, now=fixed_now, show_clock=False, database_label="sqlite demo.db")


def select_representative_case(desk):
    async def run_before(pilot) -> None:
        app = pilot.app
        await pilot.pause()
        app.screen.select_case(case_id(desk, "C-1001"), delay=0)
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.press("2")  # the case pane (at 80x24 the only pane shown)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("theme", ["desk-dark", "desk-light"])
@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_main_screen(snap_compare, demo_desk, theme, size):
    assert snap_compare(desk_app(demo_desk, theme), terminal_size=size,
                        run_before=select_representative_case(demo_desk))


def test_main_screen_sidebar_at_80x24(snap_compare, demo_desk):
    async def run_before(pilot):
        await select_representative_case(demo_desk)(pilot)
        await pilot.press("3")
        await pilot.pause()

    assert snap_compare(desk_app(demo_desk, "desk-16"), terminal_size=(80, 24), run_before=run_before)


def test_help_screen(snap_compare, demo_desk):
    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(desk_app(demo_desk, "desk-dark"), terminal_size=(100, 30), run_before=run_before)
