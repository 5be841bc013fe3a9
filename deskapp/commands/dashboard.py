"""`deskapp dashboard TABLE`: the team dashboard's tables as a table, CSV or JSON.

The figures are the dashboard screen's own (deskapp.supervision.stats.dashboard,
supervisors and admins only), so a spreadsheet and the screen agree. Each
table is flat (one value per cell): the weekly volumes come out "long", one
row per series and week, which is what a pivot table wants.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable

from deskapp.commands.formats import FORMATS

def _case_lines(lines) -> list[tuple[Any, ...]]:
    return [(c.ref, c.title, c.assigned_to, c.status, c.when, c.other) for c in lines]


def _volume(board, attr: str) -> list[tuple[Any, ...]]:
    return [(s.label, week, count, spike) for s in getattr(board.volume, attr)
            for week, count, spike in zip(board.volume.weeks, s.counts, s.spikes)]


TABLES: dict[str, tuple[str, tuple[str, ...], Callable[[Any], list[tuple[Any, ...]]]]] = {
    "overdue-by-handler": ("open cases past their deadline, per handler", ("handler", "overdue"),
                           lambda b: [(name or "(unassigned)", n) for name, n in b.deadlines.overdue_by_handler]),
    "most-overdue": ("the most overdue cases", ("ref", "title", "assigned_to", "status", "due_at", "other"),
                     lambda b: _case_lines(b.deadlines.most_overdue)),
    "overrides": ("going ahead against warn rules / asking to override blocks, per handler and rule",
                  ("handler", "rule", "reasons", "approvals", "actions", "team_median", "outlier"),
                  lambda b: [(r.handler, r.rule, r.reasons, r.approvals, r.actions, r.team_median, r.outlier)
                             for r in b.overrides.rows]),
    "categories": ("cases received per category per week", ("category", "week", "cases", "spike"),
                   lambda b: _volume(b, "categories")),
    "kinds": ("cases received per kind per week", ("kind", "week", "cases", "spike"),
              lambda b: _volume(b, "kinds")),
    "waiting": ("cases waiting longest on a customer or third party",
                ("ref", "title", "assigned_to", "status", "waiting_since", "waiting_on"),
                lambda b: _case_lines(b.waiting.longest)),
    "mail": ("outbound emails that failed or may not have gone (deskapp mail outbox for all)",
             ("ref", "status", "error"), lambda b: list(b.mail.worst)),
}


def register(parser: argparse.ArgumentParser, sub, common: argparse.ArgumentParser) -> None:
    board = sub.add_parser(
        "dashboard", parents=[common], help="a table of the team dashboard (CSV for a spreadsheet)",
        description="Print one of the team dashboard's tables; supervisors and admins. Tables: "
                    + "; ".join(f"{name}: {what}" for name, (what, _c, _r) in TABLES.items()) + ".")
    board.add_argument("table", metavar="TABLE", choices=tuple(TABLES), help=", ".join(TABLES))
    board.add_argument("--period", type=int, default=30, metavar="DAYS",
                       help="days counted for overrides: 7, 30 (default) or 90")
    board.add_argument("--format", choices=FORMATS, default="table", help="table (default), csv or json")
    board.set_defaults(func=run_dashboard)


def run_dashboard(args: argparse.Namespace) -> int:
    from deskapp.commands.tables import write_rows
    from deskapp.errors import DeskError
    from deskapp.supervision.dbarg import open_existing_desk
    from deskapp.supervision.stats import PERIODS, dashboard

    if args.period not in PERIODS:  # checked here: importing stats for argparse's choices slows every command
        raise DeskError(f"--period {args.period}: use one of {', '.join(map(str, PERIODS))}")
    desk = open_existing_desk(args)
    try:
        board = dashboard(desk, args.period)
    finally:
        desk.close()
    _what, columns, rows = TABLES[args.table]
    write_rows(args.format, columns, rows(board))
    return 0
