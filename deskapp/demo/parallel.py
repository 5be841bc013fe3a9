"""Make a big SQLite demo load on every core: worker processes write chunks to staging files.

Binding a million Python tuples to SQLite costs more than the inserts
themselves, and only one connection may write the desk's database. So for a
big load each chunk of generated cases (demo_generator) is made by a worker
process into its own small staging database, and the loading connection
copies it in with INSERT ... SELECT, which runs entirely inside SQLite (the SQL of
both sides is deskapp.store.bulk's). The
rows are exactly those the single-process path writes (same chunks, same
random streams); only party, contact and appointment ids are shifted by the
copy, since a worker cannot know how many rows the chunks before it made.

SQLite allows ATTACH only outside a transaction, so the staging files are
attached (still empty) before the load's transaction begins and detached
after it ends. Used only where processes can be forked (Linux, macOS), with
more than one CPU and more than one chunk; otherwise the demo makes the rows
itself.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import Connection

from deskapp.store import bulk
from deskapp.store.bulk import BulkWriter
from deskapp.demo.generator import APPOINTMENT_COLS, CASE_COLS, CONTACT_COLS, PARTY_COLS, PERSON_COLS, chunks

MAX_WORKERS = 4
TABLES = (("cases", CASE_COLS), ("persons", PERSON_COLS), ("parties", PARTY_COLS), ("contacts", CONTACT_COLS),
          ("appointments", APPOINTMENT_COLS))


def _workers(cases: int) -> int:
    """How many worker processes to use; 0 means make the rows in this process."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if threading.active_count() > 1:  # forking a process that runs threads is not safe
        return 0
    count = min(os.cpu_count() or 1, len(chunks(cases)), MAX_WORKERS)
    return count if count > 1 else 0


def _stage(path: str, cases: int, seed: int, k: int, today: date, ids: dict[str, int], me: str,
           policies: str, first_case_id: int) -> dict[str, int]:
    """Worker: write chunk k into the staging database at `path`; returns rows per table."""
    from deskapp.policy import load_policies
    from deskapp.demo.deadlines import due_dates
    from deskapp.demo.generator import generate_chunk

    due = due_dates(load_policies(policies))
    next_ids = {"cases": first_case_id, "parties": 1, "contacts": 1, "appointments": 1}
    batches = ((batch.cases, batch.persons, batch.parties, batch.contacts, batch.appointments)
               for batch in generate_chunk(cases, seed, k, today, ids, me, due, next_ids))
    return bulk.stage_rows(path, TABLES, batches)


class Staging:
    """The staging files of one load, attached to the loading connection as s0, s1, ..."""

    def __init__(self, conn: Connection, folder: Path, cases: int, seed: int, today: date, me: str,
                 policies: Path, workers: int):
        self.conn, self.folder = conn, folder
        self.cases, self.seed, self.today, self.me, self.workers = cases, seed, today, me, workers
        self.policies = str(policies)
        self.paths = [folder / f"chunk{k}.db" for k in range(len(chunks(cases)))]

    def copy_all(self, writer: BulkWriter, next_ids: dict[str, int], ids: dict[str, int]) -> None:
        """Have the workers make every chunk; copy each in, in order, as soon as it is ready."""
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=context) as pool:
            first_case_id = next_ids["cases"]
            futures: list[Future] = [
                pool.submit(_stage, str(path), self.cases, self.seed, k, self.today, ids, self.me,
                            self.policies, first_case_id + start)
                for k, (path, (start, _stop)) in enumerate(zip(self.paths, chunks(self.cases)))
            ]
            try:
                for k, future in enumerate(futures):
                    counts = future.result()
                    self._copy(k, writer, next_ids, counts)
                    self.paths[k].unlink()  # free the space now; the attachment goes at the end
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def _copy(self, k: int, writer: BulkWriter, next_ids: dict[str, int], counts: dict[str, int]) -> None:
        shift = {table: next_ids[table] - 1 for table in ("parties", "contacts", "appointments")}
        moved = {
            "cases": {},
            "persons": {"id": shift["parties"]},  # a generated person has its party's id
            "parties": {"id": shift["parties"], "person_id": shift["parties"]},
            "contacts": {"id": shift["contacts"], "party_id": shift["parties"]},
            "appointments": {"id": shift["appointments"], "party_id": shift["parties"]},
        }
        for table, cols in TABLES:
            bulk.copy_staged(self.conn, f"s{k}", table, cols, moved[table])
            writer.counts[table] = writer.counts.get(table, 0) + counts[table]
        next_ids["cases"] += counts["cases"]
        for table in shift:
            next_ids[table] += counts[table]


@contextmanager
def staging_for(conn: Connection, cases: int, seed: int, today: date, me: str,
                policies: Path) -> Iterator[Optional[Staging]]:
    """Staging files for a parallel load, attached to `conn`; None when the load should stay in-process.

    Call before the load's transaction begins; the files are detached and
    deleted when the block ends (after the transaction).
    """
    workers = _workers(cases) if conn.dialect.name == "sqlite" else 0
    if not workers:
        yield None
        return
    # Beside the database when it is a file: that disk has room for it, a small /tmp may not.
    database = conn.engine.url.database
    near = Path(database).expanduser().resolve().parent if database and database != ":memory:" else None
    folder = Path(tempfile.mkdtemp(prefix="deskapp-demo-", dir=near))
    staging = Staging(conn, folder, cases, seed, today, me, policies, workers)
    attached: list[int] = []
    try:
        for k, path in enumerate(staging.paths):
            bulk.attach(conn, str(path), f"s{k}")
            attached.append(k)
        conn.commit()  # end the (empty) transaction SQLAlchemy began around the ATTACHes
        yield staging
    finally:
        for k in attached:
            try:
                bulk.detach(conn, f"s{k}")
            except Exception:  # the connection is unusable after a failure; the folder still goes
                pass
        shutil.rmtree(folder, ignore_errors=True)
