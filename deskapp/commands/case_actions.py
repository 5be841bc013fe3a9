"""`deskapp case note|status|assign|contact|appointment REF ...`: a handler's action from a script.

Each builds the same ActionRequest the desk's form builds and hands it to
`deskapp.actions.submit`, so the roles, the rules, the reasons policy and the
audit trail are the desk's own. The rules' answer becomes the exit code:

    0  done (the change, its contact and its audit event are written)
    2  bad input, not allowed, or a problem with the database (one line)
    3  a rule warns: nothing written; the findings are printed; run again with --reason
    4  a rule blocks: nothing written; with --request-approval a supervisor is asked
       (the approval request is written and audited) and the exit is still 4; once
       approved, the same command with --approval ID carries it out (exit 0)
    5  the case changed between reading and writing it: nothing written; run again
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Optional

from deskapp import vocab

EXIT_DONE, EXIT_NEEDS_REASON, EXIT_BLOCKED, EXIT_CONFLICT = 0, 3, 4, 5
# As the desk's contact form: a warning or ending a call for abuse belongs to a call in progress,
# which the desk's abuse form keeps track of; a script logs what happened, not a live call.
CONTACT_OUTCOMES = tuple(o for o in vocab.OUTCOMES if o not in ("warning_given", "ended_for_abuse"))


def decision_options() -> argparse.ArgumentParser:
    """--reason, --request-approval, --approval: what a handler decides when the rules speak (every action)."""
    decision = argparse.ArgumentParser(add_help=False)
    decision.add_argument("--reason", metavar="TEXT", default=None,
                          help="why you go ahead against a warning (recorded in the audit trail); also the "
                               "note to the supervisor with --request-approval")
    ask = decision.add_mutually_exclusive_group()
    ask.add_argument("--request-approval", action="store_true",
                     help="if a rule blocks the action, ask a supervisor to allow exactly this request")
    ask.add_argument("--approval", type=_approval_id, default=None, metavar="ID",
                     help="carry out the action a supervisor approved as request ID: run the same command "
                          "again with this added (anything different is refused)")
    return decision


def register(case_sub, common: argparse.ArgumentParser) -> None:
    parents = [common, decision_options()]

    note = case_sub.add_parser("note", parents=parents, help="add an internal note",
                               description="Add an internal note to case REF.")
    note.add_argument("ref", metavar="REF")
    note.add_argument("text", metavar="TEXT", help="the note; - reads it from standard input")
    note.set_defaults(func=run_action, build=_note)

    status = case_sub.add_parser("status", parents=parents, help="set the case's status",
                                 description="Set the status of case REF (the rules may ask for a reason or "
                                             "block, e.g. closing a complaint with no final response).")
    status.add_argument("ref", metavar="REF")
    status.add_argument("to", metavar="STATUS", choices=vocab.CASE_STATUSES,
                        help=f"one of: {', '.join(vocab.CASE_STATUSES)}")
    status.add_argument("--note", metavar="TEXT", default="", help="a note kept with the change")
    status.set_defaults(func=run_action, build=_status)

    assign = case_sub.add_parser("assign", parents=parents, help="assign the case to a handler",
                                 description="Assign case REF to handler NAME (a case that is someone else's "
                                             "takes a supervisor).")
    assign.add_argument("ref", metavar="REF")
    assign.add_argument("to", metavar="NAME", help="the handler's username")
    assign.add_argument("--at-request-of", metavar="PARTY", default=None,
                        help="the party (id or exact name) who asked for this handler")
    assign.add_argument("--note", metavar="TEXT", default="", help="a note kept with the change")
    assign.set_defaults(func=run_action, build=_assign)

    contact = case_sub.add_parser("contact", parents=parents, help="log a contact (call, visit, email, letter)",
                                  description="Log a contact on case REF that happened: with whom, how, "
                                              "and how it went.")
    contact.add_argument("ref", metavar="REF")
    contact.add_argument("--party", metavar="PARTY", default=None,
                         help="who it was with: party id (as `case show` lists it) or exact name")
    contact.add_argument("--channel", choices=[c for c in vocab.CHANNELS if c != "note"], default="phone",
                         help="how (default phone; internal notes are `case note`)")
    contact.add_argument("--direction", choices=vocab.DIRECTIONS, default="out",
                         help="out: we contacted them (default); in: they contacted us")
    contact.add_argument("--outcome", choices=CONTACT_OUTCOMES, default=None, help="how it went")
    contact.add_argument("--summary", metavar="TEXT", default="", help="what it was about")
    contact.add_argument("--body", metavar="TEXT", default="", help="details; - reads them from standard input")
    contact.add_argument("--final-response", action="store_true",
                         help="this letter/email we sent is the stage's final response")
    contact.set_defaults(func=run_action, build=_contact)


def _approval_id(text: str) -> int:
    number = text.lstrip("#")
    if not number.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not an approval request number (e.g. 7)")
    return int(number)


def _stdin_or(text: str) -> str:
    return sys.stdin.read() if text == "-" else text


def party_id(case: Any, given: Optional[str], option: str = "--party") -> Optional[int]:
    """The party `given` names on the case: its id (`3` or `#3`) or its exact name (any case)."""
    from deskapp.errors import DeskError
    from deskapp.tui.text import safe_text

    if given is None:
        return None
    text = given.strip()
    if text.lstrip("#").isdigit() and case.party(int(text.lstrip("#"))) is not None:
        return int(text.lstrip("#"))
    named = [p for p in case.parties if (p.name or "").casefold() == text.casefold()]
    if len(named) == 1:
        return named[0].id
    listed = ", ".join(f"#{p.id} {safe_text(p.name, single_line=True)}" for p in case.parties) or "none"
    what = "names more than one party on" if named else "is not a party on"
    raise DeskError(f"{option} {safe_text(given, single_line=True)!r} {what} {case.ref} "
                    f"(parties: {listed})")


def _note(case: Any, args: argparse.Namespace) -> dict[str, Any]:
    return {"kind": "note", "body": _stdin_or(args.text)}


def _status(case: Any, args: argparse.Namespace) -> dict[str, Any]:
    return {"kind": "status", "to": args.to, "body": args.note}


def _assign(case: Any, args: argparse.Namespace) -> dict[str, Any]:
    return {"kind": "assign", "to": args.to, "body": args.note,
            "at_request_of": party_id(case, args.at_request_of, "--at-request-of")}


def _contact(case: Any, args: argparse.Namespace) -> dict[str, Any]:
    return {"kind": "contact", "channel": args.channel, "direction": args.direction,
            "party_id": party_id(case, args.party), "outcome": args.outcome, "summary": args.summary,
            "body": _stdin_or(args.body), "final_response": args.final_response}


def run_action(args: argparse.Namespace) -> int:
    """Read the case, submit the request built from the options, and turn the outcome into an exit code."""
    from deskapp.actions import ActionRequest, submit
    from deskapp.actions.lookup import case_by_reference
    from deskapp.supervision.dbarg import open_existing_desk

    desk = open_existing_desk(args)
    try:
        case = case_by_reference(desk, args.ref)
        request = ActionRequest(case_id=case.id, version=case.version, **args.build(case, args))
        outcome = submit(desk, request, reason=args.reason, request_approval=args.request_approval,
                         approval_id=args.approval)
    finally:
        desk.close()
    words = getattr(args, "done_words", None)
    return report(case.ref, request, outcome, words=words and (lambda done: words(request, done, case)))


DONE_WORDS = {"note": lambda r: "note added", "status": lambda r: f"status set to {r.to}",
              "assign": lambda r: f"assigned to {r.to}", "contact": lambda r: f"{r.channel} contact logged"}


def report(ref: str, request: Any, outcome: Any, words: Optional[Callable[[Any], str]] = None) -> int:
    """Print what happened (results on stdout, refusals on stderr) and answer the exit code.

    `words(done)` says what was done where the request alone cannot (a booking's new number).
    """
    from deskapp.actions import ApprovalRequested, Blocked, Conflict, Done, NeedsReason
    from deskapp.commands.case_text import finding_line
    from deskapp.tui.text import safe_text

    kind = request.kind
    if isinstance(outcome, Done):
        print(f"{ref}: {words(outcome) if words else DONE_WORDS[kind](request)} (audit event {outcome.audit_id})")
        for finding in outcome.findings:
            print(f"  {finding_line(finding)}")
        return EXIT_DONE
    if isinstance(outcome, NeedsReason):
        print(f"deskapp: {ref}: {kind} not done: a rule warns; run again with --reason TEXT to go ahead",
              file=sys.stderr)
        code = EXIT_NEEDS_REASON
    elif isinstance(outcome, Blocked):
        print(f"deskapp: {ref}: {kind} not done: a rule blocks it; --request-approval asks a supervisor",
              file=sys.stderr)
        code = EXIT_BLOCKED
    elif isinstance(outcome, ApprovalRequested):
        print(f"deskapp: {ref}: {kind} not done: blocked; approval request #{outcome.approval_id} sent to a "
              f"supervisor; once approved, run this again with --approval {outcome.approval_id}", file=sys.stderr)
        code = EXIT_BLOCKED
    elif isinstance(outcome, Conflict):
        print(f"deskapp: {safe_text(outcome.message, single_line=True)}", file=sys.stderr)
        return EXIT_CONFLICT
    else:  # pragma: no cover - Outcome is the union above
        raise TypeError(f"unknown outcome {outcome!r}")
    for finding in outcome.findings:
        if finding.severity in ("warn", "block"):
            print(f"  {finding_line(finding)}", file=sys.stderr)
    return code
