"""`deskapp case attachments REF [--save ID PATH]`: list a case's received files, or save one.

Saving never overwrites: the file is created new, 0600 (it is evidence and
personal data), and the taking is audited (deskapp.actions.attachments).
"""

from __future__ import annotations

import argparse
import sys

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
    from deskapp.mail.attachment_files import save_attachment
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

