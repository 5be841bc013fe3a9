"""Pane breakpoints and queue columns chosen from what each pane needs (issue #17 item 14)."""

from __future__ import annotations

import pytest

from deskapp.tui.app import DeskApp
from deskapp.tui.widgets.queue_view import OPTIONAL_COLUMNS, layout

from tui_support import fixed_now, settle


def _optional(width: int) -> list[str]:
    return [c.name for c in layout(width) if c.name in {o.name for o in OPTIONAL_COLUMNS}]


def test_queue_columns_come_in_one_order_as_the_pane_widens_and_never_swap():
    order = [c.name for c in OPTIONAL_COLUMNS]
    for width in range(20, 200):
        shown, wider = _optional(width), _optional(width + 1)
        assert set(shown) == set(order[:len(shown)]), (width, shown)
        assert set(shown) <= set(wider), (width, shown, wider)


@pytest.mark.parametrize("size", [(100, 30), (120, 40), (160, 50)])
async def test_every_pane_gets_what_it_needs_and_the_queue_names_the_customer(demo_desk, size):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        screen = app.screen
        queue = screen.query_one("#queue")
        case = screen.query_one("#case-pane")
        sidebar = screen.query_one("#sidebar-pane")
        assert queue.region.width >= 60
        assert case.region.width >= 38 and sidebar.region.width >= 36
        for a, b in ((queue, case), (queue, sidebar), (case, sidebar)):
            assert not a.region.overlaps(b.region), (a, b)
        rows = [queue.render_line(y).text for y in range(queue.scrollable_content_region.height)]
        c1001 = next(row for row in rows if "C-1001" in row)
        assert "Arthur Penrose" in c1001 and "Leaking bat" in c1001, c1001  # the customer and the title
