"""Driving the real `deskapp` command in a terminal (tmux) for the live-desk end-to-end tests.

Shared by the draft/hang-up tests and the SSH test. Each test gets a private
tmux server (TMUX_TMPDIR) so nothing touches a tmux the machine runs.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path


def deskapp_command() -> str | None:
    """The installed console script next to this Python, else on PATH."""
    here = Path(sys.executable).with_name("deskapp")
    if here.exists():
        return str(here)
    return shutil.which("deskapp")


def make_desk_db(url: str) -> list[str]:
    """Handlers sam, jo (handlers) and priya (supervisor), three cases; returns the refs."""
    from deskapp.actions import new_case, open_desk
    from deskapp.store.engine import connect
    from deskapp.store.handlers import add_handler
    from deskapp.store.migrate import upgrade
    from deskapp.actions.policies import publish_default

    engine = connect(url)
    upgrade(engine)
    publish_default(engine, "setup")
    for name, role in (("sam", "handler"), ("jo", "handler"), ("priya", "supervisor")):
        add_handler(engine, name, role)
    engine.dispose()
    desk = open_desk(url, None, "sam")
    refs = [new_case(desk, kind="complaint", category="repairs", title=f"Roof leak at block {n}",
                     received_at=datetime.now().replace(microsecond=0),
                     party={"role": "customer", "name": f"Ada Brook {n}"}).ref for n in range(3)]
    desk.close()
    return refs


class Term:
    """One tmux session running one command; screen capture, keys, and the command's exit code."""

    def __init__(self, folder: Path, name: str, env: dict[str, str]):
        self.folder = folder
        self.name = name
        self.env = dict(env)
        self.env["TMUX_TMPDIR"] = str(folder)
        self.env.pop("TMUX", None)
        self.rc_file = folder / f"{name}.rc"

    def tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(["tmux", *args], capture_output=True, text=True, env=self.env, timeout=60, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def start(self, command: list[str], width: int = 120, height: int = 36, *, forward_hup: bool = True) -> None:
        """Run `command` in a new session; the wrapping shell records its exit code even after a hang-up.

        forward_hup=True: like a login shell, the wrapper passes the hang-up's SIGHUP on to the desk.
        forward_hup=False: the wrapper keeps it; the desk only finds its terminal gone.
        """
        self.rc_file.unlink(missing_ok=True)
        inner = " ".join(shlex.quote(c) for c in command)
        rc = shlex.quote(str(self.rc_file))
        if forward_hup:
            # A background job's stdin would be /dev/null: hand it the terminal through fd 3.
            script = (f"exec 3<&0; trap 'kill -HUP $pid 2>/dev/null' HUP; {inner} 0<&3 3<&- & pid=$!; "
                      f"wait $pid; rc=$?; while kill -0 $pid 2>/dev/null; do wait $pid; rc=$?; done; "
                      f"echo $rc > {rc}")
        else:
            script = f"trap : HUP; {inner}; echo $? > {rc}"
        self.tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), "sh", "-c", script)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name, check=False)

    def keys(self, *keys: str, pause: float = 0.15) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", self.name, key)
            time.sleep(pause)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.name, "-l", text)

    def wait_for(self, text: str, timeout: float = 20.0) -> float:
        """Seconds until `text` is on screen (fails after `timeout`)."""
        started = time.monotonic()
        screen = ""
        while time.monotonic() - started < timeout:
            screen = self.screen()
            if text in screen:
                return time.monotonic() - started
            time.sleep(0.05)
        raise AssertionError(f"{text!r} did not appear within {timeout}s; screen was:\n{screen}")

    def pane_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())

    def app_pid(self, timeout: float = 10.0) -> int:
        """The deskapp process: the pane shell's child."""
        shell = self.pane_pid()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            children = children_of(shell)
            if children:
                return children[0]
            time.sleep(0.1)
        raise AssertionError("the desk process did not start")

    def hang_up(self) -> None:
        """What a dropped SSH link does: the terminal goes away under the program."""
        self.tmux("kill-session", "-t", self.name, check=False)

    def exit_code(self, timeout: float = 15.0) -> int | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.rc_file.exists() and self.rc_file.read_text().strip():
                return int(self.rc_file.read_text().strip())
            time.sleep(0.1)
        return None

    def kill_server(self) -> None:
        subprocess.run(["tmux", "kill-server"], capture_output=True, env=self.env, timeout=20, check=False)


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes (its parent has not reaped it yet).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except OSError:
        return False


def processes_with_env(marker: str) -> list[int]:
    """Live processes whose environment holds `marker` (finds orphans of a test desk)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes() and alive(int(entry.name)):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def sqlite_value(path: Path, sql: str, args: tuple = ()):
    with sqlite3.connect(path, timeout=10) as conn:
        row = conn.execute(sql, args).fetchone()
    return row[0] if row else None


def poll_until(check: Callable[[], object], timeout: float, step: float = 0.05):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        value = check()
        if value:
            return value, time.monotonic() - started
        time.sleep(step)
    return None, time.monotonic() - started


def kill9(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
