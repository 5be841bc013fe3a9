"""Where does the desk's start-up time go? A timeline of wall and CPU time to the first rows on screen.

Runs the real `deskapp` in tmux (as desk_bench.py does) but through this
script, which marks the moments that matter - imports done, argument parsing,
open_desk (schema check, rules, handler), the app object, the main screen
mounted, the queue's first count and rows, the first frame showing them - and
writes them to a file that is printed afterwards. Use it after desk_bench.py
says the first screen is slow, to see which step to make cheaper.

    python bench/startup_trace.py --db sqlite:////path/desk.db [--repeat 3]

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
    parser = cli.build_parser()
    mark("build_parser (subcommand modules imported)")

    from deskapp.actions import desk as desk_module

    mark("import deskapp.actions")
    from deskapp.tui.app import DeskApp

    mark("import deskapp.tui.app (Textual)")
    from deskapp.tui.screens.main import MainScreen
    from deskapp.tui.widgets.queue_view import QueueView

    mark("import main screen + queue view")

    real_open = desk_module.open_desk

    def open_desk(*a, **kw):
        desk = real_open(*a, **kw)
        mark("open_desk (connect, schema, rules, handler)")
        return desk

    desk_module.open_desk = open_desk
    import deskapp.actions as actions

    actions.open_desk = open_desk

    real_mount = MainScreen.on_mount

    def on_mount(self):
        mark("main screen mounted")
        return real_mount(self)

    MainScreen.on_mount = on_mount
    real_ready = QueueView.on_queue_view__ready

    def on_ready(self, message):
        mark(f"queue count + first rows read ({message.total:,} cases)")
        return real_ready(self, message)

    QueueView.on_queue_view__ready = on_ready
    real_display = DeskApp._display
    state = {"rows_ready": False, "painted": False}

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
            elif len(MARKS) and MARKS[-1][0] != "a frame (no rows yet)":
                mark("a frame (no rows yet)")
        return result

    DeskApp._display = display
    args = parser.parse_args(argv)
    for name in ("db", "policies"):
        if not hasattr(args, name):
            setattr(args, name, None)
    return int(args.func(args) or 0)


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
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="deskbench-trace-"))
    env = clean_env(workdir, {"TERM": "xterm-256color"}, drop=("COLORTERM",))
    tmux = Tmux(f"desktrace-{os.getpid()}")
    runs: list[list] = []
    try:
        for i in range(args.repeat):
            out = workdir / f"trace{i}.json"
            run, started = tmux.launch([sys.executable, str(Path(__file__).resolve()), "--child", str(out),
                                        "--db", args.db], env)
            deadline = time.perf_counter() + 90
            while time.perf_counter() < deadline and not out.exists():
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
