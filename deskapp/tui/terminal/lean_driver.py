"""The desk's terminal driver: Textual's own, sending only the cells and styles that change.

Over SSH every byte of a redraw counts. This wraps Textual's Linux driver so
that what it writes goes through a CellFilter (deskapp.tui.terminal.cells: cells the
terminal already shows are not sent again) and then an SgrMinimizer
(deskapp.tui.terminal.sgr: only style changes); the screen shows exactly the same cells.
Where the tty and terminal are known to allow it (deskapp.tui.terminal.traits),
moves use a bare line feed and long blank runs are erased (ECH) rather than written.
Before the terminal is handed back (quit, suspend) the cursor and style are
brought to where the stream left them, and after it is taken again, or the
terminal is resized, nothing is assumed about it. `forget_screen()` (ctrl+l)
sends the next frame in full, for a screen spoiled by something else.

DESKAPP_FULL_STYLES=1 turns this off (every cell and style sent as Textual
writes it), for a terminal that shows something wrong with it.
"""

from __future__ import annotations

import os
from typing import Any

from deskapp.tui.terminal.cells import CellFilter
from deskapp.tui.terminal.sgr import SgrMinimizer
from deskapp.tui.terminal.traits import erases_in_background, newline_returns
from deskapp.tui.textual_compat import driver_output, driver_writing, with_size_hook


def _fileno(stream: Any) -> Any:
    try:
        return stream.fileno() if stream is not None else None
    except (OSError, ValueError, AttributeError):  # closed, or not a real file (a test's StringIO)
        return None


def wants_lean_output(environ: Any = None) -> bool:
    env = os.environ if environ is None else environ
    return (env.get("DESKAPP_FULL_STYLES") or "").strip() not in ("1", "yes", "true")


def lean(driver_class: type) -> type:
    """A subclass of `driver_class` (Textual's LinuxDriver or one derived from it) that writes less."""

    class LeanDriver(with_size_hook(driver_class)):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._cells = CellFilter()
            self._styles = SgrMinimizer()

        def terminal_size_read(self, width: int, height: int) -> None:
            # Asked at start and on every resize: the minimizer needs the height to tell a line
            # feed that scrolls (and paints) from one that only moves the cursor down.
            # The cell filter starts again from nothing: a terminal may rewrap or clear on a resize.
            self._styles.height = height
            self._cells.resize(width, height)

        def process_message(self, message: Any) -> None:
            # A terminal that reports its size in band (no SIGWINCH, no size read) resizes here.
            from textual import events

            if isinstance(message, events.Resize):
                self._styles.height = message.size.height
                if (message.size.width, message.size.height) != (self._cells.width, self._cells.height):
                    self._cells.resize(message.size.width, message.size.height)
            super().process_message(message)

        def write(self, data: str) -> None:
            data = self._styles.feed(self._cells.feed(data))
            if data:
                super().write(data)

        def forget_screen(self) -> None:
            """The next frame goes out in full (the handler asked for a redraw: something spoiled the screen)."""
            self._cells.forget()
            self._styles.forget()

        def start_application_mode(self) -> None:
            # Whatever ran in the terminal meanwhile may have left any cell and style, or changed the
            # tty's settings (a bare "\n" returns to the line's start only with ONLCR on).
            self._cells.forget()
            self._styles.forget()
            self._cells.onlcr = newline_returns(_fileno(driver_output(self)))
            self._cells.erase = erases_in_background(os.environ.get("TERM"))
            super().start_application_mode()

        def stop_application_mode(self) -> None:
            rest = self._styles.feed(self._cells.flush()) + self._styles.flush()
            if rest and driver_writing(self):
                super().write(rest)
            super().stop_application_mode()
            self._cells.forget()
            self._styles.forget()

    LeanDriver.__name__ = LeanDriver.__qualname__ = f"Lean{driver_class.__name__}"
    return LeanDriver


__all__ = ["lean", "wants_lean_output"]
