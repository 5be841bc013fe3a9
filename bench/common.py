"""Shared helpers for the bench scripts: drive real programs in tmux or a pty and time what the screen shows.

The figures the bench reports are whole-process ones, as a handler would see
them: start the real `deskapp` (or `vd`) in a terminal, send keys, and poll
what the terminal shows until the expected change is there. Two terminals:

- tmux (Tmux): a private tmux server (its own socket, no user config), a
  window of a fixed size, `capture-pane -p` polled every ~10 ms. Used for
  "time until the screen shows X".
- a pty (PtyTerminal): the program runs on a pseudo-terminal this process
  owns, so every byte it writes to the terminal is counted. Used for "bytes
  per keystroke" (what a redraw costs over SSH).

Nothing here knows about deskapp's internals; desk_bench.py says what to look for.
"""

from __future__ import annotations

import errno
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]

# A case reference as the demo writes them (C-1001 ...), at the start of a queue row.
REF = re.compile(r"\b[A-Z]{1,4}-\d{1,9}\b")


# --- small numeric helpers ------------------------------------------------------------------



def count(url: str, table: str) -> int:
    """Rows in `table` of the database at `url`; 0 if the table is not there yet (an empty desk)."""
    from sqlalchemy import inspect

    from deskapp.store.engine import connect

    engine = connect(url)
    try:
        with engine.connect() as conn:
            if table not in inspect(conn).get_table_names():
                return 0
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
    finally:
        engine.dispose()


def load_demo(url: str, cases: int) -> float:
    """`deskapp demo --cases N` into `url` (a fixed day, so runs compare); its wall seconds, or exit with its error."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "deskapp", "demo", "--cases", str(cases), "--today", "2026-03-10",
                           "--db", url], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        sys.exit(f"deskapp demo failed ({proc.returncode}): {proc.stderr.strip()}")
    return time.perf_counter() - started

def median(values: Iterable[float]) -> Optional[float]:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ms(seconds: Optional[float]) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def mb(kib: Optional[float]) -> str:
    return "-" if kib is None else f"{kib / 1024:,.0f} MB"


def human_bytes(n: Optional[float]) -> str:
    if n is None:
        return "-"
    if n >= 1024 ** 3:
        return f"{n / 1024 ** 3:,.2f} GB"
    if n >= 1024 ** 2:
        return f"{n / 1024 ** 2:,.0f} MB"
    return f"{n:,.0f} B"


# --- programs, environment, processes ---------------------------------------------------------


def program(name: str) -> Optional[str]:
    """`name` from this interpreter's bin folder (the venv the bench runs in), else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def deskapp_command() -> list[str]:
    """How a handler starts the desk: the `deskapp` console script (python -m deskapp if missing)."""
    found = program("deskapp")
    return [found] if found else [sys.executable, "-m", "deskapp"]


def compile_bytecode(folder: Optional[Path] = None) -> str:
    """Byte-compile the deskapp that will be measured (or the one in `folder`), as installing it does.

    An editable install never gets its .pyc files where PYTHONDONTWRITEBYTECODE is
    set (as on this project's machines), and compiling ~40 modules from source adds
    ~35 ms to every start: a cost no installed desk pays. Returns a line for the log.
    """
    import compileall
    import importlib.util

    if folder is None:
        spec = importlib.util.find_spec("deskapp")
        if spec is None or not spec.submodule_search_locations:
            return "deskapp not found: nothing compiled"
        folder = Path(list(spec.submodule_search_locations)[0])
    ok = compileall.compile_dir(str(folder), quiet=1)
    return f"byte-compiled {folder} ({'ok' if ok else 'with errors'}), as an install does"


def clean_env(workdir: Path, extra: Optional[Mapping[str, str]] = None, *,
              drop: Sequence[str] = ()) -> dict[str, str]:
    """The environment for a measured run: no user config or log, a private config/data folder."""
    env = dict(os.environ)
    for name in ("DESKAPP_LOG", "DESKAPP_THEMES", "NO_COLOR", "TEXTUAL", "TEXTUAL_DEBUG", *drop):
        env.pop(name, None)
    env["DESKAPP_CONFIG_DIR"] = str(workdir / "config")
    env["DESKAPP_DATA_DIR"] = str(workdir / "data")
    env["DESKAPP_CACHE_DIR"] = str(workdir / "cache")
    env.update(extra or {})
    return env


