"""The queue widget in a tiny app: cursor keys, End/PageDown, messages, placeholders, untrusted text."""

from __future__ import annotations

import asyncio
import random
import threading
from datetime import timedelta

from sqlalchemy import insert
from textual.app import App, ComposeResult

from deskapp.store.models import Case, Party
from deskapp.store.queue import Queue, QueueFilter
from deskapp.tui.widgets.queue_view import QueueView, due_words, fit, layout

from queue_data import NOW, expected, load, make_rows


class QueueApp(App):
    def __init__(self, queue=None):
        super().__init__()
        self.queue = queue
        self.highlighted: list[int] = []
        self.selected: list[int] = []
        self.counted: list[int] = []

    def compose(self) -> ComposeResult:
        yield QueueView(self.queue, id="queue")

    def on_queue_view_highlighted(self, message: QueueView.Highlighted) -> None:
        self.highlighted.append(message.case_id)

    def on_queue_view_selected(self, message: QueueView.Selected) -> None:
        self.selected.append(message.case_id)

    def on_queue_view_counted(self, message: QueueView.Counted) -> None:
        self.counted.append(message.total)


async def settle(pilot, rounds: int = 6) -> None:
    """Let workers finish and their messages be handled."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def screen(view: QueueView) -> list[str]:
    return [view.render_line(y).text for y in range(view.scrollable_content_region.height)]


def desk(engine, n=120, seed=4, **kw):
    rows = make_rows(random.Random(seed), n)
    load(engine, rows)
    flt = QueueFilter(open_only=False)
    return rows, Queue(engine, flt, "due", NOW, page_size=20, **kw), expected(rows, flt, "due")


async def test_first_screen_cursor_keys_end_and_pagedown(mem_engine):
    rows, queue, want = desk(mem_engine)
    refs = {r.id: r.ref for r in rows}
    app = QueueApp(queue)
    async with app.run_test(size=(80, 12)) as pilot:
        await settle(pilot)
        view = app.query_one(QueueView)
        view.focus()
        assert view.total == len(want) and app.counted == [len(want)]
        lines = screen(view)
        assert refs[want[0]] in lines[0] and refs[want[5]] in lines[5]
        assert app.highlighted == [want[0]]

        await pilot.press("down", "j", "j", "k")
        await pilot.pause(0.2)
        assert view.cursor == 2 and app.highlighted[-1] == want[2]

        await pilot.press("end")
        await settle(pilot)
        await pilot.pause(0.2)
        assert view.cursor == len(want) - 1
        assert refs[want[-1]] in screen(view)[-1]
        assert app.highlighted[-1] == want[-1]

        await pilot.press("home", "pagedown")
        await settle(pilot)
        height = view.scrollable_content_region.height
        assert view.cursor == height
        assert refs[want[height]] in "\n".join(screen(view))
        await pilot.press("G", "g")
        assert view.cursor == 0

        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.selected == [want[1]]


async def test_rows_not_read_yet_show_placeholders_then_fill_in(mem_engine):
    _rows, queue, want = desk(mem_engine, n=200)
    gate = threading.Event()
    real_rows = queue.rows

    def slow_rows(start, stop):
        if start >= 100:
            gate.wait(5)
        return real_rows(start, stop)

    queue.rows = slow_rows
    app = QueueApp(queue)
    async with app.run_test(size=(60, 10)) as pilot:
        await settle(pilot)
        view = app.query_one(QueueView)
        view.focus()
        view.move_cursor(150)
        await pilot.pause(0.1)
        assert any("···" in line for line in screen(view))
        gate.set()
        await settle(pilot)
        assert not any("···" in line for line in screen(view))
        assert view.highlighted_id == want[150]


async def test_set_query_keeps_the_case_under_the_cursor(mem_engine):
    rows, queue, _want = desk(mem_engine)
    app = QueueApp(queue)
    async with app.run_test(size=(80, 12)) as pilot:
        await settle(pilot)
        view = app.query_one(QueueView)
        view.move_cursor(30)
        await settle(pilot)
        case_id = view.highlighted_id
        by_ref = queue.with_query(sort="ref")
        view.set_query(by_ref)
        await settle(pilot)
        assert view.highlighted_id == case_id
        assert view.cursor == expected(rows, QueueFilter(open_only=False), "ref").index(case_id)
        # A queue without that case puts the cursor at the top.
        other = next(r for r in rows if r.id != case_id)
        only = queue.with_query(filter=QueueFilter(search=None, open_only=False, statuses=(other.status,),
                                                  kinds=(other.kind,), category=other.category))
        view.set_query(only)
        await settle(pilot)
        members = [r.id for r in only.rows(0, only.count())]
        assert view.cursor == (members.index(case_id) if case_id in members else 0)


async def test_an_older_query_that_answers_last_is_never_shown(mem_engine):
    """A slow filter replaced by a quick one: the slow one's late answer must not replace the quick one."""
    rows, queue, _want = desk(mem_engine)
    app = QueueApp(queue)
    async with app.run_test(size=(80, 12)) as pilot:
        await settle(pilot)
        view = app.query_one(QueueView)
        gate, started = threading.Event(), threading.Event()
        slow = queue.with_query(sort="ref")
        real_count = slow.count

        def held_count():
            started.set()
            assert gate.wait(10), "test never released the slow query"
            return real_count()

        slow.count = held_count
        some = rows[0]
        quick = queue.with_query(filter=QueueFilter(open_only=False, statuses=(some.status,)))
        view.set_query(slow)
        assert await asyncio.to_thread(started.wait, 10)
        view.set_query(quick)
        for _ in range(100):
            await pilot.pause(0.02)
            if view.queue is quick:
                break
        assert view.queue is quick and view.total == quick.count()
        gate.set()
        await settle(pilot)
        assert view.queue is quick and view.total == quick.count() != queue.count()
        assert app.counted[-1] == quick.count() and slow.count() not in app.counted[1:]


