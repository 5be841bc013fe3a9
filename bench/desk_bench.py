"""How fast does the desk feel on a million cases? Whole-process figures, as a handler sees them.

Builds (or reuses) a demo SQLite database, then runs the real `deskapp`
command and measures what the screen shows:

  load         `deskapp demo --cases N` wall time, database size
  first screen launch -> first queue row on screen, `deskapp` in tmux at 120x40
               (capture-pane polled every ~10 ms); median of --repeat launches,
               plus the CPU seconds the process had used by then
  keys         End / PageDown / a filter (f, Overdue, ctrl+s) / a search
               (/ word Enter, and / ref Enter): key sent -> result on screen
               (tmux), and the same in-process with Textual's Pilot
  memory       peak RSS (VmHWM) of the deskapp process after the tmux run
  bytes        bytes written to the terminal per cursor move and per PageDown,
               deskapp on a pty this script owns, TERM=xterm-256color and
               TERM=xterm (COLORTERM unset); median over --keys keystrokes.
               "redraw" = what arrives within 100 ms of the key (the queue's own
               redraw); "total" adds the case and advice panes, which reload
               once the cursor comes to rest. "held" = Down every 40 ms (key
               repeat) --keys times from the top of the queue: every byte until
               the desk is quiet again, case and advice included, per move; and
               the process CPU per move. --only bytes measures just this.
  policy       bench/policy_bench.py: evaluate() per action, default pack
  PostgreSQL   load, first screen, End, PageDown, filter, search (--pg URL)
  VisiData     `vd DB +0:cases::` in tmux: first screen, whole table loaded,
               End once loaded, peak RSS (if `vd` is installed)

    python bench/desk_bench.py [--cases 1000000] [--db URL] [--pg URL] [--keep]
                               [--repeat 5] [--keys 20] [--no-vd] [--json PATH]
                               [--only all|bytes]

--db URL reuses that database if it already holds cases (else loads it there
and keeps it); without --db a temporary one is built and deleted unless
--keep. --pg URL does the same on PostgreSQL (use a database of its own: the
demo loader refuses one that already has other cases). Targets are those of
issue 5 (2 cores, 1M cases, SQLite). Figures on a busy machine are slower:
compare the CPU-seconds column, which counts only the desk's own work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    # Appended, not prepended: `deskapp` comes from the installed (or PYTHONPATH) copy, so
    # PYTHONPATH=/other/checkout measures that checkout with this bench.
    sys.path.append(str(ROOT))

from bench.common import (  # noqa: E402
    Figure,
    PtyTerminal,
    Tmux,
    TmuxError,
    clean_env,
    compile_bytecode,
    cpu_seconds,
    deskapp_command,
    goals_line,
    human_bytes,
    machine_description,
    mb,
    median,
    ms,
    patient,
    peak_rss_kib,
    program,
    render_table,
    set_patience,
)

WIDTH, HEIGHT = 120, 40
# Issue 5's targets.
TARGET_FIRST = 1.0
TARGET_KEY = 0.100
TARGET_SEARCH = 0.150
TARGET_RSS_KIB = 150 * 1024
TARGET_BYTES_MOVE = 1000
# Keys as the terminal sends them (for the pty runs).
KEY_DOWN = b"\x1b[B"
KEY_PAGE_DOWN = b"\x1b[6~"
KEY_HOME = b"\x1b[H"
REDRAW_WINDOW = 0.100  # seconds: bytes arriving this soon after a key are the queue's own redraw


class Pace:
    """How long to wait for quiet between steps (shorter with --quick, for the smoke test)."""

    settle = 0.4  # screen unchanged this long = the desk is done with the last key
    key_quiet = 0.6  # pty: no output this long = everything a keystroke caused has arrived
    first_quiet = 1.5  # pty: the first screen is complete
    page_downs = 3  # PageDowns per tmux launch

# A queue row in the queue pane: the flag cell, a space, then the ref.
_QUEUE_ROW = re.compile(r"^.{2}([A-Z]{1,4}-\d+)\b")
_COUNT = re.compile(r"(\d[\d,]*\+? (cases?|match(es)?))|no cases|no matches")
_VD_ROW = re.compile(r"║ ([A-Z]{1,4}-\d+) ")

# `--as NAME` for every desk launched (desk_bench --user): no environment variable names the handler.
AS_USER: list[str] = []


# --- reading the desk's screen (tmux capture) -----------------------------------------------


def queue_parts(screen: str) -> list[str]:
    """The queue pane's text, one string per screen line (title first), at the 120-column layout."""
    return [line[1:].split("│", 1)[0] for line in screen.splitlines() if line.startswith("│")]


def queue_refs(screen: str) -> list[str]:
    return [m.group(1) for part in queue_parts(screen) if (m := _QUEUE_ROW.match(part))]


def queue_title(screen: str) -> str:
    parts = queue_parts(screen)
    return parts[0] if parts else ""


def queue_complete(screen: str) -> bool:
    """Rows on screen and none of them a placeholder (a page still being read)."""
    parts = queue_parts(screen)
    if any("No cases match" in p for p in parts):
        return True
    return bool(queue_refs(screen)) and not any("···" in p for p in parts)


def counted(screen: str, word: str = "") -> bool:
    """The queue title shows a count (and `word`, e.g. the filter's name)."""
    title = queue_title(screen)
    return bool(_COUNT.search(title)) and word in title


# --- the database ---------------------------------------------------------------------------


@dataclass
class Database:
    url: str
    path: Optional[Path]  # SQLite file, else None
    cases: int = 0
    load_seconds: Optional[float] = None
    load_rss_kib: Optional[int] = None
    load_note: str = ""

    def size_bytes(self) -> Optional[int]:
        if self.path is None:
            return _pg_size(self.url)
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.exists())


