"""Bytes on the wire over a real `ssh` connection: lean driver on and off, SSH compression on and off.

Starts a private sshd on 127.0.0.1 (its own host key, config and authorized_keys
in a temporary folder; nothing of the machine's sshd is touched) whose only key
runs the desk on a demo database, as docs/deploying.md sets it up. The `ssh`
client runs on a pty this script owns, 120x40, TERM=xterm-256color, and
connects through a relay in this process that counts every byte of the TCP
stream each way, so the figures are what crosses the network (encrypted,
compressed when asked), per step of one fixed script of keys:

  open desk   connect, log in, first screen until quiet (SSH handshake included)
  20 Down     one at a time, each until the desk is quiet (case and advice panes included)
  3 PageDown  likewise
  open case   Enter on the highlighted row
  quit        q, until ssh exits

for the four runs: lean driver on / off (DESKAPP_FULL_STYLES=1) x
`-o Compression=yes` / `no`. ssh's own count (`ssh -v`: "Transferred: sent N,
received M bytes") is printed beside the relay's as a check.

    python bench/ssh_bytes.py [--cases 5000] [--repeat 1] [--json PATH]

Needs openssh-server and openssh-client (sshd runs as this user: root, or a
user sshd accepts). The desk measured is the `deskapp` this interpreter
imports (PYTHONPATH=/other/checkout measures that checkout).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # appended: `deskapp` comes from the installed (or PYTHONPATH) copy

from bench.common import PtyTerminal, clean_env, human_bytes, machine_description, median  # noqa: E402

WIDTH, HEIGHT = 120, 40
KEY_DOWN, KEY_PAGE_DOWN, KEY_ENTER = b"\x1b[B", b"\x1b[6~", b"\r"
QUIET = 0.8  # seconds without output: the desk is done with the last key
STEPS = ("open desk", "20 Down", "3 PageDown", "open case", "quit")
_REF = re.compile(rb"C-\d{4}")
_TRANSFERRED = re.compile(r"Transferred: sent (\d+), received (\d+) bytes")


# --- a byte-counting TCP relay between ssh and sshd ------------------------------------------------


class Relay:
    """Listens on 127.0.0.1 and forwards each connection to `port`, counting bytes each way."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = 0  # server -> client
        self.up = 0  # client -> server
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def counts(self) -> tuple[int, int]:
        with self._lock:
            return self.down, self.up

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(client, selectors.EVENT_READ, (server, "up"))
        selector.register(server, selectors.EVENT_READ, (client, "down"))
        try:
            while True:
                for key, _ in selector.select():
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    other, way = key.data
                    if not data:
                        return
                    other.sendall(data)
                    with self._lock:
                        if way == "down":
                            self.down += len(data)
                        else:
                            self.up += len(data)
        except OSError:
            return
        finally:
            client.close()
            server.close()

    def close(self) -> None:
        self.listener.close()


