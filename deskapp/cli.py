"""The `deskapp` command: the desk itself with no arguments, plus admin subcommands.

Every subcommand lives beside the code it drives and registers itself here.
Errors meant for people (DeskError) print one line and exit with their code;
nothing reaches the terminal as a traceback.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace
from typing import Callable, Optional, Sequence

from deskapp import __version__
from deskapp.errors import DeskError


def _parser(**kwargs):
    """argparse with one-line errors: `deskapp: error: <what is wrong> (see deskapp --help)`, exit 2.

    argparse is imported here, not at the top: a plain `deskapp` never needs it (see _desk_only).
    """
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str):  # type: ignore[override]
            self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    return _Parser(**kwargs)


def _common_options():
    """Options every subcommand accepts, before or after the subcommand name."""
    import argparse

    common = _parser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                        help="database URL (sqlite:///path or postgresql://...); default $DESKAPP_DB, "
                             "else the URL in <config folder>/database.url, else a SQLite file in your "
                             "data folder")
    common.add_argument("--policies", metavar="PATH", default=argparse.SUPPRESS,
                        help="try the rules in this file instead of the published ones (on a demo desk or "
                             "for an admin); for `policy check|test|eval`, the file to use")
    common.add_argument("--as", dest="as_name", metavar="NAME", default=argparse.SUPPRESS,
                        help="act as handler NAME: for an admin helping them (recorded on every event), "
                             "anyone on a demo desk, or the desk's service account; refused otherwise")
    return common


def _registrars() -> list[Callable]:
    from deskapp.commands import appointment as appointment_command
    from deskapp.commands import cases as case_commands
    from deskapp.commands import dashboard as dashboard_command
    from deskapp.commands import erase as erase_command
    from deskapp.commands import mail as mail_command
    from deskapp.commands import people as people_command
    from deskapp.commands import policies as policy_commands
    from deskapp.commands import store as store_commands
    from deskapp.commands import views as views_command
    from deskapp.supervision import cli as supervision_cli
    from deskapp.tui import command as desk_command

    return [desk_command.register, store_commands.register, policy_commands.register, supervision_cli.register,
            erase_command.register, case_commands.register, dashboard_command.register,
            appointment_command.register, views_command.register, mail_command.register,
            people_command.register]


def build_parser():
    common = _common_options()
    parser = _parser(
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




_DESK_VALUES = {"--db": "db", "--policies": "policies", "--theme": "theme", "--as": "as_name"}


def _desk_only(argv: Sequence[str] | None) -> SimpleNamespace | None:
    """The options of a plain `deskapp` or `deskapp desk` (open the desk), read without argparse.

    Building the full parser imports every subcommand's module (~0.4 s of CPU),
    and argparse itself (with gettext) another ~6 ms: a handler opening the
    desk pays for neither. Only the exact spellings are read here (`--db URL`,
    `--db=URL`, `--policies`, `--theme`, `--as`, `--no-mouse`, and `--as-key`
    after `desk`); anything else (another subcommand, --help, an abbreviation,
    a value that looks like an option, an error) answers None and goes to the
    full parser, which has the last word.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    values: dict[str, Optional[str]] = {"db": None, "policies": None, "theme": None, "as_name": None,
                                        "as_key": None}
    names = dict(_DESK_VALUES)
    no_mouse = False
    at = 0
    if argv[:1] == ["desk"]:  # `deskapp desk ...`: the subcommand sshd's forced command runs
        names["--as-key"] = "as_key"
        at = 1
    while at < len(argv):
        word = argv[at]
        if word == "--no-mouse":
            no_mouse, at = True, at + 1
            continue
        name, equals, value = word.partition("=")
        if name not in names:
            return None
        if not equals:
            if at + 1 >= len(argv) or argv[at + 1].startswith("-"):
                return None  # argparse decides what a missing or option-like value means
            value, at = argv[at + 1], at + 1
        values[names[name]] = value
        at += 1
    from deskapp.tui.command import run_desk

    return SimpleNamespace(**values, no_mouse=no_mouse, func=run_desk)


def main(argv: Sequence[str] | None = None) -> int:
    args = _desk_only(argv)
    if args is None:
        parser = build_parser()
        args = parser.parse_args(argv)
    for name in ("db", "policies", "as_name"):
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
    except BrokenPipeError:
        return _reader_went_away()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return _reader_went_away()
    return int(result or 0)


def _reader_went_away() -> int:
    """`deskapp audit verify | head`: the reader closed the pipe; stop quietly, as `cat` does (128 + SIGPIPE).

    stdout goes to /dev/null first, so Python's own flush at exit cannot raise again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141
