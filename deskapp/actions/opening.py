"""Opening the desk quickly: the queue on screen first, the rest of the desk a moment later.

`open_desk` checks everything before the screen takes over the terminal, but it
needs SQLAlchemy, the models and the policy engine, about 0.6 s of CPU before
a single case shows. On the usual desk (a SQLite file, a published pack that
has passed those checks before) the first screen needs none of that:
deskapp.store.first_page reads it with plain sqlite3 in a thread while Textual
imports (before any app exists to run a worker), and the app opens the real
desk in a worker after the first frame (PendingDesk.wait, deskapp.tui.app).
Every check still runs; only its order changes:

* the database, its schema and the handler are checked by the quick reader
  (anything it is unsure of sends the desk the careful way, which explains the
  problem before the terminal is taken over);
* the published pack in force is checked in full by `open_desk` the first
  time this deskapp opens a desk on it; the desk remembers a pack (its sha256,
  this deskapp's version and its policy code) that passed, so a pack this
  deskapp has never checked is always checked before the screen opens (and a
  trial pack, --policies, always is, with who may try one). A remembered pack
  that fails after all (a library upgraded under it) still stops the desk with
  the same one-line error.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Optional

from deskapp import __version__, config
from deskapp.core.ownfiles import trusted_bytes
from deskapp.core.views import HandlerView
from deskapp.errors import DeskError

log = logging.getLogger(__name__)

POLICY_CODE = Path(__file__).resolve().parent.parent / "policy"


def _clock() -> datetime:
    return datetime.now().replace(microsecond=0)


def _rules_key(sha256: str) -> bytes:
    """What 'this published pack passed the checks of this deskapp' is about: the pack's sha256,
    the policy code's files (name, size, time) and the version."""
    parts = [f"deskapp {__version__}\npack {sha256}\n".encode()]
    try:
        for code in sorted(POLICY_CODE.glob("*.py")):
            stat = code.stat()
            parts.append(f"{code.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    except OSError:
        parts.append(b"?")  # unreadable code: a key no note was written under
    return b"".join(parts)


def _stamp(key: bytes) -> Path:
    """The note for `key`, named by a checksum (zlib is loaded already; hashlib would cost ~6 ms
    of start-up). The note holds the whole key, so a checksum shared by two keys never counts."""
    return config.cache_dir() / "checked-policies" / f"{zlib.crc32(key):08x}-{len(key)}"


def policies_known_good(sha256: Optional[str]) -> bool:
    """Whether this deskapp has opened a desk on the published pack `sha256` before (its checks passed)."""
    if not sha256:
        return False
    key = _rules_key(sha256)
    # Only a note this user wrote counts (deskapp.core.ownfiles): another account's must not skip a check.
    return trusted_bytes(_stamp(key)) == key


def remember_policies(sha256: Optional[str]) -> None:
    """Note that the published pack `sha256` passed every check (best effort: the desk works without it)."""
    if not sha256:
        return
    key = _rules_key(sha256)
    try:
        config.write_whole(_stamp(key), key)  # never a half-written note that a later start would misread
    except OSError as exc:
        log.info("could not note that the rules %s passed their checks: %s", sha256[:12], exc)


@dataclass
class PendingDesk:
    """The desk while it opens: enough for the first screen (who, where, the first rows).

    `wait()` gives the opened Desk (deskapp.actions.desk.Desk): the first caller
    opens it in its own thread (the app's desk-opening worker, or a queue worker
    that needs rows beyond the first page), later callers wait for it. It raises
    the DeskError that stopped the desk if it could not open.
    """

    me: HandlerView
    db_url: str
    queue: Any  # deskapp.store.first_page.FirstPageQueue
    policies_path: Optional[str] = None
    via: Optional[str] = None  # the OS account acting as `me` (--as)
    as_name: Optional[str] = None  # --as / --as-key as given: the opened desk checks them again
    as_key: Optional[str] = None
    trial_rules: Optional[str] = None  # a trial pack never opens the quick way (Opening)
    name: str = field(default_factory=lambda: os.environ.get("DESKAPP_DESK") or socket.gethostname())
    clock: Callable[[], datetime] = _clock
    _opened: Any = None
    _opened_queue: Any = None  # the opened desk's Queue, warmed (see _warm)
    _error: Optional[BaseException] = None
    _done: threading.Event = field(default_factory=threading.Event)
    _started: bool = False
    _start_lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> datetime:
        return self.clock()

    def _open(self) -> None:
        self.queue.read_tail()  # End in the first second then finds the queue's end already read
        # This thread imports and compiles for ~0.5 s of CPU while the handler may already be using
        # the first screen: a short GIL switch interval hands the screen's thread the GIL within
        # 1 ms of asking instead of 5, so keys pressed meanwhile still answer promptly.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, 0.001))
        try:
            self._open_desk()
        finally:
            sys.setswitchinterval(interval)

    def _open_desk(self) -> None:
        from deskapp.actions.desk import open_desk
        from deskapp.actions.queue import desk_queue

        try:
            # The opened desk keeps this one's clock (tests and snapshots pin it on the app).
            # The identity is resolved again, by the same rules, for the desk that does the work.
            acting = self.as_name is not None or self.as_key is not None
            desk = open_desk(self.db_url, self.policies_path, None if acting else self.me.username,
                             clock=lambda: self.clock(), as_name=self.as_name, as_key=self.as_key)
            if desk.me.username != self.me.username:
                raise DeskError(f"the desk opened as {desk.me.username}, not {self.me.username}: open it again")
            queue = desk_queue(desk)
            _warm(queue)
            self._opened, self._opened_queue = desk, queue
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits, shown as one line
            self._error = exc
        finally:
            self._done.set()

    def wait(self, timeout: Optional[float] = None) -> Any:
        """The opened Desk, opened in this thread unless another is opening it (then waiting up to
        `timeout` for it); raises what stopped it."""
        with self._start_lock:
            first, self._started = not self._started, True
        if first:
            self._open()
        if not self._done.wait(timeout):
            raise TimeoutError("the desk is still opening")
        if self._error is not None:
            raise self._error
        return self._opened

    def real_queue(self) -> Any:
        """The opened desk's queue, for the rows beyond the first page (opening the desk if need be)."""
        self.wait()
        return self._opened_queue

    def close(self) -> None:
        if self._opened is not None:
            self._opened.close()


def _warm(queue: Any) -> None:
    """Read what the first keys will need (count, the first page, the last page) while nobody waits.

    The first screen was read without this Queue; left cold, the first End
    after the desk opened paid for its count, its handler names and its
    statements (~60 ms) on top of reading the rows.
    """
    try:
        total = queue.count()
        page = queue.page_size
        queue.rows(0, min(total, page))
        if total > 2 * page:
            queue.rows(total - page, total)
    except Exception:  # noqa: BLE001 - only a head start: the queue reads again when asked
        log.exception("warming the queue failed")


def start(db_option: Optional[str], policies_option: Optional[str], *, as_name: Optional[str] = None,
          as_key: Optional[str] = None) -> "Opening":
    """Begin reading the first screen in a thread; `Opening.result()` says whether the quick way worked.

    A SQLite file others may read is said on stderr now (seen when the desk closes) and kept in
    `file_warning` for the desk to show (deskapp.store.dbfile).
    """
    from deskapp.store.dbfile import sqlite_path, warn_once

    opening = Opening(db_option, policies_option, as_name=as_name, as_key=as_key)
    opening.file_warning = warn_once(sqlite_path(opening.db_url))
    return opening


class Opening:
    """The quick read of the first screen, running in a thread while the caller imports the UI."""

    def __init__(self, db_option: Optional[str], policies_option: Optional[str], *,
                 as_name: Optional[str] = None, as_key: Optional[str] = None) -> None:
        self.db_url = config.db_url(db_option)
        self.policies_option = policies_option
        self.username = config.os_username()
        self.as_name, self.as_key = as_name, as_key
        self._page: Any = None
        self.file_warning: Optional[str] = None  # set by start()
        self._thread: Optional[threading.Thread] = None
        self.known_good = False  # set by result(): the published pack was checked by this deskapp before
        if not policies_option:  # a trial pack is checked (and who may try one) before the screen opens
            self._thread = threading.Thread(target=self._read, name="desk-first-page", daemon=True)
            self._thread.start()

    def _read(self) -> None:
        try:
            from deskapp.store.first_page import read_first_page

            self._page = read_first_page(self.db_url, self.username, as_name=self.as_name, as_key=self.as_key)
        except Exception:  # noqa: BLE001 - the careful way will explain whatever went wrong
            log.exception("quick read of the first screen failed")
            self._page = None

    def result(self) -> Optional[PendingDesk]:
        """A PendingDesk ready for the first screen, or None: open the desk with `open_desk`."""
        if self._thread is None:
            return None
        self._thread.join()
        page = self._page
        if page is None:
            return None
        self.known_good = policies_known_good(page.policy_sha256)
        if not self.known_good:
            return None
        from deskapp.store.first_page import FirstPageQueue

        pending = PendingDesk(me=page.me, db_url=self.db_url, queue=None, policies_path=self.policies_option,
                              via=page.via, as_name=self.as_name, as_key=self.as_key)
        # Rows beyond the first page come from the opened desk's own queue (waiting for it).
        pending.queue = FirstPageQueue(page, pending.real_queue, pending.now)
        return pending


def open_carefully(db_option: Optional[str], policies_option: Optional[str], *, as_name: Optional[str] = None,
                   as_key: Optional[str] = None) -> Any:
    """`open_desk` with every check before the screen opens; notes a rules file that passed."""
    from deskapp.actions.desk import open_desk

    desk = open_desk(db_option, policies_option, None, as_name=as_name, as_key=as_key)
    if desk.trial_rules is None:
        remember_policies(desk.policy_hash)
    return desk
