"""The change feed's read side: each desk learns what other desks changed, within a second or two.

SQLite: a held connection asks `PRAGMA data_version` every half second — a
number that changes only when another connection commits, answered from
memory — and reads the `changes` table only when it moved.
PostgreSQL: a listening connection sleeps until a writer's NOTIFY arrives
(sent at commit), then reads the `changes` table; it also catches up every
few seconds in case a notification was lost while reconnecting.

Either way the `changes` table is the truth and `last_id` the bookmark, so a
desk never misses a change and never sees one twice. Nothing busy-loops: the
thread sleeps on an Event (SQLite) or on the socket (PostgreSQL).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from deskapp.store.changes import CHANNEL, Change, latest_id, read_since

POLL_INTERVAL_S = 0.5
PG_CATCH_UP_S = 5.0
RECONNECT_DELAY_S = 1.0
BATCH = 1000


class ChangeFeed:
    """What changed since this desk last looked.

    feed = ChangeFeed(engine)            # starts at the newest change (pass since=N to replay)
    feed.poll() -> list[Change]          # any new changes, oldest first; cheap when nothing moved
    feed.start(callback)                 # or: a background thread calls callback(list[Change])
    feed.stop()                          # stops the thread and closes its connection
    """

    def __init__(
        self,
        engine: Engine,
        *,
        since: int | None = None,
        interval: float = POLL_INTERVAL_S,
        catch_up_every: float = PG_CATCH_UP_S,
    ):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.interval = interval
        self.catch_up_every = catch_up_every
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn = None  # SQLite: SQLAlchemy Connection; PostgreSQL: detached psycopg connection
        self._raw = None
        self._data_version: int | None = None
        if since is None:
            with engine.connect() as conn:
                since = latest_id(conn)
        self._last_id = since

    @property
    def last_id(self) -> int:
        """The newest change this desk has been told about."""
        return self._last_id

    # -- reading -------------------------------------------------------------------------------

    def poll(self, *, force: bool = False) -> list[Change]:
        """New changes since the last poll, oldest first. Raises SQLAlchemyError if the database fails."""
        with self._lock:
            if self.postgres:
                return self._poll_postgres()
            return self._poll_sqlite(force)

    def _poll_sqlite(self, force: bool) -> list[Change]:
        if self._conn is None:
            self._conn = self.engine.connect()
        conn = self._conn
        try:
            version = conn.exec_driver_sql("PRAGMA data_version").scalar()
            if version == self._data_version and not force:
                return []
            self._data_version = version
            return self._read_all(conn)
        except SQLAlchemyError:
            self._close_conn()
            raise
        finally:
            if self._conn is not None:
                self._conn.rollback()  # end SQLAlchemy's implicit transaction; holds no SQLite lock

    def _poll_postgres(self) -> list[Change]:
        with self.engine.connect() as conn:
            return self._read_all(conn)

    def _read_all(self, conn) -> list[Change]:
        out: list[Change] = []
        while True:
            batch = read_since(conn, self._last_id, BATCH)
            out.extend(batch)
            if batch:
                self._last_id = batch[-1].id
            if len(batch) < BATCH:
                return out

    # -- waiting -------------------------------------------------------------------------------

    def _listen(self):
        """A dedicated autocommit psycopg connection LISTENing on the feed channel."""
        if self._conn is None:
            raw = self.engine.raw_connection()
            pg = raw.driver_connection
            raw.detach()  # ours alone for as long as the desk runs; never handed back to the pool
            pg.autocommit = True
            pg.execute(f"LISTEN {CHANNEL}")
            self._raw, self._conn = raw, pg
        return self._conn

    def _wait(self, timeout: float) -> bool:
        """Sleep until something may have changed (or `timeout`); True if woken by a notification."""
        if not self.postgres:
            self._stop.wait(timeout)
            return False
        conn = self._listen()
        for _note in conn.notifies(timeout=timeout, stop_after=1):
            return True
        return False

    # -- background thread ---------------------------------------------------------------------

    def start(self, callback: Callable[[list[Change]], None]) -> None:
        """Call `callback(changes)` from a daemon thread whenever other desks change something."""
        if self._thread is not None:
            raise RuntimeError("the change feed is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(callback,), name="deskapp-feed", daemon=True)
        self._thread.start()

    def _run(self, callback: Callable[[list[Change]], None]) -> None:
        last_catch_up = 0.0
        while not self._stop.is_set():
            try:
                woke = self._wait(self.interval)
                if self._stop.is_set():
                    break
                if self.postgres and not woke and time.monotonic() - last_catch_up < self.catch_up_every:
                    continue
                last_catch_up = time.monotonic()
                changes = self.poll()
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - a dropped connection: note it, back off, reconnect
                self.last_error = " ".join(str(exc).split())[:200] or type(exc).__name__
                with self._lock:
                    self._close_conn()
                self._stop.wait(RECONNECT_DELAY_S)
                continue
            if changes:
                try:
                    callback(changes)
                except Exception as exc:  # noqa: BLE001 - never let a UI hiccup kill the feed
                    self.last_error = f"callback failed: {exc}"[:200]
        with self._lock:
            self._close_conn()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop the thread (it wakes within one interval) and close the feed's connection."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():  # stuck in the driver: leave its connection to it (daemon thread)
                return
        with self._lock:
            self._close_conn()

    close = stop

    def _close_conn(self) -> None:
        conn, raw = self._conn, self._raw
        self._conn = self._raw = None
        self._data_version = None
        try:
            if raw is not None:
                raw.close()
            elif conn is not None:
                conn.close()
        except Exception as exc:  # noqa: BLE001 - a connection that is already broken: nothing to close
            self.last_error = f"closing: {exc}"[:200]

    def __enter__(self) -> ChangeFeed:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
