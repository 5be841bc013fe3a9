"""The desk's first screen, read straight from a SQLite file before the rest of deskapp is loaded.

A handler opening the desk wants to see the queue, not wait for the ORM, the
models and the policy engine to import (~0.6 s of CPU). This module answers
the few questions the first screen needs with the standard library's sqlite3
only: is the schema at head, who is the handler, which rules are published,
how many open cases are there and which are the first rows of the usual
queue (open cases by due date, the order deskapp.store.queue.Queue gives with
its default filter and sort).
The queries run in a thread and sqlite3 lets go of the GIL while they run, so
they cost no time while the main thread imports Textual.

It is only a fast path: anything unusual (not a plain SQLite file, an old
schema, an unknown or inactive handler, an --as the rules refuse, a missing
index, any error) answers None and the desk opens the slow, careful way, which
explains the problem in one line (and audits a refusal). FirstPageQueue then stands in for the real Queue until the desk has
opened, serving the first rows it already has and waiting for the real queue
for anything else.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional

from deskapp.core.views import HandlerView, QueueRow
from deskapp.store.schema_head import quick_head

# Same as deskapp.store.queue (checked by tests/store/test_first_page.py).
PAGE_SIZE = 100
CUSTOMER_ROLES = ("customer", "resident")
OPEN_DUE_INDEX = "ix_cases_open_due"
# How many of the queue's last rows End reads before the desk has opened: the two pages the view may
# ask for around the end (it reads whole pages, so the last one runs past the end of the queue).
TAIL_ROWS = 2 * PAGE_SIZE

# The usual queue's cases, through the index that orders them (both ends of the queue read it).
_OPEN_CASES = f"FROM cases INDEXED BY {OPEN_DUE_INDEX} WHERE status != 'closed'"
_COLUMNS = ("id, ref, kind, category, title, stage, status, priority, vulnerable, received_at, due_at, "
            "assigned_to_id")


@dataclass(frozen=True)
class FirstPage:
    """What the first screen shows: the handler, the open-case count and the first rows by due date."""

    me: HandlerView
    total: int
    rows: tuple[QueueRow, ...]
    path: Optional[Path] = None  # the SQLite file, for reading the queue's end (read_last_rows)
    policy_sha256: Optional[str] = None  # the published pack in force (deskapp.actions.opening checks it was seen)
    via: Optional[str] = None  # the OS account acting as `me` (--as), as deskapp.actions.identity says


def sqlite_file(url: str) -> Optional[Path]:
    """The file of a plain `sqlite:///path` URL that exists; None for anything else (memory, options, other engines)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or "#" in url:
        return None
    path = Path(url[len(prefix):])
    if not str(path) or str(path) == ":memory:":
        return None
    try:
        return path if path.is_file() else None
    except OSError:
        return None


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0, check_same_thread=False)


def read_first_page(url: str, username: str, rows: int = PAGE_SIZE, *, as_name: Optional[str] = None,
                    as_key: Optional[str] = None) -> Optional[FirstPage]:
    """The first page of the usual queue, or None if this database should be opened the careful way.

    `username` is the OS account; `as_name` / `as_key` are `--as` / `--as-key`,
    allowed here exactly when deskapp.actions.identity allows them (anything
    it would refuse answers None, and the careful way refuses and audits it).
    """
    path = sqlite_file(url)
    head = quick_head()
    if path is None or head is None:
        return None
    try:
        conn = _connect(path)
    except sqlite3.Error:
        return None
    try:
        page = _read(conn, head, username, rows, as_name, as_key)
        rules = None if page is None else _rules_in_force(conn)
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        conn.close()
    return None if page is None else FirstPage(me=page.me, total=page.total, rows=page.rows, path=path,
                                               policy_sha256=rules, via=page.via)


def _rules_in_force(conn: sqlite3.Connection) -> Optional[str]:
    """The sha256 of the newest published pack (None: none published; the careful way says what to do)."""
    found = conn.execute("SELECT sha256 FROM policy_packs ORDER BY version DESC LIMIT 1").fetchone()
    return None if found is None else str(found[0])


