"""How long does `deskapp demo --cases 1000000` take, and how big is the result? (target: under 60 s on SQLite)

Runs the real command in a subprocess against a fresh SQLite file in a temp
folder, and against PostgreSQL too when a URL is given (in a new schema that
is dropped afterwards), then prints wall time, rows and database size.

    python bench/demo_load.py [--cases N] [--seed S] [--pg postgresql://postgres@127.0.0.1:5432/test] [--keep]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TABLES = ("cases", "persons", "parties", "contacts", "appointments")


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit in ("B", "KB") else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GB"


def run_demo(url: str, cases: int, seed: int) -> float:
    env = dict(os.environ)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "deskapp", "demo", "--cases", str(cases), "--seed", str(seed),
         "--today", "2026-03-10", "--db", url],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"deskapp demo failed ({proc.returncode}): {proc.stderr.strip()}")
    for line in proc.stdout.strip().splitlines():
        print(f"    {line}")
    return elapsed


def counts(url: str) -> dict[str, int]:
    from deskapp.store.engine import connect

    engine = connect(url)
    try:
        with engine.connect() as conn:
            return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one() for t in TABLES}
    finally:
        engine.dispose()


def bench_sqlite(cases: int, seed: int, keep: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="deskapp-bench-"))
    path = folder / "demo.db"
    url = f"sqlite:///{path}"
    print(f"SQLite  {url}")
    elapsed = run_demo(url, cases, seed)
    size = sum(p.stat().st_size for p in folder.iterdir() if p.name.startswith("demo.db"))
    rows = counts(url)
    print(f"  deskapp demo --cases {cases:,}: {elapsed:.1f} s wall (whole command, start-up included)")
    print("  rows: " + ", ".join(f"{t} {n:,}" for t, n in rows.items()))
    print(f"  database size: {human(size)}")
    if keep:
        print(f"  kept: {path}")
    else:
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()


def bench_postgres(base: str, cases: int, seed: int, keep: bool) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    from deskapp.store.engine import masked

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    plain = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)
    print(f"PostgreSQL  {masked(url)}")
    try:
        elapsed = run_demo(url, cases, seed)
        rows = counts(url)
        with psycopg.connect(plain, autocommit=True) as conn:
            size = conn.execute(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
                (schema,),
            ).fetchone()[0]
        print(f"  deskapp demo --cases {cases:,}: {elapsed:.1f} s wall (whole command, start-up included)")
        print("  rows: " + ", ".join(f"{t} {n:,}" for t, n in rows.items()))
        print(f"  database size (schema {schema}, tables + indexes): {human(size)}")
    finally:
        if keep:
            print(f"  kept schema: {schema}")
        else:
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", metavar="URL", default=None, help="also load into PostgreSQL (a fresh schema)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--keep", action="store_true", help="keep the database(s) afterwards")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    if not args.no_sqlite:
        bench_sqlite(args.cases, args.seed, args.keep)
    if args.pg:
        bench_postgres(args.pg, args.cases, args.seed, args.keep)


if __name__ == "__main__":
    main()
