"""Settings files read at start-up, remembered by their exact text so the next start need not parse them.

The desk reads its theme files (and the handler's config.yaml) before the
first frame. Parsing them needs PyYAML (~10 ms to import) and checking each
theme needs Textual to derive every shade (~2 ms a theme): work that gives the
same answer every day. This keeps what a file gave, keyed by the file's path
and its whole text, in one file in this user's cache folder
(deskapp.config.cache_dir: the platform's user cache folder, then one folder
per effective uid). A file that changed by
even a byte is read again, so the cache can never give an old answer; only
results of files that were read without a problem are kept, so every
file:line message still comes from a real parse.

Best effort: a cache that cannot be read or written (read-only home, a
corrupt file, another deskapp or Python version) is ignored and rebuilt. So is
one this user cannot trust (deskapp.core.ownfiles: not owned by this user, or
writable by group or others): on a shared host another account's file must
never change what this desk draws. Each kind also checks the shape of what it
gets back (`valid`), so even a damaged entry is read again rather than used.
Written 0600 in folders made 0700.
`marshal` stores plain data (str, int, float, bool, None, lists, dicts)
and is loaded by Python itself, so it costs nothing to import.
"""

from __future__ import annotations

import logging
import marshal
import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional

from deskapp import __version__, config
from deskapp.core.ownfiles import trusted_bytes

log = logging.getLogger(__name__)

# Bumped by hand when what a kind stores changes shape.
FORMAT = 1


def _cache_file(kind: str) -> Path:
    return config.cache_dir() / f"{kind}.marshal"


def _stamp() -> str:
    """Answers are kept only for this deskapp, this Textual and this Python.

    Textual is told apart by its files (textual.__version__ reads the package metadata, ~18 ms).
    """
    textual = sys.modules.get("textual")
    where = getattr(textual, "__file__", None) or ""
    try:
        installed = os.stat(where).st_mtime_ns if where else 0
    except OSError:
        installed = 0
    return f"{FORMAT}:{__version__}:{where}:{installed}:{sys.version_info[:2]}"


class ParseCache:
    """One kind of file (e.g. "themes"): `get(path, text)` and `put(path, text, value)`, then `save()`.

    `valid(value)` says whether a remembered value has the shape this kind stores; one that
    does not is treated as never read.
    """

    def __init__(self, kind: str, valid: Callable[[Any], bool] = lambda _value: True) -> None:
        self.kind = kind
        self._valid = valid
        self._entries: dict[str, tuple[str, Any]] = {}
        self._dirty = False
        self._load()

    def _load(self) -> None:
        raw = trusted_bytes(_cache_file(self.kind))
        if raw is None:
            return
        try:
            data = marshal.loads(raw)
        except (ValueError, EOFError, TypeError):
            return
        if isinstance(data, dict) and data.get("stamp") == _stamp() and isinstance(data.get("entries"), dict):
            self._entries = data["entries"]

    def get(self, path: Path, text: str) -> Optional[Any]:
        """What `path` gave when it last held exactly `text`; None if it has not been read so."""
        entry = self._entries.get(str(path))
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == text and entry[1] is not None:
            try:
                if self._valid(entry[1]):
                    return entry[1]
            except Exception:  # noqa: BLE001 - a damaged entry is one not read yet
                pass
        return None

    def put(self, path: Path, text: str, value: Any) -> None:
        if self.get(path, text) != value:
            self._entries[str(path)] = (text, value)
            self._dirty = True

    def forget(self, path: Path) -> None:
        if self._entries.pop(str(path), None) is not None:
            self._dirty = True

    def save(self) -> None:
        """Write the cache if anything changed, whole or not at all (written aside, then renamed)."""
        if not self._dirty:
            return
        try:
            config.write_whole(_cache_file(self.kind), marshal.dumps({"stamp": _stamp(), "entries": self._entries}))
            self._dirty = False
        except (OSError, ValueError) as exc:
            log.info("could not keep the parsed %s: %s", self.kind, exc)


def remembered(cache: Optional[ParseCache], path: Path, text: str, read: Callable[[], Any]) -> Any:
    """`read()`'s answer for this text of `path`, from `cache` when it has it (then kept there)."""
    if cache is not None:
        found = cache.get(path, text)
        if found is not None:
            return found
    value = read()
    if cache is not None:
        cache.put(path, text, value)
    return value


__all__ = ["ParseCache", "remembered"]
