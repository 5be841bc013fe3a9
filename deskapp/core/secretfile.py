"""A password kept in a file only its owner may read (like ssh's private keys): the first line, checked.

Refused in one line if another account owns it or group/others have any
access: its secret may already be known, or someone else could change it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from deskapp.core.ownfiles import mode_text
from deskapp.errors import ConfigError


def read_secret(path: Path) -> str:
    """The first line of `path` (trailing newline removed). ConfigError if missing, shared or empty."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path}: not a file")
        if info.st_uid != os.geteuid():
            raise ConfigError(f"{path}: owned by another account; refusing a password someone else could change")
        if info.st_mode & 0o077:
            raise ConfigError(f"{path}: group or others may read it (mode {mode_text(info.st_mode)}); "
                              f"run `chmod 600 {path}` and change the password")
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(64 * 1024)
    finally:
        os.close(fd)
    line = raw.decode("utf-8", "replace").splitlines()[0] if raw.strip() else ""
    if not line:
        raise ConfigError(f"{path}: empty (the password goes on its first line)")
    return line