def peak_rss_kib(pid: int) -> Optional[int]:
    """Peak resident set size of a live process in KiB (VmHWM on Linux; psutil's current RSS elsewhere)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for text in status:
                if text.startswith("VmHWM:"):
                    return int(text.split()[1])
    except OSError:
        pass
    try:
        import psutil  # type: ignore[import-not-found]

        return psutil.Process(pid).memory_info().rss // 1024
    except Exception:  # noqa: BLE001 - psutil missing or the process gone
        return None


def cpu_seconds(pid: int) -> Optional[float]:
    """User + system CPU time a live process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def machine_description() -> str:
    """CPU model, cores, memory, OS and Python: the first lines of every bench report."""
    cpu = "unknown CPU"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for text in Path("/proc/meminfo").read_text().splitlines():
            if text.startswith("MemTotal:"):
                memory = f", {int(text.split()[1]) / 1024 / 1024:.0f} GB RAM"
    except OSError:
        pass
    load = ""
    try:
        load = " , load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        pass
    uname = os.uname()
    return (f"{cpu}, {os.cpu_count()} cores{memory}; {uname.sysname} {uname.release}; "
            f"Python {sys.version.split()[0]}{load}")


# --- tmux -------------------------------------------------------------------------------------


class TmuxError(RuntimeError):
    pass


_PATIENCE = [1.0]


def set_patience(factor: float) -> None:
    """Multiply every wait's time limit by `factor` (>= 1; `--patience`): on a loaded machine a
    slow step still yields a figure (a slow one, shown as such) instead of no figure at all."""
    _PATIENCE[0] = max(factor, 1.0)


def patient(seconds: float) -> float:
    """A wait's time limit, stretched by the patience asked for."""
    return seconds * _PATIENCE[0]


class Tmux:
    """A private tmux server for measured runs (`tmux -L <socket> -f /dev/null`).

    One session per run; the clock for "launch" starts just before the
    new-session command that starts the program, so it counts the whole
    process: interpreter start, imports, opening the database, first paint.
    """

    POLL = 0.01  # seconds between captures

    def __init__(self, socket: Optional[str] = None) -> None:
        if not shutil.which("tmux"):
            raise TmuxError("tmux is not installed")
        self.socket = socket or f"deskbench-{os.getpid()}"
        self._sessions = 0
        # A server with an idle session, so launches do not pay for starting the server.
        self._run_tmux("new-session", "-d", "-s", "idle", "-x", "80", "-y", "24", "sleep 86400")
        # Polling goes through one control-mode client (tmux -C): a `tmux capture-pane` process
        # every 10 ms would cost the 2-core machine more CPU than the program being measured.
        self._control: Optional[subprocess.Popen] = None
        try:
            self._control = subprocess.Popen(
                ["tmux", "-L", self.socket, "-f", "/dev/null", "-C", "attach-session", "-t", "idle"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                encoding="utf-8", errors="replace", bufsize=1)
            self._control_command("display-message", "-p", "ready")
        except (OSError, TmuxError):
            self._close_control()

    def _run_tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True)
        if check and done.returncode != 0:
            raise TmuxError(f"tmux {args[0]}: {done.stderr.strip() or done.returncode}")
        return done.stdout

    def _tmux(self, *args: str, check: bool = True) -> str:
        if self._control is None:
            return self._run_tmux(*args, check=check)
        return self._control_command(*args, check=check)

    def _control_command(self, *args: str, check: bool = True) -> str:
        """Run one command through the control client; its output (tmux frames it in %begin/%end)."""
        control = self._control
        assert control is not None and control.stdin is not None and control.stdout is not None
        control.stdin.write(" ".join(_tmux_quote(a) for a in args) + "\n")
        control.stdin.flush()
        lines: list[str] = []
        inside = False
        while True:
            text = control.stdout.readline()
            if not text:
                self._close_control()
                raise TmuxError("the tmux control client ended")
            text = text.rstrip("\n")
            if not inside:
                # Blocks flagged 1 answer this client's commands; others are notifications.
                inside = text.startswith("%begin ") and text.split()[-1] == "1"
                continue
            if text.startswith(("%end ", "%error ")):
                if text.startswith("%error ") and check:
                    raise TmuxError(f"tmux {args[0]}: {' '.join(lines)}")
                return "\n".join(lines) + ("\n" if lines else "")
            lines.append(text)

    def _close_control(self) -> None:
        if self._control is not None:
            try:
                self._control.kill()
                self._control.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._control = None

    def launch(self, command: Sequence[str], env: Mapping[str, str], width: int = 120,
               height: int = 40) -> tuple["TmuxRun", float]:
        """Start `command` in a new width x height session; (run, perf_counter at launch)."""
        self._sessions += 1
        name = f"run{self._sessions}"
        shell_command = " ".join(_shell_quote(part) for part in command)
        env_args: list[str] = []
        for key in ("TERM", "COLORTERM", "DESKAPP_CONFIG_DIR", "DESKAPP_DATA_DIR", "DESKAPP_CACHE_DIR",
                    "DESKAPP_DB", "PATH", "HOME", "LANG", "LC_ALL", "VIRTUAL_ENV", "PYTHONPATH"):
            if key in env:
                env_args += ["-e", f"{key}={env[key]}"]
        started = time.perf_counter()
        self._tmux("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), *env_args,
                   shell_command)
        self._tmux("set-option", "-t", name, "remain-on-exit", "on", check=False)
        return TmuxRun(self, name), started

    def close(self) -> None:
        self._close_control()
        self._run_tmux("kill-server", check=False)


