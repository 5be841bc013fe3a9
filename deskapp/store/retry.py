"""Redo a transaction that lost a lock race, instead of showing the handler a crash.

SQLite answers "database is locked" when another desk held the write lock for
longer than the busy timeout; PostgreSQL aborts one side of a deadlock or a
serialization failure. In each case nothing was written, so doing the whole
transaction again is safe. After a few tries the handler gets one line.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from deskapp.errors import StorageError

T = TypeVar("T")

ATTEMPTS = 6
FIRST_DELAY_S = 0.05
MAX_DELAY_S = 1.0

# PostgreSQL SQLSTATEs that mean "nothing happened, try again".
_PG_RETRY_STATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_SQLITE_BUSY_WORDS = ("database is locked", "database table is locked", "database is busy")


class BusyError(StorageError):
    """The database stayed busy through every retry. Nothing was saved."""


def is_transient(exc: BaseException) -> bool:
    """True for lock/serialization errors after which the transaction can simply be redone."""
    orig = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else exc
    if orig is None:
        return False
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in _PG_RETRY_STATES:
        return True
    name = type(orig).__name__
    if name in ("SerializationFailure", "DeadlockDetected"):
        return True
    if name == "OperationalError" and type(orig).__module__.startswith("sqlite3"):
        text = str(orig).lower()
        return any(word in text for word in _SQLITE_BUSY_WORDS)
    return False


def retry_transient(
    fn: Callable[[], T],
    *,
    what: str = "save",
    attempts: int = ATTEMPTS,
    first_delay: float = FIRST_DELAY_S,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `fn()`; if it fails with a transient lock error, wait (jittered backoff) and call it again.

    `fn` must run its own whole transaction, so a retry starts from scratch.
    Raises BusyError (a one-line StorageError) when every attempt was refused.
    """
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except DBAPIError as exc:
            if not is_transient(exc):
                raise
            if attempt == attempts:
                raise BusyError(
                    f"could not {what}: the database stayed busy with other desks' writes "
                    f"({attempts} tries); nothing was saved — try again"
                ) from exc
        sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, MAX_DELAY_S)
    raise AssertionError("unreachable")  # pragma: no cover


def retry_on_busy(what: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorator: run a whole one-transaction action again if it lost a lock race (see retry_transient)."""

    def wrap(fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs) -> T:
            return retry_transient(lambda: fn(*args, **kwargs), what=what)

        return wrapper

    return wrap
