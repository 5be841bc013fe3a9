"""The `deskapp` command: the desk itself with no arguments, plus admin subcommands.

Every subcommand lives beside the code it drives and registers itself here.
Errors meant for people (DeskError) print one line and exit with their code;
nothing reaches the terminal as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from deskapp import __version__
from deskapp.errors import DeskError


def _common_options() -> argparse.ArgumentParser:
    """Options every subcommand accepts, before or after the subcommand name."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                        help="database URL (sqlite:///path or postgresql://...); default $DESKAPP_DB "
                             "or a SQLite file in your data folder")
    common.add_argument("--policies", metavar="PATH", default=argparse.SUPPRESS,
                        help="policies.yaml to use; default $DESKAPP_POLICIES or the packaged one")
    return common


def _registrars() -> list[Callable]:
    from deskapp.policy import cli as policy_cli
    from deskapp.store import commands as store_commands
    from deskapp.supervision import cli as supervision_cli
    from deskapp.tui import command as desk_command

    return [desk_command.register, store_commands.register, policy_cli.register, supervision_cli.register]


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="deskapp",
        description="A keyboard-driven desk for complaint and customer-service handlers. "
                    "With no command, opens the desk.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"deskapp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in _registrars():
        register(parser, sub, common)
    return parser




def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("db", "policies"):
        if not hasattr(args, name):
            setattr(args, name, None)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        result = func(args)
    except DeskError as exc:
        print(f"deskapp: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("deskapp: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)
