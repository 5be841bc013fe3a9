"""The SQLite database file is its owner's alone: made 0600 (in folders made 0700), and said so when not.

The file holds every customer's name, contact details and history; its -wal
file holds the latest writes and -shm a map of them. SQLite gives the -wal and
-shm files the database file's mode, so creating that file 0600 before SQLite
first opens it keeps all three private (no process-wide umask, which would
race with other threads). A database that group or others may read or write
is not refused (a handler's personal file is theirs to share), but every
command says so once, with the fix; `deskapp init` applies the fix to a file
this user owns.

Standard library only: the desk's quick start checks the file before
SQLAlchemy is imported.
"""

from __future__ import annotations

import os
import pwd
import stat
import sys
from pathlib import Path
from typing import Optional, TextIO

from deskapp.core.ownfiles import PRIVATE_FILE, exposed, make_private_folder, mode_text, owned_here

SIDE_FILES = ("-wal", "-shm")
_OTHERS = 0o077
_warned: set[str] = set()


def with_side_files(path: Path) -> list[Path]:
    """The database file and its -wal/-shm files (whether or not they exist)."""
    return [path, *(path.with_name(path.name + suffix) for suffix in SIDE_FILES)]


def create_private(path: Path) -> None:
    """Make `path`'s missing folders 0700 and, if it does not exist, create it empty and 0600
    (SQLite treats an empty file as a new database). Raises OSError."""
    make_private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)


def _owner(path: Path) -> str:
    try:
        uid = os.stat(path).st_uid
    except OSError:
        return "its owner"
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def exposure(path: Path) -> Optional[str]:
    """One line if group or others may read or write the database (or its -wal/-shm); None if not."""
    loose = [(p, mode) for p in with_side_files(path) if (mode := exposed(p)) is not None]
    if not loose:
        return None
    first, mode = loose[0]
    also = " (and its -wal/-shm files)" if first == path and len(loose) > 1 else ""
    if owned_here(first):
        fix = f"run `deskapp init` to make it 0600, or `chmod 600 {first}`"
    else:
        fix = f"ask {_owner(first)}, who owns it, to run `chmod 600 {first}`"
    return (f"warning: database file {first}{also} may be read or changed by other accounts "
            f"(mode {mode_text(mode)}): {fix}")


def warn_once(path: Optional[Path], stream: Optional[TextIO] = None) -> Optional[str]:
    """Print the exposure line for `path` on stderr, once per file per process; returns it."""
    if path is None:
        return None
    line = exposure(path)
    key = os.path.abspath(path)
    if line is None or key in _warned:
        return None
    _warned.add(key)
    print(f"deskapp: {line}", file=stream or sys.stderr, flush=True)
    return line


def tighten(path: Path) -> Optional[str]:
    """Take group and other bits off the database and its -wal/-shm files that this user owns.

    Returns one line saying what changed, or None if nothing needed to. Raises OSError.
    """
    changed: list[tuple[Path, int]] = []
    for file in with_side_files(path):
        try:
            info = os.stat(file)
        except FileNotFoundError:
            continue
        if info.st_uid != os.geteuid() or not info.st_mode & _OTHERS:
            continue
        os.chmod(file, stat.S_IMODE(info.st_mode) & ~_OTHERS)
        changed.append((file, info.st_mode))
    if not changed:
        return None
    _warned.discard(os.path.abspath(path))
    first, before = changed[0]
    also = " (and its -wal/-shm files)" if len(changed) > 1 else ""
    return (f"made {first}{also} private: mode {mode_text(before)} -> "
            f"{mode_text(stat.S_IMODE(before) & ~_OTHERS)}, no longer open to other accounts")


def sqlite_path(url: str) -> Optional[Path]:
    """The file behind a `sqlite:///PATH` URL (query ignored); None for memory or another database."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0].lower() != "sqlite":
        return None
    path = rest.split("?")[0]
    path = path[1:] if path.startswith("/") else path
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path).expanduser()


__all__ = ["create_private", "exposure", "warn_once", "tighten", "sqlite_path", "with_side_files"]
