"""Queue and search figures straight from deskapp.store (no terminal): what the queue widget waits for.

    python bench/queue_bench.py --db sqlite:////tmp/q1m.db [--rebuild-search] [--repeat 5]

Build the database first with `deskapp demo --cases 1000000 --db sqlite:////tmp/q1m.db`.
Every figure is the median of --repeat runs, each on a fresh Queue (empty page
cache, as after a filter change), measured in this process:

  first screen   count() + the first 40 rows       (what a filter change waits for)
  PageDown       the next 40 rows across a page boundary
  End            the last 40 rows (count known)
  PageUp at end  the 40 rows before those
  jump 73%       40 rows at 73% with no cached page near (scrollbar drag)
  index_of       position of a case in the middle (set_query keeping the cursor)

Whole-process figures (launch to first screen in a real terminal, bytes per
keystroke, RSS) are bench/desk_bench.py's job.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deskapp.store import search  # noqa: E402
from deskapp.store.engine import connect  # noqa: E402
from deskapp.store.queue import Queue, QueueFilter  # noqa: E402

SCREEN = 40


def timed(fn: Callable[..., object], *args: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args)
    return (time.perf_counter() - start) * 1000, result


def first_screen(queue: Queue) -> object:
    """What a filter change waits for: the count, then the first screen of rows."""
    queue.count()
    return queue.rows(0, SCREEN)


def median_ms(runs: list[float]) -> str:
    return f"{statistics.median(runs):8.1f}"


def queue_figures(engine, flt: QueueFilter, sort: str, now, repeat: int, full: bool) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}

    def note(name: str, ms: float) -> None:
        out.setdefault(name, []).append(ms)

    for _ in range(repeat):
        q = Queue(engine, flt, sort, now)
        ms, _rows = timed(first_screen, q)
        note("first screen", ms)
        total = q.count()
        note("count", 0.0)
        out["count"][-1] = total
        if total <= SCREEN or not full:
            continue
        q.rows(0, 100)
        note("PageDown", timed(q.rows, 100, 100 + SCREEN)[0])
        q2 = Queue(engine, flt, sort, now)
        q2.count()
        note("End", timed(q2.rows, total - SCREEN, total)[0])
        note("PageUp at end", timed(q2.rows, total - 2 * SCREEN - 60, total - SCREEN - 60)[0])
        q3 = Queue(engine, flt, sort, now)
        q3.count()
        at = int(total * 0.73)
        note("jump 73%", timed(q3.rows, at, at + SCREEN)[0])
        middle = q3.rows(total // 2, total // 2 + 1)[0].id
        q4 = Queue(engine, flt, sort, now)
        q4.count()
        note("index_of", timed(q4.index_of, middle)[0])
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite:////tmp/q1m.db")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebuild-search", action="store_true", help="rebuild the search index first (timed)")
    parser.add_argument("--me", default=None, help="handler for the 'mine' filter (default: most open cases)")
    args = parser.parse_args(argv)

    engine = connect(args.db)
    with engine.connect() as conn:
        cases = conn.exec_driver_sql("SELECT count(*) FROM cases").scalar_one()
        me = args.me or conn.exec_driver_sql(
            "SELECT h.username FROM cases c JOIN handlers h ON h.id = c.assigned_to_id "
            "WHERE c.status != 'closed' GROUP BY h.username ORDER BY count(*) DESC LIMIT 1").scalar()
        category = conn.exec_driver_sql(
            "SELECT category FROM cases GROUP BY category ORDER BY count(*) DESC LIMIT 1 OFFSET 3").scalar()
        surname = conn.exec_driver_sql("SELECT name FROM parties ORDER BY id LIMIT 1 OFFSET 5000").scalar()
        some_ref = conn.exec_driver_sql("SELECT ref FROM cases ORDER BY id LIMIT 1 OFFSET 654321").scalar() \
            or "C-1001"
        from datetime import datetime
        now = datetime.now().replace(microsecond=0)
    print(f"database {args.db}: {cases:,} cases; medians of {args.repeat} runs, ms\n")

    if args.rebuild_search:
        ms, n = timed(lambda: search.rebuild(engine))
        print(f"search.rebuild: {n:,} cases in {ms / 1000:.1f} s\n")

    cols = ["first screen", "PageDown", "End", "PageUp at end", "jump 73%", "index_of"]
    print(f"{'queue':44} {'rows':>9} " + " ".join(f"{c:>13}" for c in cols))

    def row(label: str, flt: QueueFilter, sort: str = "due", full: bool = True) -> None:
        figures = queue_figures(engine, flt, sort, now, args.repeat, full)
        total = int(figures["count"][-1])
        cells = [median_ms(figures[c]).rjust(13) if c in figures else " " * 13 for c in cols]
        print(f"{label[:44]:44} {total:>9,} " + " ".join(cells))

    row("open cases, by due date (the default)", QueueFilter())
    for sort in ("priority", "received", "ref"):
        row(f"open cases, by {sort}", QueueFilter(), sort)
    row("all cases, by due date", QueueFilter(open_only=False))
    row(f"mine ({me})", QueueFilter(mine=me))
    row("overdue", QueueFilter(overdue=True))
    row("due soon", QueueFilter(due_soon=True))
    row("status investigating", QueueFilter(statuses=("investigating",)))
    row("status new or acknowledged, by priority", QueueFilter(statuses=("new", "acknowledged")), "priority")
    row("kind complaint", QueueFilter(kinds=("complaint",)))
    row(f"category {category}", QueueFilter(category=category))
    row("mine + overdue, by received", QueueFilter(mine=me, overdue=True), "received")
    row(f"category {category}, by ref", QueueFilter(category=category), "ref")
    row("kind enquiry + due soon, by priority", QueueFilter(kinds=("enquiry",), due_soon=True), "priority")
    row("closed, newest first", QueueFilter(statuses=("closed",)), "received")

    print(f"\n{'search (first screen: hits + count + 40 rows)':60} {'rows':>7} {'ms':>9}"
          f" {'desk rows':>10} {'desk ms':>9}")
    first_name = (surname or "Smith").split()[0]
    last_name = (surname or "Smith").split()[-1]
    for label, text, flt in [
        ("exact ref", some_ref, QueueFilter(open_only=False)),
        ("surname", last_name, QueueFilter(open_only=False)),
        ("first and last name", f"{first_name} {last_name}", QueueFilter(open_only=False)),
        ("prefix of a surname", last_name[:4], QueueFilter(open_only=False)),
        ("common word", "bins", QueueFilter(open_only=False)),
        ("two common words, open only", "missed collection", QueueFilter()),
        ("no match", "zzqxv", QueueFilter(open_only=False)),
        ("hostile syntax", '"NEAR(a b)" OR * ^x {ref}: -', QueueFilter(open_only=False)),
    ]:
        # "desk": as the desk searches (deskapp.store.queue.query_from_filters): every status,
        # closed cases ranked after open ones.
        desk = QueueFilter(**{**flt.__dict__, "open_only": False, "closed_last": True})
        cells = []
        for searched in (flt, desk):
            runs = []
            for _ in range(args.repeat):
                q = Queue(engine, QueueFilter(**{**searched.__dict__, "search": text}), "relevance", now)
                ms, _ = timed(first_screen, q)
                runs.append(ms)
            more = "+" if q.truncated else " "
            cells.append(f"{q.count():>6,}{more} {median_ms(runs)}")
        print(f"{label + ': ' + text[:30]:60} {cells[0]} {cells[1]:>20}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
