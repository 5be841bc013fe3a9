"""The case queue as the desk reads it: the store's keyset-paged Queue, reached through this layer.

The UI asks for a desk's queue and for a filtered copy of it; it never builds SQL.
"""

from __future__ import annotations

from deskapp.store.due import due_soon_until
from deskapp.store.queue import Queue, query_from_filters

__all__ = ["Queue", "due_soon_until", "query_from_filters"]
