"""The case queue on screen: a virtual list over deskapp.store.queue.Queue.

Only the lines on screen are drawn (Textual's Line API): the view's virtual
height is the number of cases, and each visible line asks the Queue for its
row from the page cache. A row not read yet is drawn as a dim placeholder
while a worker thread reads its page; then just those lines are redrawn. So a
million cases open as fast as a hundred, and moving the cursor redraws two
lines (the old and the new cursor row), which keeps a keystroke over SSH to a
few hundred bytes.

Titles and names are customer/handler text: they are drawn as plain Segments
(never markup) after deskapp.tui.text.safe_text strips terminal control
sequences, and cut to their column by display cells.

Styling is by component classes (queue-view--cursor, --overdue, --due-soon,
--vulnerable, ...) so themes restyle it; overdue and due-soon dates also carry
a character ("!" / "~") so they read the same at 16 colours or none.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Collection, Mapping, Optional

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.worker import Worker, get_current_worker

from deskapp.tui.text import one_line, safe_text
from deskapp.tui.widgets.quiet_scrollbar import QuietScrollbar

log = logging.getLogger(__name__)

STATUS_WORDS = {
    "new": "new",
    "acknowledged": "acked",
    "investigating": "investig.",
    "awaiting_customer": "await cust",
    "awaiting_third_party": "await 3rd",
    "responded": "responded",
    "closed": "closed",
}
KIND_WORDS = {"service_request": "service"}


@dataclass(frozen=True)
class _Column:
    name: str
    width: int  # cells; the title column takes what is left
    title_keeps: int = 0  # an optional column is shown only if the title keeps this many cells


BASE_COLUMNS = (_Column("flag", 1), _Column("ref", 9), _Column("due", 7), _Column("status", 10))
# Columns beyond ref, due and status, in the order they come in as the pane widens: a column is
# shown only if every one before it is, so widening never swaps one column for another.
# Each asks more of the title than the one before, so a wider pane gives the title room first.
OPTIONAL_COLUMNS = (_Column("customer", 14, 12), _Column("priority", 2, 12), _Column("assigned", 8, 16),
                    _Column("kind", 20, 20))
COLUMN_ORDER = ("flag", "ref", "priority", "due", "status", "customer", "kind", "assigned")
# What the handler may hide (`-`) and resize (`<` `>`); the mark, the ref and the title always show.
HIDEABLE_COLUMNS = ("priority", "due", "status", "customer", "kind", "assigned")
SIZED_COLUMNS = ("customer", "kind", "assigned")
COLUMN_LABELS = {"priority": "Priority", "due": "Due date", "status": "Status", "customer": "Customer",
                 "kind": "Kind / category", "assigned": "Assigned to"}
COLUMN_WIDTH_STEP = 2  # cells per press of `<` or `>`


def layout(width: int, hidden: Collection[str] = (), widths: Optional[Mapping[str, int]] = None
           ) -> tuple[_Column, ...]:
    """Which columns fit in `width` cells (ref, due, status always; then OPTIONAL_COLUMNS in order).

    A 62-column queue pane (100 columns and up) shows the customer's name
    and a title of 12+ cells; wider, the priority, then (title 16+) the
    assignee and (title 20+) the kind/category. The title takes what is left.
    The handler's `hidden` columns are left out and `widths` replace the
    default widths (config.yaml `queue:`, keys `-` `+` `<` `>`).
    """
    widths = widths or {}

    def sized(column: _Column) -> _Column:
        return dataclasses.replace(column, width=widths[column.name]) if column.name in widths else column

    cols = [sized(c) for c in BASE_COLUMNS if c.name not in hidden]
    used = sum(c.width for c in cols) + len(cols) - 1
    for extra in (sized(c) for c in OPTIONAL_COLUMNS if c.name not in hidden):
        if width - (used + extra.width + 1) < extra.title_keeps + 1:
            break
        cols.append(extra)
        used += extra.width + 1
    cols.sort(key=lambda c: COLUMN_ORDER.index(c.name))
    return tuple(cols) + (_Column("title", 0),)


def fit(text: str, width: int) -> str:
    """`text` cut or padded to exactly `width` display cells, with an ellipsis when cut."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def due_words(due: Optional[datetime], now: datetime, soon: datetime) -> tuple[str, str]:
    """(text, state) for the due column: '!today', '~14 Mar', ' 02 Apr', "!Dec'25", ' -' (7 cells at most).

    state is overdue, soon or ''; the mark makes it readable without colour.
    """
    if due is None:
        return " -", ""
    state = "overdue" if due < now else ("soon" if due < soon else "")
    mark = {"overdue": "!", "soon": "~"}.get(state, " ")
    if due.date() == now.date():
        day = "today"
    elif abs((due - now).days) < 180:
        day = due.strftime("%d %b")
    else:  # far off (or long overdue): the year matters more than the day
        day = due.strftime("%b'%y")
    return mark + day, state