async def test_empty_queue_says_so(mem_engine):
    load(mem_engine, [])
    app = QueueApp(Queue(mem_engine, QueueFilter(), "due", NOW))
    async with app.run_test(size=(60, 8)) as pilot:
        await settle(pilot)
        view = app.query_one(QueueView)
        assert "No cases match." in screen(view)[0]
        await pilot.press("down", "end", "enter")
        assert app.selected == []


HOSTILE = [
    "[@click=app.quit]click me[/]",
    "[/]",
    "[$accent @click=app.quit]x",
    "\x1b[2Jwiped\x1b]52;c;ZXZpbA==\x07 bell\x07 \x9b31m",
]


async def test_markup_and_escapes_in_titles_and_names_are_shown_literally(mem_engine):
    load(mem_engine, [])
    with mem_engine.begin() as conn:
        conn.execute(insert(Case.__table__), [
            {"id": i + 1, "ref": f"C-{i + 1}", "kind": "complaint", "category": "x", "title": text, "stage": 1,
             "status": "new", "priority": 1, "vulnerable": True, "received_at": NOW, "due_at": NOW,
             "extension_days": 0, "version": 1, "created_at": NOW, "updated_at": NOW}
            for i, text in enumerate(HOSTILE)])
        conn.execute(insert(Party.__table__), [
            {"case_id": i + 1, "role": "customer", "name": text, "designated": False, "authorised": False,
             "created_at": NOW} for i, text in enumerate(HOSTILE)])
    app = QueueApp(Queue(mem_engine, QueueFilter(), "ref", NOW))
    async with app.run_test(size=(160, 8)) as pilot:
        await settle(pilot)
        view = app.query_one(QueueView)
        lines = screen(view)
        assert "[@click=app.quit]click me[/]" in lines[0]
        assert "[$accent @click=app.quit]x" in lines[2]
        assert "wiped" in lines[3] and "bell" in lines[3]
        for line in lines:
            assert not any(ch in line for ch in "\x1b\x07\x9b")
        assert app.is_running  # nothing was clicked into quitting


def test_columns_fit_the_width():
    narrow = [c.name for c in layout(34)]
    assert narrow[:4] == ["flag", "ref", "due", "status"] and narrow[-1] == "title"
    wide = [c.name for c in layout(160)]
    assert {"priority", "customer", "kind", "assigned"} <= set(wide)
    assert fit("abcdef", 4) == "abc…" and fit("ab", 4) == "ab  " and fit("日本語", 4) == "日 …"


def test_due_words_mark_overdue_and_due_soon_without_colour():
    soon = NOW + timedelta(days=2)
    assert due_words(NOW - timedelta(days=1), NOW, soon)[0].startswith("!")
    assert due_words(NOW + timedelta(hours=1), NOW, soon) == ("~today", "soon")
    assert due_words(NOW + timedelta(days=9), NOW, soon)[1] == ""
    assert due_words(None, NOW, soon) == (" -", "")
    assert due_words(NOW - timedelta(days=400), NOW, soon) == ("!Feb'25", "overdue")  # the year, not the day


async def test_set_query_deep_in_the_queue_paints_the_kept_case(mem_engine):
    """The kept case may be thousands of rows down in the new order: the frame and scrollbar follow."""
    import re

    rows = make_rows(random.Random(13), 600)
    load(mem_engine, rows)
    flt = QueueFilter(open_only=False)
    queue = Queue(mem_engine, flt, "due", NOW, page_size=50)
    app = QueueApp(queue)
    async with app.run_test(size=(60, 12)) as pilot:
        await settle(pilot)
        view = app.query_one(QueueView)
        view.focus()
        await pilot.press("end")
        await settle(pilot)
        case_id = view.highlighted_id
        by_ref = expected(rows, flt, "ref")
        view.set_query(queue.with_query(sort="ref"))
        await settle(pilot)
        assert view.cursor == by_ref.index(case_id) and view.highlighted_id == case_id
        painted = re.findall(r"C-\d+", app.export_screenshot())
        assert next(r.ref for r in rows if r.id == case_id) in painted
        assert view.scroll_y <= view.cursor < view.scroll_y + view.scrollable_content_region.height
        assert round(view.vertical_scrollbar.position) == round(view.scroll_y)  # the scrollbar moved too


