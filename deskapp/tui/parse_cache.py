"""Settings files read at start-up, remembered by their exact text so the next start need not parse them.

The desk reads its theme files (and the handler's config.yaml) before the
first frame. Parsing them needs PyYAML (~10 ms to import) and checking each
theme needs Textual to derive every shade (~2 ms a theme): work that gives the
same answer every day. This keeps what a file gave, keyed by the file's path
and its whole text, in one file under the data folder. A file that changed by
even a byte is read again, so the cache can never give an old answer; only
results of files that were read without a problem are kept, so every
file:line message still comes from a real parse.

Best effort: a cache that cannot be read or written (read-only home, a
corrupt file, another deskapp or Python version) is ignored and rebuilt.
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

log = logging.getLogger(__name__)

# Bumped by hand when what a kind stores changes shape.
FORMAT = 1


def _cache_file(kind: str) -> Path:
    return config.data_dir() / "cache" / f"{kind}.marshal"


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
    """One kind of file (e.g. "themes"): `get(path, text)` and `put(path, text, value)`, then `save()`."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, tuple[str, Any]] = {}
        self._dirty = False
        self._load()

    def _load(self) -> None:
        try:
            data = marshal.loads(_cache_file(self.kind).read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return
        if isinstance(data, dict) and data.get("stamp") == _stamp() and isinstance(data.get("entries"), dict):
            self._entries = data["entries"]

    def get(self, path: Path, text: str) -> Optional[Any]:
        """What `path` gave when it last held exactly `text`; None if it has not been read so."""
        entry = self._entries.get(str(path))
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == text:
            return entry[1]
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
