"""Who else has this case open: heartbeats from every running desk.

Each desk keeps one `presence` row (its session token, handler, desk name, the
case on screen and since when) and touches `last_seen` every few seconds from
a background thread. A desk that dies — kill -9, a dropped SSH link, a power
cut — simply stops touching its row, and after `expire_after` seconds nobody
counts it any more; old rows are swept away later by any live desk.

Opening or leaving a case also writes a "presence" line to the change feed, so
the other desks looking at that case update their "also open" line at once
rather than at their next heartbeat.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from deskapp.store import presence as rows_of
from deskapp.store.changes import prune
from deskapp.store.retry import retry_transient

HEARTBEAT_S = 10.0
EXPIRE_AFTER_S = 30.0
# Every this many heartbeats a desk also sweeps dead desks' rows and old feed lines.
SWEEP_EVERY = 30
SWEEP_DEAD_AFTER = timedelta(hours=1)


def _real_now() -> datetime:
    return datetime.now().replace(microsecond=0)


@dataclass(frozen=True)
class Viewer:
    """Another desk with the case open."""

    username: str
    desk: str
    since: datetime
    last_seen: datetime
    me_elsewhere: bool = False  # the same handler at another desk


def _ago(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "<1 min"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} d"


def describe(viewers: Iterable[Viewer], now: datetime | None = None) -> str:
    """The case view's line, e.g. "also open: jo, 2 min; priya, <1 min" ('' when nobody else)."""
    now = now or _real_now()
    parts = []
    for viewer in viewers:
        who = "you at another desk" if viewer.me_elsewhere else viewer.username
        parts.append(f"{who}, {_ago(viewer.since, now)}")
    return "also open: " + "; ".join(parts) if parts else ""


def who_else(
    engine: Engine,
    case_id: int,
    *,
    token: str = "",
    username: str = "",
    now: datetime | None = None,
    expire_after: float = EXPIRE_AFTER_S,
) -> list[Viewer]:
    """Live desks other than `token` with `case_id` open, longest-open first, one entry per handler."""
    now = now or _real_now()
    fresh_since = now - timedelta(seconds=expire_after)
    rows = rows_of.viewers(engine, case_id, token=token, fresh_since=fresh_since)
    seen: set[str] = set()
    out: list[Viewer] = []
    for row in rows:
        if row.username in seen:
            continue
        seen.add(row.username)
        out.append(Viewer(row.username, row.desk, row.opened_at or row.last_seen, row.last_seen,
                          me_elsewhere=row.username == username))
    return out


class Presence:
    """This desk's heartbeat row. Thread-safe: the UI calls `viewing()`, a thread calls `beat()`."""

    def __init__(
        self,
        engine: Engine,
        handler_id: int,
        username: str,
        desk: str = "",
        *,
        interval: float = HEARTBEAT_S,
        expire_after: float = EXPIRE_AFTER_S,
        clock: Callable[[], datetime] = _real_now,
    ):
        self.engine = engine
        self.handler_id = handler_id
        self.username = username
        self.desk = (desk or "")[:120]
        self.interval = interval
        self.expire_after = expire_after
        self.clock = clock
        self.token = secrets.token_hex(16)
        self.case_id: int | None = None
        self.opened_at: datetime | None = None
        self.last_error: str | None = None
        self._beats = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- writes (each its own short transaction, retried if the database is busy) ----------------

    def _write(self, *, announce: tuple[int | None, ...] = ()) -> None:
        now = self.clock()

        def transaction() -> None:
            rows_of.touch(self.engine, token=self.token, handler_id=self.handler_id, username=self.username,
                          desk=self.desk, case_id=self.case_id, opened_at=self.opened_at, now=now,
                          announce=announce)

        retry_transient(transaction, what="update presence")

    def join(self) -> None:
        """Announce this desk (no case open yet)."""
        with self._lock:
            self._write()

    def viewing(self, case_id: int | None) -> None:
        """This desk now shows `case_id` (None: no case). Tells desks on the old and new case at once."""
        with self._lock:
            if case_id == self.case_id:
                return
            previous = self.case_id
            self.case_id = case_id
            self.opened_at = self.clock() if case_id is not None else None
            self._write(announce=(previous, case_id))

    def beat(self) -> None:
        """Touch last_seen; now and then also sweep dead desks and old feed lines."""
        with self._lock:
            self._write()
            self._beats += 1
            if self._beats % SWEEP_EVERY == 0:
                self._sweep()

    def _sweep(self) -> None:
        now = self.clock()
        rows_of.sweep(self.engine, now - SWEEP_DEAD_AFTER)
        prune(self.engine, now)

    def leave(self) -> None:
        """Remove this desk's row (a clean exit); a crashed desk's row just expires."""
        with self._lock:
            case_id = self.case_id
            self.case_id = None
            now = self.clock()

            def transaction() -> None:
                rows_of.sign_off(self.engine, token=self.token, username=self.username, case_id=case_id, now=now)

            retry_transient(transaction, what="sign off")

    # -- reads ---------------------------------------------------------------------------------

    def who_else(self, case_id: int) -> list[Viewer]:
        return who_else(self.engine, case_id, token=self.token, username=self.username, now=self.clock(),
                        expire_after=self.expire_after)

    def describe(self, case_id: int) -> str:
        """"also open: jo, 2 min" for `case_id`, or '' when nobody else has it open."""
        return describe(self.who_else(case_id), self.clock())

    # -- background heartbeat -------------------------------------------------------------------

    def start(self) -> None:
        """Join now and heartbeat every `interval` seconds from a daemon thread."""
        if self._thread is not None:
            raise RuntimeError("presence is already running")
        self._stop.clear()
        try:
            self.join()
        except Exception as exc:  # noqa: BLE001 - the heartbeat thread tries again
            self.last_error = " ".join(str(exc).split())[:200]
        self._thread = threading.Thread(target=self._run, name="deskapp-presence", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - the database is away for a moment: next beat
                self.last_error = " ".join(str(exc).split())[:200] or type(exc).__name__

    def stop(self, *, leave: bool = True, timeout: float = 3.0) -> None:
        """Stop heartbeating and (by default) remove this desk's row."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        if leave:
            try:
                self.leave()
            except Exception as exc:  # noqa: BLE001 - closing down: the row will expire anyway
                self.last_error = " ".join(str(exc).split())[:200]
