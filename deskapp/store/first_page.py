"""The desk's first screen, read straight from the database before the rest of deskapp is loaded.

A handler opening the desk wants to see the queue, not wait for the ORM, the
models and the policy engine to import (~0.6 s of CPU). This module answers
the few questions the first screen needs with a driver alone (the standard
library's sqlite3, or psycopg for PostgreSQL): is the schema at head, who is
the handler, which rules are published, how many open cases are there and
which are the first rows of the usual queue (open cases by due date, as
deskapp.store.queue.Queue gives them with its default filter and sort).
The queue's part is the queue's own SQL: its builder's statements compiled to
text ahead of time (deskapp.store.first_page_sql, written by first_page_gen),
since importing SQLAlchemy to compile them would cost more than the read.
The queries run in a thread and both drivers let go of the GIL while they
wait, so they cost little while the main thread imports Textual.

It is only a fast path: anything unusual (not a SQLite file or PostgreSQL
URL, an old schema, an unknown or inactive handler, an --as the rules refuse,
a missing index, any error) answers None and the desk opens the slow, careful
way, which explains the problem in one line (and audits a refusal).
FirstPageQueue then stands in for the real Queue until the desk has opened,
serving the first rows it already has and waiting for the real queue for
anything else.
"""

from __future__ import annotations

import re
import sqlite3
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional, Union

from deskapp.core.views import HandlerView, QueueRow
from deskapp.store.first_page_sql import SQL
from deskapp.store.schema_head import quick_head

# Same as deskapp.store.queue (checked by tests/store/test_first_page.py).
PAGE_SIZE = 100
# How many of the queue's last rows End reads before the desk has opened: the two pages the view may
# ask for around the end (it reads whole pages, so the last one runs past the end of the queue).
TAIL_ROWS = 2 * PAGE_SIZE
# A server that does not answer within this sends the desk the careful way (which says why); 2 s is
# libpq's least, and the careful way then waits its own 5 s (deskapp.store.engine).
PG_CONNECT_TIMEOUT_S = 2

_PG_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_LIST = re.compile(r"__\[POSTCOMPILE_(\w+)\]")
_MARKS = {"sqlite": ":{}", "postgresql": "%({})s"}

Source = Union[Path, str]  # a SQLite file, or a PostgreSQL URL as libpq reads it


@dataclass(frozen=True)
class FirstPage:
    """What the first screen shows: the handler, the open-case count and the first rows by due date."""

    me: HandlerView
    total: int
    rows: tuple[QueueRow, ...]
    # The database, for reading the queue's end (read_last_rows); a URL may hold a password: not in repr.
    path: Optional[Source] = field(default=None, repr=False)
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


def postgresql_url(url: str) -> Optional[str]:
    """A PostgreSQL URL as libpq reads it (without SQLAlchemy's `+psycopg`); None for anything else."""
    for scheme in _PG_SCHEMES:
        if url.startswith(scheme):
            return "postgresql://" + url[len(scheme):]
    return None


def _failures() -> tuple[type[BaseException], ...]:
    """What a quick read may raise that means "go the careful way" (psycopg's errors once it is loaded)."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.Error, ValueError, TypeError) + ((psycopg.Error,) if psycopg is not None else ())


class _Reader:
    """One read-only connection, SQLite or PostgreSQL, answering `?`-marked SQL and the queue's own."""

    def __init__(self, source: Source) -> None:
        self.source = source
        if isinstance(source, Path):
            self.engine = "sqlite"
            self.conn: Any = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=2.0,
                                              check_same_thread=False)
        else:
            import psycopg

            self.engine = "postgresql"
            options = {} if "connect_timeout" in source else {"connect_timeout": PG_CONNECT_TIMEOUT_S}
            self.conn = psycopg.connect(source, **options)
            self.conn.read_only = True  # one read-only transaction: the count and the rows agree

    def execute(self, sql: str, params: tuple = ()) -> Any:
        """A cursor for SQL with `?` marks (sqlite3's style; desk_identity also takes a plain sqlite3 connection)."""
        return self.conn.execute(sql.replace("?", "%s") if self.engine == "postgresql" else sql, params)

    def queue_sql(self, entry: tuple[str, dict], **params: Any) -> list:
        """The rows of one of the queue's compiled statements (deskapp.store.first_page_sql) for `params`."""
        sql, fixed = entry
        values = {**fixed, **params}
        mark = _MARKS[self.engine]

        def listed(found: re.Match) -> str:  # what SQLAlchemy does for an IN list when it runs the query
            name = found.group(1)
            items = values.pop(name)
            values.update({f"{name}_{i}": item for i, item in enumerate(items)})
            return ", ".join(mark.format(f"{name}_{i}") for i in range(len(items)))

        return self.conn.execute(_LIST.sub(listed, sql), values).fetchall()

    @property
    def sql(self) -> dict[str, Any]:
        return SQL[self.engine]

    def close(self) -> None:
        self.conn.close()


