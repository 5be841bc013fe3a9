"""The desk's terminal driver: Textual's own, sending only style changes (deskapp.tui.sgr).

Over SSH every byte of a redraw counts. This wraps Textual's Linux driver so
that what it writes goes through an SgrMinimizer first; the screen shows
exactly the same cells. Before the terminal is handed back (quit, suspend) the
terminal is brought to the style the stream left it in, and after it is taken
again the minimizer assumes nothing about it.

DESKAPP_FULL_STYLES=1 turns this off (every style sent in full, as Textual
does), for a terminal that shows something wrong with it.
"""

from __future__ import annotations

import os
from typing import Any

from deskapp.tui.sgr import SgrMinimizer


def wants_lean_output(environ: Any = None) -> bool:
    env = os.environ if environ is None else environ
    return (env.get("DESKAPP_FULL_STYLES") or "").strip() not in ("1", "yes", "true")


def lean(driver_class: type) -> type:
    """A subclass of `driver_class` (Textual's LinuxDriver or one derived from it) that writes less."""

    class LeanDriver(driver_class):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._styles = SgrMinimizer()

        def _get_terminal_size(self) -> tuple[int, int]:
            # Asked at start and on every resize: the minimizer needs the height to tell a line
            # feed that scrolls (and paints) from one that only moves the cursor down.
            width, height = super()._get_terminal_size()
            self._styles.height = height
            return width, height

        def process_message(self, message: Any) -> None:
            # A terminal that reports its size in band (no SIGWINCH, no _get_terminal_size) resizes here.
            from textual import events

            if isinstance(message, events.Resize):
                self._styles.height = message.size.height
            super().process_message(message)

        def write(self, data: str) -> None:
            data = self._styles.feed(data)
            if data:
                super().write(data)

        def start_application_mode(self) -> None:
            self._styles.forget()  # whatever ran in the terminal meanwhile may have left any style
            super().start_application_mode()

        def stop_application_mode(self) -> None:
            rest = self._styles.flush()
            if rest and getattr(self, "_writer_thread", None) is not None:
                super().write(rest)
            super().stop_application_mode()
            self._styles.forget()

    LeanDriver.__name__ = LeanDriver.__qualname__ = f"Lean{driver_class.__name__}"
    return LeanDriver


__all__ = ["lean", "wants_lean_output"]
