"""End to end in a real terminal: the installed `deskapp` command inside tmux.

A handler opens the representative case (C-1001: all contact must go through
the resident's social worker), logs a phone call to the resident himself, sees
the designated-representative warning, gives a reason, and the contact and the
reason are in the database afterwards.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from tui_support import pyte_looks

pytestmark = [pytest.mark.tmux, pytest.mark.slow]

SUMMARY = "Rang Mr Penrose directly about the ceiling"
REASON = "Social worker on leave; he asked us to ring him today"


def deskapp_command() -> str | None:
    """The installed console script next to this Python, else on PATH."""
    here = Path(sys.executable).with_name("deskapp")
    if here.exists():
        return str(here)
    return shutil.which("deskapp")


class Tmux:
    def __init__(self, session: str, env: dict[str, str]):
        self.session = session
        self.env = env

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True, env=self.env).stdout

    def start(self, command: list[str], width: int, height: int) -> None:
        exports = " ".join(f"{k}={_quote(v)}" for k, v in self.env.items() if k.startswith(("DESKAPP_", "TERM")))
        line = f"env {exports} {' '.join(_quote(c) for c in command)}; echo DESKAPP-EXITED-$?; sleep 30"
        self.run("new-session", "-d", "-s", self.session, "-x", str(width), "-y", str(height), line)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.run("send-keys", "-t", self.session, key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", self.session, "-l", text)
        time.sleep(0.3)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} did not appear on screen within {timeout}s; screen was:\n{screen}")

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True, env=self.env)
        # With its last session gone the server exits; a session asked of it meanwhile fails with
        # "server exited unexpectedly". Wait until it no longer answers (a new one starts then).
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            done = subprocess.run(["tmux", "list-sessions"], capture_output=True, text=True, env=self.env)
            if done.returncode != 0 and ("no server" in done.stderr or "error connecting" in done.stderr):
                return
            if done.returncode == 0 and self.session not in done.stdout:
                return  # other sessions keep this server alive
            time.sleep(0.05)


    def client_view(self, width: int, height: int, quiet: float = 0.6, limit: float = 8.0):
        """The pane as a terminal attached to tmux shows it: a read-only client on a pty of its own, its
        output played into pyte. `capture-pane -e` leaves out the background of cells blanked by an
        erase (ECH), which the attached terminal does show, so this is what a handler would see."""
        import fcntl
        import pty
        import select
        import signal
        import struct
        import termios

        import pyte

        self.run("set-option", "-t", self.session, "status", "off")
        self.run("set-window-option", "-t", self.session, "window-size", "manual")
        self.run("set-option", "-s", "-a", "terminal-features", ",xterm-256color:RGB")
        pid, fd = pty.fork()
        if pid == 0:  # the client: a terminal the pane's size, which takes full colour
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
                os.execvpe("tmux", ["tmux", "attach-session", "-r", "-t", self.session],
                           dict(self.env, TERM="xterm-256color"))
            finally:
                os._exit(127)
        output = b""
        try:
            deadline, last = time.monotonic() + limit, time.monotonic()
            while time.monotonic() < deadline and time.monotonic() - last < quiet:
                ready, _, _ = select.select([fd], [], [], 0.05)
                if ready:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:
                        break
                    if not chunk:
                        break
                    output, last = output + chunk, time.monotonic()
        finally:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
            os.close(fd)
        screen = pyte.Screen(width, height)
        pyte.ByteStream(screen).feed(output)
        return screen


def _quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


@pytest.fixture
def desk_env(tmp_path):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed: the end-to-end desk test drives the real command in tmux")
    command = deskapp_command()
    if command is None:
        pytest.skip("the deskapp command is not installed (pip install -e .)")
    db = tmp_path / "desk.db"
    env = dict(os.environ)
    env.update({
        "DESKAPP_DB": f"sqlite:///{db}",
        "DESKAPP_CONFIG_DIR": str(tmp_path / "config"),
        "DESKAPP_DATA_DIR": str(tmp_path / "data"),
        "DESKAPP_CACHE_DIR": str(tmp_path / "cache"),
        "DESKAPP_DESK": "tmux-desk",
        "TERM": "xterm-256color",
        "TMUX_TMPDIR": str(tmp_path),  # a private tmux server, whatever the machine runs
    })
    env.pop("TMUX", None)
    for args in (["init"], ["demo", "--cases", "30", "--seed", "1"]):
        done = subprocess.run([command, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    return command, db, env


def test_log_contact_against_designated_representative_warning(desk_env):
    command, db, env = desk_env
    tmux = Tmux(f"desk-{uuid.uuid4().hex[:8]}", env)
    tmux.start([command, "--as", "sam"], 120, 40)
    try:
        tmux.wait_for("C-10")  # the queue is on screen
        # Find the representative case with search.
        tmux.keys("/")
        tmux.type("C-1001")
        tmux.keys("Enter")
        # The case pane shows its parties ("Arthur Penrose" alone is also in the queue's customer column).
        tmux.wait_for("Arthur Penrose  resident", timeout=10)
        # Log a contact; the "With" field defaults to the designated representative: pick the resident.
        tmux.keys("c")
        tmux.wait_for("Log a contact")
        tmux.keys("Tab", "Tab")  # channel -> direction -> with
        tmux.keys("Enter")  # open the party list: representative first, then the resident
        tmux.wait_for("Arthur Penrose - resident")
        time.sleep(0.5)
        tmux.keys("Down")
        time.sleep(0.5)
        tmux.keys("Enter")
        screen = tmux.wait_for("designated-representative", timeout=15)  # the live finding
        assert "WARN" in screen and "Nadia Kowalski" in screen
        tmux.keys("Tab", "Tab", "Tab")  # person search -> outcome -> summary (no call in progress: no call row)
        tmux.type(SUMMARY)
        tmux.wait_for(SUMMARY[:30])
        tmux.keys("C-s")  # submit: warn -> the reason modal
        tmux.wait_for("Why are you going ahead?", timeout=10)  # the reason modal
        tmux.type(REASON)
        tmux.keys("C-s")
        tmux.wait_for("Saved on C-1001", timeout=10)
        tmux.wait_for(f"Reason: {REASON[:20]}", timeout=10)  # the history shows the reason
        tmux.keys("q")
        tmux.wait_for("DESKAPP-EXITED-0", timeout=10)
    finally:
        tmux.kill()

    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT contacts.id, parties.name, contacts.direction FROM contacts "
            "JOIN parties ON parties.id = contacts.party_id WHERE contacts.summary = ?", (SUMMARY,)
        ).fetchall()
        assert len(rows) == 1
        contact_id, party, direction = rows[0]
        assert party == "Arthur Penrose" and direction == "out"
        reasons = conn.execute("SELECT reason FROM audit_events WHERE contact_id = ?", (contact_id,)).fetchall()
        assert reasons == [(REASON,)]



def _colour_codes(screen: str) -> set[str]:
    """SGR colour parameters used on a captured screen (capture-pane -e)."""
    import re

    found = set()
    for params in re.findall(r"\x1b\[([0-9;]*)m", screen):
        parts = params.split(";")
        i = 0
        while i < len(parts):
            if parts[i] in ("38", "48") and i + 1 < len(parts):
                found.add(f"{parts[i]};{parts[i + 1]}")  # 38;5 = 256 colours, 38;2 = truecolour
                i += 3 if parts[i + 1] == "5" else 5
                continue
            found.add(parts[i])
            i += 1
    return found


def test_sixteen_colour_terminal_and_hangup(desk_env):
    """TERM=xterm: desk-16 is chosen and only the 16 ANSI colours are sent; a hangup ends the desk."""
    command, db, env = desk_env
    env = {**env, "TERM": "xterm"}
    env.pop("COLORTERM", None)
    tmux = Tmux(f"desk-{uuid.uuid4().hex[:8]}", env)
    pid_file = db.with_name("desk.pid")
    tmux.start(["sh", "-c", f'echo $$ > {pid_file}; exec "$0" "$@"', command, "--as", "sam"], 80, 24)
    try:
        tmux.wait_for("C-10")
        tmux.keys("2")
        tmux.wait_for("2 Case")
        coloured = tmux.run("capture-pane", "-e", "-p", "-t", tmux.session)
        codes = _colour_codes(coloured)
        assert not {c for c in codes if c.startswith(("38;", "48;"))}, codes  # no 256/truecolour
        assert codes & {"31", "32", "33", "34", "36", "91", "93"}, codes  # but colour is used
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)  # the desk is running
    finally:
        tmux.kill()  # closes the terminal: the desk gets SIGHUP
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        raise AssertionError("the desk kept running after its terminal went away")


def test_quick_start_then_full_desk_and_a_late_rules_failure(desk_env, tmp_path, monkeypatch):
    """Second start takes the quick way (first screen before the rest loads) and the desk still works fully;
    a published pack trusted by mistake that fails after all ends the desk with exit 2 and its file:line error."""
    command, db, env = desk_env
    stamps = Path(env["DESKAPP_CACHE_DIR"]) / str(os.geteuid()) / "checked-policies"
    for launch in ("careful", "quick"):
        tmux = Tmux(f"desk-{uuid.uuid4().hex[:8]}", env)
        tmux.start([command, "--as", "sam"], 120, 40)
        try:
            tmux.wait_for("C-10")
            tmux.keys("/")
            tmux.type("C-1001")
            tmux.keys("Enter")
            # The case pane (its party line, not the queue's customer column): the whole desk has opened.
            tmux.wait_for("Arthur Penrose  resident", timeout=15)
            tmux.wait_for("designated", timeout=15)  # ... and its standing advice
            tmux.keys("q")
            tmux.wait_for("DESKAPP-EXITED-0", timeout=10)
        finally:
            tmux.kill()
        assert stamps.is_dir() and len(list(stamps.iterdir())) == 1, launch

    # A pack published (and so checked) before, that this deskapp reads differently (a library upgraded
    # under it): written straight into the table, as no publish would take it today.
    broken = ("version: 1\nrules:\n  - id: oops\n    on: case\n    severity: warn\n"
              "    when: 'case.no_such_fact'\n    say: x\n")
    sha = hashlib.sha256(broken.encode()).hexdigest()
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO policy_packs (version, sha256, text, source, published_by, published_at) "
                     "VALUES (2, ?, ?, 'broken.yaml', 'admin', '2026-03-09 09:00:00')", (sha, broken))
    monkeypatch.setenv("DESKAPP_CACHE_DIR", env["DESKAPP_CACHE_DIR"])
    from deskapp.actions.opening import remember_policies

    remember_policies(sha)  # as if it had passed before (say, under another library version)
    tmux = Tmux(f"desk-{uuid.uuid4().hex[:8]}", env)
    tmux.start([command], 120, 40)
    try:
        screen = tmux.wait_for("DESKAPP-EXITED-2", timeout=30)
        assert "broken.yaml:6:" in screen and "Traceback" not in screen
    finally:
        tmux.kill()


def _styled_screen(tmux: Tmux) -> str:
    """The screen with each cell's colours and attributes, as tmux itself holds them (capture-pane -e),
    once it has stopped changing (the case and advice panes load a moment after the cursor rests)."""
    shown, deadline = "", time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.6)
        now = tmux.run("capture-pane", "-e", "-N", "-p", "-t", tmux.session)  # -N: trailing blanks too
        if now == shown:
            break
        shown = now
    return shown


@pytest.mark.parametrize("term, size", [("xterm-256color", (120, 40)), ("xterm", (80, 24))])
def test_sending_only_style_changes_shows_the_same_cells(desk_env, term, size):
    """The lean driver (deskapp.tui.terminal.cells and deskapp.tui.terminal.sgr) against Textual's own output, in a real
    terminal emulator: the same keys must leave the same characters with the same colours and attributes."""
    command, _db, env = desk_env
    screens = {}
    for mode, extra in (("lean", {}), ("full", {"DESKAPP_FULL_STYLES": "1"})):
        # A tmux server of its own for each run: the first one is still exiting after its last
        # session is killed, and a new session asked of it then fails ("server exited unexpectedly").
        sockets = Path(env["TMUX_TMPDIR"]) / f"tmux-{mode}"
        sockets.mkdir(exist_ok=True)
        tmux = Tmux(f"desk-{mode}-{uuid.uuid4().hex[:8]}", dict(env, TERM=term, TMUX_TMPDIR=str(sockets), **extra))
        tmux.start([command, "--as", "sam"], *size)
        try:
            tmux.wait_for("C-10")
            for key in ("Down", "Down", "End", "Up", "PageUp", "Tab", "Down", "3", "1", "Down"):
                tmux.keys(key)
                time.sleep(0.35)
            _styled_screen(tmux)  # until it stops changing
            assert "C-10" in tmux.screen() and "DESKAPP-EXITED" not in tmux.screen(), "the desk is still open"
            screens[mode] = tmux.client_view(*size)
        finally:
            tmux.kill()
    shown = {}
    for mode, screen in screens.items():
        # Another run's desk may still be named as "also open" on the case: that line is left out.
        shown[mode] = [(text, row) for text, row in zip(screen.display, _seen(screen)) if "also open:" not in text]
    lean, full = shown["lean"], shown["full"]
    for number, ((lean_text, lean_row), (full_text, full_row)) in enumerate(zip(lean, full)):
        assert lean_row == full_row, f"row {number} differs:\n{lean_text!r}\n{full_text!r}"
    assert len(lean) == len(full)
    assert any("C-10" in text for text, _row in lean)


def _seen(screen) -> list[list[tuple]]:
    """What each cell of a client's view looks like (pyte_looks), but for the header's clock, which
    may tick between two views."""
    looks = pyte_looks(screen)
    looks[0] = looks[0][:-8]
    return looks


def test_ctrl_l_puts_right_a_screen_another_program_spoiled(desk_env):
    """The desk sends only cells that changed, so text another program wrote over it (a `wall`
    message, line noise) would stay until those cells change; ctrl+l draws every cell again."""
    command, _db, env = desk_env
    tmux = Tmux(f"desk-{uuid.uuid4().hex[:8]}", env)
    tmux.start([command, "--as", "sam"], 100, 30)
    try:
        tmux.wait_for("C-10")
        time.sleep(1.0)  # the case and advice panes have loaded
        _styled_screen(tmux)  # until it stops changing
        before = tmux.client_view(100, 30)
        tty = tmux.run("display-message", "-p", "-t", tmux.session, "#{pane_tty}").strip()
        with open(tty, "w", encoding="utf-8") as terminal:
            # Over the blank lower part of the case pane, where the next keys change nothing.
            terminal.write("\x1b[24;47H\x1b[41mSPOILED BY ANOTHER\x1b[0m\x1b[26;50HNOISE")
        assert "SPOILED" in tmux.wait_for("SPOILED")
        tmux.keys("Tab", "Tab", "Tab")  # around the panes and back: the desk repaints what it changed
        time.sleep(0.8)
        assert "SPOILED" in tmux.screen(), "cells the desk did not change are not sent again"
        tmux.keys("C-l")
        time.sleep(0.8)
        _styled_screen(tmux)
        after = tmux.client_view(100, 30)
        assert not any("SPOILED" in text or "NOISE" in text for text in after.display)
        assert _seen(after) == _seen(before)
    finally:
        tmux.kill()


def test_the_forced_command_opens_the_keys_handlers_desk_and_as_shows_both_names(desk_env):
    """`deskapp desk --as-key sam` (what sshd runs for sam's key) as the desk's service account, the OS
    account that ran `deskapp init`; `--as priya` on this demo desk shows who is acting for her."""
    from deskapp.config import os_username

    command, _db, env = desk_env
    for args, header in ((["desk", "--as-key", "sam"], "Sam Okafor (handler)"),
                         (["--as", "priya"], f"Priya Natarajan (supervisor, via {os_username()})")):
        tmux = Tmux(f"desk-{uuid.uuid4().hex[:8]}", env)
        tmux.start([command, *args], 120, 30)
        try:
            assert header in tmux.wait_for(header)
            tmux.wait_for("C-10")
        finally:
            tmux.kill()
