"""The service account's database URL, read from a file only it may read.

A desk serving a team connects to PostgreSQL with the service account's
credentials. They live in `<config folder>/database.url` (one URL, `#`
comments and blank lines allowed) or in libpq's own files (~/.pgpass,
~/.pg_service.conf, which psycopg reads for a URL without a password), never
in a variable someone else could set or read. A URL file that another account
owns, or that group or others may read or write, is refused before anything
connects: its password may already be known, or the URL may point the desk at
someone else's server. Messages name the file and line, never the URL (it may
hold a password).
"""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path
from typing import Optional

from deskapp.core.ownfiles import mode_text
from deskapp.errors import ConfigError

# Any bit for group or others: the file is for the service account alone (like ssh's private keys).
_OTHERS = 0o077
_EXAMPLE = "postgresql://deskapp@db.example.org/desk"


def _owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def read_url_file(path: Path) -> Optional[str]:
    """The URL in `path`; None if there is no such file. Raises ConfigError (one line) if the file
    is not this user's alone or does not hold exactly one URL."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path}: not a file")
        me = os.geteuid()
        if info.st_uid != me:
            raise ConfigError(f"{path}: owned by {_owner_name(info.st_uid)}, not by {_owner_name(me)}; "
                              f"refusing a database URL someone else could change")
        if info.st_mode & _OTHERS:
            raise ConfigError(f"{path}: group or others may read or change it (mode {mode_text(info.st_mode)}); "
                              f"refusing to use it: run `chmod 600 {path}` and check who knows the password")
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read()
    finally:
        os.close(fd)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if found:
            raise ConfigError(f"{path}:{number}: a second URL (line {found[0][0]} has one); "
                              "the file holds one database URL")
        if "://" not in line or any(ch.isspace() for ch in line):
            raise ConfigError(f"{path}:{number}: not a database URL (one line such as {_EXAMPLE})")
        found.append((number, line))
    if not found:
        raise ConfigError(f"{path}: holds no database URL (one line such as {_EXAMPLE})")
    return found[0][1]


__all__ = ["read_url_file"]
