"""Leaving cleanly when the terminal goes away (a dropped SSH link, a closed window).

What has to happen, in this order: what the handler typed is saved (any open
form that keeps a draft), the desk signs off (its presence row goes, so other
desks stop showing it), and the process ends — with no orphan left behind and
no traceback.

Textual's own shutdown writes escape codes to restore the terminal; when the
terminal has hung up those writes fail, Textual's output thread dies and the
next write blocks forever (measured: the process stays, idle, with its
heartbeat thread still running). So when the terminal is really gone (its
tty answers EIO) the desk does its own saving and signing off and then ends
the process directly; when the terminal is still there (a plain `kill -HUP`
or SIGTERM) it exits normally, with a time limit.

A hang-up does not always bring a SIGHUP: a shell that traps HUP keeps it to
itself. `TerminalWatch` therefore also checks the tty every few seconds.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import termios
import threading
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

# How long a normal exit may take after a signal before the process is ended outright.
EXIT_GRACE_S = 5.0
CHECK_EVERY_S = 2.0


_remembered: list[int] = []


def terminal_fds() -> list[int]:
    """The descriptors the desk draws on and reads from that are terminals.

    Remembered from the first call (made at start-up): once the link has hung up,
    isatty() itself answers False, which would hide exactly what we need to know.
    """
    if _remembered:
        return list(_remembered)
    fds = []
    for stream in (sys.__stdin__, sys.__stdout__, sys.__stderr__):
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            continue
        if fd not in fds and os.isatty(fd):
            fds.append(fd)
    _remembered[:] = fds
    return fds


def terminal_alive(fds: Iterable[int]) -> bool:
    """False once any of the terminal's descriptors answers EIO (the link hung up)."""
    checked = False
    for fd in fds:
        checked = True
        try:
            termios.tcgetattr(fd)
        except (termios.error, OSError):
            return False
    return checked


def save_what_is_typed(app: Any) -> None:
    """Ask every open screen that keeps a draft to store it now (`save_before_exit()`)."""
    for screen in list(app.screen_stack):
        save = getattr(screen, "save_before_exit", None)  # only screens that keep a draft have one
        if callable(save):
            try:
                save()
            except Exception as exc:  # noqa: BLE001 - keep going: sign off and leave regardless
                log.warning("saving %s before exit failed: %s", type(screen).__name__, exc)


def sign_off(app: Any) -> None:
    """Stop the live parts (feed, heartbeat) and remove this desk's presence row."""
    from deskapp.tui.live import LiveDesk

    for screen in list(app.screen_stack):
        for watcher in screen.query(LiveDesk):
            watcher.stop()


def leave(app: Any, sig: int, fds: Iterable[int] | None = None) -> None:
    """The terminal went away (or we were told to stop): save, sign off, end the process."""
    code = 128 + int(sig)
    fds = list(terminal_fds() if fds is None else fds)
    log.info("signal %s: closing the desk", sig)
    save_what_is_typed(app)
    sign_off(app)
    if fds and not terminal_alive(fds):
        log.info("the terminal has gone: leaving without restoring it")
        try:
            app.desk.close()
        finally:
            logging.shutdown()
            os._exit(code)
    # The terminal is still there: a normal exit restores it. If that stalls, end anyway.
    timer = threading.Timer(EXIT_GRACE_S, _end_now, args=(code,))
    timer.daemon = True
    timer.start()
    app.exit(return_code=code)


def _end_now(code: int) -> None:
    log.warning("the desk did not close within %.0fs: ending the process", EXIT_GRACE_S)
    logging.shutdown()
    os._exit(code)


class TerminalWatch:
    """Checks the tty every few seconds, for hang-ups that arrive without a SIGHUP."""

    def __init__(self, app: Any):
        self.app = app
        self.fds = terminal_fds()
        self.timer = None

    def start(self) -> None:
        if self.fds and not self.app.is_headless:
            self.timer = self.app.set_interval(CHECK_EVERY_S, self.check)

    def check(self) -> None:
        if not terminal_alive(self.fds):
            if self.timer is not None:
                self.timer.stop()
            leave(self.app, signal.SIGHUP, self.fds)
