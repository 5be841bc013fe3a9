"""Where does the desk's start-up time go? A timeline of wall and CPU time to the first rows on screen.

Runs the real `deskapp` in tmux (as desk_bench.py does) but through this
script, which marks the moments that matter - the quick first-page read
starting, Textual imported, the first page in (or the careful open_desk), the
main screen mounted, the queue's count and rows, the first frame showing them,
and the rest of the desk opening behind it - and writes them to a file that is
printed afterwards. `--careful` traces the first start after a rules change
(the rules are checked in full before the screen opens). Use it after desk_bench.py
says the first screen is slow, to see which step to make cheaper.

    python bench/startup_trace.py --db sqlite:////path/desk.db [--repeat 3] [--careful]

Inside the traced process this file is imported as the entry point (`--child`),
so the marks cost nothing the real desk does not pay.
"""

from __future__ import annotations

import time

_T0_WALL, _T0_CPU = time.perf_counter(), time.process_time()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MARKS: list[tuple[str, float, float]] = []


def mark(name: str) -> None:
    MARKS.append((name, time.perf_counter() - _T0_WALL, time.process_time() - _T0_CPU))


def _child(argv: list[str], out: Path) -> int:
    """The traced desk: deskapp.cli.main with marks patched in around the steps of a start-up."""
    mark("interpreter up, trace imported")
    import deskapp.cli as cli

    mark("import deskapp.cli")
    from deskapp.actions import opening

    mark("import deskapp.actions.opening")
    real_start, real_result, real_careful = opening.start, opening.Opening.result, opening.open_carefully

    def start(*a, **kw):
        found = real_start(*a, **kw)
        mark("first page: sqlite3 read started (thread)" if found.known_good
             else "rules not checked before: careful way")
        return found

    def result(self):
        mark("import deskapp.tui.app (Textual)")
        found = real_result(self)
        mark("first page read (quick way)" if found is not None else "quick way not possible")
        return found

    def open_carefully(*a, **kw):
        desk = real_careful(*a, **kw)
        mark("open_desk before the screen (careful way)")
        return desk

    opening.start, opening.Opening.result, opening.open_carefully = start, result, open_carefully
    from deskapp.tui.app import DeskApp
    from deskapp.tui.screens.main import MainScreen
    from deskapp.tui.widgets.queue_view import QueueView

    real_mount = MainScreen.on_mount

    def on_mount(self):
        mark("main screen mounted")
        return real_mount(self)

    MainScreen.on_mount = on_mount
    real_ready = QueueView.on_queue_view__ready

    def on_ready(self, message):
        mark(f"queue count + first rows in ({message.total:,} cases)")
        return real_ready(self, message)

    QueueView.on_queue_view__ready = on_ready
    real_display = DeskApp._display
    state = {"painted": False}

    def display(self, screen, renderable):
        result = real_display(self, screen, renderable)
        if renderable is not None and not state["painted"]:
            view = None
            try:
                view = self.screen.query_one(QueueView)
            except Exception:  # noqa: BLE001 - not mounted yet
                pass
            if view is not None and view.total:
                state["painted"] = True
                mark("first frame with rows written to the terminal")
                out.write_text(json.dumps(MARKS))
                if not self.desk_pending:
                    mark("desk open (it opened before the screen)")
                    out.write_text(json.dumps(MARKS))
            elif len(MARKS) and MARKS[-1][0] != "a frame (no rows yet)":
                mark("a frame (no rows yet)")
        return result

    DeskApp._display = display
    real_opened = DeskApp.on_desk_app_desk_opened

    def opened(self, message):
        result = real_opened(self, message)
        mark("rest of the desk open (ORM, rules, live updates)")
        out.write_text(json.dumps(MARKS))
        return result

    DeskApp.on_desk_app_desk_opened = opened
    return int(cli.main(argv) or 0)


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        out = Path(sys.argv[2])
        try:
            return _child(sys.argv[3:], out)
        finally:
            if not out.exists():
                out.write_text(json.dumps(MARKS))

    sys.path.append(str(ROOT))
    from bench.common import Tmux, clean_env  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, metavar="URL")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--careful", action="store_true",
                        help="trace the first start after a rules change (rules checked in full before the "
                             "screen) instead of an everyday start")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="deskbench-trace-"))
    env = clean_env(workdir, {"TERM": "xterm-256color"}, drop=("COLORTERM",))
    if not args.careful:
        # An everyday start: the rules file has passed its full check before (deskapp.actions.opening).
        os.environ["DESKAPP_CACHE_DIR"] = env["DESKAPP_CACHE_DIR"]
        from deskapp.actions.opening import open_carefully  # noqa: PLC0415

        open_carefully(args.db, None).close()
    tmux = Tmux(f"desktrace-{os.getpid()}")
    runs: list[list] = []
    try:
        for i in range(args.repeat):
            out = workdir / f"trace{i}.json"
            run, started = tmux.launch([sys.executable, str(Path(__file__).resolve()), "--child", str(out),
                                        "--db", args.db], env)
            deadline = time.perf_counter() + 90
            while time.perf_counter() < deadline and not (out.exists() and "desk open" in out.read_text()):
                time.sleep(0.05)
            launch_to_t0 = None
            run.keys("q")
            time.sleep(0.5)
            run.kill()
            if out.exists():
                runs.append(json.loads(out.read_text()))
            del launch_to_t0, started
    finally:
        tmux.close()
    if not runs:
        print("no trace written: did the desk start? (try the same --db with `deskapp`)")
        return 1
    # Median per mark over the runs (marks are the same in each run).
    names = [m[0] for m in runs[0]]
    print(f"{'step':52} {'wall (s)':>9} {'CPU (s)':>8}   (median of {len(runs)}, since the interpreter "
          "started running this script)")
    for i, name in enumerate(names):
        walls = sorted(r[i][1] for r in runs if len(r) > i and r[i][0] == name)
        cpus = sorted(r[i][2] for r in runs if len(r) > i and r[i][0] == name)
        if walls:
            print(f"{name:52} {walls[len(walls) // 2]:9.3f} {cpus[len(cpus) // 2]:8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
