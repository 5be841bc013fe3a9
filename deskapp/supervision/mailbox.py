"""Where received mail is read from: an IMAP mailbox (IMAPS or STARTTLS) or a Maildir folder.

A source lists the messages not yet processed, gives each one's bytes, and
marks one processed (`done`) only when told to — which the fetch does after
the message's transaction has committed. IMAP: the keyword $DeskappProcessed
and `\\Seen` set by UID (\\Seen alone where the server keeps no keywords), bodies
read with BODY.PEEK so reading alone marks nothing. Maildir: the file moves from
new/ to cur/ with the S flag (one rename: atomic). Unprocessed messages are
IMAP's UNKEYWORD $DeskappProcessed (or UNSEEN), Maildir's new/ plus cur/ files without S.

Network and login problems become one-line DeskErrors (exit 2).
"""

from __future__ import annotations

import imaplib
import os
import re
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Protocol

from deskapp.errors import DeskError

HEADER_PEEK = 64 * 1024  # what is read of an oversized message: enough for its Message-ID
PREFETCH_BYTES = 16 * 1024 * 1024  # IMAP bodies fetched ahead at most (a batch of small messages)
KEYWORD = "$DeskappProcessed"  # the IMAP keyword a processed message carries (with \\Seen)


@dataclass
class Item:
    """One message waiting in the source: its key there and its size (known before its bytes are read)."""

    key: str
    size: int


class Source(Protocol):
    name: str

    def pending(self) -> list[Item]: ...
    def read(self, item: Item) -> bytes: ...
    def headers(self, item: Item) -> bytes: ...
    def done(self, item: Item) -> None: ...
    def done_all(self, items: list[Item]) -> None: ...
    def close(self) -> None: ...


# ----------------------------------------------------------------------------- Maildir


class MaildirSource:
    """A Maildir (new/, cur/, tmp/), as Dovecot, Postfix or procmail deliver into it."""

    def __init__(self, path: str) -> None:
        self.root = Path(path).expanduser()
        self.name = f"maildir:{self.root}"
        for sub in ("new", "cur"):
            if not (self.root / sub).is_dir():
                raise DeskError(f"{self.root}: not a Maildir (no {sub}/ folder)")

    def pending(self) -> list[Item]:
        items = []
        for sub in ("new", "cur"):
            for entry in sorted(os.scandir(self.root / sub), key=lambda e: e.name):
                if not entry.is_file() or entry.name.startswith("."):
                    continue
                if sub == "cur" and "S" in _flags(entry.name):
                    continue
                items.append(Item(f"{sub}/{entry.name}", entry.stat().st_size))
        return items

    def read(self, item: Item) -> bytes:
        try:
            return (self.root / item.key).read_bytes()
        except OSError as exc:
            raise DeskError(f"{self.root / item.key}: cannot read it ({exc.strerror or exc})") from None

    def headers(self, item: Item) -> bytes:
        with open(self.root / item.key, "rb") as handle:
            return handle.read(HEADER_PEEK)

    def done(self, item: Item) -> None:
        sub, _, name = item.key.partition("/")
        base, _, info = name.partition(":2,") if ":2," in name else (name, "", "")
        flags = "".join(sorted(set(info) | {"S"}))
        target = self.root / "cur" / f"{base}:2,{flags}"
        os.rename(self.root / item.key, target)

    def done_all(self, items: list[Item]) -> None:
        for item in items:
            self.done(item)

    def close(self) -> None:
        pass


def _flags(name: str) -> str:
    return name.partition(":2,")[2] if ":2," in name else ""


# ----------------------------------------------------------------------------- IMAP


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    user: str
    password: str
    tls: str = "implicit"  # implicit (IMAPS, 993) | starttls (143)
    folder: str = "INBOX"
    cafile: Optional[str] = None  # a private CA (a test server's certificate); else the system's
    timeout: float = 30.0


