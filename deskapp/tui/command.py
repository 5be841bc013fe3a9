"""`deskapp` with no subcommand: open the desk.

Everything that can fail (database, schema, rules file, unknown or inactive
handler, an --as/--as-key the rules refuse, unknown theme) is checked before
the app takes over the terminal, so a problem is one line on stderr with exit
code 2 and the terminal is never left in a bad state.
"""

from __future__ import annotations

import gc
import logging
import os
from typing import TYPE_CHECKING

from deskapp.errors import ConfigError

if TYPE_CHECKING:
    import argparse


def register(parser: argparse.ArgumentParser, sub, common: argparse.ArgumentParser) -> None:
    import argparse

    _desk_options(parser, default=None)
    parser.set_defaults(func=run_desk)
    desk = sub.add_parser("desk", parents=[common], help="open the desk (what plain `deskapp` does)",
                          description="Open the desk. On a shared host each handler's SSH key runs "
                                      "`deskapp desk --as-key NAME` on the service account (a forced command).")
    _desk_options(desk, default=argparse.SUPPRESS)  # the top level's values stand unless given here
    desk.add_argument("--as-key", dest="as_key", metavar="NAME", default=None,
                      help="the handler whose SSH key sshd matched: for the desk's service account only")
    desk.set_defaults(func=run_desk)


def _desk_options(parser: argparse.ArgumentParser, default) -> None:
    parser.add_argument("--theme", metavar="NAME", default=default,
                        help="colour theme for this session (desk-dark, desk-light, desk-high-contrast, "
                             "desk-16, or one from $DESKAPP_THEMES); the saved choice otherwise")
    parser.add_argument("--no-mouse", action="store_true", default=default if default is not None else False,
                        help="do not capture the mouse (lets the terminal select and paste text)")


def run_desk(args: argparse.Namespace) -> int:
    # No cyclic garbage collection while the desk starts: the imports and the first screen make
    # ~150k long-lived objects and each collection pass walks them all (~35 ms before the first
    # frame on a 2-core desk). DeskApp turns it back on once start-up is over (startup_done).
    gc.disable()
    try:
        return _run_desk(args)
    finally:
        gc.enable()


def _run_desk(args: argparse.Namespace) -> int:
    from deskapp.actions.opening import open_carefully
    from deskapp.actions.opening import start as start_opening
    from deskapp.tui.hangup import terminal_alive, terminal_fds
    from deskapp.tui.themes import load_themes

    theme = getattr(args, "theme", None)
    if theme:
        from textual.theme import BUILTIN_THEMES

        names = load_themes().names
        if theme not in names and theme not in BUILTIN_THEMES:
            raise ConfigError(f"--theme: unknown theme {theme!r} (desk themes: {', '.join(names)}; "
                              "Textual's own, e.g. nord, also work)")
    # Logging goes to a file if asked for: the terminal belongs to the app.
    log_file = os.environ.get("DESKAPP_LOG")
    if log_file:
        from deskapp.core.cardlog import log_to_file

        log_to_file(log_file)  # card numbers masked on the handler (PCI DSS 3.4)
    # The quick way: the first screen is read with plain sqlite3 in a thread while Textual
    # imports; the rest of the desk opens behind it (deskapp.actions.opening explains the order).
    who = {"as_name": getattr(args, "as_name", None), "as_key": getattr(args, "as_key", None)}
    opening = start_opening(args.db, args.policies, **who)
    from deskapp.tui.app import DeskApp

    desk = opening.result()
    if desk is None:
        desk = open_carefully(args.db, args.policies, **who)
    try:
        if who["as_key"] is not None and not _on_a_terminal():
            # sshd's forced command for a client that asked for a command, scp or sftp: say so and end.
            raise ConfigError("the desk needs a terminal: connect with plain `ssh` (or `ssh -t`); "
                              "commands, scp and sftp are not available")
        app = DeskApp(desk, theme=theme)
        if opening.file_warning:
            app.notices.append(("warning", opening.file_warning))
        fds = terminal_fds()  # remembered now: once the link hangs up, isatty() says False
        try:
            app.run(mouse=not getattr(args, "no_mouse", False))
        except OSError as exc:
            # The terminal went away mid-write (SSH drop): nothing left to draw on.
            logging.getLogger(__name__).info("terminal gone: %s", exc)
            return _terminal_gone()
        if app.return_code == 129 or (fds and not terminal_alive(fds)):
            # A hang-up: the SIGHUP can come a moment before the tty dies, so the tty looked
            # alive when the desk began to close; it is (or is about to be) gone now.
            logging.getLogger(__name__).info("terminal gone while the desk was closing")
            return _terminal_gone()
        if app.open_error is not None:
            raise app.open_error
        return app.return_code or 0
    finally:
        desk.close()  # a desk still opening closes what it opened


def _terminal_gone() -> int:
    """Exit code 129 (hang-up), with stdin/stdout/stderr pointed at /dev/null.

    Python flushes sys.stdout as it exits; on a hung-up tty that flush fails and the
    interpreter turns any exit code into 120. Nothing more can reach the handler anyway.
    """
    import sys

    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
    except OSError:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # into /dev/null now: nothing is left for the exit-time flush
        except (OSError, ValueError):
            pass
    return 129


def _on_a_terminal() -> bool:
    """stdin and stdout are a terminal (sshd gave the session a pty)."""
    import sys

    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False
