"""The seam between the main screen and the virtual queue (deskapp.store.queue + QueueView).

The main screen thinks in QueueFilters; the queue view wants a Queue from the
store's queue module. This module is the only place that knows both, so
either side can change without the other noticing. Building a Queue runs no
SQL; counting and reading rows do, in the queue view's workers.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from deskapp.tui.filters import QueueFilters
from deskapp.tui.widgets.queue_view import QueueView

log = logging.getLogger(__name__)


def base_queue(desk: Any) -> Optional[Any]:
    """The desk's queue source: `desk.queue` when the desk provides one, else one built for it."""
    queue = getattr(desk, "queue", None)
    if queue is not None:
        return queue
    from deskapp.actions.queue import desk_queue

    return desk_queue(desk)


def build_query(desk: Any, filters: QueueFilters) -> Optional[Any]:
    """A Queue for the handler's filters, or None when the desk has no database (a test's desk)."""
    base = base_queue(desk)
    if base is None:
        return None
    if getattr(base, "usual_queue", False) and not filters.active and filters.sort == "due":
        return base  # the desk's first page (deskapp.store.first_page): already the usual queue
    from deskapp.actions.queue import query_from_filters

    return query_from_filters(base, filters)


def apply(view: QueueView, query: Optional[Any]) -> bool:
    """Point the queue view at `query`. False when there is no queue to show."""
    if query is None:
        return False
    view.set_query(query)
    return True


def count_words(total: int, truncated: bool = False, *, searching: bool = False) -> str:
    """'1,234 cases' / '1 case' / 'no cases' / '200+ matches' for the queue title."""
    noun, plural = ("match", "matches") if searching else ("case", "cases")
    if truncated:
        return f"{total:,}+ {plural}"
    if total == 0:
        return f"no {plural}"
    return f"{total:,} {noun if total == 1 else plural}"


def reload(view: QueueView, keep_id: Optional[int] = None) -> None:
    """Re-read the rows on screen (after a write here or at another desk), keeping the cursor's case.

    `keep_id` moves the cursor to that case instead (a case the handler just opened).

    A fresh Queue with the same filter and sort is handed to the view, so the view
    reads the case under its cursor from the old queue's cache before anything is
    forgotten; the old queue is invalidated afterwards (that also drops the shared
    handler-name cache). Reloading the same queue object would forget the cursor's
    case first and put the cursor back on the first row.
    """
    queue = view.queue
    if queue is not None:
        view.set_query(queue.with_query(), keep_id=keep_id)
        queue.invalidate()
