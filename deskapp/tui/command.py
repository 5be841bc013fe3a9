"""`deskapp` with no subcommand: open the desk. (Placeholder until the desk UI lands.)"""

from __future__ import annotations

import argparse

from deskapp.errors import DeskError


def register(parser: argparse.ArgumentParser, sub, common: argparse.ArgumentParser) -> None:
    parser.set_defaults(func=run_desk)


def run_desk(args: argparse.Namespace) -> int:
    raise DeskError("the desk UI is not built yet")
