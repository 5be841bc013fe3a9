"""What the handler's terminal and tty are known to do, so redraws can take shortcuts safely.

Two shortcuts save bytes over SSH, and each is used only where it is known to work:
  * a bare line feed returns to the line's start when the tty turns "\n" into
    "\r\n" (termios OPOST and ONLCR, the usual setting, which Textual leaves alone);
  * erasing a run of blanks (ECH) instead of writing them, when the terminal's
    terminfo entry says it has ECH and erases in the current background (bce).
    tmux and screen entries do not say so, and there the blanks are written.
Anything that cannot be read counts as "not known": the long way is always right.
"""

from __future__ import annotations

import os
from typing import Optional


def newline_returns(fd: Optional[int]) -> bool:
    """The tty on `fd` sends "\\r\\n" for every "\\n" written (OPOST and ONLCR are set)."""
    if fd is None:
        return False
    try:
        import termios

        oflag = termios.tcgetattr(fd)[1]
    except Exception:  # not a tty (termios.error), closed, no termios on this system
        return False
    return bool(oflag & termios.OPOST) and bool(oflag & termios.ONLCR)


_erases: dict[str, bool] = {}


def erases_in_background(term: Optional[str]) -> bool:
    """TERM's terminfo entry has ECH and background colour erase (bce); read once (~2 ms).

    ncurses sets up one terminal per process (Python's curses calls setupterm
    once), which is the desk's own TERM; a later TERM is answered "not known".
    """
    if not term or term in ("dumb", "unknown"):
        return False
    if term not in _erases:
        _erases[term] = not _erases and _read_terminfo(term)
    return _erases[term]


def _read_terminfo(term: str) -> bool:
    try:
        import curses

        fd = os.open(os.devnull, os.O_WRONLY)
        try:
            curses.setupterm(term, fd)
        finally:
            os.close(fd)
        return curses.tigetflag("bce") > 0 and bool(curses.tigetstr("ech"))
    except Exception:  # no curses, no terminfo entry for TERM (curses.error), no /dev/null
        return False


__all__ = ["erases_in_background", "newline_returns"]
