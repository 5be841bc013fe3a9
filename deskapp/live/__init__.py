"""Live desks: many handlers on one database, kept in step.

- changes:  `record()` — one change-feed line, written inside each write's transaction.
- feed:     `ChangeFeed` — "what changed since I last looked", cheap polling on SQLite
            (PRAGMA data_version) and LISTEN/NOTIFY on PostgreSQL.
- presence: `Presence` — heartbeats saying who has which case open; `describe()` for the case view.
- retry:    `retry_transient()` — redo a transaction that lost a lock race instead of failing.
"""

from deskapp.store.changes import Change, record
from deskapp.live.feed import ChangeFeed
from deskapp.live.presence import Presence, Viewer, describe
from deskapp.store.retry import BusyError, is_transient, retry_on_busy, retry_transient

__all__ = [
    "BusyError", "Change", "ChangeFeed", "Presence", "Viewer", "describe", "is_transient", "record",
    "retry_on_busy", "retry_transient",
]
