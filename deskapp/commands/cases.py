"""`deskapp cases list` and `deskapp case show REF`: the queue and a case, for scripts.

The queue is the desk's own (deskapp.actions.queue, keyset-paged), narrowed by
the desk's own filters (deskapp.commands.queue_filter), so an export reads a
million-case desk a page at a time. The writes (`case note|status|assign|
contact`) are in deskapp.commands.case_actions, `case appointment` in
deskapp.commands.case_appointment.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Iterator

from deskapp.commands.formats import FORMATS

QUEUE_COLUMNS = ("ref", "status", "stage", "priority", "kind", "category", "customer", "assigned_to", "due_at",
                 "received_at", "vulnerable", "title")
DEFAULT_LIMIT = 100
CHUNK = 100  # rows asked of the queue at a time: one of its pages


def register(parser: argparse.ArgumentParser, sub, common: argparse.ArgumentParser) -> None:
    cases = sub.add_parser("cases", parents=[common], help="list the queue (for scripts: table, CSV or JSON)",
                           description="The case queue as the desk reads it.")
    cases_sub = cases.add_subparsers(dest="cases_command", metavar="ACTION")
    listing = cases_sub.add_parser(
        "list", parents=[common], help="the queue, filtered and sorted as the desk's filter screen does",
        description="Print the queue: open cases by due date unless filtered. Filters are the desk's own: "
                    "--filter mine | overdue | due-soon | vulnerable | status=S[,S] | kind=K[,K] | category=TEXT | "
                    "search=TEXT, one term per --filter, all must hold. See docs/command-line.md.")
    listing.add_argument("--filter", dest="filters", action="append", default=[], metavar="TERM",
                         help="narrow the queue (repeatable): mine, overdue, due-soon, vulnerable, status=new,acknowledged, "
                              "kind=complaint, category=TEXT, search=WORDS")
    listing.add_argument("--view", default=None, metavar="NAME",
                         help="start from saved view NAME (yours, else the team's; team:NAME for the team's); "
                              "--filter narrows it further, --sort replaces its sort")
    listing.add_argument("--sort", default=None, metavar="ORDER",
                         help="due (default), priority, received (newest first), ref, relevance (with search=)")
    listing.add_argument("--format", choices=FORMATS, default="table", help="table (default), csv or json")
    listing.add_argument("--limit", type=_limit, default=DEFAULT_LIMIT, metavar="N",
                         help=f"at most N cases (default {DEFAULT_LIMIT}; 0 = all)")
    listing.set_defaults(func=run_list)
    cases.set_defaults(func=lambda args: (cases.print_help(), 2)[1])

    case = sub.add_parser("case", parents=[common], help="show or work one case (note, status, assign, contact, appointment, link, merge)",
                          description="Show one case, or act on it through the desk's own rules and audit trail.")
    case_sub = case.add_subparsers(dest="case_command", metavar="ACTION")
    show = case_sub.add_parser("show", parents=[common], help="one case: parties, history, what the rules say",
                               description="Print case REF: its fields, parties, contact history, appointments "
                                           "and the rules' standing advice.")
    show.add_argument("ref", metavar="REF", help="the case reference, e.g. C-1001 (or its imported reference)")
    show.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    show.set_defaults(func=run_show)
    from deskapp.commands import attachments, case_actions, case_appointment, case_letter, case_links

    case_actions.register(case_sub, common)
    case_links.register(case_sub, common)
    case_appointment.register(case_sub, common)
    case_letter.register(case_sub, common)
    attachments.register(case_sub, common)
    case.set_defaults(func=lambda args: (case.print_help(), 2)[1])


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of cases (0 = all)")
    return value


def queue_rows(queue: Any, limit: int) -> Iterator[tuple]:
    """The queue's rows in order, a chunk at a time (the queue reads and caches pages), as QUEUE_COLUMNS tuples."""
    total = queue.count()
    stop = total if limit == 0 else min(limit, total)
    for start in range(0, stop, CHUNK):
        for row in queue.rows(start, min(start + CHUNK, stop)):
            yield tuple(getattr(row, name) for name in QUEUE_COLUMNS)


def run_list(args: argparse.Namespace) -> int:
    from deskapp.actions.queue import desk_queue, query_from_filters
    from deskapp.commands.queue_filter import parse_filters
    from deskapp.commands.tables import write_rows
    from deskapp.supervision.dbarg import open_existing_desk

    parse_filters(args.filters, args.sort)  # a bad term is reported before the database is opened
    desk = open_existing_desk(args)
    try:
        start = view_filters(desk, args.view) if args.view else None
        filters = parse_filters(args.filters, args.sort, start)
        queue = query_from_filters(desk_queue(desk), filters)
        total = queue.count()
        write_rows(args.format, QUEUE_COLUMNS, queue_rows(queue, args.limit))
    finally:
        desk.close()
    shown = total if args.limit == 0 else min(args.limit, total)
    if shown < total:
        print(f"deskapp: {shown:,} of {total:,} cases shown (--limit 0 for all)", file=sys.stderr)
    return 0


def view_filters(desk: Any, name: str) -> Any:
    """The filters of saved view `name` (`team:NAME`: the team's); one DeskError line if missing or broken."""
    from deskapp.actions.saved_views import find_view
    from deskapp.errors import DeskError
    from deskapp.tui.filters import QueueFilters

    team = name.lower().startswith("team:")
    view = find_view(desk, name[5:] if team else name, team=True if team else None)
    if view.spec is None:
        raise DeskError(f"saved view {view.name!r} ({view.scope}) no longer fits the desk: {view.problem}")
    return QueueFilters.from_spec(view.spec)


def run_show(args: argparse.Namespace) -> int:
    from deskapp.actions import standing
    from deskapp.actions.lookup import case_by_reference
    from deskapp.commands.case_text import case_json, case_lines
    from deskapp.supervision.dbarg import open_existing_desk

    desk = open_existing_desk(args)
    try:
        case = case_by_reference(desk, args.ref)
        advice = standing(desk, case).findings
    finally:
        desk.close()
    if args.format == "json":
        sys.stdout.write(case_json(case, advice) + "\n")
    else:
        sys.stdout.writelines(line + "\n" for line in case_lines(case, advice))
    return 0