def count_cases(url: str) -> int:
    """Cases in the database; 0 if it does not exist or has no schema yet."""
    from sqlalchemy import create_engine, text

    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if not path.exists():
            return 0
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM cases")).scalar_one())
    except Exception:  # noqa: BLE001 - no schema yet
        return 0
    finally:
        engine.dispose()


def _pg_size(url: str) -> Optional[int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    except Exception:  # noqa: BLE001
        return None
    finally:
        engine.dispose()


def prepare(url: str, path: Optional[Path], cases: int, env: dict[str, str]) -> Database:
    """Reuse `url` if it holds cases, else run `deskapp demo --cases N` into it and time that."""
    db = Database(url, path)
    existing = count_cases(url)
    if existing:
        db.cases = existing
        db.load_note = f"reused ({existing:,} cases)"
        return db
    command = [*deskapp_command(), "demo", "--cases", str(cases), "--db", url]
    print(f"loading: {' '.join(command)}", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _pid, status, usage = os.wait4(proc.pid, 0)
    db.load_seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    if proc.returncode != 0:
        raise SystemExit(f"desk_bench: `deskapp demo` failed ({proc.returncode}): {err.strip() or out.strip()}")
    db.load_rss_kib = usage.ru_maxrss
    db.cases = count_cases(url)
    db.load_note = out.strip().splitlines()[-1] if out.strip() else ""
    return db


@dataclass
class QueueFacts:
    """What the default queue should show (read in-process before measuring): its size and end refs."""

    total: int
    first_ref: str
    last_ref: str
    surname: str
    middle_ref: str
    all_cases: int
    last_by_id: str
    last_by_id_title: str = ""


def queue_facts(url: str, user: Optional[str]) -> QueueFacts:
    from sqlalchemy import text

    from deskapp.actions import open_desk
    from deskapp.tui import queue_query
    from deskapp.tui.filters import QueueFilters

    desk = open_desk(url, None, user)
    try:
        queue = queue_query.build_query(desk, QueueFilters())
        total = queue.count()
        first = queue.rows(0, 1)[0]
        last = queue.rows(total - 1, total)[0]
        middle = queue.rows(total // 2, total // 2 + 1)[0]
        with desk.engine.connect() as conn:
            all_cases = int(conn.execute(text("SELECT count(*) FROM cases")).scalar_one())
            last_by_id, last_title = conn.execute(
                text("SELECT ref, title FROM cases ORDER BY id DESC LIMIT 1")).one()
        surname = (first.customer or "Smith").split()[-1]
        return QueueFacts(total, first.ref, last.ref, surname, middle.ref, all_cases, last_by_id, last_title or "")
    finally:
        desk.close()


# --- deskapp in tmux: first screen and keys ---------------------------------------------------


@dataclass
class Session:
    """One launch of the desk in tmux and what was timed in it (seconds)."""

    first: Optional[float] = None
    first_cpu: Optional[float] = None
    settled: Optional[float] = None
    end: Optional[float] = None
    home: Optional[float] = None
    page_down: list[float] = field(default_factory=list)
    filter: Optional[float] = None
    search_name: Optional[float] = None
    search_ref: Optional[float] = None
    rss_kib: Optional[int] = None
    error: str = ""


# label -> the first start after a rules change (see run_engine)
FIRST_STARTS: dict[str, "Session"] = {}


def desk_in_tmux(tmux: Tmux, url: str, env: dict[str, str], facts: QueueFacts, *, keys: bool = True) -> Session:
    s = Session()
    run, started = tmux.launch([*deskapp_command(), *AS_USER, "--db", url], env, WIDTH, HEIGHT)
    try:
        pid = run.pid()
        s.first, screen = run.wait_for(lambda sc: bool(queue_refs(sc)), started, 90, "the first queue row")
        s.first_cpu = cpu_seconds(pid) if pid else None
        run.settle(quiet=Pace.settle)
        s.settled = time.perf_counter() - started
        if keys:
            _desk_keys(run, facts, s, Pace.page_downs)
        s.rss_kib = peak_rss_kib(pid) if pid else None
        run.keys("q")
        try:
            run.wait_for(lambda _sc: run.dead(), time.perf_counter(), 5, "the desk to quit")
        except TmuxError:
            pass
    except TmuxError as exc:
        s.error = str(exc)
    finally:
        run.kill()
    return s


def _desk_keys(run, facts: QueueFacts, s: Session, page_downs: int) -> None:
    t = run.keys("End")
    s.end, _ = run.wait_for(lambda sc: facts.last_ref in queue_refs(sc) and queue_complete(sc), t, 30,
                            f"End to show {facts.last_ref}")
    run.settle(Pace.settle)
    t = run.keys("Home")
    s.home, screen = run.wait_for(lambda sc: facts.first_ref in queue_refs(sc) and queue_complete(sc), t, 30,
                                  f"Home to show {facts.first_ref}")
    screen = run.settle(Pace.settle)
    for _ in range(page_downs):
        before = queue_refs(screen)
        t = run.keys("PageDown")
        took, _ = run.wait_for(
            lambda sc: queue_complete(sc) and queue_refs(sc) != before and len(queue_refs(sc)) == len(before),
            t, 30, "PageDown to show the next screen of cases")
        s.page_down.append(took)
        screen = run.settle(Pace.settle)
    # Filter: f, Tab to "Overdue", space, ctrl+s (timed from ctrl+s).
    run.keys("f")
    run.wait_for(lambda sc: "Filter the queue" in sc, time.perf_counter(), 10, "the filter screen")
    run.keys("Tab")
    run.keys("Space")
    time.sleep(0.2)
    t = run.keys("C-s")
    s.filter, _ = run.wait_for(lambda sc: counted(sc, "overdue") and queue_complete(sc), t, 30,
                               "the overdue filter's result")
    run.settle(Pace.settle)
    run.keys("Escape")  # clears the filter
    run.wait_for(lambda sc: counted(sc) and "overdue" not in queue_title(sc), time.perf_counter(), 30,
                 "the filter to clear")
    run.settle(Pace.settle)
    s.search_name = _search(run, facts.surname)
    s.search_ref = _search(run, facts.middle_ref)


def _search(run, words: str) -> float:
    run.keys("/")
    run.wait_for(lambda sc: "search ref, name" in sc or "esc to close" in sc, time.perf_counter(), 10,
                 "the search box")
    run.keys(words, literal=True)
    run.wait_for(lambda sc: words in sc, time.perf_counter(), 10, "the typed search")
    t = run.keys("Enter")
    took, _ = run.wait_for(lambda sc: counted(sc) and "match" in queue_title(sc) and queue_complete(sc), t, 30,
                           f"the search for {words!r}")
    run.settle(Pace.settle)
    run.keys("Escape")
    run.wait_for(lambda sc: "match" not in queue_title(sc) and counted(sc), time.perf_counter(), 30,
                 "the search to clear")
    run.settle(Pace.settle)
    return took


# --- the same keys in-process (Textual Pilot) -------------------------------------------------


@dataclass
class PilotFigures:
    mount_to_rows: Optional[float] = None
    end: list[float] = field(default_factory=list)
    page_down: list[float] = field(default_factory=list)
    filter: list[float] = field(default_factory=list)
    search_name: list[float] = field(default_factory=list)
    search_ref: list[float] = field(default_factory=list)
    error: str = ""


async def _pilot(url: str, user: Optional[str], facts: QueueFacts, workdir: Path, rounds: int) -> PilotFigures:
    """The same keys in-process: key event sent -> the first frame painted once the result is there.

    Pilot.press() itself waits until the app is idle (every worker, every
    repaint), so it is not a stopwatch; instead the key is sent in a task while
    this coroutine polls the widgets, then waits for the next frame the app
    hands to its driver (App._display) - what a terminal would be sent.
    """
    from deskapp.actions import open_desk
    from deskapp.tui.app import DeskApp
    from deskapp.tui.screens.main import MainScreen
    from deskapp.tui.widgets.queue_view import QueueView

    out = PilotFigures()
    desk = open_desk(url, None, user)
    app = DeskApp(desk, config_file=workdir / "config" / "pilot.yaml")
    frames: list[float] = []
    # The check of the key being timed, asked at every frame: the first frame painted with it true is
    # the one that shows the result (polling for it from outside can see the state after the frame
    # that showed it was painted, and take a later frame, the case loading at rest, for it).
    watching: list[Callable[[], bool]] = []
    shown_at: list[float] = []
    real_display = app._display

    def display(screen, renderable) -> None:
        if renderable is not None:
            now = time.perf_counter()
            frames.append(now)
            if watching and not shown_at and watching[0]():
                shown_at.append(now)
        real_display(screen, renderable)

    app._display = display  # type: ignore[method-assign]

    def view() -> Optional[QueueView]:
        try:
            return app.screen.query_one(QueueView)
        except Exception:  # noqa: BLE001 - not mounted yet
            return None

    def ready(extra: Callable[[QueueView], bool] = lambda v: True) -> bool:
        v = view()
        if v is None or v.queue is None or v.total is None or not isinstance(app.screen, MainScreen):
            return False
        if app.screen.queue is not None and v.queue is not app.screen.queue:
            return False
        top, height = round(v.scroll_y), max(v.scrollable_content_region.height, 1)
        return extra(v) and (v.total == 0 or v.queue.is_loaded(top, min(top + height, v.total)))

    async def until(check: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.perf_counter() + patient(timeout)
        while not check():
            if time.perf_counter() > deadline:
                raise TimeoutError("the desk did not show the expected rows in time")
            await asyncio.sleep(0.001)

    async def shown(check: Callable[[], bool], timeout: float = 30.0) -> float:
        """When the first frame showing `check` true was painted (`watch(check)` first)."""
        await until(check, timeout)
        deadline = time.perf_counter() + 2.0
        while not shown_at and time.perf_counter() < deadline:
            await asyncio.sleep(0.001)
        watching[:] = []
        return shown_at[0] if shown_at else time.perf_counter()

    def watch(check: Callable[[], bool]) -> None:
        watching[:], shown_at[:] = [check], []

    async def timed(pilot, key: str, check: Callable[[], bool]) -> float:
        watch(check)
        started = time.perf_counter()
        task = asyncio.ensure_future(pilot.press(key))
        at = await shown(check)
        await task
        await pilot.pause(Pace.settle)
        return at - started

    try:
        started = time.perf_counter()
        watch(ready)
        async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
            out.mount_to_rows = await shown(ready, 90) - started
            await pilot.pause(0.5)
            for _ in range(rounds):
                out.end.append(await timed(pilot, "end", lambda: ready(lambda v: v.cursor == v.total - 1)))
                await pilot.press("home")
                await until(lambda: ready(lambda v: v.cursor == 0))
                await pilot.pause(Pace.settle)
                cursor = view().cursor
                out.page_down.append(await timed(pilot, "pagedown", lambda: ready(lambda v: v.cursor != cursor)))

                await pilot.press("f")
                await until(lambda: not isinstance(app.screen, MainScreen))
                await pilot.press("tab", "space")
                out.filter.append(await timed(pilot, "ctrl+s", lambda: ready(lambda v: app.screen.filters.overdue)))
                await pilot.press("escape")
                await until(lambda: ready(lambda v: not app.screen.filters.active))
                await pilot.pause(Pace.settle)

                for words, into in ((facts.surname, out.search_name), (facts.middle_ref, out.search_ref)):
                    await pilot.press("slash", *words)
                    into.append(await timed(pilot, "enter", lambda: ready(lambda v: bool(app.screen.filters.search))))
                    await pilot.press("escape")
                    await until(lambda: ready(lambda v: not app.screen.filters.active))
                    await pilot.pause(Pace.settle)
            await pilot.press("q")
    except Exception as exc:  # noqa: BLE001 - reported in the table, the other figures still count
        out.error = f"{type(exc).__name__}: {exc}"
    finally:
        desk.close()
    return out


def pilot_figures(url: str, user: Optional[str], facts: QueueFacts, workdir: Path, rounds: int) -> PilotFigures:
    return asyncio.run(_pilot(url, user, facts, workdir, rounds))


# --- bytes per keystroke on a pty -------------------------------------------------------------


@dataclass
class Bytes:
    move_redraw: Optional[float] = None
    move_total: Optional[float] = None
    move_total_max: Optional[float] = None  # the most one single move (with its case) took
    move_cpu: Optional[float] = None  # process CPU seconds per single move (queue redraw + the case shown)
    held_move: Optional[float] = None  # bytes per move while Down is held (incl. the case shown at rest)
    held_moves: int = 0
    held_cpu: Optional[float] = None  # process CPU seconds per held move, same accounting
    held_long: Optional[float] = None  # bytes per move, Down held HELD_LONG times: the queue scrolls too
    held_long_cpu: Optional[float] = None
    page_redraw: Optional[float] = None
    page_total: Optional[float] = None
    first_screen: Optional[int] = None
    error: str = ""


HELD_INTERVAL = 0.040  # seconds between Downs while a key is held (typical key repeat is 25-33/s)
HELD_BURSTS = 3  # held-key runs from the top of the queue; the figure is their median
HELD_LONG = 100  # one long hold from the top: past the first screen, so most moves scroll the queue


def _held_key(terminal: PtyTerminal, key: bytes, presses: int) -> tuple[int, float]:
    """Send `key` every HELD_INTERVAL s, `presses` times, then read until quiet: (all bytes, CPU seconds).

    Everything written from the first press until the desk goes quiet counts,
    so the case and advice panes that load once the cursor rests are included.
    """
    before = cpu_seconds(terminal.pid)
    chunks: list[tuple[float, int]] = []
    next_press = time.perf_counter()
    for _ in range(presses):
        terminal.send(key)
        next_press += HELD_INTERVAL
        chunks += terminal.read_for(max(next_press - time.perf_counter(), 0.0))
    chunks += terminal.read_until_quiet(quiet=Pace.key_quiet, limit=10)
    after = cpu_seconds(terminal.pid)
    cpu = (after - before) if before is not None and after is not None else float("nan")
    return sum(n for _t, n in chunks), cpu


def bytes_per_key(url: str, env: dict[str, str], term: str, keys: int) -> Bytes:
    run_env = dict(env, TERM=term)
    run_env.pop("COLORTERM", None)
    out = Bytes()
    terminal = PtyTerminal([*deskapp_command(), *AS_USER, "--db", url], run_env, WIDTH, HEIGHT)
    try:
        chunks = terminal.read_until_seen(_REF_BYTES, limit=patient(90))
        chunks += terminal.read_until_quiet(quiet=Pace.first_quiet, limit=30)
        out.first_screen = sum(n for _t, n in chunks)
        if terminal.closed or not _REF_BYTES.search(bytes(terminal.output)):
            out.error = "deskapp did not draw a queue: " + _printable(bytes(terminal.output))[-300:]
            return out
        terminal.keystroke(KEY_DOWN, quiet=Pace.key_quiet)  # the first move also fills caches; not counted
        cpu_before = cpu_seconds(terminal.pid)
        moves = [terminal.keystroke(KEY_DOWN, quiet=Pace.key_quiet) for _ in range(keys)]
        cpu_after = cpu_seconds(terminal.pid)
        if cpu_before is not None and cpu_after is not None:
            out.move_cpu = (cpu_after - cpu_before) / keys
        held = []
        for _ in range(HELD_BURSTS):
            terminal.keystroke(KEY_HOME, quiet=Pace.key_quiet)
            held.append(_held_key(terminal, KEY_DOWN, keys))
        out.held_moves = keys
        out.held_move = median(total / keys for total, _cpu in held)
        out.held_cpu = median(cpu / keys for _total, cpu in held)
        terminal.keystroke(KEY_HOME, quiet=Pace.key_quiet)
        total, cpu = _held_key(terminal, KEY_DOWN, HELD_LONG)
        out.held_long, out.held_long_cpu = total / HELD_LONG, cpu / HELD_LONG
        pages = [terminal.keystroke(KEY_PAGE_DOWN, quiet=Pace.key_quiet) for _ in range(keys)]
        out.move_redraw = median(b.within(REDRAW_WINDOW) for b in moves)
        out.move_total = median(b.total() for b in moves)
        out.move_total_max = max(b.total() for b in moves)
        out.page_redraw = median(b.within(REDRAW_WINDOW) for b in pages)
        out.page_total = median(b.total() for b in pages)
    finally:
        terminal.close()
    return out


_REF_BYTES = re.compile(rb"[A-Z]{1,4}-\d+")


def _printable(data: bytes) -> str:
    return re.sub(r"\x1b\[[0-9;?<>=]*[A-Za-z]|[\x00-\x1f]", " ", data.decode("utf-8", "replace"))


# --- policy, VisiData ---------------------------------------------------------------------------


def policy_figures(repeat: int) -> tuple[Optional[float], Optional[float], str]:
    """(median ms per action all kinds, slowest kind ms, raw output) for the default pack via policy_bench."""
    script = ROOT / "bench" / "policy_bench.py"
    if not script.exists():
        return None, None, "bench/policy_bench.py not found"
    done = subprocess.run([sys.executable, str(script), "--repeat", str(repeat)], capture_output=True, text=True,
                          timeout=600)
    text = done.stdout
    default = text.split("evaluate() per call, 100 rules")[0]
    all_kinds = re.search(r"all kinds\s+([\d.]+) ms\s+([\d.]+) ms", default)
    slowest = re.search(r"slowest kind, CPU median: ([\d.]+) ms", default)
    if done.returncode != 0 or not all_kinds:
        return None, None, (done.stderr or text).strip()[-500:]
    return float(all_kinds.group(2)), float(slowest.group(1)) if slowest else None, text


def vd_shows_last_row(screen: str, facts: QueueFacts) -> bool:
    """VisiData's bottom row is the table's last: its ref and title (both may be cut with '…') match."""
    rows = [line for line in screen.splitlines() if "║" in line]
    if not rows:
        return False
    last = rows[-1]
    return facts.last_by_id[:6] in last and facts.last_by_id_title[:12] in last


@dataclass
class VdFigures:
    first: list[float] = field(default_factory=list)
    first_cpu: list[float] = field(default_factory=list)
    loaded: list[float] = field(default_factory=list)
    end: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    error: str = ""


def visidata_figures(tmux: Tmux, path: Path, facts: QueueFacts, env: dict[str, str], repeat: int) -> VdFigures:
    vd = program("vd")
    out = VdFigures()
    if vd is None:
        out.error = "vd not installed (pip install visidata)"
        return out
    rows_word = f"{facts.all_cases} rows"
    for _ in range(repeat):
        run, started = tmux.launch([vd, str(path), "+0:cases::"], env, WIDTH, HEIGHT)
        try:
            first, _ = run.wait_for(lambda sc: bool(_VD_ROW.search(sc)), started, 120, "VisiData's first row")
            out.first.append(first)
            pid = run.pid()
            cpu = cpu_seconds(pid) if pid else None
            if cpu is not None:
                out.first_cpu.append(cpu)
            # Loaded: the status line shows the full row count and no progress percentage.
            loaded, _ = run.wait_for(lambda sc: rows_word in sc and "%" not in sc.splitlines()[-1], started, 900,
                                     f"VisiData to load {facts.all_cases:,} rows")
            out.loaded.append(loaded)
            run.settle(0.5)
            t = run.keys("End")
            end, _ = run.wait_for(lambda sc: vd_shows_last_row(sc, facts), t, 60,
                                  f"VisiData's End to show {facts.last_by_id}")
            out.end.append(end)
            rss = peak_rss_kib(pid) if pid else None
            if rss:
                out.rss_kib.append(rss)
        except TmuxError as exc:
            out.error = str(exc)
            break
        finally:
            run.kill()
    return out


def first_screen_race(tmux: Tmux, db: Database, path: Optional[Path], env: dict[str, str], repeat: int,
                      other: Optional[str] = None) -> dict[str, list[tuple[float, Optional[float]]]]:
    """deskapp and VisiData to their first row on screen, launched in turn so both see the same host.

    The host's speed drifts between runs (see docs/benchmarks.md); alternating the
    two programs launch by launch keeps that drift out of the comparison.
    `other` (a checkout's folder) adds a third program: deskapp with that
    checkout first on PYTHONPATH (the "before" of a change, in the same turns).
    `path` None (PostgreSQL) leaves VisiData out.
    (seconds, CPU seconds by then) per launch, per program.
    """
    vd = program("vd")
    desk_row = lambda sc: bool(queue_refs(sc))  # noqa: E731
    launches = [("deskapp", [*deskapp_command(), *AS_USER, "--db", db.url], env, desk_row)]
    if other:
        launches.append((f"deskapp from {other}", [*deskapp_command(), *AS_USER, "--db", db.url],
                         dict(env, PYTHONPATH=other), desk_row))
    if vd is not None and path is not None:
        launches.append(("VisiData", [vd, str(path), "+0:cases::"], env, lambda sc: bool(_VD_ROW.search(sc))))
    out: dict[str, list[tuple[float, Optional[float]]]] = {name: [] for name, *_ in launches}
    # One launch first, not counted: the first start after a rules change checks them in full
    # (measured apart by the full run), and both programs' files are then in the page cache.
    for name, command, run_env, shown in launches:
        run, started = tmux.launch(command, run_env, WIDTH, HEIGHT)
        try:
            run.wait_for(shown, started, 90, f"{name}'s first row")
        except TmuxError as exc:
            print(f"[first] warm-up {name}: {exc}", flush=True)
        finally:
            run.kill()
    for i in range(repeat):
        for name, command, run_env, shown in launches:
            run, started = tmux.launch(command, run_env, WIDTH, HEIGHT)
            try:
                first, _ = run.wait_for(shown, started, 90, f"{name}'s first row")
                pid = run.pid()
                out[name].append((first, cpu_seconds(pid) if pid else None))
                print(f"[first] {i + 1}: {name} {ms(first)}", flush=True)
            except TmuxError as exc:
                print(f"[first] {name}: {exc}", flush=True)
            finally:
                run.kill()
            time.sleep(0.3)
    return out


# --- the run ------------------------------------------------------------------------------------


def _series(values: list[Optional[float]]) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return "-"
    if len(got) == 1:
        return ms(got[0])
    return f"{ms(median(got))} ({ms(min(got))}-{ms(max(got))})"


def _met(value: Optional[float], target: float) -> Optional[bool]:
    return None if value is None else value <= target


def run_engine(label: str, tmux: Tmux, db: Database, env: dict[str, str], user: Optional[str], args,
               workdir: Path, results: dict[str, Any]) -> tuple[QueueFacts, list[Session], PilotFigures]:
    print(f"[{label}] reading the queue's ends in-process ...", flush=True)
    facts = queue_facts(db.url, user)
    print(f"[{label}] {facts.total:,} cases in the default queue (of {facts.all_cases:,}); "
          f"first {facts.first_ref}, last {facts.last_ref}; searches: {facts.surname!r}, {facts.middle_ref!r}",
          flush=True)
    # The first start after a rules file changes checks the rules in full before the screen opens
    # (deskapp.actions.opening); every later start takes the quick way. That start is measured once,
    # apart, with the note of checked rules removed; the repeats below are the everyday starts.
    shutil.rmtree(Path(env["DESKAPP_CACHE_DIR"]) / str(os.geteuid()) / "checked-policies", ignore_errors=True)
    careful = desk_in_tmux(tmux, db.url, env, facts, keys=False)
    FIRST_STARTS[label] = careful
    print(f"[{label}] first start after a rules change: first screen {ms(careful.first)} "
          f"(CPU {careful.first_cpu or 0:.2f} s){' ' + careful.error if careful.error else ''}", flush=True)
    sessions = []
    for i in range(args.repeat):
        s = desk_in_tmux(tmux, db.url, env, facts, keys=True)
        sessions.append(s)
        if s.error:
            print(f"[{label}] tmux run {i + 1}: {s.error}", flush=True)
        else:
            print(f"[{label}] tmux run {i + 1}: first screen {ms(s.first)} (CPU {s.first_cpu or 0:.2f} s), "
                  f"End {ms(s.end)}, PageDown {', '.join(ms(p) for p in s.page_down)}, filter {ms(s.filter)}, "
                  f"search {ms(s.search_name)} / {ms(s.search_ref)}, peak RSS {mb(s.rss_kib)}", flush=True)
    pilot = PilotFigures()
    if not args.no_pilot:
        print(f"[{label}] Pilot (in-process) ...", flush=True)
        pilot = pilot_figures(db.url, user, facts, workdir, max(1, min(args.repeat, 5)))
        if pilot.error:
            print(f"[{label}] Pilot: {pilot.error}", flush=True)
    results[label] = {
        "database": {"url": db.url, "cases": db.cases, "load_seconds": db.load_seconds,
                     "load_rss_kib": db.load_rss_kib, "size_bytes": db.size_bytes(), "note": db.load_note},
        "facts": facts.__dict__,
        "tmux": [s.__dict__ for s in sessions],
        "first_start_rules_checked": careful.__dict__,
        "pilot": pilot.__dict__,
    }
    return facts, sessions, pilot


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000, help="generated cases to load (default 1,000,000)")
    parser.add_argument("--db", metavar="URL", help="SQLite database to reuse (or to load and keep)")
    parser.add_argument("--pg", metavar="URL", help="also measure this PostgreSQL database (loaded if empty)")
    parser.add_argument("--user", help="handler to open the desk as, with `--as` (a demo desk allows it; "
                                       "default: your OS account)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite database")
    parser.add_argument("--repeat", type=int, default=5, help="launches per engine (default 5)")
    parser.add_argument("--keys", type=int, default=20, help="keystrokes per byte count (default 20)")
    parser.add_argument("--no-vd", action="store_true", help="skip VisiData")
    parser.add_argument("--no-pilot", action="store_true", help="skip the in-process (Pilot) figures")
    parser.add_argument("--no-policy", action="store_true", help="skip the policy evaluation figures")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    parser.add_argument("--only", choices=("all", "bytes", "first"), default="all",
                        help="'bytes': only the bytes-per-keystroke figures (pty), nothing in tmux; 'first': only "
                             "the first screen, deskapp and VisiData launched in turn (with --pg: PostgreSQL too) "
                             "(default all)")
    parser.add_argument("--against", metavar="CHECKOUT",
                        help="with --only first: also launch deskapp with this checkout first on PYTHONPATH, "
                             "in the same turns (a before/after on the same host)")
    parser.add_argument("--quick", action="store_true",
                        help="shorter waits and one PageDown per launch (smoke tests; figures less steady)")
    parser.add_argument("--patience", type=float, default=1.0, metavar="X",
                        help="multiply every wait's time limit by X (a loaded machine: a slow figure, "
                             "not a missing one; default 1)")
    args = parser.parse_args(argv)
    set_patience(args.patience)
    if args.quick:
        Pace.settle, Pace.key_quiet, Pace.first_quiet, Pace.page_downs = 0.2, 0.4, 0.8, 1
    if args.repeat < 1 or args.keys < 1 or args.cases < 0:
        parser.error("--repeat and --keys must be at least 1, --cases at least 0")

    workdir = Path(tempfile.mkdtemp(prefix="deskbench-"))
    env = clean_env(workdir, {"TERM": "xterm-256color"}, drop=("COLORTERM",))
    if args.user:
        AS_USER[:] = ["--as", args.user]
    if args.db:
        if not args.db.startswith("sqlite:///"):
            parser.error("--db must be a sqlite:/// URL (use --pg for PostgreSQL)")
        url, path = args.db, Path(args.db[len("sqlite:///"):])
    else:
        path = workdir / f"desk-{args.cases}.db"
        url = f"sqlite:///{path}"

    print(f"machine: {machine_description()}", flush=True)
    print(compile_bytecode(), flush=True)
    if args.against:
        print(compile_bytecode(Path(args.against) / "deskapp"), flush=True)
    results: dict[str, Any] = {"machine": machine_description(), "args": vars(args)}
    tmux = Tmux()
    try:
        sqlite_db = prepare(url, path, args.cases, env)
        print(f"[SQLite] {sqlite_db.cases:,} cases; {sqlite_db.load_note}", flush=True)
        if args.only == "bytes":
            byte_counts = measure_bytes(url, env, args.keys, results)
            table = bytes_table(byte_counts)
            print(f"\ndeskapp bytes per keystroke: {sqlite_db.cases:,} cases, terminal {WIDTH}x{HEIGHT}")
            print(f"machine: {machine_description()}\n")
            print(table)
            results["table"] = table
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=2, default=str))
            return 0
        if args.only == "first":
            races = {"SQLite": (sqlite_db, first_screen_race(tmux, sqlite_db, path, env, args.repeat, args.against))}
            if args.pg:
                pg_db = prepare(args.pg, None, args.cases, env)
                races["PostgreSQL"] = (pg_db, first_screen_race(tmux, pg_db, None, env, args.repeat, args.against))
            results["first_screen"] = races["SQLite"][1]
            if "PostgreSQL" in races:
                results["first_screen_pg"] = races["PostgreSQL"][1]
            for label, (db, race) in races.items():
                print(f"\n{label} first screen, whole process, {db.cases:,} cases, {WIDTH}x{HEIGHT}, "
                      f"launched in turn {args.repeat} times\nmachine: {machine_description()}\n")
                for name, runs in race.items():
                    walls = [w for w, _c in runs]
                    cpus = [c for _w, c in runs if c is not None]
                    print(f"  {name:20} {_series(walls):>22}   CPU by then {median(cpus) if cpus else 0:.2f} s")
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=2, default=str))
            return 0
        facts, sessions, pilot = run_engine("SQLite", tmux, sqlite_db, env, args.user, args, workdir, results)

        byte_counts = measure_bytes(url, env, args.keys, results)

        policy = (None, None, "skipped")
        if not args.no_policy:
            print("[policy] bench/policy_bench.py ...", flush=True)
            policy = policy_figures(repeat=100)
            results["policy"] = {"median_ms": policy[0], "slowest_kind_ms": policy[1]}

        pg = None
        if args.pg:
            pg_db = prepare(args.pg, None, args.cases, env)
            print(f"[PostgreSQL] {pg_db.cases:,} cases; {pg_db.load_note}", flush=True)
            pg = (pg_db, *run_engine("PostgreSQL", tmux, pg_db, env, args.user, args, workdir, results))

        vd = VdFigures(error="skipped (--no-vd)")
        if not args.no_vd:
            print("[VisiData] ...", flush=True)
            vd = visidata_figures(tmux, path, facts, env, max(1, min(args.repeat, 3)))
            if vd.error:
                print(f"[VisiData] {vd.error}", flush=True)
            results["visidata"] = vd.__dict__

        table = build_table(sqlite_db, sessions, pilot, byte_counts, policy, pg, vd)
        print()
        print(f"deskapp bench: {sqlite_db.cases:,} cases, terminal {WIDTH}x{HEIGHT}, "
              f"{args.repeat} launch(es) per engine")
        print(f"machine: {machine_description()}")
        print()
        print(table)
        results["table"] = table
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    finally:
        tmux.close()
        if args.db is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.db is None:
            print(f"\nkept the database: --db {url}")
    return 0


