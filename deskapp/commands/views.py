"""`deskapp views list`: the handler's saved views and the team's, numbered as the desk's `v` picker numbers them.

A view opens on the desk with `v` and its number, and in a script with
`deskapp cases list --view NAME`. Broken views (saved before the desk changed,
e.g. a status renamed) are listed with the reason.
"""

from __future__ import annotations

import argparse

from deskapp.commands.formats import FORMATS

COLUMNS = ("number", "name", "whose", "filters", "sort", "problem")


def register(parser: argparse.ArgumentParser, sub, common: argparse.ArgumentParser) -> None:
    views = sub.add_parser("views", parents=[common], help="saved views: named filters and sorts of the queue",
                           description="Saved views: a filter and sort of the queue saved by name on the desk "
                                       "(v, then s). Open one in a script with `deskapp cases list --view NAME`.")
    views_sub = views.add_subparsers(dest="views_command", metavar="ACTION")
    listing = views_sub.add_parser("list", parents=[common], help="your saved views, then the team's",
                                   description="List your saved views, then the team's, numbered as the desk's "
                                               "`v` picker numbers them (v then 1-9 opens one).")
    listing.add_argument("--format", choices=FORMATS, default="table", help="table (default), csv or json")
    listing.set_defaults(func=run_list)
    views.set_defaults(func=lambda args: (views.print_help(), 2)[1])


def run_list(args: argparse.Namespace) -> int:
    from deskapp.actions.saved_views import list_views
    from deskapp.commands.queue_filter import filter_terms
    from deskapp.commands.tables import write_rows
    from deskapp.supervision.dbarg import open_existing_desk
    from deskapp.tui.filters import QueueFilters

    desk = open_existing_desk(args)
    try:
        views = list_views(desk)
    finally:
        desk.close()
    rows = []
    for number, view in enumerate(views, 1):
        filters = QueueFilters.from_spec(view.spec) if view.spec is not None else None
        rows.append((number, view.name, view.scope, "; ".join(filter_terms(filters)) if filters else "",
                     filters.sort if filters else "", view.problem or ""))
    write_rows(args.format, COLUMNS, rows)
    return 0
