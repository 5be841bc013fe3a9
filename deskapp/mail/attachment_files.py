"""A case's attachment written out of the desk: to a path the handler chose, or a private copy for the viewer.

The one saving path for `deskapp case attachments --save` and the desk's `F`
picker: the bytes come from take_attachment (hash checked, audited), the file
is created new and 0600 (evidence and personal data).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from typing import Any, Optional

from deskapp.errors import DeskError


def save_attachment(desk: Any, ref: str, attachment_id: int, path: str, *, overwrite: bool = False) -> Any:
    """Write attachment `attachment_id` of `ref` to `path` as a new 0600 file; the one saving path (CLI and desk).

    The bytes come from take_attachment (hash checked, audited). An existing file
    is refused unless `overwrite` (the desk asks first); then it is replaced whole
    by a 0600 file, never written into with its old mode.
    """
    from deskapp.actions.attachments import take_attachment

    if os.path.lexists(path) and not overwrite:
        raise DeskError(f"{path}: already exists; choose a new file name")
    view, data = take_attachment(desk, ref, attachment_id)
    if overwrite and os.path.isdir(path):
        raise DeskError(f"{path}: is a folder; choose a file name")
    write_new(path, data, replace=overwrite)
    return view


def write_new(path: str, data: bytes, *, replace: bool = False) -> None:
    """Write `data` to `path` whole or not at all, 0600 (evidence and personal data); DeskError in one line.

    The bytes go to a private file beside it first, which is then linked in as a new
    name (refused if one exists) or, with `replace`, renamed over the old file: a full
    disk or a killed desk leaves the old file as it was and no half-written one.
    """
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, partial = tempfile.mkstemp(prefix=".deskapp-", suffix=".part", dir=folder)  # 0600, O_EXCL
    except OSError as exc:
        raise DeskError(f"{path}: cannot create it ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(partial, path)
        else:
            os.link(partial, path)
    except FileExistsError:
        raise DeskError(f"{path}: already exists; choose a new file name") from None
    except OSError as exc:
        raise DeskError(f"{path}: cannot write it ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)


def viewer_command(env: Any = None, platform: Optional[str] = None) -> Optional[str]:
    """The OS viewer when the desk runs locally with a display, else None.

    Over SSH (SSH_CONNECTION set) or without DISPLAY/WAYLAND_DISPLAY a viewer would
    open on another screen or not at all, so the desk offers saving instead.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("SSH_CONNECTION"):
        return None
    if platform == "darwin":
        return "open"
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return "xdg-open"
    return None


def open_attachment(desk: Any, ref: str, attachment_id: int, command: str) -> str:
    """Save a private copy (0600 file in a new 0700 folder) and hand it to the OS viewer; returns its path."""
    import subprocess
    import tempfile

    from deskapp.actions.attachments import take_attachment

    view, data = take_attachment(desk, ref, attachment_id)
    folder = tempfile.mkdtemp(prefix="deskapp-attachment-")  # 0700
    path = os.path.join(folder, safe_file_name(view.name))
    write_new(path, data)
    try:
        subprocess.Popen([command, path], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise DeskError(f"{command}: cannot start the viewer ({exc.strerror or exc}); the copy is at {path}") from None
    return path


def safe_file_name(name: str) -> str:
    """A file name from a sender's attachment name: no folders, no control characters, no leading dot."""
    cleaned = "".join(ch if ch.isprintable() and ch not in "/\\\0" else "_" for ch in name).strip().lstrip(".")
    return cleaned[:200] or "attachment"