def read_last_rows(path: Path, rows: int) -> tuple[QueueRow, ...]:
    """The last `rows` of the usual queue, in queue order (End pressed before the desk has opened).

    The queue's order backwards: undated cases by id, newest first, then the
    dated ones from the latest due date. Raises sqlite3.Error if the file
    cannot be read; the caller then waits for the opened desk instead.
    """
    conn = _connect(path)
    try:
        where = _OPEN_CASES
        raw = conn.execute(f"SELECT {_COLUMNS} {where} AND due_at IS NULL ORDER BY id DESC LIMIT ?",
                           (rows,)).fetchall()
        if len(raw) < rows:
            raw += conn.execute(f"SELECT {_COLUMNS} {where} AND due_at IS NOT NULL ORDER BY due_at DESC, id DESC "
                                "LIMIT ?", (rows - len(raw),)).fetchall()
        raw.reverse()
        return _queue_rows(conn, raw)
    finally:
        conn.close()


def _handler(conn: sqlite3.Connection, username: str) -> Optional[tuple]:
    found = conn.execute("SELECT id, username, display_name, role, active FROM handlers WHERE username = ?",
                         (username,)).fetchall()
    return found[0] if len(found) == 1 else None


def desk_identity(conn: sqlite3.Connection, os_user: str, as_name: Optional[str] = None,
                  as_key: Optional[str] = None) -> Optional[tuple[HandlerView, Optional[str]]]:
    """(handler at the desk, via) by deskapp.actions.identity's rules, or None for anything it would refuse."""
    settings = dict(conn.execute("SELECT key, value FROM desk_settings WHERE key IN ('demo', 'service_account')"))
    service = settings.get("service_account")
    if as_name is not None and as_key is not None:
        return None
    via = None
    if as_key is not None:
        if service is None or service != os_user:
            return None
        username = as_key
    elif as_name is not None and as_name != os_user:
        me = _handler(conn, os_user)
        admin = me is not None and bool(me[4]) and me[3] == "admin"
        if not (admin or settings.get("demo") == "1" or (service is not None and service == os_user)):
            return None
        username, via = as_name, os_user
    else:
        username = os_user
    found = _handler(conn, username)
    if found is None or not found[4]:
        return None
    hid, name, display_name, role, _active = found
    return HandlerView(id=hid, username=name, display_name=display_name, role=role), via


def _read(conn: sqlite3.Connection, head: str, username: str, limit: int, as_name: Optional[str] = None,
          as_key: Optional[str] = None) -> Optional[FirstPage]:
    versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    if versions != [(head,)]:
        return None
    who = desk_identity(conn, username, as_name, as_key)
    if who is None:
        return None
    me, via = who
    where = _OPEN_CASES
    total = conn.execute(f"SELECT count(*) {where}").fetchone()[0]
    raw = conn.execute(f"SELECT {_COLUMNS} {where} AND due_at IS NOT NULL ORDER BY due_at, id LIMIT ?",
                       (limit,)).fetchall()
    if len(raw) < limit:
        raw += conn.execute(f"SELECT {_COLUMNS} {where} AND due_at IS NULL ORDER BY id LIMIT ?",
                            (limit - len(raw),)).fetchall()
    return FirstPage(me=me, total=int(total), rows=_queue_rows(conn, raw), via=via)


def _queue_rows(conn: sqlite3.Connection, raw: list) -> tuple[QueueRow, ...]:
    """QueueRows for raw case rows, with the handler's username and the first customer's name (as Queue gives)."""
    usernames = dict(conn.execute("SELECT id, username FROM handlers").fetchall())
    customers: dict[int, str] = {}
    ids = [r[0] for r in raw]
    if ids:
        marks = ",".join("?" * len(ids))
        for case_id, party_name in conn.execute(
                f"SELECT case_id, name FROM parties WHERE case_id IN ({marks}) AND role IN (?, ?) "
                "ORDER BY case_id, id", (*ids, *CUSTOMER_ROLES)):
            customers.setdefault(case_id, party_name)
    return tuple(QueueRow(
        id=r[0], ref=r[1], kind=r[2], category=r[3], title=r[4] or "", stage=r[5], status=r[6], priority=r[7],
        vulnerable=bool(r[8]), received_at=_when(r[9]), due_at=_when(r[10]) if r[10] is not None else None,
        assigned_to=usernames.get(r[11]) if r[11] is not None else None, customer=customers.get(r[0]),
    ) for r in raw)


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