def measure_bytes(url: str, env: dict[str, str], keys: int, results: dict[str, Any]) -> dict[str, Bytes]:
    """Bytes per keystroke at 256 and 16 colours (recorded in `results["bytes"]`)."""
    byte_counts: dict[str, Bytes] = {}
    for term in ("xterm-256color", "xterm"):
        print(f"[bytes] TERM={term} ...", flush=True)
        byte_counts[term] = bytes_per_key(url, env, term, keys)
        if byte_counts[term].error:
            print(f"[bytes] {byte_counts[term].error}", flush=True)
    results["bytes"] = {t: b.__dict__ for t, b in byte_counts.items()}
    return byte_counts


def build_table(db: Database, sessions: list[Session], pilot: PilotFigures, byte_counts: dict[str, Bytes],
                policy, pg, vd: VdFigures) -> str:
    S, P, V = "deskapp SQLite", "deskapp PostgreSQL", "VisiData (SQLite)"
    figures: list[Figure] = []

    def add(name: str, target: str = "", met: Optional[bool] = None, note: str = "", **values: str) -> Figure:
        f = Figure(name, {}, target, met, note)
        for key, value in values.items():
            f.values[{"s": S, "p": P, "v": V}[key]] = value
        figures.append(f)
        return f

    pg_db, pg_facts, pg_sessions, pg_pilot = pg if pg else (None, None, [], PilotFigures())

    def load_text(d: Optional[Database]) -> str:
        if d is None:
            return ""
        size = human_bytes(d.size_bytes())
        if d.load_seconds is None:
            return f"{d.load_note}; {size}"
        return f"{ms(d.load_seconds)}, {size}, loader peak {mb(d.load_rss_kib)}"

    add(f"demo load ({db.cases:,} cases)", s=load_text(db), p=load_text(pg_db))

    def firsts(ss: list[Session]) -> list[Optional[float]]:
        return [s.first for s in ss]

    first_med = median(firsts(sessions))
    vd_first = median(vd.first)
    faster = None if vd_first is None or first_med is None else first_med < vd_first
    add("first screen, whole process (tmux)", f"<= {TARGET_FIRST:.1f} s and < VisiData",
        None if first_med is None else (first_med <= TARGET_FIRST and faster is not False),
        s=_series(firsts(sessions)), p=_series(firsts(pg_sessions)), v=_series(vd.first))
    firsts_ever = {k: FIRST_STARTS.get(k) for k in ("SQLite", "PostgreSQL")}
    add("  first start after a rules change (rules checked in full first)",
        s=ms(getattr(firsts_ever["SQLite"], "first", None)), p=ms(getattr(firsts_ever["PostgreSQL"], "first", None)))
    add("  CPU used by then (process)", s=_series([s.first_cpu for s in sessions]),
        p=_series([s.first_cpu for s in pg_sessions]), v=_series(vd.first_cpu))
    add("  screen settled (case + advice panes)", s=_series([s.settled for s in sessions]),
        p=_series([s.settled for s in pg_sessions]))
    add("  in-process: app start -> rows (Pilot)", s=ms(pilot.mount_to_rows), p=ms(pg_pilot.mount_to_rows))
    if vd.loaded:
        add("  VisiData: whole table loaded", v=_series(vd.loaded))

    def key_row(name: str, attr: str, target: float, pilot_attr: str) -> None:
        def vals(ss):
            out = []
            for s in ss:
                v = getattr(s, attr)
                out.extend(v if isinstance(v, list) else [v])
            return out

        tm = median(vals(sessions))
        add(f"{name} (tmux)", f"<= {target * 1000:.0f} ms", _met(tm, target),
            s=_series(vals(sessions)), p=_series(vals(pg_sessions)),
            **({"v": _series(vd.end)} if attr == "end" and vd.end else {}))
        pl = getattr(pilot, pilot_attr)
        add(f"{name} (in-process, Pilot)", f"<= {target * 1000:.0f} ms", _met(median(pl), target),
            s=_series(pl), p=_series(getattr(pg_pilot, pilot_attr)))

    key_row("End", "end", TARGET_KEY, "end")
    key_row("PageDown", "page_down", TARGET_KEY, "page_down")
    key_row("filter: overdue", "filter", TARGET_KEY, "filter")
    key_row("search: a surname", "search_name", TARGET_SEARCH, "search_name")
    key_row("search: a ref", "search_ref", TARGET_SEARCH, "search_ref")

    rss = [s.rss_kib for s in sessions if s.rss_kib]
    worst = max(rss) if rss else None
    add("peak RSS of the process (max of runs)", f"<= {TARGET_RSS_KIB // 1024} MB", _met(worst, TARGET_RSS_KIB),
        s=mb(worst), p=mb(max([s.rss_kib for s in pg_sessions if s.rss_kib], default=None)),
        v=mb(max(vd.rss_kib, default=None)))

    byte_figures(add, byte_counts)
    med, slowest, _raw = policy
    if med is not None:
        add("policy evaluate() per action, default pack (CPU)",
            s=f"{med:.3f} ms (slowest kind {slowest:.3f} ms)" if slowest else f"{med:.3f} ms")
    errors = [s.error for s in [*sessions, *pg_sessions] if s.error] + [e for e in (pilot.error, pg_pilot.error)
                                                                                if e]
    errors += [b.error for b in byte_counts.values() if b.error]
    text = render_table(figures, [S, P, V]) + "\n\n" + goals_line(figures)
    if errors:
        text += "\n\nproblems:\n" + "\n".join("- " + e.splitlines()[0] for e in errors)
    return text


