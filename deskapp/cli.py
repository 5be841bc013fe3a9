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


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: `deskapp: error: <what is wrong> (see deskapp --help)`, exit 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _common_options() -> argparse.ArgumentParser:
    """Options every subcommand accepts, before or after the subcommand name."""
    common = _Parser(add_help=False)
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
    parser = _Parser(
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




def _desk_only(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """The options of a plain `deskapp` (open the desk), parsed without importing any subcommand.

    Building the full parser imports every subcommand's module (~0.4 s of CPU);
    a handler opening the desk should not pay for that. None: anything else
    (a subcommand, --help, an error) goes to the full parser.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help", "--version") for a in argv):
        return None
    quick = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    for name in ("--db", "--policies", "--theme"):
        quick.add_argument(name, default=None)
    quick.add_argument("--no-mouse", action="store_true")
    try:
        args, rest = quick.parse_known_args(argv)
    except (argparse.ArgumentError, SystemExit):
        return None
    if rest:
        return None
    from deskapp.tui.command import run_desk

    args.func = run_desk
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _desk_only(argv)
    if args is None:
        parser = build_parser()
        args = parser.parse_args(argv)
    for name in ("db", "policies"):
        if not hasattr(args, name):
            setattr(args, name, None)
    func = getattr(args, "func", None)
    if func is None:  # pragma: no cover - every command, and the bare desk, sets func
        build_parser().print_help()
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
