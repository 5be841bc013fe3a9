"""How long does `deskapp audit verify` take on 1M cases and 2M audit events, and how much memory? (goal: < 60 s, < 300 MB)

Builds the desk if needed: `deskapp demo --cases N` (which records a digest of
every row it writes), then appends audit events until the log holds
`--events` of them. Each added event records the digest of one contact, as a
handler's note or call would, so the log is the shape a worked desk has:
most events carry one or two row digests. Then runs the real command in a
subprocess and reports its wall time and peak RSS (getrusage of the child).

    python bench/audit_verify.py                               # temp 1M/2M SQLite desk, removed afterwards
    python bench/audit_verify.py --db sqlite:////work/bench/verify1m.db     # build there once, reuse later
    python bench/audit_verify.py --cases 2000 --events 5000 --json out.json   # the smoke test's size
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The children (deskapp demo, deskapp audit verify) run this checkout's deskapp too.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))

from bench.common import count, load_demo  # noqa: E402


def add_events(url: str, wanted: int, batch: int = 20_000) -> tuple[int, float]:
    """Append events (one contact's digest each) until the log holds `wanted`; one transaction a batch."""
    from deskapp.actions.audit import append_bulk
    from deskapp.store.bulk import BulkWriter
    from deskapp.store.engine import connect
    from deskapp.store.rowdigests import live_digests

    have = count(url, "audit_events")
    if have >= wanted:
        return 0, 0.0
    started = time.perf_counter()
    engine = connect(url)
    added = 0
    at = datetime(2026, 3, 10, 18, 0)
    try:
        with engine.connect() as reader:
            rows = live_digests(reader, "contacts")
            while have + added < wanted:
                events = []
                for row_id, digest, case_id, _tomb in rows:
                    at += timedelta(seconds=1)
                    events.append({"at": at, "actor": "sam", "case_id": case_id, "action": "note",
                                   "detail": {"bench": True}, "rows": [("contacts", row_id, digest)]})
                    if len(events) >= min(batch, wanted - have - added):
                        break
                if not events:
                    rows = live_digests(reader, "contacts")  # more events than contacts: record them again
                    continue
                with engine.connect() as conn:
                    with conn.begin():
                        added += append_bulk(conn, BulkWriter(conn), events)
    finally:
        engine.dispose()
    return added, time.perf_counter() - started


def run_verify(url: str) -> tuple[int, float, int, str, float]:
    """(exit code, seconds, peak RSS KiB, output, CPU seconds) of `deskapp audit verify` in a child process.

    Peak RSS is the largest single process (verify checks a big desk's rows in a second process,
    of about the same size: the two together hold about twice it). CPU seconds add both, user and
    system: on a shared machine they say more than the wall time does.
    """
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = usage.ru_maxrss
    cpu_before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "deskapp", "audit", "verify", "--db", url],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss
    if peak <= before:
        peak = -1  # an earlier, bigger child (the demo load) hides this one's peak: measure it alone
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    return proc.returncode, seconds, peak, (proc.stdout + proc.stderr).strip(), cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL to use (built there if it holds no cases, kept)")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)

    temp = None
    url = args.db
    if url is None:
        temp = tempfile.TemporaryDirectory(prefix="deskapp-verify-bench-")
        url = f"sqlite:///{Path(temp.name) / 'desk.db'}"
    figures: dict = {"url": url}
    try:
        if count(url, "cases") == 0:
            print(f"loading the demo: {args.cases:,} cases into {url} …", flush=True)
            figures["demo_seconds"] = round(load_demo(url, args.cases), 1)
        added, seconds = add_events(url, args.events)
        if added:
            print(f"added {added:,} audit events in {seconds:.1f} s", flush=True)
        figures.update(cases=count(url, "cases"), events=count(url, "audit_events"),
                       row_digests=count(url, "audit_rows"))
        # Measured in a fresh child of a fresh process, so the load's memory cannot mask the verify's peak.
        probe = subprocess.run([sys.executable, __file__, "--measure-only", url], capture_output=True, text=True)
        if probe.returncode != 0:
            sys.exit(probe.stderr.strip() or "measuring failed")
        figures.update(json.loads(probe.stdout))
    finally:
        if temp is not None:
            temp.cleanup()
    print(f"deskapp audit verify: {figures['cases']:,} cases, {figures['events']:,} events, "
          f"{figures['row_digests']:,} row digests")
    print(f"  exit {figures['exit']}, {figures['seconds']:.1f} s wall, {figures['cpu_seconds']:.1f} s CPU, "
          f"peak RSS {figures['peak_rss_kib'] / 1024:.0f} MB a process (goal: < 60 s, < 300 MB)")
    print(f"  machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for line in figures["output"].splitlines()[:6]:
        print(f"    {line}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0 if figures["exit"] == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure-only":
        code, seconds, peak, output, cpu = run_verify(sys.argv[2])
        print(json.dumps({"exit": code, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                          "peak_rss_kib": peak, "output": output}))
        sys.exit(0)
    sys.exit(main())