async def test_a_new_query_looks_for_the_kept_case_only_within_keep_within(mem_engine, monkeypatch):
    """A filter or search keeps the cursor's case if it is among the first KEEP_WITHIN rows of the
    result (or the result is listed); further down, the cursor starts on the first row rather than
    paying for a count of every row before the case. A reload after a write looks as far as needed."""
    rows = make_rows(random.Random(13), 600)
    load(mem_engine, rows)
    flt = QueueFilter(open_only=False)
    queue = Queue(mem_engine, flt, "due", NOW, page_size=20, small_set=0, list_limit=0)
    by_ref = expected(rows, flt, "ref")
    app = QueueApp(queue)
    async with app.run_test(size=(60, 12)) as pilot:
        await settle(pilot)
        view = app.query_one(QueueView)
        near = next(i for i, case_id in enumerate(queue.rows(0, 600)) if 40 <= by_ref.index(case_id.id) < 60)
        far = next(i for i, case_id in enumerate(queue.rows(0, 600)) if by_ref.index(case_id.id) >= 300)
        monkeypatch.setattr(QueueView, "KEEP_WITHIN", 100)
        for index, kept in ((near, True), (far, False)):
            view.set_query(queue)
            await settle(pilot)
            view.move_cursor(index)
            await settle(pilot)
            case_id = view.highlighted_id
            view.set_query(queue.with_query(sort="ref"))
            await settle(pilot)
            # Near: past the first page read, found by a bounded count. Far: beyond the bound.
            assert view.cursor == (by_ref.index(case_id) if kept else 0), (index, kept)
        # A reload keeps the case wherever it is.
        view.move_cursor(by_ref.index(case_id))
        await settle(pilot)
        assert view.highlighted_id == case_id
        view.reload()
        await settle(pilot)
        assert view.cursor == by_ref.index(case_id) and view.highlighted_id == case_id


async def test_the_first_query_change_freezes_the_startup_heap(mem_engine, monkeypatch):
    """Objects made while the desk opened are frozen out of full garbage collections, once, when the
    handler first changes the query (not when the first query is shown)."""
    import gc

    from deskapp.tui.widgets import queue_view

    monkeypatch.setattr(queue_view, "_heap_frozen", False)
    gc.unfreeze()
    try:
        _rows, queue, _want = desk(mem_engine, n=30)
        app = QueueApp(queue)
        async with app.run_test(size=(60, 10)) as pilot:
            await settle(pilot)
            view = app.query_one(QueueView)
            assert gc.get_freeze_count() == 0
            view.set_query(queue.with_query(sort="ref"))
            await settle(pilot)
            frozen = gc.get_freeze_count()
            assert frozen > 0
            view.set_query(queue.with_query(sort="received"))
            await settle(pilot)
            assert gc.get_freeze_count() <= frozen  # once: later queries are not frozen in
    finally:
        gc.unfreeze()


async def test_reload_shows_changes_and_keeps_the_case(mem_engine):
    _rows, queue, want = desk(mem_engine, n=80)
    app = QueueApp(queue)
    async with app.run_test(size=(160, 12)) as pilot:
        await settle(pilot)
        view = app.query_one(QueueView)
        view.move_cursor(5)
        await settle(pilot)
        case_id = view.highlighted_id
        with mem_engine.begin() as conn:
            conn.exec_driver_sql("UPDATE cases SET title = 'Renamed [b]here[/b]' WHERE id = ?", (case_id,))
        view.reload()
        await settle(pilot)
        assert view.highlighted_id == case_id and view.cursor == 5
        assert any("Renamed [b]here[/b]" in line for line in screen(view))
        assert app.counted == [len(want), len(want)]


async def test_cases_removed_since_the_count_leave_blank_lines_not_a_reading_loop(mem_engine):
    _rows, queue, want = desk(mem_engine, n=30)
    reads = []
    real_rows = queue.rows

    def counting_rows(start, stop):
        reads.append((start, stop))
        return real_rows(start, stop)

    queue.count()
    with mem_engine.begin() as conn:  # another desk deletes the last ten after our count
        conn.exec_driver_sql("DELETE FROM contacts WHERE case_id IN (%s)" % ",".join(map(str, want[-10:])))
        conn.exec_driver_sql("DELETE FROM parties WHERE case_id IN (%s)" % ",".join(map(str, want[-10:])))
        conn.exec_driver_sql("DELETE FROM cases WHERE id IN (%s)" % ",".join(map(str, want[-10:])))
    queue.rows = counting_rows
    app = QueueApp(queue)
    async with app.run_test(size=(60, 40)) as pilot:
        await settle(pilot)
        view = app.query_one(QueueView)
        lines = screen(view)
        assert not any("···" in line for line in lines)
        before = len(reads)
        await settle(pilot)
        await pilot.pause(0.3)
        assert len(reads) == before  # nothing keeps asking for the missing rows
        assert view.total == 20 and app.counted[-1] == 20  # the view learnt where the queue ends
