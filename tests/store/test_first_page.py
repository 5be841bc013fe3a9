"""The first screen read with plain sqlite3 must be exactly the usual queue's first page, or nothing."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

import pytest

from deskapp.store import first_page, queue as queue_module
from deskapp.demo.load import fill_demo
from deskapp.store.engine import connect
from deskapp.store.first_page import FirstPageQueue, read_first_page, sqlite_file
from deskapp.store.first_page_sql import SQL
from deskapp.store.migrate import upgrade
from deskapp.store.queue import Queue

TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 11, 0)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("first") / "desk.db"
    engine = connect(f"sqlite:///{path}")
    try:
        upgrade(engine)
        fill_demo(engine, cases=400, seed=5, today=TODAY, me="sam")
        with engine.begin() as conn:  # some open cases without a due date: they come last
            conn.exec_driver_sql("UPDATE cases SET due_at = NULL WHERE id % 7 = 0 AND status != 'closed'")
    finally:
        engine.dispose()
    return path


def test_constants_match_the_queue():
    assert first_page.PAGE_SIZE == queue_module.PAGE_SIZE
    # The customer roles are in the queue's own SQL (first_page_sql, checked by test_first_page_sql.py).
    assert all(sql["customers"][1]["role_1"] == list(queue_module.CUSTOMER_ROLES) for sql in SQL.values())


@pytest.mark.parametrize("size", [1, 7, 100, 1000])
def test_first_page_is_the_usual_queues_first_page(demo_file, size):
    url = f"sqlite:///{demo_file}"
    page = read_first_page(url, "sam", rows=size)
    assert page is not None
    engine = connect(url)
    try:
        usual = Queue(engine, now=NOW, me="sam", page_size=size)
        assert page.total == usual.count()
        assert list(page.rows) == usual.rows(0, size)
    finally:
        engine.dispose()
    assert page.me.username == "sam" and page.me.display_name


def test_undated_cases_follow_the_dated_ones(demo_file):
    page = read_first_page(f"sqlite:///{demo_file}", "sam", rows=1000)
    dues = [row.due_at for row in page.rows]
    dated = [d for d in dues if d is not None]
    assert None in dues and dues == dated + [None] * (len(dues) - len(dated))
    assert dated == sorted(dated)


# A PostgreSQL URL takes the quick way when its server answers (test_first_page_sql.py); this one has none.
@pytest.mark.parametrize("url", ["postgresql://u@h/db", "sqlite://", "sqlite:///:memory:",
                                 "sqlite:////no/such/file.db", "sqlite:////tmp/x.db?mode=ro", "mysql:///x"])
def test_anything_but_a_plain_sqlite_file_goes_the_careful_way(url):
    assert sqlite_file(url) is None
    assert read_first_page(url, "sam") is None


def _copy(demo_file, tmp_path):
    target = tmp_path / "copy.db"
    src = sqlite3.connect(demo_file)
    dst = sqlite3.connect(target)
    src.backup(dst)
    src.close()
    return dst, f"sqlite:///{target}"


@pytest.mark.parametrize("change", [
    "UPDATE alembic_version SET version_num = 'old'",           # schema not at head
    "DELETE FROM alembic_version",                              # never initialised
    "UPDATE handlers SET active = 0 WHERE username = 'sam'",    # inactive handler
    "UPDATE handlers SET username = 'samuel' WHERE username = 'sam'",  # unknown handler
    "DROP INDEX ix_cases_open_due",                             # an index the quick read relies on
    "DROP TABLE parties",                                       # anything broken
])
def test_anything_unusual_goes_the_careful_way(demo_file, tmp_path, change):
    conn, url = _copy(demo_file, tmp_path)
    assert read_first_page(url, "sam") is not None
    conn.execute(change)
    conn.commit()
    conn.close()
    assert read_first_page(url, "sam") is None


def test_a_file_that_is_not_a_database_goes_the_careful_way(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert read_first_page(f"sqlite:///{junk}", "sam") is None


class _Real:
    """A stand-in for the opened desk's Queue that records what it was asked."""

    page_size = 100
    is_working_day = staticmethod(lambda d: d.weekday() < 5)

    def __init__(self, rows):
        self._rows = rows
        self.asked = []

    def count(self):
        self.asked.append("count")
        return len(self._rows)

    def rows(self, start, stop):
        self.asked.append(("rows", start, stop))
        return self._rows[start:stop]

    def cached(self, index):
        return None

    def is_loaded(self, start, stop):
        return False

    def index_of(self, case_id):
        self.asked.append(("index_of", case_id))
        return next((i for i, r in enumerate(self._rows) if r.id == case_id), None)

    def with_query(self, **kwargs):
        self.asked.append(("with_query", kwargs))
        return self

    def invalidate(self):
        self.asked.append("invalidate")


