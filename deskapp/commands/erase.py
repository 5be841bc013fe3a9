"""`deskapp erase REF --reason TEXT`: tombstone a case's personal text (deskapp.actions.erasure).

Admins only (a refusal is audited); every problem is one line, exit 2, and
nothing is written unless the whole erasure is.
"""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser, sub, common: argparse.ArgumentParser) -> None:
    erase = sub.add_parser(
        "erase", parents=[common], help="erase a case's personal text (an erasure request), keeping the audit chain",
        description="Replace the personal text of case REF (parties' names and contact details, what every "
                    "contact, appointment and approval request says, the case title) with [erased], delete its "
                    "drafts and record one audited `case.erase` event. Dates, statuses and who did what stay. "
                    "`deskapp audit verify` still passes. Admins only; cannot be undone.")
    erase.add_argument("ref", metavar="REF", help="the case reference, e.g. C-1001 (or its imported reference)")
    erase.add_argument("--reason", required=True, metavar="TEXT",
                       help="why (e.g. the erasure request this honours); recorded in the audit trail")
    erase.set_defaults(func=run_erase)


def run_erase(args: argparse.Namespace) -> int:
    from deskapp.actions.erasure import erase_case
    from deskapp.supervision.dbarg import open_existing_desk

    desk = open_existing_desk(args)
    try:
        done = erase_case(desk, args.ref, args.reason)
    finally:
        desk.close()
    print(f"erased {done.ref}: personal text in {done.rows} record{'s' if done.rows != 1 else ''} replaced with "
          f"[erased], {done.drafts} draft{'s' if done.drafts != 1 else ''} deleted (audit event {done.audit_id})")
    return 0