class FirstPageQueue:
    """Stands in for the desk's usual Queue while the desk opens (the QueueView's view of a queue).

    Serves the count and the rows it was given at once; for anything else it
    waits for `real()` (the Queue of the opened desk, or an exception if the
    desk could not open) and hands over to it. Safe to share between threads.
    """

    def __init__(self, page: FirstPage, real: Callable[[], Any], clock: Callable[[], datetime]) -> None:
        self.page = page
        self.usual_queue = True  # open cases by due date: what an unfiltered desk shows
        self.serves_at_once = True  # count and first rows need no worker (QueueView shows them at once)
        self.page_size = PAGE_SIZE
        self.truncated = False
        self.me = page.me.username
        self.sort = "due"
        self._clock = clock
        self._real_of = real
        self._real: Any = None
        self._stale = False
        self._tail: Optional[tuple[QueueRow, ...]] = None  # the queue's last rows, read on End (see _tail_for)
        self._lock = threading.Lock()

    def real(self) -> Any:
        """The opened desk's Queue (waits for it)."""
        if self._real is None:
            queue = self._real_of()
            with self._lock:
                if self._real is None:
                    self._real = queue
        return self._real

    @property
    def is_working_day(self) -> Any:
        return getattr(self._real, "is_working_day", None) if self._real is not None else None

    @property
    def filter(self) -> Any:
        return self.real().filter

    def _mine(self, stop: int) -> bool:
        return not self._stale and stop <= len(self.page.rows)

    def count(self) -> int:
        return self.real().count() if self._stale else self.page.total

    def known_count(self) -> Optional[int]:
        return self.count() if not self._stale else getattr(self.real(), "known_count", lambda: None)()

    def cached(self, index: int) -> Optional[QueueRow]:
        if self._mine(index + 1) and index >= 0:
            return self.page.rows[index]
        if self._real is not None:
            return self._real.cached(index)
        tail, first = self._tail, self.page.total - len(self._tail or ())
        if tail and not self._stale and first <= index < self.page.total:
            return tail[index - first]
        return None

    def is_loaded(self, start: int, stop: int) -> bool:
        if self._mine(stop):
            return True
        if self._real is not None:
            return self._real.is_loaded(start, stop)
        tail = self._tail
        return bool(tail) and not self._stale and self.page.total - len(tail) <= start and stop <= self.page.total

    def rows(self, start: int, stop: int) -> list[QueueRow]:
        if self._mine(stop):
            return list(self.page.rows[max(start, 0):stop])
        tail = self._tail_for(start, stop)
        if tail is not None:
            first = self.page.total - len(tail)
            return list(tail[start - first:stop - first])
        return self.real().rows(start, stop)

    def read_tail(self) -> None:
        """Read the queue's last rows now, before the desk starts opening (see PendingDesk._open).

        Read on End instead, while the opening thread imports the ORM and the
        rules, the same ~5 ms read took 70-80 ms: every row sqlite3 steps
        through gives up the GIL and waits to get it back.
        """
        total = self.page.total
        if total > len(self.page.rows):
            self._tail_for(max(total - TAIL_ROWS, 0), total)

    def _tail_for(self, start: int, stop: int) -> Optional[tuple[QueueRow, ...]]:
        """The queue's last rows when `start..stop` lies among them and the desk has not opened yet.

        End pressed in the first second should not wait for the ORM and the
        rules to load: the end of the queue is one more indexed read.
        """
        total = self.page.total
        if self._stale or self._real is not None or self.page.path is None or start < total - TAIL_ROWS:
            return None
        with self._lock:
            if self._tail is None:
                try:
                    self._tail = read_last_rows(self.page.path, min(TAIL_ROWS, total))
                except (sqlite3.Error, ValueError, TypeError):
                    return None
                if len(self._tail) != min(TAIL_ROWS, total):  # cases changed since the count
                    self._tail = ()
            tail = self._tail
        return tail or None

    def row(self, index: int) -> Optional[QueueRow]:
        found = self.rows(index, index + 1)
        return found[0] if found else None

    def index_of(self, case_id: int) -> Optional[int]:
        if not self._stale:
            for i, row in enumerate(self.page.rows):
                if row.id == case_id:
                    return i
        return self.real().index_of(case_id)

    def with_query(self, *args: Any, **kwargs: Any) -> Any:
        return self.real().with_query(*args, **kwargs)

    def invalidate(self) -> None:
        self._stale = True
        self.real().invalidate()

    def __repr__(self) -> str:
        return f"FirstPageQueue(total={self.page.total}, rows={len(self.page.rows)}, opened={self._real is not None})"
