"""`deskapp case appointment REF book|move|cancel|kept|missed ...`: the desk's appointment form from a script.

The verbs are the form's (key `b`): book needs when, with whom and what for;
move takes the appointment's number and a new time, party or purpose; cancel,
kept and missed take its number. Each builds the ActionRequest the form builds
and goes through `deskapp.actions.submit` like `case note` (roles, the rules,
a reason for a warning, an approval for a block, the audit event), with the
same exit codes (see deskapp.commands.case_actions).

Times are read as the form reads them (deskapp.core.when): local time on the
desk's clock, `HH:MM` meaning today; a time with a UTC offset is converted.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from deskapp.commands.case_actions import decision_options, party_id, run_action
from deskapp.core.when import HINT, parse_when


def _when(text: str) -> datetime:
    """--at: a time as the form reads it, or argparse's one-line error naming --at."""
    try:
        value = parse_when(text, datetime.now().replace(microsecond=0), future=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value is None:
        raise argparse.ArgumentTypeError(f"say when: {HINT}")
    return value


def _number(text: str) -> int:
    number = text.strip().lstrip("#")
    if not number.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not an appointment number (e.g. 12, as `case show` "
                                         f"lists it)")
    return int(number)


def register(case_sub, common: argparse.ArgumentParser) -> None:
    parents = [common, decision_options()]
    appointment = case_sub.add_parser(
        "appointment", parents=[common], help="book, move or cancel an appointment, or mark one kept or missed",
        description="Book an appointment on case REF, or move, cancel, or mark kept or missed one already on "
                    "it (its number, as `case show` and the desk list it), as the desk's form (key `b`) does. "
                    "Times are the desk's local time.")
    appointment.add_argument("ref", metavar="REF", help="the case reference, e.g. C-1001")
    verbs = appointment.add_subparsers(dest="appointment_op", metavar="VERB", required=True)

    book = verbs.add_parser("book", parents=parents, help="book a new appointment",
                            description="Book an appointment: when, with whom and what for.")
    book.add_argument("--at", type=_when, required=True, metavar="WHEN",
                      help="YYYY-MM-DD HH:MM (or HH:MM today), the desk's local time")
    book.add_argument("--party", metavar="PARTY", required=True,
                      help="who it is with: party id (as `case show` lists it) or exact name")
    book.add_argument("--purpose", metavar="TEXT", required=True, help="what it is for (up to 200 characters)")

    move = verbs.add_parser("move", parents=parents, help="move a booked appointment (time, party or purpose)",
                            description="Move booked appointment ID to a new time, or give it a new party or "
                                        "purpose.")
    move.add_argument("--at", type=_when, default=None, metavar="WHEN",
                      help="the new time (default: unchanged), YYYY-MM-DD HH:MM or HH:MM today")
    move.add_argument("--party", metavar="PARTY", default=None, help="the new party (default: unchanged)")
    move.add_argument("--purpose", metavar="TEXT", default="", help="the new purpose (default: unchanged)")

    for verb, words in (("cancel", "cancel a booked appointment"),
                        ("kept", "mark an appointment kept, once its time has passed"),
                        ("missed", "mark an appointment missed, once its time has passed")):
        verbs.add_parser(verb, parents=parents, help=words, description=words.capitalize() + ".")
    for verb, parser in verbs.choices.items():
        if verb != "book":
            parser.add_argument("id", metavar="ID", type=_number, help="the appointment's number, e.g. 12 or #12")
        parser.add_argument("--note", metavar="TEXT", default="", help="a note kept with the change in the history")
        parser.set_defaults(func=run_action, build=_request, done_words=done_words)


def _request(case: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The fields of the form's ActionRequest for this verb (the action layer checks them)."""
    op = args.appointment_op
    fields: dict[str, Any] = {"kind": "appointment", "to": op, "body": args.note}
    if op == "book":
        return fields | {"at": args.at, "party_id": party_id(case, args.party), "summary": args.purpose}
    fields["extra"] = {"appointment_id": args.id}
    if op == "move":
        current = next((a for a in case.appointments if a.id == args.id), None)
        at = args.at if args.at is not None or current is None else current.at
        fields |= {"at": at, "party_id": party_id(case, args.party), "summary": args.purpose}
    return fields


_WORDS = {"book": "booked", "move": "moved", "cancel": "cancelled", "kept": "marked kept",
          "missed": "marked missed"}


def done_words(request: Any, done: Any, before: Any) -> str:
    """'appointment #12 booked: Thu 12 Mar 2026 10:00 with Lee Price' (the number `appointment ics` takes)."""
    from deskapp.policy.expressions import format_day_time
    from deskapp.tui.text import safe_text

    had = {a.id for a in before.appointments}
    if request.to == "book":
        appt = next(a for a in done.case.appointments if a.id not in had)
    else:
        appt = next(a for a in done.case.appointments if a.id == request.extra["appointment_id"])
    party = done.case.party(appt.party_id)
    with_whom = f" with {safe_text(party.name, single_line=True)}" if party else ""
    return f"appointment #{appt.id} {_WORDS[request.to]}: {format_day_time(appt.at)}{with_whom}"
