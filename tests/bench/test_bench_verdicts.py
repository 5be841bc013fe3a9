"""The bench judges its own figures, and a slow answer to a key is still counted for that key.

Quick and independent of the machine's load: these check how the bench
measures and reports, never how fast the desk is.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from bench.common import Figure, PtyTerminal, goals_line, render_table  # noqa: E402
from bench.ssh_bytes import Run, goals  # noqa: E402

# Raw mode (no echo), says it is ready, reads one key, says nothing for 0.7 s (a loaded machine),
# then draws 100 bytes.
SLOW_ANSWER = ("import os, time, tty\n"
               "tty.setraw(0); os.write(1, b'ready')\n"
               "os.read(0, 16); time.sleep(0.7); os.write(1, b'x' * 100); time.sleep(5)\n")


def test_a_slow_answer_is_counted_for_its_own_key():
    terminal = PtyTerminal([sys.executable, "-c", SLOW_ANSWER], {"PATH": "/usr/bin:/bin"}, 40, 10)
    try:
        terminal.read_until_seen(re.compile(rb"ready"), limit=10)
        burst = terminal.keystroke(b"\x1b[B", quiet=0.4, limit=5)
    finally:
        terminal.close(wait=0.5)
    assert burst.total() == 100 and burst.within(0.1) == 0


def test_the_desk_bench_prints_its_verdict_against_each_goal():
    figures = [Figure("End (tmux)", {"s": "12 ms"}, "<= 100 ms", True),
               Figure("bytes per cursor move", {"s": "1,687 B"}, "<= 1,000 B", False),
               Figure("search (tmux)", {}, "<= 150 ms", None),
               Figure("demo load", {"s": "3 s"})]
    assert goals_line(figures) == ("goals: 1 met, 1 missed (bytes per cursor move), "
                                   "1 not measured (search (tmux))")
    assert "| NO " in render_table(figures, ["s"])


def test_ssh_bytes_judges_lean_against_plain_and_compression():
    def run(lean, compression, total):
        return [Run(lean, compression, down={"open desk": total})]

    said = goals([run(True, True, 100), run(True, False, 300), run(False, True, 200), run(False, False, 900)])
    assert said[0].startswith("goal: the lean driver sends less than the plain one: met (300 B against 900 B")
    assert said[1].startswith("goal: compression saves bytes on top of the lean driver: met (100 B against 300 B")
    said = goals([run(True, True, 400), run(True, False, 300), run(False, True, 200), run(False, False, 200)])
    assert ": missed (" in said[0] and ": missed (" in said[1]
