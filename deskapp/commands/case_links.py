"""`deskapp case link|unlink|merge|unmerge`: linked cases and merging a duplicate, from a script.

`link REF OTHER --kind KIND` and `unlink REF OTHER` are handler actions like `case note`: the same
ActionRequest the desk builds, through deskapp.actions.submit (roles, rules, reasons, audit; exit
codes as deskapp.commands.case_actions). `merge KEEP DUP --reason` closes DUP into KEEP keeping both
histories (supervisors; deskapp.actions.case_merge); `unmerge DUP --reason` undoes it (admins, within
the retention window). Every problem is one line, exit 2, nothing written.
"""

from __future__ import annotations

import argparse
from typing import Any

from deskapp import vocab
from deskapp.commands.case_actions import decision_options, run_action


def register(case_sub, common: argparse.ArgumentParser) -> None:
    parents = [common, decision_options()]
    link = case_sub.add_parser("link", parents=parents, help="link the case to another (duplicate, related, ...)",
                               description="Link case REF to case OTHER: OTHER is a duplicate of REF (the same "
                                           "issue reported twice), related to it, or its parent or child. Both "
                                           "cases list the link.")
    link.add_argument("ref", metavar="REF")
    link.add_argument("other", metavar="OTHER", help="the other case's reference")
    # Not `--as`: that is every command's identity option (`--as NAME`), and must never mean anything else.
    link.add_argument("--kind", dest="kind", required=True, choices=vocab.LINK_KINDS,
                      help="what OTHER is to REF: " + ", ".join(vocab.LINK_KINDS))
    link.add_argument("--note", metavar="TEXT", default="", help="a note kept with the link")
    link.set_defaults(func=run_action, build=_link, done_words=_link_words)

    unlink = case_sub.add_parser("unlink", parents=parents, help="remove the link between two cases",
                                 description="Remove the link between case REF and case OTHER (kept on record).")
    unlink.add_argument("ref", metavar="REF")
    unlink.add_argument("other", metavar="OTHER", help="the linked case's reference")
    unlink.add_argument("--note", metavar="TEXT", default="", help="a note kept with the change")
    unlink.set_defaults(func=run_action, build=_unlink, done_words=_unlink_words)

    merge = case_sub.add_parser(
        "merge", parents=[common], help="merge duplicate case DUP into KEEP (both histories kept; supervisors)",
        description="Close case DUP as a duplicate merged into case KEEP. Both histories are kept: KEEP's history "
                    "shows DUP's contacts, labelled with DUP's ref; DUP's persons join KEEP; KEEP keeps the "
                    "earlier received date. Audited; an admin can undo it (`deskapp case unmerge`).")
    merge.add_argument("keep", metavar="KEEP", help="the case that stays")
    merge.add_argument("dup", metavar="DUP", help="the duplicate, closed as merged into KEEP")
    merge.add_argument("--reason", required=True, metavar="TEXT", help="why; recorded in the audit trail")
    merge.set_defaults(func=run_merge)

    unmerge = case_sub.add_parser(
        "unmerge", parents=[common], help="undo the merge of duplicate case DUP (admins, within the window)",
        description="Undo the merge of case DUP into another: DUP stands on its own again with the status it "
                    "had, and the kept case gets back its received date and loses the parties the merge added. "
                    "Admins, within the retention window.")
    unmerge.add_argument("dup", metavar="DUP", help="the case that was merged into another")
    unmerge.add_argument("--reason", required=True, metavar="TEXT", help="why; recorded in the audit trail")
    unmerge.set_defaults(func=run_unmerge)


def _link(case: Any, args: argparse.Namespace) -> dict[str, Any]:
    return {"kind": "link", "to": args.kind, "body": args.note, "extra": {"other_ref": args.other}}


def _unlink(case: Any, args: argparse.Namespace) -> dict[str, Any]:
    from deskapp.errors import DeskError
    from deskapp.tui.text import safe_text

    wanted = args.other.strip().casefold()
    found = [link for link in case.links if link.link_id is not None and link.ref.casefold() == wanted]
    if not found:
        listed = ", ".join(f"{link.ref} ({link.kind})" for link in case.links if link.link_id) or "none"
        raise DeskError(f"{case.ref} is not linked to {safe_text(args.other, single_line=True)!r} "
                        f"(links: {listed})")
    return {"kind": "unlink", "body": args.note, "extra": {"link_id": found[0].link_id}}


def _link_words(request: Any, done: Any, case: Any) -> str:
    return f"linked {request.extra['other_ref']} as {request.to}"


def _unlink_words(request: Any, done: Any, case: Any) -> str:
    link = next(link for link in case.links if link.link_id == request.extra["link_id"])
    return f"unlinked {link.ref} (was {link.kind})"


def run_merge(args: argparse.Namespace) -> int:
    from deskapp.actions.case_merge import merge_cases
    from deskapp.supervision.dbarg import open_existing_desk

    desk = open_existing_desk(args)
    try:
        done = merge_cases(desk, args.keep, args.dup, args.reason)
    finally:
        desk.close()
    received = f"; {done.keep_ref} now counts from {done.received_at:%a %d %b %Y %H:%M}, when {done.dup_ref} " \
               f"was received" if done.received_at is not None else ""
    print(f"merged {done.dup_ref} into {done.keep_ref}: {done.dup_ref} is closed as a duplicate, its history shows "
          f"on {done.keep_ref}, {done.parties} person{'s' if done.parties != 1 else ''} joined{received} "
          f"(merge {done.merge_id}, audit event {done.audit_id}; an admin can undo it until "
          f"{done.undo_until:%a %d %b %Y})")
    return 0


def run_unmerge(args: argparse.Namespace) -> int:
    from deskapp.actions.case_merge import unmerge_case
    from deskapp.supervision.dbarg import open_existing_desk

    desk = open_existing_desk(args)
    try:
        done = unmerge_case(desk, args.dup, args.reason)
    finally:
        desk.close()
    left = f"; {done.kept_parties} part{'ies' if done.kept_parties != 1 else 'y'} left on {done.keep_ref} " \
           f"(a contact or appointment names them)" if done.kept_parties else ""
    print(f"undid the merge of {done.dup_ref} into {done.keep_ref}: {done.dup_ref} stands on its own again, "
          f"{done.parties} part{'ies' if done.parties != 1 else 'y'} taken off {done.keep_ref}{left} "
          f"(audit event {done.audit_id})")
    return 0
