"""`deskapp people duplicates|merge|unmerge`: finding one person recorded twice, and joining them.

`duplicates` lists likely duplicate persons, scored, with the reasons
(deskapp.actions.duplicates; supervisors and admins). `merge KEEP OTHER
--reason` re-links every case of OTHER to KEEP (supervisors and admins) and
`unmerge MERGE --reason` undoes a merge (admins, within the retention window)
(deskapp.actions.person_merge). Every problem is one line, exit 2, nothing written.
"""

from __future__ import annotations

import argparse

from deskapp.commands.formats import FORMATS


def register(parser: argparse.ArgumentParser, sub, common: argparse.ArgumentParser) -> None:
    people = sub.add_parser("people", help="persons across cases: duplicates, merge, unmerge",
                            description="Persons across cases: list likely duplicates, merge two persons "
                                        "into one, undo a merge.")
    verbs = people.add_subparsers(dest="people_command", metavar="ACTION", required=True)

    dup = verbs.add_parser(
        "duplicates", parents=[common], help="likely duplicate persons, scored, with the reasons",
        description="List persons who are likely one person: the same phone or email (in any format), or a "
                    "similar name at a similar address. Each pair is scored 0-100 with its reasons. Compares "
                    "only persons sharing a key, so it runs in bounded memory on any size of desk. "
                    "Supervisors and admins.")
    dup.add_argument("--min-score", type=int, default=None, metavar="N",
                     help="list pairs scoring at least N (0-100; default 70)")
    dup.add_argument("--limit", type=int, default=100, metavar="N", help="at most N pairs, best first (default 100)")
    dup.add_argument("--format", choices=FORMATS, default="table", help="table (default), csv or json")
    dup.set_defaults(func=run_duplicates)

    merge = verbs.add_parser(
        "merge", parents=[common], help="merge person OTHER into KEEP (every case re-linked)",
        description="Merge person OTHER into person KEEP: every case, representative arrangement and link of "
                    "OTHER moves to KEEP; OTHER is kept, marked merged, so the history stays and an admin can "
                    "undo it (`deskapp people unmerge`). Audited. Supervisors and admins.")
    merge.add_argument("keep", metavar="KEEP", help="the person who stays (#id as listed by `people duplicates`)")
    merge.add_argument("other", metavar="OTHER", help="the person merged into KEEP (#id)")
    merge.add_argument("--reason", required=True, metavar="TEXT", help="why; recorded in the audit trail")
    merge.set_defaults(func=run_merge)

    unmerge = verbs.add_parser(
        "unmerge", parents=[common], help="undo a merge of two persons (admins, within the retention window)",
        description="Undo merge MERGE (its number, as `people merge` printed it): the cases, arrangements and "
                    "links that moved go back to the merged person. Admins, within the retention window.")
    unmerge.add_argument("merge_id", metavar="MERGE", help="the merge's number")
    unmerge.add_argument("--reason", required=True, metavar="TEXT", help="why; recorded in the audit trail")
    unmerge.set_defaults(func=run_unmerge)

    from deskapp.commands import person as person_command  # `deskapp person ...`: one person's standing facts

    person_command.register(sub, common)


def _score(value) -> int:
    from deskapp.core.person_match import LIKELY
    from deskapp.errors import DeskError

    if value is None:
        return LIKELY
    if not 0 <= value <= 100:
        raise DeskError(f"--min-score {value}: give a score from 0 to 100")
    return value


def run_duplicates(args: argparse.Namespace) -> int:
    from deskapp.actions.duplicates import duplicates
    from deskapp.commands.tables import write_rows
    from deskapp.errors import DeskError
    from deskapp.supervision.dbarg import open_existing_desk

    if args.limit < 1:
        raise DeskError(f"--limit {args.limit}: give at least 1")
    min_score = _score(args.min_score)
    desk = open_existing_desk(args)
    try:
        report = duplicates(desk, min_score=min_score, limit=args.limit)
    finally:
        desk.close()
    rows = [(d.score, d.a_id, d.a_name, d.b_id, d.b_name, "; ".join(d.reasons)) for d in report.pairs]
    write_rows(args.format, ("score", "person", "name", "other", "other_name", "reasons"), rows)
    if args.format == "table":
        import sys

        shown = f"{len(report.pairs)} of {report.likely}" if report.likely > len(report.pairs) else f"{report.likely}"
        print(f"{shown} likely duplicate pair{'s' if report.likely != 1 else ''} "
              f"({report.compared} pairs compared in {report.blocks} blocks)", file=sys.stderr)
        if report.skipped:
            from deskapp.tui.text import safe_text

            common = sorted(report.skipped.items(), key=lambda kv: -kv[1])[:3]
            examples = ", ".join(f"{safe_text(k[2:], single_line=True)} x{n}" for k, n in common)  # customer text
            print(f"{len(report.skipped)} key{'s' if len(report.skipped) != 1 else ''} shared by too many persons "
                  f"to tell them apart were skipped (e.g. {examples})", file=sys.stderr)
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from deskapp.actions.person_merge import merge_persons, person_number
    from deskapp.supervision.dbarg import open_existing_desk

    keep, other = person_number(args.keep, "KEEP"), person_number(args.other, "OTHER")
    desk = open_existing_desk(args)
    try:
        done = merge_persons(desk, keep, other, args.reason)
    finally:
        desk.close()
    print(f"merged #{done.other_id} into #{done.keep_id}: {done.parties} case link"
          f"{'s' if done.parties != 1 else ''} and {done.arrangements} arrangement"
          f"{'s' if done.arrangements != 1 else ''} moved (merge {done.merge_id}, audit event {done.audit_id}; "
          f"an admin can undo it until {done.undo_until:%a %d %b %Y})")
    return 0


def run_unmerge(args: argparse.Namespace) -> int:
    from deskapp.actions.person_merge import person_number, unmerge_persons
    from deskapp.supervision.dbarg import open_existing_desk

    merge_id = person_number(args.merge_id, "MERGE")
    desk = open_existing_desk(args)
    try:
        done = unmerge_persons(desk, merge_id, args.reason)
    finally:
        desk.close()
    print(f"undid merge {done.merge_id}: #{done.other_id} is a person again, {done.parties} case link"
          f"{'s' if done.parties != 1 else ''} and {done.arrangements} arrangement"
          f"{'s' if done.arrangements != 1 else ''} moved back from #{done.keep_id} (audit event {done.audit_id})")
    return 0