def byte_figures(add: Callable[..., Figure], byte_counts: dict[str, Bytes]) -> None:
    """The bytes-per-keystroke rows (SQLite column) of the table."""
    b256, b16 = byte_counts.get("xterm-256color", Bytes()), byte_counts.get("xterm", Bytes())

    def bb(v: Optional[float]) -> str:
        return "-" if v is None else f"{v:,.0f} B"

    def cpu(v: Optional[float]) -> str:
        return "-" if v is None or math.isnan(v) else f"{v * 1000:.0f} ms"

    add("bytes per cursor move, 256 colours: redraw / total (median, most)", f"<= {TARGET_BYTES_MOVE:,} B",
        _met(b256.move_total, TARGET_BYTES_MOVE),
        s=f"{bb(b256.move_redraw)} / {bb(b256.move_total)}, {bb(b256.move_total_max)}")
    add("bytes per cursor move, 16 colours: redraw / total (median, most)", f"<= {TARGET_BYTES_MOVE:,} B",
        _met(b16.move_total, TARGET_BYTES_MOVE),
        s=f"{bb(b16.move_redraw)} / {bb(b16.move_total)}, {bb(b16.move_total_max)}")
    add(f"bytes per move, Down held (every {HELD_INTERVAL * 1000:.0f} ms) from the top, 256 / 16 colours", f"<= {TARGET_BYTES_MOVE:,} B",
        _met(b256.held_move, TARGET_BYTES_MOVE), s=f"{bb(b256.held_move)} / {bb(b16.held_move)}")
    add(f"bytes per move, Down held {HELD_LONG} times (queue scrolls), 256 / 16 colours",
        s=f"{bb(b256.held_long)} / {bb(b16.held_long)}")
    add(f"CPU per cursor move (process), single / held / held {HELD_LONG}, 256 colours",
        s=f"{cpu(b256.move_cpu)} / {cpu(b256.held_cpu)} / {cpu(b256.held_long_cpu)}")
    add("bytes per PageDown, 256 colours: redraw / total", s=f"{bb(b256.page_redraw)} / {bb(b256.page_total)}")
    add("bytes per PageDown, 16 colours: redraw / total", s=f"{bb(b16.page_redraw)} / {bb(b16.page_total)}")
    add("bytes for the first screen, 256 / 16 colours",
        s=f"{bb(b256.first_screen)} / {bb(b16.first_screen)}")


def bytes_table(byte_counts: dict[str, Bytes]) -> str:
    """The table for `--only bytes`: just the bytes-per-keystroke rows."""
    figures: list[Figure] = []

    def add(name: str, target: str = "", met: Optional[bool] = None, note: str = "", **values: str) -> Figure:
        f = Figure(name, {"deskapp SQLite": values["s"]} if "s" in values else {}, target, met, note)
        figures.append(f)
        return f

    byte_figures(add, byte_counts)
    text = render_table(figures, ["deskapp SQLite"]) + "\n\n" + goals_line(figures)
    errors = [b.error for b in byte_counts.values() if b.error]
    if errors:
        text += "\n\nproblems:\n" + "\n".join("- " + e.splitlines()[0] for e in errors)
    return text


if __name__ == "__main__":
    raise SystemExit(main())
