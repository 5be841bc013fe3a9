"""What the desk assumes of the handler's tty and terminal (deskapp.tui.terminal.traits).

Each shortcut is taken only where it is known to work; anything unreadable
means "not known", and the long way is always right.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import termios

import pytest

from deskapp.tui.terminal.traits import erases_in_background, newline_returns


def test_a_tty_with_onlcr_returns_on_a_line_feed_and_one_without_does_not():
    parent, child = pty.openpty()
    try:
        attrs = termios.tcgetattr(child)
        attrs[1] |= termios.OPOST | termios.ONLCR
        termios.tcsetattr(child, termios.TCSANOW, attrs)
        assert newline_returns(child) is True
        attrs[1] &= ~termios.ONLCR
        termios.tcsetattr(child, termios.TCSANOW, attrs)
        assert newline_returns(child) is False
        attrs[1] |= termios.ONLCR
        attrs[1] &= ~termios.OPOST  # no output processing at all: "\n" goes out as it is
        termios.tcsetattr(child, termios.TCSANOW, attrs)
        assert newline_returns(child) is False
    finally:
        os.close(parent)
        os.close(child)


def test_not_a_tty_or_no_file_is_not_known(tmp_path):
    with open(tmp_path / "out.txt", "w") as file:
        assert newline_returns(file.fileno()) is False
    assert newline_returns(None) is False
    assert newline_returns(987654) is False  # closed / never opened


@pytest.mark.parametrize("term, expected", [
    ("xterm-256color", True), ("xterm", True),
    ("screen", False), ("tmux-256color", False), ("vt100", False),  # no ECH with background colour erase
    ("no-such-terminal-anywhere", False), ("dumb", False), ("", False),
])
def test_erase_only_where_terminfo_says_ech_and_bce(term, expected):
    """Asked in a child process: ncurses sets up one terminal per process."""
    probe = "import sys; from deskapp.tui.terminal.traits import erases_in_background as e; print(e(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", probe, term], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    if expected and done.stdout.strip() == "False" and not _has_terminfo(term):
        pytest.skip(f"no terminfo entry for {term} on this machine")
    assert done.stdout.strip() == str(expected), done.stderr


def test_a_second_terminal_in_one_process_is_not_known():
    """ncurses keeps the first terminal set up: a later TERM's answer would be the first one's."""
    probe = ("from deskapp.tui.terminal.traits import erases_in_background as e; "
             "print(e('xterm-256color'), e('vt100'), e('xterm-256color'))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    first = "True" if _has_terminfo("xterm-256color") else "False"
    assert done.stdout.split() == [first, "False", first], done.stderr


def _has_terminfo(term: str) -> bool:
    return any(os.path.exists(os.path.join(folder, term[0], term))
               for folder in ("/usr/share/terminfo", "/lib/terminfo", "/etc/terminfo", "/usr/lib/terminfo"))