_UIDS = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class ImapSource:
    """An IMAP mailbox over TLS (never in clear text): messages not yet processed, marked once stored."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self.name = f"imap://{settings.user}@{settings.host}:{settings.port}/{settings.folder}"
        self.conn = self._connect()
        self._queue: list[Item] = []
        self._bodies: dict[str, bytes] = {}

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _connect(self) -> imaplib.IMAP4:
        s = self.settings
        context = ssl.create_default_context(cafile=s.cafile) if s.cafile else ssl.create_default_context()
        try:
            if s.tls == "implicit":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=context, timeout=s.timeout)
            else:
                conn = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
                conn.starttls(ssl_context=context)
        except ssl.SSLError as exc:
            raise DeskError(f"{self._where()}: TLS failed ({exc.reason or exc}); check --cafile and the "
                            "server's certificate") from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise DeskError(f"{self._where()}: cannot reach the mail server ({_why(exc)})") from None
        try:
            conn.login(s.user, s.password)
        except imaplib.IMAP4.error as exc:
            _close(conn)
            raise DeskError(f"{self._where()}: login refused for {s.user} ({_why(exc)})") from None
        except OSError as exc:
            _close(conn)
            raise DeskError(f"{self._where()}: connection lost while logging in ({_why(exc)})") from None
        typ, data = self._call(conn.select, _quote(s.folder))
        if typ != "OK":
            _close(conn)
            raise DeskError(f"{self._where()}: no folder {s.folder} ({_text(data)})")
        _typ, permanent = conn.response("PERMANENTFLAGS")
        flags = b" ".join(p for p in permanent or [] if isinstance(p, bytes))
        # Our own keyword where the server keeps keywords (\* allowed): a person reading the mailbox in
        # their mail program (\Seen) then does not hide a message from the desk. Else \Seen alone.
        self.keyword = KEYWORD if b"\\*" in flags else None
        return conn

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except (imaplib.IMAP4.abort, OSError) as exc:
            raise DeskError(f"{self._where()}: connection lost ({_why(exc)})") from None
        except imaplib.IMAP4.error as exc:
            raise DeskError(f"{self._where()}: the server refused a command ({_why(exc)})") from None

    def pending(self) -> list[Item]:
        self._call(self.conn.noop)  # lets the server tell us about newly delivered mail
        criteria = ("UNKEYWORD", self.keyword) if self.keyword else ("UNSEEN",)
        typ, data = self._call(self.conn.uid, "SEARCH", None, *criteria)
        uids = [u.decode() for u in (data[0] or b"").split()] if typ == "OK" and data else []
        items: list[Item] = []
        for start in range(0, len(uids), 500):
            chunk = ",".join(uids[start:start + 500])
            typ, rows = self._call(self.conn.uid, "FETCH", chunk, "(RFC822.SIZE)")
            for row in rows or []:
                line = row[0] if isinstance(row, tuple) else row
                uid, size = _UIDS.search(line or b""), _SIZE.search(line or b"")
                if uid and size:
                    items.append(Item(uid.group(1).decode(), int(size.group(1))))
        items.sort(key=lambda i: int(i.key))
        self._queue = [i for i in items if i.size <= PREFETCH_BYTES]
        self._bodies: dict[str, bytes] = {}
        return items

    def _fetch(self, item: Item, what: str) -> bytes:
        typ, rows = self._call(self.conn.uid, "FETCH", item.key, f"({what})")
        for row in rows or []:
            if isinstance(row, tuple) and len(row) >= 2:
                return bytes(row[1])
        raise DeskError(f"{self._where()}: message UID {item.key} vanished while it was read")

    def read(self, item: Item) -> bytes:
        """The message's bytes; small ones come in batches (one round trip for many, PREFETCH_BYTES at most)."""
        if item.key not in self._bodies and any(i.key == item.key for i in self._queue[:1]):
            self._prefetch()
        body = self._bodies.pop(item.key, None)
        return body if body is not None else self._fetch(item, "BODY.PEEK[]")

    def _prefetch(self) -> None:
        batch, total = [], 0
        while self._queue and len(batch) < 200 and total + self._queue[0].size <= PREFETCH_BYTES:
            item = self._queue.pop(0)
            batch.append(item.key)
            total += item.size
        if not batch:
            self._queue.pop(0)
            return
        typ, rows = self._call(self.conn.uid, "FETCH", ",".join(batch), "(UID BODY.PEEK[])")
        for row in rows or []:
            if isinstance(row, tuple) and len(row) >= 2:
                uid = _UIDS.search(row[0] or b"")
                if uid:
                    self._bodies[uid.group(1).decode()] = bytes(row[1])

    def headers(self, item: Item) -> bytes:
        return self._fetch(item, "BODY.PEEK[HEADER]")[:HEADER_PEEK]

    def done(self, item: Item) -> None:
        flags = f"(\\Seen {self.keyword})" if self.keyword else r"(\Seen)"
        typ, data = self._call(self.conn.uid, "STORE", item.key, "+FLAGS.SILENT", flags)
        if typ != "OK":
            raise DeskError(f"{self._where()}: could not mark UID {item.key} seen ({_text(data)})")

    def done_all(self, items: list[Item]) -> None:
        """Mark a stored batch \\Seen in one command."""
        if items:
            self.done(Item(",".join(i.key for i in items), 0))

    def close(self) -> None:
        _close(self.conn)


def _close(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except Exception:
        pass


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data) -> str:
    try:
        return b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")[:200]
    except Exception:
        return "no answer"


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return "timed out"
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return (getattr(exc, "strerror", None) or text or type(exc).__name__)[:200]
