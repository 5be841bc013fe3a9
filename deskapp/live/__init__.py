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



def can_follow(desk) -> bool:
    """Whether this desk has a database to follow (a desk built for a test or a screenshot may not)."""
    return getattr(desk, "engine", None) is not None


def join(desk, **kwargs) -> Presence:
    """Presence for this desk's handler (started by the caller): the UI hands over the desk, not its engine."""
    return Presence(desk.engine, desk.me.id, desk.me.username, getattr(desk, "name", ""), **kwargs)


def follow(desk, **kwargs) -> ChangeFeed:
    """The change feed of this desk's database."""
    return ChangeFeed(desk.engine, **kwargs)


__all__ = [
    "can_follow", "follow", "join",
    "BusyError", "Change", "ChangeFeed", "Presence", "Viewer", "describe", "is_transient", "record",
    "retry_on_busy", "retry_transient",
]