class QueueView(QuietScrollbar, ScrollView, can_focus=True):
    """The case queue: a cursor over a Queue's rows, read page by page in workers.

    Messages: Highlighted(case_id) when the cursor rests on a case (debounced),
    Selected(case_id) on Enter or double click, Counted(total) when a query's
    count is known. Call set_query(queue) to show another filter or sort; the
    cursor stays on the same case if the new queue has it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", id="queue.up", show=False, tooltip="Previous case"),
        Binding("down,j", "cursor_down", "Down", id="queue.down", show=False, tooltip="Next case"),
        Binding("pageup,ctrl+u", "page_up", "Page up", id="queue.page_up", show=False,
                tooltip="Up one screen of cases"),
        Binding("pagedown,ctrl+d", "page_down", "Page down", id="queue.page_down", show=False,
                tooltip="Down one screen of cases"),
        Binding("home,g", "first", "First", id="queue.first", show=False, tooltip="First case in the queue"),
        Binding("end,G", "last", "Last", id="queue.last", show=False, tooltip="Last case in the queue"),
        Binding("enter", "select", "Open", id="queue.select", tooltip="Open the highlighted case"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "queue-view--cursor",
        "queue-view--cursor-blurred",
        "queue-view--overdue",
        "queue-view--due-soon",
        "queue-view--vulnerable",
        "queue-view--urgent",
        "queue-view--muted",
        "queue-view--closed",
        "queue-view--mark",
        "queue-view--placeholder",
        "queue-view--message",
    }

    DEFAULT_CSS = """
    QueueView {
        overflow-x: hidden;
        overflow-y: auto;
        & > .queue-view--cursor {
            color: $block-cursor-foreground;
            background: $block-cursor-background;
            text-style: $block-cursor-text-style;
        }
        & > .queue-view--cursor-blurred {
            color: $block-cursor-blurred-foreground;
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .queue-view--overdue { color: $text-error; text-style: bold; }
        & > .queue-view--due-soon { color: $text-warning; }
        & > .queue-view--vulnerable { color: $text-warning; text-style: bold; }
        & > .queue-view--urgent { color: $text-error; text-style: bold; }
        & > .queue-view--muted { color: $text-muted; }
        & > .queue-view--closed { color: $text-muted; }
        & > .queue-view--mark { color: $text-warning; text-style: bold; }
        & > .queue-view--placeholder { color: $text-muted; }
        & > .queue-view--message { color: $text-muted; text-style: italic; }
    }
    """

    # How long the cursor must rest before Highlighted is posted (the case pane loads on it).
    HIGHLIGHT_DELAY = 0.08
    # Rows read beyond the visible ones, so the next PageDown is usually already cached.
    READ_AHEAD = 1.0  # screens
    STRIP_CACHE = 512
    # After a filter or search, the cursor's case is looked for this far down the new result (see _find_kept).
    KEEP_WITHIN = 50_000

    class _CaseMessage(Message):
        """Something about one case of the queue: which case, and where it is."""

        def __init__(self, view: "QueueView", case_id: int, index: int) -> None:
            super().__init__()
            self.view = view
            self.case_id = case_id
            self.index = index

        @property
        def control(self) -> "QueueView":
            return self.view

    class Highlighted(_CaseMessage):
        """The cursor rests on a case."""

    class Selected(_CaseMessage):
        """The handler chose a case (Enter or double click)."""

    class Counted(Message):
        """The shown query's size is known (after set_query or reload)."""

        def __init__(self, view: "QueueView", total: int, truncated: bool, persons: tuple[int, ...] = (),
                     more_persons: bool = False) -> None:
            super().__init__()
            self.view = view
            self.total = total
            self.truncated = truncated
            self.persons = persons  # a search: the persons it read the text as (deskapp.store.search)
            self.more_persons = more_persons  # and there were more of them than that

        @property
        def control(self) -> "QueueView":
            return self.view

    # Internal: results from worker threads (messages are safe to post from any thread). Each carries
    # what it answers (the worker, the queue), so an answer to an older request is dropped, never shown.
    class _Ready(Message):
        def __init__(self, worker: Optional[Worker], queue: Any, total: int, cursor: int, error: str = "") -> None:
            super().__init__()
            self.worker, self.queue, self.total, self.cursor, self.error = worker, queue, total, cursor, error

    class _Rows(Message):
        def __init__(self, queue: Any, start: int, stop: int, error: str = "") -> None:
            super().__init__()
            self.queue, self.first, self.end, self.error = queue, start, stop, error

    def __init__(self, queue: Any = None, *, name: Optional[str] = None, id: Optional[str] = None,
                 classes: Optional[str] = None, disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.queue: Any = None
        self.total: Optional[int] = None
        self.cursor = 0
        self.error = ""
        self._query_worker: Optional[Worker] = None  # the latest set_query/reload: only its answer is shown
        self._pending: set[int] = set()  # pages of self.queue being read
        self._wanted: set[int] = set()  # rows seen missing while drawing, read after the frame
        self._flush_scheduled = False
        self._recounted = False  # the query on screen comes from a recount (see on_queue_view__rows)
        self._strips: OrderedDict[tuple, Strip] = OrderedDict()
        self._highlight_timer: Optional[Timer] = None
        self._highlighted_id: Optional[int] = None
        self._highlight_wanted = False
        self._now = datetime.now()
        self._soon = self._now
        self._initial = queue
        self.marks: dict[int, str] = {}  # case id -> "A" (approval waiting) / "D" (my draft): see set_marks
        self.hidden_columns: frozenset[str] = frozenset()  # the handler's choice (config.yaml `queue:`)
        self.column_widths: dict[str, int] = {}

    # --- public API ---------------------------------------------------------------

    def on_mount(self) -> None:
        super().on_mount()
        if self._initial is not None:
            self.set_query(self._initial)
            self._initial = None

    def set_columns(self, hidden: Collection[str], widths: Mapping[str, int]) -> None:
        """Hide these columns and give these widths (from config.yaml, or `-` `+` `<` `>`); redraw."""
        self.hidden_columns, self.column_widths = frozenset(hidden), dict(widths)
        self._strips.clear()
        self.refresh()

    def columns(self) -> tuple[_Column, ...]:
        """The columns shown at the view's width: what `-` and `<` `>` offer."""
        return layout(self.scrollable_content_region.width, self.hidden_columns, self.column_widths)

    @property
    def highlighted_row(self) -> Any:
        """The QueueRow under the cursor if it has been read (else None)."""
        if self.queue is None or not self.total:
            return None
        return self.queue.cached(self.cursor)

    @property
    def highlighted_id(self) -> Optional[int]:
        row = self.highlighted_row
        return row.id if row is not None else None

    def set_query(self, queue: Any, keep_id: Optional[int] = None) -> None:
        """Show `queue` (another filter or sort). The cursor stays on the same case if it is in it.

        `keep_id` puts the cursor on that case instead, wherever it is in `queue` (a case
        just opened with `N`). The old rows stay on screen until the new queue's count and
        first rows are read, so switching does not flash.
        """
        if self.queue is not None:
            freeze_startup_heap()
        self._recounted = False
        if self.queue is None and getattr(queue, "serves_at_once", False):
            # The desk's first page (deskapp.store.first_page): its count and rows are in memory
            # already, so they go into the very first frame instead of a worker and a second frame.
            self.workers.cancel_group(self, "queue-query")
            self._query_worker = None
            self.on_queue_view__ready(self._Ready(None, queue, queue.count(), 0))
            return
        keep, bounded = (self.highlighted_id, None) if keep_id is None else (keep_id, False)
        self._query_worker = self._read_query(queue, keep, self.cursor, self._visible_height(), bounded=bounded)

    def set_marks(self, marks: dict[int, str]) -> None:
        """Mark these cases in a column after the flag (shown only while some case has a mark)."""
        if marks != self.marks:
            self.marks = dict(marks)
            self._strips.clear()
            self.refresh()

    def _columns(self, width: int) -> tuple:
        cols = layout(width, self.hidden_columns, self.column_widths)
        if not self.marks:
            return cols
        # The title column takes what is left, so it gives up the two cells.
        return (cols[0], _Column("mark", 1), *cols[1:])

    def reload(self) -> None:
        """Re-read the current queue (after a write): counts and rows, keeping the cursor's case."""
        if self.queue is None:
            return
        self._recounted = False
        self._reread()

    def _reread(self) -> None:
        # A fresh queue (same filter and sort, "now" re-read): the current rows stay on screen until
        # it is read, and no worker reading the old one is disturbed (or waited for) on this thread.
        self._query_worker = self._read_query(self.queue.with_query(), self.highlighted_id, self.cursor,
                                              self._visible_height(), forget=True)

    # --- loading in workers -------------------------------------------------------

    def _visible_height(self) -> int:
        return max(self.scrollable_content_region.height, 1)

    @work(thread=True, exclusive=True, group="queue-query", exit_on_error=False)
    def _read_query(self, queue: Any, keep_id: Optional[int], old_cursor: int, height: int,
                    forget: bool = False, bounded: Optional[bool] = None) -> None:
        """Count `queue`, find the kept case and read the rows around it; post _Ready.

        The kept case is looked for only near the top (`bounded`) unless this re-reads after
        a write (`forget`) or the case was asked for by name (`bounded=False`).

        A newer query cancels this one: a thread cannot be stopped, but its answer is not posted.
        """
        worker = get_current_worker()
        try:
            if forget:
                queue.invalidate()  # also re-reads handler names (a new colleague, a rename)
            total = queue.count()
            cursor = 0
            if keep_id is not None and total:
                bounded = not forget if bounded is None else bounded
                found = self._find_kept(queue, keep_id, total, height, old_cursor, bounded=bounded)
                cursor = found if found is not None else 0
            if total:
                top = max(min(cursor - height // 2, total - height), 0)
                queue.rows(top, top + height)
            ready = self._Ready(worker, queue, total, cursor)
        except Exception as exc:  # noqa: BLE001 - a worker must not take the desk down
            log.exception("queue: reading %r failed", queue)
            ready = self._Ready(worker, queue, 0, 0, error=one_line(exc))
        if not worker.is_cancelled:
            self.post_message(ready)

    @classmethod
    def _find_kept(cls, queue: Any, keep_id: int, total: int, height: int, old_cursor: int,
                   bounded: bool) -> Optional[int]:
        """Where the cursor's case is in `queue` (a worker thread), or None to start at the top.

        First the rows the screen would show anyway: at the top (a filter or
        search usually keeps the cursor's case near it) and, after a write,
        around the old cursor. Then `index_of`, which counts every row before
        the case; for a new filter or search (`bounded`) only as far as
        KEEP_WITHIN rows (`index_within`), so a case deep in a big result costs a few milliseconds and the cursor
        starts on the first row. A reload (after a write) looks as far as needed.
        """
        starts = [0] if bounded else [max(old_cursor - height, 0), 0]
        for start in starts:
            stop = min(start + max(2 * height, queue.page_size), total)
            for i, row in enumerate(queue.rows(start, stop), start):
                if row.id == keep_id:
                    return i
        if bounded:
            return queue.index_within(keep_id, cls.KEEP_WITHIN)
        return queue.index_of(keep_id)

    def on_queue_view__ready(self, message: "QueueView._Ready") -> None:
        message.stop()
        if message.worker is not self._query_worker:
            return  # answers a query that a newer one replaced
        self.queue = message.queue
        self.error = message.error
        self.total = message.total
        self._pending.clear()
        self._strips.clear()
        self._now = self._clock()
        self._soon = self._due_soon_limit()
        self.virtual_size = Size(0, max(self.total, 1))
        self.cursor = min(message.cursor, max(self.total - 1, 0))
        height = self._visible_height()
        if not (self.scroll_y <= self.cursor < self.scroll_y + height):
            # Assigned (not set_scroll, which skips the watchers) so the scrollbar follows.
            self.scroll_y = max(min(self.cursor - height // 2, self.total - height), 0)
        self.refresh()
        self._highlighted_id = None
        self._schedule_highlight(immediate=True)
        self.post_message(self.Counted(self, self.total, self.queue.truncated,
                                       tuple(getattr(self.queue, "persons", ()) or ()),
                                       bool(getattr(self.queue, "more_persons", False))))

    def _clock(self) -> datetime:
        clock = getattr(self.queue, "_clock", None)
        if callable(clock):
            return clock()
        return datetime.now().replace(microsecond=0)

    def _due_soon_limit(self) -> datetime:
        from deskapp.actions.queue import due_soon_until

        return due_soon_until(self._now, is_working_day=self.queue.is_working_day)

    def _flush_wanted(self) -> None:
        self._flush_scheduled = False
        wanted, self._wanted = self._wanted, set()
        # One read per cluster of nearby rows, not one per page: Queue.rows orders the pages
        # itself, so End walks back from the end of the queue instead of jumping (count every
        # run, then OFFSET) to the page above the last one. Rows on screen first, read-ahead after.
        top = round(self.scroll_y)
        on_screen = sorted(i for i in wanted if top <= i < top + self._visible_height())
        for group in (on_screen, sorted(set(wanted) - set(on_screen))):
            if not group:
                continue
            gap = 2 * self.queue.page_size
            first = last = group[0]
            for index in group[1:]:
                if index - last > gap:
                    self._request_range(first, last)
                    first = index
                last = index
            self._request_range(first, last)

    def _request(self, index: int) -> None:
        """Read the page holding `index` in a worker."""
        self._request_range(index, index)

    def _request_range(self, first: int, last: int) -> None:
        """Read the pages holding rows first..last (those not already being read) in one worker."""
        queue = self.queue
        if queue is None or self.total is None:
            return
        page_size = queue.page_size
        pages = [p for p in range(first // page_size, last // page_size + 1) if p not in self._pending]
        if not pages:
            return
        self._pending.update(pages)
        self._read_rows(queue, pages[0] * page_size, (pages[-1] + 1) * page_size)

    # Not exclusive: the rows on screen and the read-ahead are read side by side, each answer
    # naming its queue (on_queue_view__rows drops those of a queue no longer shown).
    @work(thread=True, group="queue-rows", exit_on_error=False)
    def _read_rows(self, queue: Any, start: int, stop: int) -> None:
        try:
            queue.rows(start, stop)
            self.post_message(self._Rows(queue, start, stop))
        except Exception as exc:  # noqa: BLE001
            log.exception("queue: reading rows %s-%s failed", start, stop)
            self.post_message(self._Rows(queue, start, stop, error=one_line(exc)))

    def on_queue_view__rows(self, message: "QueueView._Rows") -> None:
        message.stop()
        if message.queue is not self.queue:
            return  # rows of a queue no longer shown
        page_size = self.queue.page_size
        for page in range(message.first // page_size, max(message.end - 1, message.first) // page_size + 1):
            self._pending.discard(page)
        if message.error:
            self.error = message.error
            self.refresh()
            return
        if self._came_back_short(message.first, message.end) and not self._recounted:
            # Cases closed or removed since the count: positions are off. Count again (once per
            # query, so a desk where cases keep closing cannot keep us reloading).
            self._recounted = True
            self._reread()
            return
        top, height = round(self.scroll_y), self._visible_height()
        lo, hi = max(message.first, top), min(message.end, top + height)
        if lo < hi:
            self._forget_strips(lo, hi)
            self.refresh_lines(lo, hi - lo)
        if self._highlight_wanted and message.first <= self.cursor < message.end:
            self._schedule_highlight(immediate=True)

    def _came_back_short(self, first: int, end: int) -> bool:
        queue, total = self.queue, self.total or 0
        if queue is None:
            return False
        return any(queue.cached(i) is None and queue.is_loaded(i, i + 1) for i in range(first, min(end, total)))

    # --- drawing ---------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        base = self.rich_style
        if self.error:
            text = "Could not read the queue: " + safe_text(self.error, single_line=True) if y == 0 else ""
            return self._message_strip(text, width, base)
        if self.queue is None or self.total is None:
            return self._message_strip("Loading cases…" if y == 0 else "", width, base)
        if self.total == 0:
            return self._message_strip("No cases match." if y == 0 else "", width, base)
        if index >= self.total:
            return Strip.blank(width, base)
        row = self.queue.cached(index)
        is_cursor = index == self.cursor
        if row is None and self.queue.is_loaded(index, index + 1):
            # Its page was read and came back short: cases closed or removed since the count.
            # Draw nothing (asking again would loop); the next reload recounts.
            return Strip.blank(width, base)
        if row is None:
            # Read its page (and a screen ahead, so PageDown usually finds rows cached) after this frame.
            ahead = index + int(self._visible_height() * self.READ_AHEAD)
            self._wanted.add(index)
            if ahead < self.total and self.queue.cached(ahead) is None:
                self._wanted.add(ahead)
            if not self._flush_scheduled:
                self._flush_scheduled = True
                self.call_later(self._flush_wanted)
            return self._placeholder(width, base, is_cursor)
        key = (index, row, is_cursor, self.has_focus, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._row_strip(row, width, base, is_cursor)
            self._strips[key] = strip
            while len(self._strips) > self.STRIP_CACHE:
                self._strips.popitem(last=False)
        return strip

    def _forget_strips(self, lo: int, hi: int) -> None:
        for key in [k for k in self._strips if lo <= k[0] < hi]:
            del self._strips[key]

    def _style(self, name: str, partial: bool = True) -> Style:
        return self.get_component_rich_style(name, partial=partial)

    def _cursor_style(self, base: Style) -> Style:
        name = "queue-view--cursor" if self.has_focus else "queue-view--cursor-blurred"
        return base + self.get_component_rich_style(name, partial=True)

    def _message_strip(self, text: str, width: int, base: Style) -> Strip:
        style = base + self._style("queue-view--message")
        return Strip([Segment(fit(" " + text, width), style)], width) if text else Strip.blank(width, base)

    def _placeholder(self, width: int, base: Style, is_cursor: bool) -> Strip:
        style = (self._cursor_style(base) if is_cursor else base) + self._style("queue-view--placeholder")
        return Strip([Segment(fit("  ···", width), style)], width)

    def _row_strip(self, row: Any, width: int, base: Style, is_cursor: bool) -> Strip:
        line = self._cursor_style(base) if is_cursor else base
        if row.status == "closed":
            line = line + self._style("queue-view--closed")
        muted = self._style("queue-view--muted")
        segments: list[Segment] = []
        for i, col in enumerate(self._columns(width)):
            if i:
                segments.append(Segment(" ", line))
            if col.name == "title":
                used = sum(s.cell_length for s in segments)
                col = _Column("title", max(width - used, 0))
            text, extra = self._cell(row, col.name, muted)
            segments.append(Segment(fit(text, col.width), line + extra if extra else line))
        # One SGR run per style change, not per column: a cursor move over SSH costs half the bytes.
        return Strip(Segment.simplify(segments)).adjust_cell_length(width, line)

    def _cell(self, row: Any, name: str, muted: Style) -> tuple[str, Optional[Style]]:
        if name == "flag":
            return ("V", self._style("queue-view--vulnerable")) if row.vulnerable else (" ", None)
        if name == "mark":
            mark = self.marks.get(row.id)
            return (mark, self._style("queue-view--mark")) if mark else (" ", None)
        if name == "ref":
            return safe_text(row.ref, single_line=True), None
        if name == "priority":
            urgent = row.priority == 1
            return f"P{row.priority}", self._style("queue-view--urgent") if urgent else muted
        if name == "due":
            text, state = due_words(row.due_at, self._now, self._soon)
            if row.status == "closed":
                state = ""
            style = {"overdue": "queue-view--overdue", "soon": "queue-view--due-soon"}.get(state)
            return text, self._style(style) if style else None
        if name == "status":
            return STATUS_WORDS.get(row.status, safe_text(row.status, single_line=True)), muted
        if name == "kind":
            kind = KIND_WORDS.get(row.kind, row.kind)
            return safe_text(f"{kind}/{row.category}", single_line=True), muted
        if name == "customer":
            return safe_text(row.customer or "", single_line=True), None
        if name == "assigned":
            return safe_text(row.assigned_to or "-", single_line=True), muted
        return safe_text(row.title, single_line=True), None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._strips.clear()

    def on_focus(self) -> None:
        self._refresh_cursor_line()

    def on_blur(self) -> None:
        self._refresh_cursor_line()

    def _refresh_cursor_line(self) -> None:
        if self.total:
            self.refresh_line(self.cursor)

    def refresh_line(self, y: int) -> None:
        self.refresh_lines(y, 1)

    def refresh_lines(self, y_start: int, line_count: int = 1) -> None:
        """Repaint rows, but not the scrollbar beside them (Textual's own repaints it with every row:
        ~35 bytes a row over SSH for cells that did not change)."""
        width = self.scrollable_content_region.width
        self.refresh(Region(0, y_start - round(self.scroll_y), width, line_count))

    # --- the cursor ---------------------------------------------------------------------

    def move_cursor(self, index: int, *, keep_screen_row: bool = False) -> None:
        """Put the cursor on `index` (clamped), scrolling only as far as needed."""
        if not self.total:
            return
        old = self.cursor
        new = max(0, min(index, self.total - 1))
        height = self._visible_height()
        top = round(self.scroll_y)
        if keep_screen_row:
            new_top = max(0, min(top + (new - old), max(self.total - height, 0)))
        elif new < top:
            new_top = new
        elif new >= top + height:
            new_top = new - height + 1
        else:
            new_top = top
        self.cursor = new
        if new_top != top:
            # Assigning scroll_y (not set_scroll, which skips the watchers) repaints the view and
            # moves the scrollbar; set_scroll alone left cached rows undrawn after Home/PageDown.
            self.scroll_y = new_top
        elif new != old:
            self.refresh_line(old)
            self.refresh_line(new)
        if new != old:
            self._schedule_highlight()

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - self._visible_height(), keep_screen_row=True)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + self._visible_height(), keep_screen_row=True)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        if self.total:
            self.move_cursor(self.total - 1)

    def action_select(self) -> None:
        row = self.highlighted_row
        if row is not None:
            self.post_message(self.Selected(self, row.id, self.cursor))

    def on_click(self, event: events.Click) -> None:
        if not self.total:
            return
        index = round(self.scroll_y) + event.y
        if 0 <= index < self.total:
            self.move_cursor(index)
            if event.chain >= 2:
                self.action_select()

    def _schedule_highlight(self, immediate: bool = False) -> None:
        """Post Highlighted once the cursor rests (and its row is read)."""
        self._highlight_wanted = True
        if self._highlight_timer is not None:
            self._highlight_timer.stop()
            self._highlight_timer = None
        if immediate:
            self._post_highlight()
        else:
            self._highlight_timer = self.set_timer(self.HIGHLIGHT_DELAY, self._post_highlight)

    def _post_highlight(self) -> None:
        self._highlight_timer = None
        row = self.highlighted_row
        if row is None:
            if self.total:
                self._request(self.cursor)  # posted when the row arrives (on_queue_view__rows)
            return
        self._highlight_wanted = False
        if row.id != self._highlighted_id:
            self._highlighted_id = row.id
            self.post_message(self.Highlighted(self, row.id, self.cursor))


_heap_frozen = False


def freeze_startup_heap() -> None:
    """Once per process, when the handler first changes the query: take every object made so far out
    of the cyclic garbage collector's sight (gc.freeze).

    By then the desk has opened: the imported modules, the ORM's metadata, the
    policy pack and the first screen (~160k objects) live as long as the
    process. Left in, every full collection walked them all: a 90-140 ms pause
    (2 cores, 1M-case desk) that landed inside every few filters or searches.
    Frozen objects are still freed by reference counting; only cycles among
    them are never collected, a one-off few hundred KB at most.
    """
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.freeze()



__all__ = ["QueueView", "layout", "fit", "due_words", "OPTIONAL_COLUMNS", "STATUS_WORDS"]
