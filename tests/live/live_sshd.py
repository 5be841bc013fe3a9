"""A real deployment for the SSH end-to-end test: docs/deploying.md run as written, and a private sshd.

The setup commands are not copied here: `deploy_script()` takes the blocks
marked `<!-- deploy-test: run -->` from docs/deploying.md and runs them as root
in one shell, with this test's values for the names that page's first block
defines (a unique service account under /srv, a wheel of this checkout, a
folder of handler keys). The sshd settings the page writes (its SSHD_CONF) are
included by a throwaway sshd on 127.0.0.1 and a free high port, which lets in
only that account, by key. `ServiceAccount.remove()` ends the account's
processes and deletes the account, its home and the keys folder.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "deploying.md"
PYTHON = "/usr/bin/python3"  # the service account cannot run a Python kept under /root
_MARKED = re.compile(r"<!-- deploy-test: (\w+) -->\s*\n```sh\n(.*?)\n```", re.S)
_ASSIGNED = re.compile(r"^([A-Z_][A-Z0-9_]*)=", re.M)
MARKER = ".deskapp-test-account"  # in the keys folder: which test run made the account


class SshdUnavailable(Exception):
    """Why the end-to-end deployment cannot run here (the test skips with this reason)."""


def deploy_script(doc: Path = DOC, hook: str = "") -> tuple[list[str], str]:
    """The names docs/deploying.md sets in its `names` block, and its `run` blocks as one script.

    `hook` (the test's own lines) goes between the first run block and the second.
    """
    names: list[str] = []
    runs: list[str] = []
    for kind, body in _MARKED.findall(doc.read_text()):
        if kind == "names":
            names += _ASSIGNED.findall(body)
        elif kind == "run":
            runs.append(body)
        else:
            raise AssertionError(f"{doc}: unknown deploy-test block {kind!r}")
    if not names or not runs:
        raise AssertionError(f"{doc}: no deploy-test names or run blocks")
    if hook:
        runs.insert(1, hook.rstrip("\n"))
    return names, "\n".join(runs) + "\n"


def tool(name: str) -> str:
    """A program's path: on PATH, else in the sbin folders a non-login root PATH may lack."""
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/sbin/{name}"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SshdUnavailable(f"{name} is not installed")


def missing_prerequisite() -> str | None:
    """One line saying what this machine lacks for the deployment test, or None."""
    if os.geteuid() != 0:
        return "not root: the deployment test creates a service account (useradd) and runs sshd"
    for name in ("useradd", "userdel", "sudo", "ssh", "ssh-keygen", "scp", "sftp", "tmux"):
        try:
            tool(name)
        except SshdUnavailable:
            return f"{name} is not installed (.ci/run installs openssh-server, openssh-client, sudo, tmux)"
    try:
        find_sshd()
    except SshdUnavailable as exc:
        return str(exc)
    check = [PYTHON, "-c", "import sys, venv, ensurepip; assert sys.version_info >= (3, 11)"]
    if not Path(PYTHON).exists() or subprocess.run(check, capture_output=True, check=False).returncode != 0:
        return f"{PYTHON} is not Python 3.11+ with venv (apt-get install python3-venv)"
    return None


def find_sshd() -> str:
    for candidate in (shutil.which("sshd"), "/usr/sbin/sshd", "/usr/local/sbin/sshd"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SshdUnavailable("OpenSSH server (sshd) is not installed: apt-get install openssh-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WHEELHOUSE = Path("/var/cache/deskapp-test-wheels")


def wheelhouse() -> Path:
    """Wheels of deskapp's dependencies, built once per dependency list and kept between runs.

    The deployment's `pip install` then reads them instead of the index (the test gives
    the new account a pip.conf before that step), so a run does not download the same
    few dozen packages every time. Only this test's machine-wide cache; the page's
    commands are run unchanged.
    """
    import hashlib
    import tomllib

    requirements = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    version = subprocess.run([PYTHON, "-c", "import sys; print(sys.version)"], capture_output=True, text=True,
                             check=True).stdout.strip()
    key = hashlib.sha256("\n".join([version, *requirements]).encode()).hexdigest()[:16]
    folder = WHEELHOUSE / key
    if (folder / "complete").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(WHEELHOUSE, 0o755)
    os.chmod(folder, 0o755)
    # Built by the Python the account will run (the one running pytest may be another version).
    builder = folder / "builder"
    venv = subprocess.run([PYTHON, "-m", "venv", str(builder)], capture_output=True, text=True, check=False)
    done = venv if venv.returncode != 0 else subprocess.run(
        [str(builder / "bin" / "pip"), "wheel", "--quiet", "-w", str(folder), *requirements, "hatchling"],
        capture_output=True, text=True, timeout=600, check=False)
    shutil.rmtree(builder, ignore_errors=True)
    if done.returncode != 0:
        raise AssertionError(f"could not build the dependencies' wheels: {done.stderr[-1500:]}")
    for wheel in folder.iterdir():
        os.chmod(wheel, 0o644)
    (folder / "complete").write_text("\n".join(requirements) + "\n")
    return folder


def pip_conf(folder: Path) -> str:
    """A pip.conf that installs from `folder` only."""
    return f"[global]\nfind-links = {folder}\nno-index = true\n"


def build_wheel(into: Path, wheels: Path | None = None) -> Path:
    """A wheel of this checkout, made as root (the service account may not read the checkout).

    With `wheels` (a wheelhouse() holding the build backend) nothing is downloaded.
    """
    local = ["--no-index", "--find-links", str(wheels)] if wheels else []
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *local, "-w", str(into),
                           str(REPO)], capture_output=True, text=True, timeout=300, check=False)
    wheels = sorted(into.glob("deskapp-*.whl"))
    if done.returncode != 0 or not wheels:
        raise AssertionError(f"could not build a wheel of {REPO}: {done.stderr[-1500:]}")
    return wheels[-1]


@dataclass
class HandlerKey:
    name: str
    private: Path

    @property
    def public(self) -> Path:
        return self.private.with_suffix(".pub")


@dataclass
class ServiceAccount:
    """The account docs/deploying.md sets up, with this test's names."""

    name: str
    home: Path
    keys_dir: Path
    sshd_conf: Path
    handler_keys: dict[str, HandlerKey] = field(default_factory=dict)
    log: str = ""

    @classmethod
    def planned(cls, folder: Path) -> ServiceAccount:
        name = f"dk{uuid.uuid4().hex[:10]}"  # unique, short, a valid user name
        return cls(name=name, home=Path("/srv") / name, keys_dir=Path("/srv") / f"{name}-keys",
                   sshd_conf=folder / "deskapp-sshd.conf")

    @property
    def uid(self) -> int:
        return pwd.getpwnam(self.name).pw_uid

    @property
    def deskapp(self) -> Path:
        return self.home / "venv" / "bin" / "deskapp"

    @property
    def db(self) -> Path:
        return self.home / ".local" / "share" / "deskapp" / "deskapp.db"

    @property
    def authorized_keys(self) -> Path:
        return self.home / ".ssh" / "authorized_keys"

    def make_keys(self, folder: Path, *names: str) -> None:
        """A key pair per handler: the private half stays with root, the public half goes to keys_dir."""
        self.keys_dir.mkdir(mode=0o755, parents=True)
        (self.keys_dir / MARKER).write_text(f"{os.getpid()}\n")  # see remove_leftovers()
        for name in names:
            private = folder / f"{name}_ed25519"
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@test",
                            "-f", str(private)], check=True)
            shutil.copy(private.with_suffix(".pub"), self.keys_dir / f"{name}.pub")
            os.chmod(self.keys_dir / f"{name}.pub", 0o644)
            self.handler_keys[name] = HandlerKey(name, private)

    def deploy(self, package: Path, workdir: Path, wheels: Path | None = None, timeout: float = 420) -> None:
        """Run the page's `run` blocks as root in one shell (`bash -eu`), as the page says to.

        With `wheels`, the account gets a pip.conf pointing at them right after the
        first block (which creates it), before the install.
        """
        names, script = deploy_script(hook=self._pip_hook(wheels) if wheels else "")
        values = {"SVC": self.name, "SVC_HOME": str(self.home), "PYTHON": PYTHON, "PACKAGE": str(package),
                  "KEYS": str(self.keys_dir), "SSHD_CONF": str(self.sshd_conf)}
        if sorted(names) != sorted(values):
            raise AssertionError(f"{DOC} names {sorted(names)}; the test sets {sorted(values)}")
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
               "LANG": "C.UTF-8", **values}
        done = subprocess.run(["bash", "-eu", "-o", "pipefail", "-c", script], cwd=workdir, env=env,
                              capture_output=True, text=True, timeout=timeout, check=False)
        self.log = done.stdout + done.stderr
        if done.returncode != 0:
            raise AssertionError(f"docs/deploying.md's commands failed (exit {done.returncode}):\n{self.log}")

    def _pip_hook(self, wheels: Path) -> str:
        conf = self.home / ".config" / "pip" / "pip.conf"
        return (f"install -d -o {self.name} -m 0700 {self.home / '.config'} {conf.parent}\n"
                f"printf '%s' {shlex.quote(pip_conf(wheels))} > {conf}\n"
                f"chown {self.name} {conf}\n")

    def run_as(self, *args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        """`sudo -u SVC deskapp ARGS` from the account's home, as an administrator would."""
        return subprocess.run([tool("sudo"), "-u", self.name, str(self.deskapp), *args], cwd=self.home, input=stdin,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def processes(self) -> list[int]:
        """Live processes running as the account (desks, their sshd session halves)."""
        try:
            uid = self.uid
        except KeyError:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            real = next((line.split()[1] for line in status.splitlines() if line.startswith("Uid:")), None)
            state = next((line.split()[1] for line in status.splitlines() if line.startswith("State:")), "")
            if real == str(uid) and state != "Z":
                found.append(int(entry.name))
        return found

    def remove(self) -> None:
        """End the account's processes, then delete it, its home and the keys folder."""
        for _round in range(20):
            pids = self.processes()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        try:
            pwd.getpwnam(self.name)
        except KeyError:
            pass
        else:
            subprocess.run([tool("userdel"), "--remove", "--force", self.name], capture_output=True, check=False)
        shutil.rmtree(self.home, ignore_errors=True)
        shutil.rmtree(self.keys_dir, ignore_errors=True)


def remove_leftovers() -> list[str]:
    """Accounts an earlier run made and could not remove (it was killed): its pid is gone."""
    removed = []
    for marker in Path("/srv").glob(f"dk*-keys/{MARKER}"):
        name = marker.parent.name.removesuffix("-keys")
        try:
            pid = int(marker.read_text().strip())
            os.kill(pid, 0)
            continue  # that run is still going
        except (ValueError, ProcessLookupError):
            pass
        except PermissionError:
            continue
        ServiceAccount(name=name, home=Path("/srv") / name, keys_dir=marker.parent,
                       sshd_conf=Path("/nonexistent")).remove()
        removed.append(name)
    return removed


class Sshd:
    """`sshd -D` on 127.0.0.1 with its own host key; the deployment's settings included first."""

    def __init__(self, folder: Path, account: ServiceAccount):
        self.folder = folder
        self.account = account
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.log = folder / "sshd.log"

    def start(self, timeout: float = 10.0) -> Sshd:
        sshd = find_sshd()
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        host_key = self.folder / "host_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation folder
        self.port = free_port()
        config = self.folder / "sshd_config"
        config.write_text("\n".join([
            f"Include {self.account.sshd_conf}",  # first, as Debian's sshd_config includes sshd_config.d/*
            f"Port {self.port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {host_key}",
            f"PidFile {self.folder / 'sshd.pid'}",
            f"AllowUsers {self.account.name}",
            "UsePAM no",
            "StrictModes yes",
            # A careless server that passes DESKAPP_USER on: identity must still come from the key.
            "AcceptEnv LANG LC_* DESKAPP_USER",
            "Subsystem sftp internal-sftp",  # sftp would work for an account without forced commands
            "PrintMotd no",
            "LogLevel VERBOSE",
            "",
        ]))
        check = subprocess.run([sshd, "-t", "-f", str(config)], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise AssertionError(f"sshd rejects the deployment's settings: {' '.join(check.stderr.split())}")
        with open(self.log, "w") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                                            stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"sshd exited at once: {self.log.read_text()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"the test sshd did not listen: {self.log.read_text()[-500:]}")

    def ssh(self, key: HandlerKey, *options: str, tty: bool | None = None, program: str = "ssh") -> list[str]:
        """The client command line for `key`'s holder (no user config, no agent, no known_hosts).

        program="scp"/"sftp" gives their command line up to the paths (the port flag is -P there).
        """
        port = ["-p", str(self.port)] if program == "ssh" else ["-P", str(self.port)]
        tty_flag = [] if tty is None or program != "ssh" else (["-t"] if tty else ["-T"])
        return [program, "-F", "/dev/null", *port, *tty_flag, "-i", str(key.private),
                "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", *options]

    def target(self, path: str = "") -> str:
        return f"{self.account.name}@127.0.0.1" + (f":{path}" if path else "")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