class TmuxRun:
    """One program running in a tmux session: read its screen, send it keys, find its pid."""

    def __init__(self, tmux: Tmux, name: str) -> None:
        self.tmux = tmux
        self.name = name
        self._pid: Optional[int] = None

    def screen(self) -> str:
        return self.tmux._tmux("capture-pane", "-p", "-t", self.name, check=False)

    def pid(self) -> Optional[int]:
        if self._pid is None:
            out = self.tmux._tmux("display-message", "-p", "-t", self.name, "#{pane_pid}", check=False).strip()
            self._pid = int(out) if out.isdigit() else None
        return self._pid

    def dead(self) -> bool:
        out = self.tmux._tmux("display-message", "-p", "-t", self.name, "#{pane_dead}", check=False).strip()
        return out == "1"

    def keys(self, *keys: str, literal: bool = False) -> float:
        """Send keys (tmux key names, or literal text); returns perf_counter just before sending."""
        started = time.perf_counter()
        self.tmux._tmux("send-keys", "-t", self.name, *(["-l"] if literal else []), *keys)
        return started

    def wait_for(self, condition: Callable[[str], bool], started: float, timeout: float = 30.0,
                 what: str = "the expected screen") -> tuple[float, str]:
        """Poll the screen until `condition(screen)`; (seconds since `started`, that screen)."""
        timeout = patient(timeout)
        deadline = time.perf_counter() + timeout
        screen = ""
        while True:
            before = time.perf_counter()
            screen = self.screen()
            if condition(screen):
                return time.perf_counter() - started, screen
            if before > deadline:
                raise TmuxError(f"timed out after {timeout:.0f} s waiting for {what}; the screen shows:\n"
                                + _indent(screen))
            if self.dead():
                raise TmuxError(f"the program exited while waiting for {what}; the screen shows:\n"
                                + _indent(self.screen()))
            time.sleep(max(0.0, Tmux.POLL - (time.perf_counter() - before)))

    def settle(self, quiet: float = 0.5, timeout: float = 15.0) -> str:
        """Wait until the screen has not changed for `quiet` seconds (case pane loaded, workers done)."""
        deadline = time.perf_counter() + patient(timeout)
        last, since = self.screen(), time.perf_counter()
        while time.perf_counter() < deadline:
            time.sleep(0.05)
            now = self.screen()
            if now != last:
                last, since = now, time.perf_counter()
            elif time.perf_counter() - since >= quiet:
                break
        return last

    def kill(self) -> None:
        """End the program (SIGTERM, then SIGKILL if it lingers) and its session."""
        pid = self.pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
                deadline = time.perf_counter() + 3
                while time.perf_counter() < deadline and not self.dead():
                    time.sleep(0.05)
                if not self.dead():
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.tmux._tmux("kill-session", "-t", self.name, check=False)


