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


def test_saved_views_picker_at_80x24(snap_compare, demo_desk, demo_url):
    """The `v` picker: the handler's views numbered first, the team's after, a broken one saying so."""
    from sqlmodel import Session

    from deskapp.actions import open_desk
    from deskapp.actions.saved_views import publish_view, save_view
    from deskapp.core.saved_views import ViewSpec
    from deskapp.store.engine import connect
    from deskapp.store.models import SavedView

    save_view(demo_desk, "My overdue", ViewSpec(mine=True, overdue=True, sort="priority"))
    save_view(demo_desk, "New complaints", ViewSpec(statuses=("new",), kinds=("complaint",), sort="received"))
    engine = connect(demo_url)
    with Session(engine) as s, s.begin():  # saved before a status was renamed
        s.add(SavedView(owner_id=demo_desk.me.id, name="Waiting on us", spec={"statuses": ["waiting"]}))
    engine.dispose()
    lead = open_desk(demo_url, None, "priya", clock=fixed_now)
    publish_view(lead, "Due soon", ViewSpec(due_soon=True))
    lead.close()

    async def run_before(pilot):
        await wait_until(pilot, lambda: pilot.app.screen.case is not None)
        await pilot.press("v")
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "views", None) is not None)
        await pilot.pause()

    assert snap_compare(desk_app(demo_desk, "desk-dark"), terminal_size=(80, 24), run_before=run_before)
