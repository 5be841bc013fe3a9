"""The case queue as the desk reads it: the store's keyset-paged Queue, reached through this layer.

The UI asks for a desk's queue and for a filtered copy of it; it never builds SQL.
"""

from __future__ import annotations

from typing import Any, Optional

from deskapp.core.due import due_soon_until
from deskapp.store.queue import Queue, query_from_filters

__all__ = ["Queue", "desk_queue", "due_soon_until", "query_from_filters"]


def desk_queue(desk: Any) -> Optional[Queue]:
    """A Queue over the desk's database, sorted and filtered as the handler asks (None: no database)."""
    engine = getattr(desk, "engine", None)  # a test's desk (tests/tui FakeDesk) has none
    if engine is None:
        return None
    return Queue(engine, now=desk.now, me=desk.me.username, is_working_day=desk.policies.calendar.is_working_day)
