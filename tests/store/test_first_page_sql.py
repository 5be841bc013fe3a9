"""The first screen's SQL is the queue's own: compiled from its builder, same rows in the same order.

On both engines, with cases sharing a due date (ties broken by id) and open
cases without one (they come last, by id), at both ends of the queue.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from deskapp.demo.load import fill_demo
from deskapp.store import first_page_gen
from deskapp.store.engine import connect
from deskapp.store.first_page import read_first_page, read_last_rows
from deskapp.store.migrate import upgrade
from deskapp.store.queue import Queue

TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 11, 0)


def test_the_compiled_sql_is_up_to_date():
    """Fails when the queue's builder changed: run `python -m deskapp.store.first_page_gen`."""
    assert first_page_gen.TARGET.read_text(encoding="utf-8") == first_page_gen.render()


@pytest.fixture(scope="module")
def tied_desk(module_db_url):
    engine = connect(module_db_url)
    try:
        upgrade(engine)
        fill_demo(engine, cases=300, seed=11, today=TODAY, me="sam")
        with engine.begin() as conn:
            # Ties: every fifth open case shares the earliest due date; some open cases have none.
            conn.exec_driver_sql("UPDATE cases SET due_at = (SELECT min(due_at) FROM cases) "
                                 "WHERE mod(id, 5) = 0 AND status != 'closed'")
            conn.exec_driver_sql("UPDATE cases SET due_at = NULL WHERE mod(id, 7) = 0 AND status != 'closed'")
    finally:
        engine.dispose()
    return module_db_url


def _usual(url: str, **options) -> tuple[Queue, object]:
    engine = connect(url)
    return Queue(engine, now=NOW, me="sam", **options), engine


@pytest.mark.parametrize("walked", [False, True], ids=["listed", "walked"])
@pytest.mark.parametrize("size", [1, 40, 1000])
def test_first_rows_are_the_queues_first_rows(tied_desk, size, walked):
    page = read_first_page(tied_desk, "sam", rows=size)
    assert page is not None, "a migrated desk with its handler takes the quick way"
    # small_set=0 makes the queue walk its index by keyset rather than read an ordered id list.
    usual, engine = _usual(tied_desk, page_size=size, small_set=0 if walked else 2000)
    try:
        assert page.total == usual.count()
        assert list(page.rows) == usual.rows(0, size)
    finally:
        engine.dispose()
    dues = [row.due_at for row in page.rows]
    if size == 1000:
        assert None in dues, "the undated run is read too"
        assert len(set(dues)) < len(dues) - dues.count(None), "ties on the due date are compared"


@pytest.mark.parametrize("size", [1, 40, 1000])
def test_last_rows_are_the_queues_last_rows(tied_desk, size):
    usual, engine = _usual(tied_desk, small_set=0)
    try:
        total = usual.count()
        source = read_first_page(tied_desk, "sam", rows=1).path
        assert list(read_last_rows(source, size)) == usual.rows(max(total - size, 0), total)
    finally:
        engine.dispose()
