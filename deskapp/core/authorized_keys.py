"""The service account's authorized_keys: deskapp's lines regenerated, everyone else's kept byte for byte.

Each handler key becomes one line that gives its holder the desk and nothing
else (`restrict,pty,command="... desk --as-key NAME"`), ending with the
comment `deskapp:NAME` by which deskapp knows its own lines again. The file is
replaced whole (a temporary file in the same folder, fsync, rename), so sshd
never reads half a file and a crash leaves the old one. File 0600, folder 0700:
sshd's StrictModes refuses anything looser, and so would we.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

from deskapp.errors import DeskError

MARK = "deskapp:"
# A line deskapp wrote: its options, a key type, the base64 blob and `deskapp:NAME`.
_OURS = re.compile(rb'restrict,pty,command="(?:[^"\\]|\\.)*" [A-Za-z0-9@.-]+ [A-Za-z0-9+/=]+ '
                   rb'deskapp:[A-Za-z_][A-Za-z0-9_.-]*\r?\n?')


def default_path() -> Path:
    """~/.ssh/authorized_keys of the OS account running this (its passwd home: $HOME is not asked)."""
    return Path(pwd.getpwuid(os.geteuid()).pw_dir) / ".ssh" / "authorized_keys"


def deskapp_program() -> list[str]:
    """How sshd should start this deskapp: the `deskapp` script beside this Python, else `python -m deskapp`."""
    beside = Path(sys.executable).parent / "deskapp"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("deskapp")
    if found:
        return [str(Path(found).resolve())]
    return [sys.executable, "-m", "deskapp"]


def key_line(username: str, key_type: str, key_data: str, program: Sequence[str]) -> str:
    """One authorized_keys line for this handler's key (no newline)."""
    command = " ".join(shlex.quote(part) for part in [*program, "desk", "--as-key", username])
    quoted = command.replace("\\", "\\\\").replace('"', '\\"')
    return f'restrict,pty,command="{quoted}" {key_type} {key_data} {MARK}{username}'


def is_ours(line: bytes) -> bool:
    return _OURS.fullmatch(line) is not None


def merged(existing: bytes, lines: Iterable[str]) -> bytes:
    """The file's new content: every line deskapp did not write, as it was, then deskapp's `lines`."""
    kept = [line for line in existing.splitlines(keepends=True) if not is_ours(line)]
    if kept and not kept[-1].endswith(b"\n"):
        kept[-1] += b"\n"
    return b"".join(kept) + b"".join(f"{line}\n".encode("ascii") for line in lines)


def write(path: Path, lines: Sequence[str]) -> bool:
    """Put deskapp's `lines` into the authorized_keys file at `path`; True if the file changed.

    A file that does not exist and would hold nothing is not created. DeskError
    (one line) if the file or its folder cannot be read or written.
    """
    path = Path(path)
    try:
        existing = path.read_bytes()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise DeskError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    content = merged(existing or b"", lines)
    if existing is None and not content:
        return False
    try:
        _ensure_folder(path.parent)
        if existing == content:
            os.chmod(path, 0o600)
            return False
        _replace(path, content)
    except OSError as exc:
        raise DeskError(f"{path}: cannot write it: {exc.strerror or exc}") from None
    return True


def _ensure_folder(folder: Path) -> None:
    """The folder exists; made 0700 if new, and a .ssh folder we own is brought to 0700."""
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True)
    stat = folder.stat()
    if folder.name == ".ssh" and stat.st_uid == os.geteuid() and stat.st_mode & 0o077:
        os.chmod(folder, 0o700)


def _replace(path: Path, content: bytes) -> None:
    """Write `content` to a temporary file beside `path` (0600), fsync it, rename it over `path`, fsync the folder."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
