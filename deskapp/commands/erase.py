"""`deskapp erase REF --reason TEXT`: tombstone a case's personal text (deskapp.actions.erasure);
`deskapp erase --person ID --reason TEXT`: one person's data on every case (deskapp.actions.person_erasure).

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
                    "`deskapp audit verify` still passes. With --person ID instead of REF: that person's data on "
                    "every case (a case that is theirs alone is erased whole; on a shared case only their "
                    "records, contacts, appointments and emails), their person record and arrangements, and the "
                    "saved views naming them. Admins only; cannot be undone.")
    erase.add_argument("ref", metavar="REF", nargs="?", default=None,
                       help="the case reference, e.g. C-1001 (or its imported reference)")
    erase.add_argument("--person", metavar="ID", default=None,
                       help="instead of a case: erase this person (number as `deskapp people` shows it) everywhere")
    erase.add_argument("--reason", required=True, metavar="TEXT",
                       help="why (e.g. the erasure request this honours); recorded in the audit trail")
    erase.set_defaults(func=run_erase)


def run_erase(args: argparse.Namespace) -> int:
    from deskapp.actions.erasure import erase_case
    from deskapp.errors import DeskError
    from deskapp.supervision.dbarg import open_existing_desk

    if (args.ref is None) == (args.person is None):
        raise DeskError("erase: give a case reference (REF) or --person ID, not both" if args.ref
                        else "erase: give a case reference (REF) or --person ID")
    if args.person is not None:
        return run_erase_person(args)
    desk = open_existing_desk(args)
    try:
        done = erase_case(desk, args.ref, args.reason)
    finally:
        desk.close()
    print(f"erased {done.ref}: personal text in {done.rows} record{'s' if done.rows != 1 else ''} replaced with "
          f"[erased], {done.drafts} draft{'s' if done.drafts != 1 else ''} deleted (audit event {done.audit_id})")
    return 0


def run_erase_person(args: argparse.Namespace) -> int:
    from deskapp.actions.person_erasure import erase_person, person_id_of
    from deskapp.supervision.dbarg import open_existing_desk

    person_id = person_id_of(args.person)
    desk = open_existing_desk(args)
    try:
        done = erase_person(desk, person_id, args.reason)
    finally:
        desk.close()

    def n(count: int, noun: str) -> str:
        return f"{count} {noun}{'s' if count != 1 else ''}"

    merged = [i for i in done.persons if i != done.person_id]
    print(f"erased person #{done.person_id}" + (f" (and #{', #'.join(map(str, merged))} merged into them)"
                                                 if merged else "")
          + f": {n(len(done.whole), 'case')} erased whole" + (f" ({', '.join(done.whole)})" if done.whole else "")
          + f", their data on {n(len(done.shared), 'shared case')}" + (f" ({', '.join(done.shared)})"
                                                                        if done.shared else "")
          + f"; {n(done.rows, 'record')} re-recorded, {n(done.views, 'saved view')} deleted "
            f"(audit event {done.audit_id})")
    return 0
