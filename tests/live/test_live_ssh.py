"""Two handlers log in over SSH (`ssh -t`, each in its own tmux terminal) to one desk database.

sam logs a contact on C-1002; jo, who has the same case open, sees it appear
within 2 s — and sees "also open: sam" while both are on it. Then jo's link
drops: jo's desk ends, leaving no process behind.

A private OpenSSH server runs on 127.0.0.1 on a free high port with generated
host and user keys (tests/live/live_sshd.py); both handlers are the current OS
user, told apart by DESKAPP_USER, which the client passes with SetEnv and the
server accepts (AcceptEnv DESKAPP_*).
"""

from __future__ import annotations

import shlex
import shutil
import time
import uuid
from pathlib import Path

import pytest
from live_sshd import Sshd, SshdUnavailable
from live_term import (
    Term,
    alive,
    deskapp_command,
    kill9,
    make_desk_db,
    poll_until,
    processes_with_env,
    sqlite_value,
)

pytestmark = [pytest.mark.tmux, pytest.mark.slow]

SUMMARY = "Confirmed scaffolding goes up Monday"


@pytest.fixture
def sshd(tmp_path):
    try:
        server = Sshd(tmp_path / "sshd").start()
    except SshdUnavailable as exc:
        pytest.skip(f"no SSH server for the end-to-end test: {exc}")
    yield server
    server.stop()


def remote_desk(sshd: Sshd, command: str, user: str, env: dict[str, str]) -> list[str]:
    """`ssh -t` running the desk on the far side as `user` (DESKAPP_USER travels by SetEnv)."""
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    return [*sshd.ssh_args(tty=True), "-o", f"SetEnv=DESKAPP_USER={user}",
            f"env {exports} TERM=xterm-256color LANG=C.UTF-8 {shlex.quote(command)}"]


def describe(pids: list[int]) -> list[str]:
    out = []
    for pid in pids:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1]
        except OSError:
            cmd, state = "?", "?"
        out.append(f"{pid} [{state}] {cmd}")
    return out


def open_case(term: Term, ref: str) -> None:
    term.wait_for("C-1001", timeout=40)
    for _attempt in range(10):
        term.keys("/")
        try:
            term.wait_for("enter to search", timeout=1.0)
            break
        except AssertionError:
            continue
    term.type(ref)
    term.keys("Enter")
    term.wait_for("1 match")


def test_two_handlers_over_ssh_see_each_others_work(sshd, tmp_path, record_property):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    command = deskapp_command()
    if command is None:
        pytest.skip("the deskapp command is not installed (pip install -e .)")
    db = tmp_path / "desk.db"
    make_desk_db(f"sqlite:///{db}")
    marker = f"ssh-{uuid.uuid4().hex[:10]}"
    remote_env = {"DESKAPP_DB": f"sqlite:///{db}", "DESKAPP_DESK": marker,
                  "DESKAPP_CONFIG_DIR": str(tmp_path / "config"), "DESKAPP_DATA_DIR": str(tmp_path / "data"),
                  "DESKAPP_LOG": str(tmp_path / "desk.log")}
    local_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TERM": "xterm-256color", "LANG": "C.UTF-8"}
    sam, jo = Term(tmp_path, "sam", local_env), Term(tmp_path, "jo", local_env)
    clients: list[int] = []
    try:
        sam.start(remote_desk(sshd, command, "sam", remote_env))
        jo.start(remote_desk(sshd, command, "jo", remote_env))
        clients = [sam.app_pid(), jo.app_pid()]  # the local ssh clients
        open_case(jo, "C-1002")
        jo.wait_for("jo (handler)")  # DESKAPP_USER reached the far side
        open_case(sam, "C-1002")
        sam.wait_for("sam (handler)")
        jo.wait_for("also open: sam", timeout=5)

        sam.keys("c")
        sam.wait_for("Log a contact")
        time.sleep(0.8)  # let the form take focus before the first Tab
        sam.keys("Tab", "Tab", "Tab", "Tab")  # channel -> direction -> with -> outcome -> summary
        sam.type(SUMMARY)
        sam.wait_for(SUMMARY)
        assert SUMMARY not in jo.screen()
        sam.keys("C-s")
        sam.wait_for("Saved on C-1002", timeout=10)
        saved_at = time.monotonic()
        shown, _ = poll_until(lambda: SUMMARY in jo.screen(), timeout=5, step=0.05)
        latency = time.monotonic() - saved_at
        assert shown, f"jo's desk did not show sam's contact:\n{jo.screen()}"
        assert latency < 2.0, f"took {latency:.2f}s"
        record_property("ssh_contact_to_other_desk_s", round(latency, 2))
        print(f"\nsam's contact on jo's screen {latency:.2f}s after sam's desk said Saved")
        assert sqlite_value(db, "SELECT count(*) FROM contacts WHERE summary = ?", (SUMMARY,)) == 1

        sam.keys("Escape", "q")
        assert sam.exit_code(timeout=20) == 0
        kill9(clients[1])  # jo's link drops: the connection is gone, sshd hangs up jo's terminal
        gone, _ = poll_until(lambda: not processes_with_env(marker), timeout=15)
        assert gone, f"desk processes left behind: {describe(processes_with_env(marker))}"
        assert sqlite_value(db, "SELECT count(*) FROM presence") == 0
        log = (tmp_path / "desk.log").read_text()
        assert "Traceback" not in log, log[-2000:]
    finally:
        sam.kill_server()
        jo.kill_server()
        for pid in processes_with_env(marker) + [c for c in clients if alive(c)]:
            kill9(pid)
