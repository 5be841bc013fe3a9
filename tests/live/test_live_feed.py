"""The change feed: every committed change reaches other desks, once, in order, within 2 s."""

from __future__ import annotations

import queue
import random
import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlmodel import Session

from deskapp.store import changes as changes_mod
from deskapp.store.changes import latest_id, prune, read_since, record
from deskapp.live.feed import ChangeFeed
from deskapp.store.engine import connect

AT = datetime(2026, 3, 10, 11, 0)


def write(engine, case_id=1, version=2, kind="contact", actor="sam", fail=False):
    with Session(engine) as session, session.begin():
        record(session, kind=kind, actor=actor, at=AT, case_id=case_id, version=version)
        if fail:
            raise RuntimeError("the write failed after recording")


@pytest.fixture
def other(db_url, engine):
    """A second desk's engine on the same database (its own connection pool)."""
    eng = connect(db_url)
    yield eng
    eng.dispose()


def test_poll_sees_each_committed_change_once_in_order(engine, other):
    feed = ChangeFeed(engine)
    try:
        assert feed.poll() == []
        write(other, case_id=1, version=2)
        write(other, case_id=2, version=5, kind="status", actor="jo")
        got = feed.poll()
        assert [(c.case_id, c.version, c.kind, c.actor) for c in got] == [(1, 2, "contact", "sam"),
                                                                           (2, 5, "status", "jo")]
        assert got[0].id < got[1].id and feed.last_id == got[1].id
        assert feed.poll() == []
    finally:
        feed.stop()


def test_rolled_back_write_leaves_no_change(engine, other):
    feed = ChangeFeed(engine)
    try:
        with pytest.raises(RuntimeError):
            write(other, fail=True)
        assert feed.poll(force=True) == []
        write(other, case_id=7)
        assert [c.case_id for c in feed.poll()] == [7]
    finally:
        feed.stop()


def test_new_feed_starts_after_existing_changes_unless_asked(engine, other):
    write(other, case_id=1)
    write(other, case_id=2)
    assert ChangeFeed(engine).poll(force=True) == []
    replay = ChangeFeed(engine, since=0)
    assert [c.case_id for c in replay.poll(force=True)] == [1, 2]
    replay.stop()


def test_sqlite_poll_reads_the_table_only_when_the_database_moved(sqlite_url, monkeypatch):
    from deskapp.store.migrate import upgrade

    engine = connect(sqlite_url)
    upgrade(engine)
    other = connect(sqlite_url)
    reads = []
    real = read_since
    monkeypatch.setattr("deskapp.live.feed.read_since", lambda *a, **k: reads.append(1) or real(*a, **k))
    feed = ChangeFeed(engine)
    try:
        feed.poll()
        first = len(reads)
        for _ in range(20):
            assert feed.poll() == []
        assert len(reads) == first, "nothing committed: data_version unchanged, no query"
        write(other)
        assert len(feed.poll()) == 1
        assert len(reads) == first + 1
    finally:
        feed.stop()
        engine.dispose()
        other.dispose()


def test_background_feed_delivers_within_two_seconds_and_stops_cleanly(engine, other):
    got: queue.Queue = queue.Queue()
    feed = ChangeFeed(engine)
    feed.start(got.put)
    try:
        latencies = []
        for n in range(5):
            started = time.monotonic()
            write(other, case_id=100 + n)
            batch = got.get(timeout=2.0)
            latencies.append(time.monotonic() - started)
            assert [c.case_id for c in batch] == [100 + n]
        assert max(latencies) < 2.0, latencies
    finally:
        started = time.monotonic()
        feed.stop()
        stopped_in = time.monotonic() - started
    assert stopped_in < 1.5
    assert not any(t.name == "deskapp-feed" and t.is_alive() for t in threading.enumerate())


def test_callback_errors_do_not_stop_the_feed(engine, other):
    calls = []

    def flaky(batch):
        calls.append(batch)
        if len(calls) == 1:
            raise ValueError("the screen was busy")

    feed = ChangeFeed(engine, interval=0.1)
    feed.start(flaky)
    try:
        write(other, case_id=1)
        deadline = time.monotonic() + 3
        while len(calls) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        write(other, case_id=2)
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [c.case_id for batch in calls for c in batch] == [1, 2]
    finally:
        feed.stop()


def test_concurrent_writers_are_never_skipped(engine, db_url):
    """Ids must follow commit order, or a reader polling between two commits would skip one for good."""
    feed = ChangeFeed(engine, interval=0.01)
    engines = [connect(db_url) for _ in range(4)]
    seen: list[int] = []
    done = threading.Event()

    def writer(eng, n):
        rng = random.Random(n)
        for i in range(40):
            with Session(eng) as session, session.begin():
                record(session, kind="contact", actor=f"w{n}", at=AT, case_id=n, version=i)
                time.sleep(rng.random() * 0.004)  # hold the transaction open a little, in a random order

    def reader():
        while not done.is_set():
            seen.extend(c.id for c in feed.poll(force=True))
        seen.extend(c.id for c in feed.poll(force=True))

    threads = [threading.Thread(target=writer, args=(eng, n)) for n, eng in enumerate(engines)]
    reading = threading.Thread(target=reader)
    reading.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reading.join()
    feed.stop()
    for eng in engines:
        eng.dispose()
    with Session(engine) as session:
        every = [c.id for c in read_since(session, 0, 10_000)]
    assert len(every) == 160
    assert seen == every, "the reader missed or repeated changes"


@pytest.mark.postgres
def test_postgres_feed_reconnects_after_losing_its_listener(pg_url):
    from deskapp.store.migrate import upgrade

    engine = connect(pg_url)
    upgrade(engine)
    other = connect(pg_url)
    got: queue.Queue = queue.Queue()
    feed = ChangeFeed(engine, catch_up_every=1.0)
    feed.start(got.put)
    try:
        write(other, case_id=1)
        assert [c.case_id for c in got.get(timeout=2)] == [1]
        pid = feed._conn.info.backend_pid
        with other.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
        write(other, case_id=2)
        assert [c.case_id for c in got.get(timeout=5)] == [2], "caught up after reconnecting"
        write(other, case_id=3)
        assert [c.case_id for c in got.get(timeout=2)] == [3]
    finally:
        feed.stop()
        engine.dispose()
        other.dispose()


def test_prune_drops_old_lines_but_keeps_the_newest(engine):
    old = datetime(2026, 1, 1, 9, 0)
    with Session(engine) as session, session.begin():
        for n in range(3):
            record(session, kind="contact", actor="sam", at=old, case_id=n)
        record(session, kind=changes_mod.PRESENCE, actor="sam", at=AT.replace(hour=8), case_id=9)
        record(session, kind="contact", actor="sam", at=AT, case_id=10)
    assert prune(engine, AT) == 4
    with Session(engine) as session:
        assert [c.case_id for c in read_since(session, 0)] == [10]
        newest = latest_id(session)
    assert prune(engine, datetime(2030, 1, 1)) == 0, "the newest line always stays"
    with Session(engine) as session:
        assert latest_id(session) == newest


def test_feed_appends_share_the_audit_chain_lock():
    from deskapp.actions.audit import _PG_AUDIT_LOCK

    assert changes_mod.PG_APPEND_LOCK == _PG_AUDIT_LOCK
