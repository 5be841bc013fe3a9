"""Deploying for a team, end to end: docs/deploying.md run as written, then handlers over real SSH.

The module's fixture creates a unique service account under /srv by running
the page's commands as root (tests/live/live_sshd.py), makes keys for sam
(supervisor) and jo (handler), imports three cases and starts a private sshd
with the page's settings on 127.0.0.1. The tests then show what the page
promises: each key lands in its own desk (in tmux, reading the screen), and
sees the other's work within 2 s; whatever a client asks for (a shell, a
command, DESKAPP_USER in its environment, port forwarding, scp or sftp of the
database) it gets the desk or nothing; nobody approves their own request; a
deactivated handler is turned away. Everything the fixture made (the account,
its processes, its home, the sshd) is removed at the end.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import subprocess
import time
from pathlib import Path

import pytest
from live_sshd import ServiceAccount, Sshd, build_wheel, missing_prerequisite, remove_leftovers, wheelhouse
from live_term import Term, kill9, poll_until, sqlite_value

pytestmark = [pytest.mark.tmux, pytest.mark.slow]

SUMMARY = "Confirmed scaffolding goes up Monday"
CARD_BODY = "As you asked, the card on file is 4111 1111 1111 1111 from the March invoice."
CASES_CSV = """external_ref,kind,title,received_at,category,customer_name,customer_email,customer_phone
OLD-1,complaint,Roof leak at block 0,2026-03-02 09:00,repairs,Ada Brook 0,ada0@example.org,07700 900100
OLD-2,complaint,Roof leak at block 1,2026-03-02 09:10,repairs,Ada Brook 1,ada1@example.org,07700 900101
OLD-3,complaint,Roof leak at block 2,2026-03-02 09:20,repairs,Ada Brook 2,ada2@example.org,07700 900102
"""


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """(account, sshd): the deployment, built once for the module and removed afterwards."""
    reason = missing_prerequisite()
    if reason:
        pytest.skip(f"SSH deployment test: {reason}")
    remove_leftovers()
    folder = tmp_path_factory.mktemp("sshdeploy")
    account = ServiceAccount.planned(folder)
    sshd: Sshd | None = None
    try:
        account.make_keys(folder, "sam", "jo")
        wheels = wheelhouse()
        wheel = build_wheel(folder / "wheel", wheels)
        package = account.keys_dir / wheel.name  # where the service account can read it
        package.write_bytes(wheel.read_bytes())
        os.chmod(package, 0o644)
        account.deploy(package, workdir=folder, wheels=wheels)
        (account.keys_dir / "cases.csv").write_text(CASES_CSV)
        os.chmod(account.keys_dir / "cases.csv", 0o644)
        imported = account.run_as("import", str(account.keys_dir / "cases.csv"))
        assert imported.returncode == 0, imported.stdout + imported.stderr
        sshd = Sshd(folder / "sshd", account).start()
        yield account, sshd
    finally:
        if sshd is not None:
            sshd.stop()
        account.remove()


@pytest.fixture
def terms(tmp_path):
    """tmux terminals on this (client) side; their servers are killed at the end."""
    made: list[Term] = []
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TERM": "xterm-256color", "LANG": "C.UTF-8"}

    def term(name: str) -> Term:
        made.append(Term(tmp_path, name, env))
        return made[-1]

    yield term
    for one in made:
        one.kill_server()


def login(sshd: Sshd, who: str, *extra: str) -> list[str]:
    """`ssh` as the key holder `who`, asking for a terminal; `extra` is what the client asks for."""
    return [*sshd.ssh(sshd.account.handler_keys[who], "-o", "SendEnv=LANG", tty=True), sshd.target(), *extra]


def open_case(term: Term, ref: str, title: str, timeout: float = 60) -> None:
    term.wait_for("C-1001", timeout=timeout)
    for _attempt in range(10):
        term.keys("/")
        try:
            term.wait_for("search ref", timeout=1.0)  # the box's placeholder
            break
        except AssertionError:
            continue
    term.type(ref)
    term.keys("Enter")
    term.wait_for("1 match")
    term.wait_for(title)


def quit_desk(term: Term) -> None:
    term.keys("Escape", "q")
    assert term.exit_code(timeout=20) == 0, term.screen()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_documented_setup_leaves_nothing_open(host):
    account, _sshd = host
    assert mode(account.home) == 0o700
    assert mode(account.db) & 0o077 == 0, f"{account.db} is {oct(mode(account.db))}"
    assert mode(account.authorized_keys) & 0o077 == 0 and mode(account.authorized_keys.parent) == 0o700
    lines = account.authorized_keys.read_text().splitlines()
    for name in ("sam", "jo"):
        ours = [line for line in lines if line.endswith(f" deskapp:{name}")]
        assert len(ours) == 1, lines
        assert ours[0].startswith(f'restrict,pty,command="{account.deskapp} desk --as-key {name}" ssh-ed25519 ')
    # Another account on the host cannot read the database.
    peek = subprocess.run(["sudo", "-u", "nobody", "cat", str(account.db)], capture_output=True, check=False)
    assert peek.returncode != 0 and not peek.stdout
    listed = account.run_as("users", "list")
    assert listed.returncode == 0 and "sam" in listed.stdout and "jo" in listed.stdout, listed


def test_each_key_lands_in_its_own_desk_and_sees_the_others_work(host, terms, record_property):
    account, sshd = host
    sam, jo = terms("sam"), terms("jo")
    # jo's client also asks to be "admin": the server passes DESKAPP_USER on (AcceptEnv); nothing changes.
    jo.start(login(sshd, "jo", "-o", "SetEnv=DESKAPP_USER=admin DESKAPP_DB=sqlite:////tmp/other.db"))
    sam.start(login(sshd, "sam"))
    open_case(jo, "C-1002", "Roof leak at block 1")
    jo.wait_for("Jo Reid (handler)")
    assert "admin" not in jo.screen().splitlines()[0]
    open_case(sam, "C-1002", "Roof leak at block 1")
    sam.wait_for("Sam Okafor (supervisor)")
    jo.wait_for("also open: sam", timeout=5)

    sam.keys("c")
    sam.wait_for("Log a contact")
    time.sleep(0.8)  # let the form take focus before the first Tab
    sam.keys("Tab", "Tab", "Tab", "Tab", "Tab")  # channel -> direction -> with -> person search -> outcome -> summary
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
    assert sqlite_value(account.db, "SELECT h.username FROM contacts c JOIN handlers h ON h.id = c.handler_id "
                                    "WHERE c.summary = ?", (SUMMARY,)) == "sam"
    # The audit event names sam alone: nobody acted for sam (via is for an admin's --as).
    with sqlite3.connect(account.db) as conn:
        events = conn.execute("SELECT actor, via FROM audit_events WHERE action = 'contact'").fetchall()
    assert events == [("sam", None)], events

    quit_desk(sam)
    before = set(account.processes())
    kill9(jo.app_pid())  # jo's link drops: sshd hangs up jo's terminal and the desk must go
    gone, _ = poll_until(lambda: not (set(account.processes()) & before), timeout=15)
    assert gone, f"desk processes left behind: {sorted(set(account.processes()) & before)}"
    assert sqlite_value(account.db, "SELECT count(*) FROM presence") == 0


def test_asking_for_a_shell_gets_the_desk(host, terms):
    account, sshd = host
    jo = terms("jo-sh")
    jo.start(login(sshd, "jo", "sh"))
    jo.wait_for("Jo Reid (handler)", timeout=60)
    # The only shell running as the account is sshd's `sh -c FORCED-COMMAND`; the client's `sh` never ran.
    argvs = [Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") for pid in account.processes()]
    shells = [argv for argv in argvs if Path(argv[0].decode()).name.lstrip("-") in ("sh", "dash", "bash")]
    assert shells and all(argv[1:2] == [b"-c"] and argv[2].endswith(b" desk --as-key jo") for argv in shells), argvs
    quit_desk(jo)


def test_a_command_without_a_terminal_runs_no_shell(host):
    account, sshd = host
    command = f"echo SHELL-RAN; id; touch {account.home}/escaped"
    done = subprocess.run([*sshd.ssh(account.handler_keys["jo"], tty=False), sshd.target(), command],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL, check=False)
    out = done.stdout + done.stderr
    assert "SHELL-RAN" not in out and "uid=" not in out
    assert not (account.home / "escaped").exists()
    assert done.returncode == 2, out
    assert "the desk needs a terminal" in done.stderr and len(done.stderr.strip().splitlines()) == 1, out


def _forward_reaches(sshd: Sshd, key, local: int, target_port: int) -> bytes:
    """Open `ssh -N -L local:127.0.0.1:target_port` and read what a connection through it gets."""
    client = subprocess.Popen([*sshd.ssh(key, "-N", "-L", f"127.0.0.1:{local}:127.0.0.1:{target_port}"),
                               sshd.target()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", local), timeout=1) as conn:
                    conn.settimeout(3)
                    try:
                        return conn.recv(64)
                    except (TimeoutError, ConnectionResetError):
                        return b""
            except OSError:
                if client.poll() is not None:
                    return b""
                time.sleep(0.2)
        return b""
    finally:
        client.kill()
        client.wait(5)


def test_port_forwarding_is_refused(host):
    from live_sshd import free_port

    account, sshd = host
    key = account.handler_keys["sam"]
    # -L to the sshd itself: a working tunnel would hand back its "SSH-2.0-" greeting.
    assert not _forward_reaches(sshd, key, free_port(), sshd.port).startswith(b"SSH-")
    # -W (stdio forwarding) and -R (the server listens for us) fail outright.
    done = subprocess.run([*sshd.ssh(key, "-W", f"127.0.0.1:{sshd.port}"), sshd.target()], capture_output=True,
                          timeout=20, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode != 0 and not done.stdout.startswith(b"SSH-")
    done = subprocess.run([*sshd.ssh(key, "-N", "-o", "ExitOnForwardFailure=yes", "-R", f"{free_port()}:127.0.0.1:22"),
                           sshd.target()], capture_output=True, timeout=20, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode != 0


@pytest.mark.parametrize("how", ["scp", "scp-legacy", "sftp"])
def test_the_database_cannot_be_copied_out(host, tmp_path, how):
    account, sshd = host
    key = account.handler_keys["jo"]
    remote = str(account.db)
    copy = tmp_path / "stolen.db"
    if how == "sftp":
        command = [*sshd.ssh(key, program="sftp"), "-b", "-", sshd.target()]
        stdin = f"get {remote} {copy}\n"
    else:
        command = [*sshd.ssh(key, program="scp"), *(["-O"] if how == "scp-legacy" else []),
                   sshd.target(remote), str(copy)]
        stdin = ""
    done = subprocess.run(command, input=stdin.encode(), capture_output=True, timeout=30, check=False)
    assert done.returncode != 0
    assert not copy.exists() or not copy.read_bytes().startswith(b"SQLite format 3")


def test_nobody_approves_their_own_request(host, terms):
    account, sshd = host
    jo = terms("jo-ask")
    jo.start(login(sshd, "jo", "-o", "SetEnv=DESKAPP_USER=sam"))  # jo's client claims to be sam
    open_case(jo, "C-1003", "Roof leak at block 2")
    jo.wait_for("Jo Reid (handler)")
    jo.keys("m")
    jo.wait_for("Send a message")
    time.sleep(0.8)
    jo.keys("Tab", "Tab", "Tab")  # channel -> to -> person search -> subject
    jo.type("Your invoice")
    jo.wait_for("Your invoice")
    jo.keys("Tab")
    jo.type(CARD_BODY)
    jo.wait_for("Submitting will be refused")  # the live check has seen the card number
    for _attempt in range(3):
        jo.keys("C-s")
        try:
            jo.wait_for("blocked by a rule", timeout=5)
            break
        except AssertionError:
            continue
    jo.keys("C-s")  # ask for approval: the note box opens
    time.sleep(0.5)
    jo.type("Customer insists; he is the card holder")
    jo.wait_for("he is the card holder")
    pending = None
    for _attempt in range(3):
        jo.keys("C-s")
        pending, _ = poll_until(lambda: sqlite_value(
            account.db, "SELECT a.id FROM approval_requests a JOIN handlers h ON h.id = a.requested_by_id "
                        "WHERE h.username = 'jo' AND a.status = 'pending'"), timeout=5)
        if pending:
            break
    assert pending, jo.screen()

    # jo, in the approvals list, cannot approve it ('y' is not jo's key there).
    jo.keys("Escape", "Escape")
    for _attempt in range(3):  # a key pressed while the form is closing can be lost on a busy machine
        jo.keys("A")
        try:
            jo.wait_for("Your approval requests", timeout=7)
            break
        except AssertionError:
            continue
    jo.wait_for("Your approval requests")
    jo.keys("y")
    time.sleep(1.0)
    jo.keys("C-s")
    time.sleep(1.0)
    assert sqlite_value(account.db, "SELECT status FROM approval_requests WHERE id = ?", (pending,)) == "pending"
    jo.keys("Escape")
    quit_desk(jo)

    # sam, a supervisor, can: the request is someone else's.
    sam = terms("sam-decide")
    sam.start(login(sshd, "sam"))
    sam.wait_for("C-1001", timeout=60)
    sam.keys("A")
    sam.wait_for("Approvals to decide")
    sam.wait_for("#1 C-1003")  # the list has loaded
    for _attempt in range(3):  # a 'y' that overtakes the list's first paint is lost: press it again
        sam.keys("y")
        try:
            sam.wait_for("Approve jo's message", timeout=8)
            break
        except AssertionError:
            continue
    else:
        raise AssertionError(f"the decision box never opened:\n{sam.screen()}")
    sam.type("He is the card holder; last four digits only next time")
    sam.wait_for("last four digits only next time")
    decided = None
    for _attempt in range(3):  # a ctrl+s that overtakes the typing finds the box empty and says so
        sam.keys("C-s")
        decided, _ = poll_until(lambda: sqlite_value(
            account.db, "SELECT h.username FROM approval_requests a JOIN handlers h ON h.id = a.decided_by_id "
                        "WHERE a.id = ? AND a.status = 'approved'", (pending,)), timeout=5)
        if decided:
            break
    assert decided == "sam", sam.screen()
    sam.keys("Escape")
    quit_desk(sam)


def test_a_deactivated_handler_is_turned_away(host, terms):
    """Last in the module: jo stays deactivated."""
    account, sshd = host
    stale = [line for line in account.authorized_keys.read_text().splitlines() if line.endswith(" deskapp:jo")]
    done = account.run_as("users", "deactivate", "jo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deskapp:jo" not in account.authorized_keys.read_text()
    # The key is gone: sshd turns jo away.
    refused = subprocess.run([*sshd.ssh(account.handler_keys["jo"], tty=False), sshd.target()],
                             capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL, check=False)
    assert refused.returncode == 255 and "Permission denied" in refused.stderr, refused
    # A stale line (an old backup put back): the desk itself refuses jo, in one line.
    with account.authorized_keys.open("a") as keys:
        keys.write("\n".join(stale) + "\n")
    turned = subprocess.run([*sshd.ssh(account.handler_keys["jo"], "-tt"), sshd.target()], capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)
    said = [line for line in (turned.stdout + turned.stderr).splitlines() if line.strip()]
    assert turned.returncode == 2, said
    assert len(said) == 1 and "inactive" in said[0] and "jo" in said[0], said
    refusals = sqlite_value(account.db, "SELECT count(*) FROM audit_events WHERE action = 'desk.refused' "
                                        "AND actor = 'jo'")
    assert refusals >= 1
    # sam is not affected.
    sam = terms("sam-after")
    sam.start(login(sshd, "sam"))
    sam.wait_for("Sam Okafor (supervisor)", timeout=60)
    quit_desk(sam)