def _source(url: str) -> Optional[Source]:
    return sqlite_file(url) or postgresql_url(url)


def read_first_page(url: str, username: str, rows: int = PAGE_SIZE, *, as_name: Optional[str] = None,
                    as_key: Optional[str] = None) -> Optional[FirstPage]:
    """The first page of the usual queue, or None if this database should be opened the careful way.

    `username` is the OS account; `as_name` / `as_key` are `--as` / `--as-key`,
    allowed here exactly when deskapp.actions.identity allows them (anything
    it would refuse answers None, and the careful way refuses and audits it).
    """
    source = _source(url)
    head = quick_head()
    if source is None or head is None:
        return None
    try:
        reader = _Reader(source)
    except _failures():
        return None
    try:
        page = _read(reader, head, username, rows, as_name, as_key)
        rules = None if page is None else _rules_in_force(reader)
    except _failures():
        return None
    finally:
        reader.close()
    return None if page is None else FirstPage(me=page.me, total=page.total, rows=page.rows, path=source,
                                               policy_sha256=rules, via=page.via)


def _rules_in_force(reader: _Reader) -> Optional[str]:
    """The sha256 of the newest published pack (None: none published; the careful way says what to do)."""
    found = reader.execute("SELECT sha256 FROM policy_packs ORDER BY version DESC LIMIT 1").fetchone()
    return None if found is None else str(found[0])


def read_last_rows(path: Source, rows: int) -> tuple[QueueRow, ...]:
    """The last `rows` of the usual queue, in queue order (End pressed before the desk has opened).

    `path` is a SQLite file or a PostgreSQL URL (FirstPage.path). Raises the
    driver's error if the database cannot be read; the caller then waits for
    the opened desk instead.
    """
    reader = _Reader(path)
    try:
        raw = _walk(reader, "last", rows)
        raw.reverse()
        return _queue_rows(reader, raw)
    finally:
        reader.close()


def _walk(reader: _Reader, end: str, rows: int) -> list:
    """Up to `rows` rows from the queue's `end` ("first" or "last"), run after run, in walking order."""
    raw: list = []
    for run in reader.sql[end]:
        if len(raw) >= rows:
            break
        raw += reader.queue_sql(run, n=rows - len(raw))
    return raw


def _handler(conn: Any, username: str) -> Optional[tuple]:
    found = conn.execute("SELECT id, username, display_name, role, active FROM handlers WHERE username = ?",
                         (username,)).fetchall()
    return found[0] if len(found) == 1 else None


def desk_identity(conn: Any, os_user: str, as_name: Optional[str] = None,
                  as_key: Optional[str] = None) -> Optional[tuple[HandlerView, Optional[str]]]:
    """(handler at the desk, via) by deskapp.actions.identity's rules, or None for anything it would refuse.

    `conn` is a sqlite3 connection or a _Reader (anything whose execute() takes `?` marks).
    """
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


def _read(reader: _Reader, head: str, username: str, limit: int, as_name: Optional[str] = None,
          as_key: Optional[str] = None) -> Optional[FirstPage]:
    versions = reader.execute("SELECT version_num FROM alembic_version").fetchall()
    if [tuple(v) for v in versions] != [(head,)]:
        return None
    who = desk_identity(reader, username, as_name, as_key)
    if who is None:
        return None
    me, via = who
    total = reader.queue_sql(reader.sql["count"])[0][0]
    raw = _walk(reader, "first", limit)
    return FirstPage(me=me, total=int(total), rows=_queue_rows(reader, raw), via=via)


def _queue_rows(reader: _Reader, raw: list) -> tuple[QueueRow, ...]:
    """QueueRows for raw case rows, with the handler's username and the first customer's name (as Queue gives)."""
    usernames = dict(reader.queue_sql(reader.sql["usernames"]))
    customers: dict[int, str] = {}
    if raw:
        for case_id, party_name in reader.queue_sql(reader.sql["customers"], ids=[r[0] for r in raw]):
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
                except _failures():
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
