"""A throwaway OpenSSH server for the end-to-end test: 127.0.0.1, a free high port, generated keys.

Runs `sshd -D` (foreground, so the test owns the process) with its own host
key, config and authorized_keys in a temporary folder, letting in only the
current OS user with a generated key. Nothing on the machine is changed.
Handlers are told apart by DESKAPP_USER, passed in the remote command, so
both test handlers can be the same OS user.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


class SshdUnavailable(Exception):
    """Why an SSH server cannot be started here (the test skips with this reason)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_sshd() -> str:
    for candidate in (shutil.which("sshd"), "/usr/sbin/sshd", "/usr/local/sbin/sshd"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SshdUnavailable("OpenSSH server (sshd) is not installed: apt-get install openssh-server")


class Sshd:
    def __init__(self, folder: Path):
        self.folder = folder
        self.user = getpass.getuser()
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.client_key = folder / "client_key"
        self.log = folder / "sshd.log"

    def start(self, timeout: float = 10.0) -> Sshd:
        sshd = find_sshd()
        if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
            raise SshdUnavailable("the OpenSSH client (ssh, ssh-keygen) is not installed")
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        host_key = self.folder / "host_ed25519"
        for key in (host_key, self.client_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        authorized = self.folder / "authorized_keys"
        authorized.write_text(self.client_key.with_suffix(".pub").read_text())
        os.chmod(authorized, 0o600)
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation folder
        self.port = _free_port()
        config = self.folder / "sshd_config"
        config.write_text("\n".join([
            f"Port {self.port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {host_key}",
            f"PidFile {self.folder / 'sshd.pid'}",
            f"AuthorizedKeysFile {authorized}",
            f"AllowUsers {self.user}",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            "UsePAM no",
            "StrictModes no",
            "AcceptEnv LANG LC_* DESKAPP_* TERM COLORTERM",
            "PermitTTY yes",
            "PrintMotd no",
            "LogLevel VERBOSE",
            "",
        ]))
        check = subprocess.run([sshd, "-t", "-f", str(config)], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise SshdUnavailable(f"sshd rejects the test config: {' '.join(check.stderr.split())[:200]}")
        with open(self.log, "w") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                                            stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SshdUnavailable(f"sshd exited at once: {self.log.read_text()[-300:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
            except OSError:
                time.sleep(0.1)
                continue
            if self._try_login():
                return self
            time.sleep(0.2)
        self.stop()
        raise SshdUnavailable(f"could not log in to the test sshd: {self.log.read_text()[-300:]}")

    def ssh_args(self, *, tty: bool = True) -> list[str]:
        return ["ssh", *(["-t"] if tty else ["-T"]), "-p", str(self.port), "-i", str(self.client_key),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", f"{self.user}@127.0.0.1"]

    def _try_login(self) -> bool:
        done = subprocess.run([*self.ssh_args(tty=False), "echo ssh-ok"], capture_output=True, text=True,
                              timeout=15, check=False)
        return done.returncode == 0 and "ssh-ok" in done.stdout

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
