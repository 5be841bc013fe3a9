"""The seam between the main screen and the virtual queue (deskapp.store.queue + QueueView).

The main screen thinks in QueueFilters; the queue view wants a query object
from the store's queue module. This module is the only place that knows both,
so either side can change without the other noticing.
"""

from __future__ import annotations

import logging
from typing import Any

from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from deskapp.tui.filters import QueueFilters

log = logging.getLogger(__name__)


def make_queue_view(*, id: str, classes: str = "") -> Widget:
    """The queue widget, or a clear placeholder if this build has no queue view."""
    try:
        from deskapp.tui.widgets.queue_view import QueueView
    except ImportError:
        placeholder = Static(Content("The case queue is not available in this build."), id=id,
                             classes=f"{classes} queue-missing", markup=False)
        placeholder.can_focus = True
        return placeholder
    return QueueView(id=id, classes=classes)


def build_query(desk: Any, filters: QueueFilters) -> Any:
    """A queue query for the store's queue module from the handler's filters (None if unavailable)."""
    try:
        from deskapp.store import queue as store_queue
    except ImportError:
        return None
    base = getattr(desk, "queue", None)
    if base is None:
        return None
    make = getattr(store_queue, "query_from_filters", None)
    if make is not None:
        return make(base, filters)
    return base


def apply(view: Widget, desk: Any, filters: QueueFilters) -> str:
    """Point the queue view at the cases matching `filters`. Returns words for the queue title."""
    query = build_query(desk, filters)
    set_query = getattr(view, "set_query", None)
    if query is None or set_query is None:
        return ""
    set_query(query)
    return ""


def reload(view: Widget) -> None:
    """Re-read the rows on screen (after an action changed a case)."""
    for name in ("reload", "refresh_rows", "invalidate"):
        method = getattr(view, name, None)
        if callable(method):
            method()
            return