def _tmux_quote(text: str) -> str:
    """One argument for a tmux command line (control mode parses like tmux.conf)."""
    if re.fullmatch(r"[A-Za-z0-9_./:=@%+,-]+", text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def _shell_quote(text: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./:=@%+,-]+", text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def _indent(text: str) -> str:
    return "\n".join("    " + t for t in text.rstrip().splitlines()[:45])


# --- a pty whose output is counted ------------------------------------------------------------


@dataclass
class Burst:
    """What the program wrote after one keystroke: (seconds after the key, bytes) per read."""

    chunks: list[tuple[float, int]] = field(default_factory=list)

    def total(self) -> int:
        return sum(n for _t, n in self.chunks)

    def within(self, seconds: float) -> int:
        return sum(n for t, n in self.chunks if t <= seconds)


class PtyTerminal:
    """Run a program on a pseudo-terminal of a given size and count the bytes it writes.

    The program sees a real terminal (isatty, window size, TERM from `env`),
    so it draws exactly what it would draw over SSH.
    """

    def __init__(self, command: Sequence[str], env: Mapping[str, str], width: int = 120, height: int = 40):
        self.width, self.height = width, height
        pid, fd = pty.fork()
        if pid == 0:  # the child: set the window size on its terminal, then become the program
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
                os.execvpe(command[0], list(command), dict(env))
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.output = bytearray()
        self.closed = False

    def read_for(self, seconds: float) -> list[tuple[float, int]]:
        """Read whatever arrives during `seconds`; [(arrival time, bytes)]."""
        return self._read(until=time.perf_counter() + seconds, quiet=None)

    def read_until_seen(self, pattern: "re.Pattern[bytes]", limit: float) -> list[tuple[float, int]]:
        """Read until everything written so far matches `pattern` somewhere (or `limit` seconds passed)."""
        chunks: list[tuple[float, int]] = []
        until = time.perf_counter() + limit
        while not self.closed and not pattern.search(bytes(self.output)) and time.perf_counter() < until:
            chunks += self._read(until=min(until, time.perf_counter() + 0.05), quiet=None)
        return chunks

    def read_until_quiet(self, quiet: float, limit: float, started: Optional[float] = None
                         ) -> list[tuple[float, int]]:
        """Read until nothing arrived for `quiet` seconds (or `limit` seconds passed)."""
        return self._read(until=time.perf_counter() + limit, quiet=quiet, started=started)

    def _read(self, until: float, quiet: Optional[float], started: Optional[float] = None,
              stop_after_first: bool = False) -> list[tuple[float, int]]:
        chunks: list[tuple[float, int]] = []
        last = started if started is not None else time.perf_counter()
        while not self.closed:
            now = time.perf_counter()
            if now >= until or (quiet is not None and now - last >= quiet):
                break
            wait = until - now if quiet is None else min(until - now, quiet - (now - last))
            ready, _w, _x = select.select([self.fd], [], [], max(wait, 0.0))
            if not ready:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError as exc:
                if exc.errno == errno.EIO:  # the program closed its terminal
                    self.closed = True
                    break
                raise
            if not data:
                self.closed = True
                break
            last = time.perf_counter()
            self.output += data
            chunks.append((last, len(data)))
            if stop_after_first:
                break
        return chunks

    def send(self, data: bytes) -> float:
        started = time.perf_counter()
        os.write(self.fd, data)
        return started

    def keystroke(self, data: bytes, quiet: float = 0.6, limit: float = 5.0) -> Burst:
        """Send one key and collect everything the program writes until it goes quiet.

        The quiet is counted from the first byte of the answer, not from the key: a
        program slow to start answering (a loaded machine) would otherwise have its
        bytes counted for the next key instead. A key that draws nothing costs `limit`.
        """
        started = self.send(data)
        until = started + patient(limit)
        first = self._read(until=until, quiet=None, stop_after_first=True)
        chunks = first + (self.read_until_quiet(quiet, until - time.perf_counter()) if first else [])
        return Burst([(t - started, n) for t, n in chunks])

    def peak_rss_kib(self) -> Optional[int]:
        return peak_rss_kib(self.pid)

    def close(self, quit_keys: bytes = b"q", wait: float = 3.0) -> None:
        if not self.closed:
            try:
                os.write(self.fd, quit_keys)
            except OSError:
                pass
            self.read_for(0.3)
        deadline = time.perf_counter() + wait
        while time.perf_counter() < deadline:
            done, _status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.kill(self.pid, sig)
                    time.sleep(0.3)
                    if os.waitpid(self.pid, os.WNOHANG)[0]:
                        break
                except (OSError, ChildProcessError):
                    break
        try:
            os.close(self.fd)
        except OSError:
            pass
        self.closed = True


# --- the report -------------------------------------------------------------------------------


@dataclass
class Figure:
    """One line of the report: a measured thing, its value per column, the target and whether it is met."""

    name: str
    values: dict[str, str] = field(default_factory=dict)
    target: str = ""
    met: Optional[bool] = None
    note: str = ""


def goals_line(figures: Sequence[Figure]) -> str:
    """'goals: N met, M missed (names)': the verdict is the bench's to print, never a test's to assert
    (a figure moves with the machine's load; tests/bench checks only that each one is measured)."""
    judged = [f for f in figures if f.met is not None]
    missed = [f.name.strip() for f in judged if not f.met]
    unmeasured = [f.name.strip() for f in figures if f.target and f.met is None]
    text = f"goals: {len(judged) - len(missed)} met, {len(missed)} missed"
    if missed:
        text += " (" + "; ".join(missed) + ")"
    if unmeasured:
        text += f", {len(unmeasured)} not measured (" + "; ".join(unmeasured) + ")"
    return text


def render_table(figures: Sequence[Figure], columns: Sequence[str]) -> str:
    """A plain-text table (also valid Markdown), one row per figure."""
    used = [c for c in columns if any(c in f.values for f in figures)]
    header = ["figure", *used, "target", "met"]
    rows = []
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "NO")
        rows.append([f.name, *(f.values.get(c, "") for c in used), f.target, met])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: Sequence[str]) -> str:
        return "| " + " | ".join(str(v).ljust(w) for v, w in zip(row, widths)) + " |"

    lines = [fmt(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [fmt(r) for r in rows]
    notes = [f"- {f.name}: {f.note}" for f in figures if f.note]
    return "\n".join(lines + ([""] + notes if notes else []))
