"""`deskapp case attachments REF [--save ID PATH]`: list a case's received files, or save one.

Saving never overwrites: the file is created new, 0600 (it is evidence and
personal data), and the taking is audited (deskapp.actions.attachments).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Optional

from deskapp.errors import DeskError


def register(case_sub, common: argparse.ArgumentParser) -> None:
    cmd = case_sub.add_parser("attachments", parents=[common], help="list a case's received files, or save one",
                              description="List the files that came with case REF's mail (id, size, sha256, "
                                          "type, name), or save one with --save ID PATH (a new file, 0600; "
                                          "audited).")
    cmd.add_argument("ref", metavar="REF", help="the case reference, e.g. C-1001")
    cmd.add_argument("--save", nargs=2, metavar=("ID", "PATH"), help="save attachment ID to PATH (a new file)")
    cmd.set_defaults(func=run_attachments)


def run_attachments(args: argparse.Namespace) -> int:
    from deskapp.actions.attachments import case_attachments
    from deskapp.supervision.dbarg import open_existing_desk

    if args.save:
        ident, path = args.save
        if not ident.isdigit():
            raise DeskError(f"--save {ident}: the attachment id is a number (see the list)")
    desk = open_existing_desk(args)
    try:
        if not args.save:
            ref, items = case_attachments(desk, args.ref)
        else:
            view = save_attachment(desk, args.ref, int(ident), path)
    finally:
        desk.close()
    if not args.save:
        if not items:
            print(f"{ref}: no attachments")
        for item in items:
            name = item.name.encode("unicode_escape").decode("ascii") if not item.name.isprintable() else item.name
            print(f"{item.id}\t{item.size}\t{item.sha256}\t{item.content_type}\t{name}")
        return 0
    print(f"saved attachment {view.id} ({view.size:,} bytes, sha256 {view.sha256}) to {path}", file=sys.stderr)
    return 0


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
    if overwrite and os.path.lexists(path):
        if os.path.isdir(path):
            raise DeskError(f"{path}: is a folder; choose a file name")
        try:
            os.unlink(path)
        except OSError as exc:
            raise DeskError(f"{path}: cannot replace it ({exc.strerror or exc})") from None
    write_new(path, data)
    return view


def write_new(path: str, data: bytes) -> None:
    """Create `path` new (O_EXCL), 0600 (evidence and personal data) and write `data`; DeskError in one line."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise DeskError(f"{path}: already exists; choose a new file name") from None
    except OSError as exc:
        raise DeskError(f"{path}: cannot create it ({exc.strerror or exc})") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


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
