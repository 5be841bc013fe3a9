"""What the terminal is sent, not just what render_line would return.

A scroll that does not repaint leaves the old rows on screen while the cursor
(and the case pane) has moved on. render_line() cannot catch that, because it
draws on demand; the screenshot is what the compositor last painted.
"""

from __future__ import annotations

import random
import re

from textual.app import App, ComposeResult

from deskapp.store.queue import Queue, QueueFilter
from deskapp.tui.widgets.queue_view import QueueView

from queue_data import NOW, expected, load, make_rows


class PaintedApp(App):
    def __init__(self, queue) -> None:
        super().__init__()
        self.queue = queue

    def compose(self) -> ComposeResult:
        yield QueueView(self.queue, id="queue")


def painted_refs(app: App) -> list[str]:
    """Refs in the order the last painted frame shows them."""
    return re.findall(r"C-\d+", app.export_screenshot())


async def settle(pilot, rounds: int = 6) -> None:
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_home_and_pagedown_repaint_rows_already_read(mem_engine):
    rows = make_rows(random.Random(11), 150)
    load(mem_engine, rows)
    flt = QueueFilter(open_only=False)
    want = expected(rows, flt, "due")
    refs = {r.id: r.ref for r in rows}
    app = PaintedApp(Queue(mem_engine, flt, "due", NOW, page_size=200))  # one page: everything cached
    async with app.run_test(size=(60, 10)) as pilot:
        await settle(pilot)
        view = app.query_one(QueueView)
        view.focus()
        height = view.scrollable_content_region.height
        assert painted_refs(app)[0] == refs[want[0]]

        await pilot.press("end")
        await settle(pilot)
        assert painted_refs(app)[-1] == refs[want[-1]]

        await pilot.press("home")
        await settle(pilot)
        assert painted_refs(app)[0] == refs[want[0]]

        await pilot.press("pagedown")
        await settle(pilot)
        assert painted_refs(app)[0] == refs[want[height]]
        assert view.scroll_y == height


async def test_end_reads_the_screen_in_one_call_from_the_end(mem_engine):
    """End on a cold cache: one rows() call for the whole screen, so the queue can walk back from
    its end page by page; a call per page, lowest first, made the upper page jump (counts + OFFSET)."""
    rows = make_rows(random.Random(12), 150)
    load(mem_engine, rows)
    flt = QueueFilter(open_only=False)
    want = expected(rows, flt, "due")
    refs = {r.id: r.ref for r in rows}
    queue = Queue(mem_engine, flt, "due", NOW, page_size=5)
    calls: list[tuple[int, int]] = []
    real_rows = queue.rows

    def rows_spy(start, stop):
        calls.append((start, stop))
        return real_rows(start, stop)

    queue.rows = rows_spy
    app = PaintedApp(queue)
    async with app.run_test(size=(60, 10)) as pilot:
        await settle(pilot)
        view = app.query_one(QueueView)
        view.focus()
        height = view.scrollable_content_region.height
        calls.clear()
        await pilot.press("end")
        await settle(pilot)
        assert painted_refs(app)[-1] == refs[want[-1]]
        first_on_screen = len(want) - height
        covering = [c for c in calls if c[0] <= first_on_screen and c[1] >= len(want) - 1]
        assert covering, calls
        assert queue._run_sizes is None  # no positional jump was needed
