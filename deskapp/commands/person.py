"""`deskapp person arrangement add|end` and `deskapp person vulnerable`: what holds on a person, from a script.

The same actions as the desk's R and U forms (deskapp.actions.people): roles, the
case's version, one audit event. Each is recorded from a case — `--case REF`, or
by default the person's newest open case (their newest case if none is open) —
which the sidebar on their other cases then names as the source. Exit codes as
for case actions (docs/command-line.md): 0 done, 2 bad input / not allowed (one
line, nothing written), 5 the case changed meanwhile (nothing written; run again).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any, Optional

ARRANGEMENT_KINDS = ("designated", "authorised")  # deskapp.core.people.ARRANGEMENT_KINDS


def register(sub, common: argparse.ArgumentParser) -> None:
    person = sub.add_parser("person", help="one person across cases: representative arrangements, vulnerability",
                            description="What holds on a person across all their cases: a representative "
                                        "arrangement, and vulnerability.")
    verbs = person.add_subparsers(dest="person_command", metavar="ACTION", required=True)

    arrangement = verbs.add_parser("arrangement", help="record or end a representative arrangement",
                                   description="A standing arrangement on a person: someone who represents them "
                                               "on every case of theirs.")
    ops = arrangement.add_subparsers(dest="arrangement_command", metavar="OP", required=True)
    add = ops.add_parser(
        "add", parents=[common], help="record that REPRESENTATIVE acts for PERSON",
        description="Record on PERSON that REPRESENTATIVE represents them (designated: all contact goes "
                    "through them; authorised: we may talk to them), on what authority and evidence. A new "
                    "designated arrangement ends the one before. Persons by number (#12), as `deskapp people "
                    "duplicates` and the desk's People screen list them.")
    add.add_argument("person", metavar="PERSON", help="the person represented (#id)")
    add.add_argument("--representative", required=True, metavar="ID", help="the person who represents them (#id)")
    add.add_argument("--kind", choices=ARRANGEMENT_KINDS, default="designated", help="default designated")
    add.add_argument("--authorised-by", required=True, metavar="TEXT",
                     help="who authorised it: the person, a court, an attorney...")
    add.add_argument("--from", dest="starts", metavar="DATE", default=None,
                     help="YYYY-MM-DD [HH:MM] it starts (default now)")
    add.add_argument("--until", metavar="DATE", default=None, help="YYYY-MM-DD it ends (default until withdrawn)")
    add.add_argument("--evidence-contact", metavar="ID", default=None,
                     help="the contact on the case holding the evidence (e.g. the signed form)")
    add.add_argument("--evidence-note", metavar="TEXT", default=None, help="the evidence, in words")
    add.add_argument("--case", metavar="REF", default=None,
                     help="the case it is recorded from (default: the person's newest open case)")
    add.set_defaults(func=run_arrangement_add)

    end = ops.add_parser("end", parents=[common], help="end an arrangement in force",
                         description="Withdraw arrangement ARRANGEMENT now: it stays on record, ended, on "
                                     "every case of the person.")
    end.add_argument("arrangement", metavar="ARRANGEMENT", help="the arrangement's number")
    end.add_argument("--case", metavar="REF", default=None,
                     help="the case it is ended from (default: the person's newest open case)")
    end.set_defaults(func=run_arrangement_end)

    vulnerable = verbs.add_parser(
        "vulnerable", parents=[common], help="mark a person vulnerable (or --clear)",
        description="Mark PERSON vulnerable, with why and when to review it: it shows on all their cases. "
                    "--clear unmarks them.")
    vulnerable.add_argument("person", metavar="PERSON", help="the person (#id)")
    mark = vulnerable.add_mutually_exclusive_group(required=True)
    mark.add_argument("--reason", metavar="TEXT", default=None, help="why they are vulnerable")
    mark.add_argument("--clear", action="store_true", help="they are no longer vulnerable")
    vulnerable.add_argument("--review", metavar="DATE", default=None,
                            help="YYYY-MM-DD to look at the flag again (with --reason)")
    vulnerable.add_argument("--case", metavar="REF", default=None,
                            help="the case it is recorded from (default: the person's newest open case)")
    vulnerable.set_defaults(func=run_vulnerable)


def _number(text: Any, what: str) -> int:
    from deskapp.actions.person_merge import person_number

    return person_number(text, what)


def _date(text: Optional[str], option: str, now: datetime) -> Optional[datetime]:
    from deskapp.core.when import parse_when
    from deskapp.errors import DeskError
    from deskapp.tui.text import safe_text

    if text is None:
        return None
    try:
        return parse_when(text, now, future=True)
    except ValueError as exc:
        raise DeskError(f"{option}: {safe_text(exc, single_line=True)}") from None


def _done(ref: str, outcome: Any, words: str) -> int:
    import sys

    from deskapp.actions import Conflict
    from deskapp.commands.case_actions import EXIT_CONFLICT, EXIT_DONE
    from deskapp.tui.text import safe_text

    if isinstance(outcome, Conflict):
        print(f"deskapp: {safe_text(outcome.message, single_line=True)}", file=sys.stderr)
        return EXIT_CONFLICT
    print(f"{ref}: {words} (audit event {outcome.audit_id})")
    return EXIT_DONE


def run_arrangement_add(args: argparse.Namespace) -> int:
    from deskapp.actions import record_arrangement
    from deskapp.actions.person_pick import working_case
    from deskapp.supervision.dbarg import open_existing_desk

    person = _number(args.person, "PERSON")
    rep = _number(args.representative, "--representative")
    contact = _number(args.evidence_contact, "--evidence-contact") if args.evidence_contact is not None else None
    desk = open_existing_desk(args)
    try:
        now = desk.now()
        starts, until = _date(args.starts, "--from", now), _date(args.until, "--until", now)
        case = working_case(desk, person, args.case)
        outcome = record_arrangement(desk, case.id, case.version, person_id=person, representative_id=rep,
                                     kind=args.kind, authorised_by=args.authorised_by, starts_at=starts,
                                     ends_at=until, evidence_contact_id=contact, evidence_note=args.evidence_note)
    finally:
        desk.close()
    return _done(case.ref, outcome, f"#{rep} recorded as {args.kind} representative of #{person}")


def run_arrangement_end(args: argparse.Namespace) -> int:
    from deskapp.actions import end_arrangement
    from deskapp.actions.person_pick import arrangement_person, working_case
    from deskapp.supervision.dbarg import open_existing_desk

    arrangement = _number(args.arrangement, "ARRANGEMENT")
    desk = open_existing_desk(args)
    try:
        case = working_case(desk, arrangement_person(desk, arrangement), args.case)
        outcome = end_arrangement(desk, case.id, case.version, arrangement_id=arrangement)
    finally:
        desk.close()
    return _done(case.ref, outcome, f"arrangement {arrangement} ended")


def run_vulnerable(args: argparse.Namespace) -> int:
    from deskapp.actions import set_vulnerability
    from deskapp.actions.person_pick import working_case
    from deskapp.errors import DeskError
    from deskapp.supervision.dbarg import open_existing_desk

    person = _number(args.person, "PERSON")
    if args.clear and args.review is not None:
        raise DeskError("--review goes with --reason, not --clear")
    desk = open_existing_desk(args)
    try:
        review = _date(args.review, "--review", desk.now())
        case = working_case(desk, person, args.case)
        outcome = set_vulnerability(desk, case.id, case.version, person_id=person, vulnerable=not args.clear,
                                    reason=args.reason, review=review)
    finally:
        desk.close()
    return _done(case.ref, outcome, f"#{person} {'no longer marked' if args.clear else 'marked'} vulnerable")
