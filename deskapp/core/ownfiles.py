"""Files that belong to the person running deskapp alone: caches, notes, credentials, the database.

On a shared host several accounts may see the same folders (a shared data
folder, a HOME kept by sudo, a cache folder with loose modes). A file another
account wrote, or could have rewritten, must never change what this desk
shows or which database it opens; and what deskapp writes for one person must
not be readable by the others. So: files are written 0600 in folders created
0700, and a file is trusted only if this process's effective user owns it and
neither group nor others may write it.

Standard library only: the desk's quick start reads caches through this
before Textual and SQLAlchemy are imported.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Optional

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
# Bits that let someone other than the owner write a file (rewrite a cache, swap a URL).
OTHERS_WRITE = 0o022
# Bits that let someone other than the owner read or write it (the database, a password).
OTHERS_READ_WRITE = 0o066

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def mode_text(mode: int) -> str:
    """A file mode as people type it for chmod: 0644."""
    return f"{stat.S_IMODE(mode):04o}"


def make_private_folder(folder: Path) -> None:
    """Create `folder` and every missing parent 0700; folders that exist are left as they are.

    (Path.mkdir(parents=True) makes the parents with the default mode, usually 0755.)
    Raises OSError.
    """
    missing: list[Path] = []
    at = Path(folder)
    while not os.path.lexists(at):
        missing.append(at)
        if at.parent == at:
            break
        at = at.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, PRIVATE_FOLDER)
        except FileExistsError:
            pass  # made by another desk starting at the same moment
    if not os.path.isdir(folder):
        raise NotADirectoryError(f"{folder} is not a folder")


def write_whole(path: Path, data: bytes, mode: int = PRIVATE_FILE, *, durable: bool = False) -> None:
    """Write `data` to `path` whole or not at all, readable by its owner only (mode 0600).

    Written to a new file beside it (created exclusively, never through a link someone
    planted), then renamed over it: a desk killed mid-write, or two desks writing at once,
    never leave a half-written file that a later start would misread. Missing folders are
    made 0700. `durable` also flushes the file and the rename to disk (authorized_keys: a
    crash must not leave the old or an empty file after saying it was written). Raises OSError.
    """
    path = Path(path)
    make_private_folder(path.parent)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        os.unlink(partial)  # left by a process that had this id and was killed mid-write
    except FileNotFoundError:
        pass
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, path)
        if durable:
            folder = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
    except BaseException:
        try:
            os.unlink(partial)
        except OSError:
            pass
        raise


def trusted_bytes(path: Path) -> Optional[bytes]:
    """The content of `path` if this user may trust it, else None (missing, unreadable or not trusted).

    Trusted means: a regular file (not followed through a symlink) owned by this process's
    effective user, which neither group nor others may write. Anything else might say what
    someone else wanted, so the caller rebuilds it instead.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & OTHERS_WRITE:
            return None
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def exposed(path: Path) -> Optional[int]:
    """The mode of `path` if group or others may read or write it; None if private or missing."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return mode if mode & OTHERS_READ_WRITE else None


def owned_here(path: Path) -> bool:
    """Whether this process's effective user owns `path` (False if it cannot be seen)."""
    try:
        return os.stat(path).st_uid == os.geteuid()
    except OSError:
        return False


__all__ = ["PRIVATE_FILE", "PRIVATE_FOLDER", "make_private_folder", "write_whole", "trusted_bytes", "exposed",
           "owned_here", "mode_text"]