def test_first_page_queue_serves_its_rows_and_hands_the_rest_to_the_real_queue(demo_file):
    page = read_first_page(f"sqlite:///{demo_file}", "sam", rows=10)
    everything = read_first_page(f"sqlite:///{demo_file}", "sam", rows=1000).rows
    real = _Real(list(everything))
    opened = []

    def real_queue():
        opened.append(True)
        return real

    fpq = FirstPageQueue(page, real_queue, lambda: NOW)
    assert fpq.count() == page.total and fpq.rows(0, 10) == list(page.rows)
    assert fpq.cached(3) == page.rows[3] and fpq.is_loaded(0, 10)
    assert fpq.index_of(page.rows[4].id) == 4
    assert fpq.is_working_day is None
    assert not opened, "rows it has must not wait for the desk to open"
    assert fpq.rows(10, 20) == list(everything[10:20])
    assert opened and ("rows", 10, 20) in real.asked
    assert fpq.index_of(everything[50].id) == 50
    assert fpq.is_working_day is real.is_working_day
    assert fpq.with_query(sort="ref") is real
    fpq.invalidate()
    assert "invalidate" in real.asked
    assert fpq.count() == len(everything), "after a write the count comes from the real queue"
    assert fpq.cached(3) is None, "stale first-page rows are not served after invalidate()"


def test_first_page_queue_passes_on_why_the_desk_did_not_open(demo_file):
    from deskapp.errors import DeskError

    page = read_first_page(f"sqlite:///{demo_file}", "sam", rows=5)

    def broken():
        raise DeskError("policies.yaml:3:1: bad rule")

    fpq = FirstPageQueue(page, broken, lambda: NOW)
    assert fpq.rows(0, 5) == list(page.rows)
    with pytest.raises(DeskError, match="policies.yaml:3:1"):
        fpq.rows(5, 10)


@pytest.mark.parametrize("size", [1, 7, 100])
def test_the_queues_end_read_before_the_desk_opens_is_the_usual_queues_end(demo_file, size):
    from deskapp.store.first_page import read_last_rows

    engine = connect(f"sqlite:///{demo_file}")
    try:
        usual = Queue(engine, now=NOW, me="sam")
        total = usual.count()
        assert list(read_last_rows(demo_file, size)) == usual.rows(total - size, total)
    finally:
        engine.dispose()


def test_end_before_the_desk_opens_needs_no_real_queue(demo_file):
    page = read_first_page(f"sqlite:///{demo_file}", "sam", rows=10)
    everything = read_first_page(f"sqlite:///{demo_file}", "sam", rows=1000).rows
    opened = []

    def real_queue():
        opened.append(True)
        return _Real(list(everything))

    fpq = FirstPageQueue(page, real_queue, lambda: NOW)
    total = page.total
    assert not fpq.is_loaded(total - 5, total)
    assert fpq.rows(total - 5, total) == list(everything[total - 5:total])
    assert fpq.is_loaded(total - 5, total) and fpq.cached(total - 1) == everything[total - 1]
    last_page = (total - 1) // 100 * 100
    assert fpq.rows(last_page, last_page + 100) == list(everything[last_page:total]), "a page past the end"
    assert not opened, "End before the desk opens reads the end itself"
    assert fpq.rows(20, 30) == list(everything[20:30]) and opened, "the middle waits for the opened desk"
    assert fpq.cached(total - 1) is None, "once opened, the real queue answers"


def test_the_queues_end_can_be_read_ahead_of_end(demo_file):
    page = read_first_page(f"sqlite:///{demo_file}", "sam", rows=10)
    everything = read_first_page(f"sqlite:///{demo_file}", "sam", rows=1000).rows
    fpq = FirstPageQueue(page, lambda: pytest.fail("reading ahead must not wait for the desk"), lambda: NOW)
    total = page.total
    assert fpq.cached(total - 1) is None
    fpq.read_tail()
    assert fpq.is_loaded(total - 5, total) and fpq.cached(total - 1) == everything[total - 1]
    small = FirstPageQueue(read_first_page(f"sqlite:///{demo_file}", "sam", rows=1000), lambda: None, lambda: NOW)
    small.read_tail()  # the whole queue is in the first page: nothing more to read
    assert small._tail is None