# --- the private sshd --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateSshd:
    """sshd -D on 127.0.0.1 with its own files in `folder`; its one key runs `launcher`."""

    def __init__(self, folder: Path, launcher: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.user = pwd.getpwuid(os.geteuid()).pw_name  # sshd runs as this user and lets only it in
        for name in ("host", "client"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True)
        self.key = folder / "client"
        public = (folder / "client.pub").read_text().strip()
        # As docs/deploying.md: a forced command, a pty, nothing else.
        (folder / "authorized_keys").write_text(f'restrict,pty,command="{launcher}" {public}\n')
        os.chmod(folder / "authorized_keys", 0o600)
        (folder / "sshd_config").write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {folder / 'host'}",
            f"PidFile {folder / 'sshd.pid'}", f"AuthorizedKeysFile {folder / 'authorized_keys'}",
            "StrictModes no", "UsePAM no", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes", "PermitRootLogin prohibit-password", f"AllowUsers {self.user}",
            "Compression yes", "PermitUserEnvironment no", "LogLevel ERROR", "",
        ]))
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        self.process = subprocess.Popen([sshd, "-D", "-e", "-f", str(folder / "sshd_config")],
                                        stderr=open(folder / "sshd.log", "w"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        raise SystemExit(f"ssh_bytes: sshd did not start: {(folder / 'sshd.log').read_text()[-500:]}")

    def client(self, port: int, compression: bool, log: Path, command: str) -> list[str]:
        return ["ssh", "-tt", "-p", str(port), "-i", str(self.key), "-F", "/dev/null",
                "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", f"Compression={'yes' if compression else 'no'}", "-v", "-E", str(log),
                f"{self.user}@127.0.0.1", command]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def write_launcher(folder: Path, url: str, env: dict[str, str]) -> Path:
    """The forced command: the desk on the demo database; `plain` (the client's command) turns lean off."""
    import deskapp

    source = Path(deskapp.__file__).resolve().parents[1]
    keep = {k: env[k] for k in ("DESKAPP_CONFIG_DIR", "DESKAPP_DATA_DIR", "DESKAPP_CACHE_DIR")}
    exports = "".join(f"export {k}='{v}'\n" for k, v in keep.items())
    launcher = folder / "desk.sh"
    launcher.write_text(
        "#!/bin/sh\n"
        f"export PYTHONPATH='{source}'\n{exports}"
        'if [ "$SSH_ORIGINAL_COMMAND" = plain ]; then export DESKAPP_FULL_STYLES=1; fi\n'
        f"exec '{sys.executable}' -m deskapp --db '{url}'\n"
    )
    os.chmod(launcher, 0o755)
    return launcher


# --- one run of the script -----------------------------------------------------------------------


@dataclass
class Run:
    lean: bool
    compression: bool
    down: dict[str, int] = field(default_factory=dict)  # wire bytes server -> client per step
    up_total: int = 0
    stream: int = 0  # bytes the desk's terminal stream came to (what the pty received)
    ssh_received: Optional[int] = None  # ssh -v's own count
    error: str = ""


def run_script(sshd: PrivateSshd, relay: Relay, lean: bool, compression: bool, folder: Path) -> Run:
    run = Run(lean, compression)
    log = folder / f"ssh-{'lean' if lean else 'plain'}-{'z' if compression else 'raw'}.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "TERM": "xterm-256color",
           "LANG": "C.UTF-8"}
    start_down, start_up = relay.counts()
    mark = start_down
    terminal = PtyTerminal(sshd.client(relay.port, compression, log, "lean" if lean else "plain"), env, WIDTH, HEIGHT)

    def step(name: str) -> None:
        nonlocal mark
        now = relay.counts()[0]
        run.down[name] = now - mark
        mark = now

    try:
        terminal.read_until_seen(_REF, limit=90)
        terminal.read_until_quiet(quiet=QUIET * 2, limit=30)
        if not _REF.search(bytes(terminal.output)):
            run.error = "no queue on screen: " + bytes(terminal.output)[-300:].decode("utf-8", "replace")
            return run
        step("open desk")
        for _ in range(20):
            terminal.keystroke(KEY_DOWN, quiet=QUIET)
        step("20 Down")
        for _ in range(3):
            terminal.keystroke(KEY_PAGE_DOWN, quiet=QUIET)
        step("3 PageDown")
        terminal.keystroke(KEY_ENTER, quiet=QUIET)
        step("open case")
        terminal.send(b"q")
        terminal.read_until_quiet(quiet=5, limit=20)
        time.sleep(0.3)  # the relay sees the last packets after the pty does
        step("quit")
    finally:
        terminal.close(quit_keys=b"", wait=10)
    end_down, end_up = relay.counts()
    run.up_total = end_up - start_up
    run.stream = len(terminal.output)
    found = _TRANSFERRED.search(log.read_text(errors="replace")) if log.exists() else None
    run.ssh_received = int(found.group(2)) if found else None
    if end_down - start_down != sum(run.down.values()):
        run.error = "bytes arrived after the session ended"
    return run


# --- the table -----------------------------------------------------------------------------------


def _label(lean: bool, compression: bool) -> str:
    return f"{'lean' if lean else 'plain'}, {'Compression yes' if compression else 'Compression no'}"


def table(runs: list[list[Run]]) -> str:
    """Markdown: one row per step, one column per configuration (median over repeats)."""
    columns = [(True, True), (True, False), (False, True), (False, False)]
    by = {(r[0].lean, r[0].compression): r for r in runs}
    head = "| bytes received over ssh | " + " | ".join(_label(*c) for c in columns) + " |"
    lines = [head, "|" + "---|" * (len(columns) + 1)]

    def cell(config, value) -> str:
        values = [value(r) for r in by[config] if not r.error]
        got = median(v for v in values if v is not None)
        return human_bytes(got) if got is not None else "-"

    for name in STEPS:
        lines.append(f"| {name} | " + " | ".join(cell(c, lambda r, n=name: r.down.get(n)) for c in columns) + " |")
    lines.append("| per Down | " + " | ".join(cell(c, lambda r: r.down.get("20 Down", 0) / 20) for c in columns)
                 + " |")
    lines.append("| **whole session** | " + " | ".join(
        "**" + cell(c, lambda r: sum(r.down.values())) + "**" for c in columns) + " |")
    lines.append("| ssh -v's count (received) | " + " | ".join(cell(c, lambda r: r.ssh_received) for c in columns)
                 + " |")
    lines.append("| terminal stream (after ssh) | " + " | ".join(cell(c, lambda r: r.stream) for c in columns)
                 + " |")
    lines.append("| sent by the client | " + " | ".join(cell(c, lambda r: r.up_total) for c in columns) + " |")
    return "\n".join(lines)


def goals(runs: list[list[Run]]) -> list[str]:
    """The two claims this bench exists for, judged here (a test only checks they are measured):
    the lean driver sends less than the plain one, and SSH compression saves more on top."""
    by = {(r[0].lean, r[0].compression): r for r in runs}

    def session(config) -> Optional[float]:
        return median(sum(r.down.values()) for r in by[config] if not r.error and r.down)

    def verdict(what: str, smaller, larger) -> str:
        a, b = session(smaller), session(larger)
        if a is None or b is None:
            return f"goal: {what}: not measured"
        return (f"goal: {what}: {'met' if a < b else 'missed'} "
                f"({human_bytes(a)} against {human_bytes(b)}, {_label(*smaller)} / {_label(*larger)})")

    return [verdict("the lean driver sends less than the plain one", (True, False), (False, False)),
            verdict("compression saves bytes on top of the lean driver", (True, True), (True, False))]


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=5000, help="demo cases to load (default 5000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each configuration; the median is shown")
    parser.add_argument("--json", type=Path, help="also write every run here")
    args = parser.parse_args(argv)
    for program in ("ssh", "ssh-keygen"):
        if shutil.which(program) is None:
            raise SystemExit(f"ssh_bytes: {program} is not installed (openssh-client)")
    if not (shutil.which("sshd") or Path("/usr/sbin/sshd").exists()):
        raise SystemExit("ssh_bytes: sshd is not installed (openssh-server)")

    with tempfile.TemporaryDirectory(prefix="ssh_bytes-") as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o755)
        env = clean_env(folder)
        url = f"sqlite:///{folder / 'demo.db'}"
        demo = subprocess.run([sys.executable, "-m", "deskapp", "demo", "--cases", str(args.cases), "--db", url],
                              env=env, capture_output=True, text=True, check=False)
        if demo.returncode != 0:
            raise SystemExit(f"ssh_bytes: deskapp demo failed: {demo.stderr.strip() or demo.stdout.strip()}")
        sshd = PrivateSshd(folder, write_launcher(folder, url, env))
        relay = Relay(sshd.port)
        runs: list[list[Run]] = []
        try:
            for lean in (True, False):
                for compression in (True, False):
                    runs.append([run_script(sshd, relay, lean, compression, folder) for _ in range(args.repeat)])
        finally:
            relay.close()
            sshd.stop()
    print(machine_description())
    print(f"{args.cases:,} demo cases, {WIDTH}x{HEIGHT}, TERM=xterm-256color, OpenSSH "
          f"{subprocess.run(['ssh', '-V'], capture_output=True, text=True).stderr.strip()}, "
          f"median of {args.repeat} run(s)\n")
    print(table(runs))
    print()
    print("\n".join(goals(runs)))
    errors = [f"{_label(r.lean, r.compression)}: {r.error}" for rs in runs for r in rs if r.error]
    for error in errors:
        print("error:", error, file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for rs in runs for r in rs], indent=1))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
