"""A hang-up ends the desk with exit code 129, even when stdout still holds bytes for the dead tty.

Python flushes sys.stdout as it exits; on a hung-up terminal that flush fails and the
interpreter replaces the exit code with 120 (seen in CI when SIGHUP came a moment before
the tty died). `_terminal_gone` points the standard descriptors at /dev/null first.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import os, sys, time
    from deskapp.tui.command import _terminal_gone
    sys.stdout.write("\\x1b[?1049l" * 10)   # Textual's last words, still in the buffer
    sys.stderr.write("ready\\n"); sys.stderr.flush()
    sys.stdin.readline()                    # the test has hung up the terminal now
    time.sleep(0.2)
    sys.exit({call})
""")


def run_on_a_pty_that_hangs_up(call: str) -> int:
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as in a plain login
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(call=call)], stdin=subprocess.PIPE,
                             stdout=slave, stderr=subprocess.PIPE, start_new_session=True, env=env)
    os.close(slave)
    assert child.stderr.readline() == b"ready\n"
    os.close(master)  # the link drops: writes to the slave now fail with EIO
    child.stdin.write(b"\n")
    child.stdin.close()
    child.stderr.read()
    return child.wait(timeout=30)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pty hang-up behaviour is Linux's")
def test_a_plain_exit_on_a_dead_tty_turns_into_120():
    """The failure this guards against, shown on the same set-up (if this passes, the next test means something)."""
    assert run_on_a_pty_that_hangs_up("129") == 120


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pty hang-up behaviour is Linux's")
def test_terminal_gone_keeps_the_hang_up_exit_code():
    assert run_on_a_pty_that_hangs_up("_terminal_gone()") == 129
