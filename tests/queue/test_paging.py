"""Keyset paging gives exactly what a plain ORDER BY would, at any position, in any order of reads."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskapp.store.queue import SORTS, Queue, QueueFilter

from queue_data import CATEGORIES, HANDLERS, NOW, expected, load, make_rows, memory_engine

MAIN_SORTS = [s for s in SORTS if s != "relevance"]

filters = st.builds(
    QueueFilter,
    mine=st.sampled_from((None,) + HANDLERS + ("nobody",)),
    overdue=st.booleans(),
    due_soon=st.booleans(),
    statuses=st.sampled_from(((), ("closed",), ("new", "investigating"), ("responded",), ("new", "closed"))),
    kinds=st.sampled_from(((), ("complaint",), ("enquiry", "compliment"))),
    category=st.sampled_from((None,) + CATEGORIES),
    open_only=st.booleans(),
)
reads = st.lists(st.tuples(st.integers(-3, 90), st.integers(0, 25), st.booleans()), min_size=1, max_size=12)


def check_reads(queue: Queue, want: list[int], plan) -> None:
    assert queue.count() == len(want)
    for start, length, from_end in plan:
        if from_end:  # End, PageUp from the end...
            start = len(want) - length - max(start, 0)
        got = [r.id for r in queue.rows(start, start + length)]
        lo, hi = max(start, 0), min(max(start, 0) + length, len(want))
        if start < 0:
            hi = min(start + length, len(want))
        assert got == want[lo:hi] if lo < hi else got == [], (start, length)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(0, 70), flt=filters, sort=st.sampled_from(MAIN_SORTS),
       page_size=st.integers(1, 7), cache_pages=st.integers(2, 4), plan=reads)
def test_any_position_matches_plain_order(seed, n, flt, sort, page_size, cache_pages, plan):
    rows = make_rows(random.Random(seed), n)
    engine = memory_engine()
    try:
        load(engine, rows)
        want = expected(rows, flt, sort)
        # small_set=0 forces keyset paging even for these small desks.
        queue = Queue(engine, flt, sort, NOW, page_size=page_size, cache_pages=cache_pages, small_set=0,
                      list_limit=0)
        check_reads(queue, want, plan)
        listed = Queue(engine, flt, sort, NOW, page_size=page_size, cache_pages=cache_pages)
        check_reads(listed, want, plan)
        # index_of finds every case shown, wherever the cache is, and nothing else.
        for case_id in random.Random(seed).sample(range(1, n + 2), min(n + 1, 6)):
            fresh = Queue(engine, flt, sort, NOW, page_size=page_size, small_set=0, list_limit=0)
            position = want.index(case_id) if case_id in want else None
            assert fresh.index_of(case_id) == position
            assert queue.index_of(case_id) == position
            # index_within: the same position when it is below the limit, None beyond it (and when
            # the sort's index cannot check the filter, None unless the case is in a page already read).
            limit = random.Random(case_id).randrange(0, n + 2)
            bounded = Queue(engine, flt, sort, NOW, page_size=page_size, small_set=0, list_limit=0)
            found = bounded.index_within(case_id, limit)
            if bounded.residual or position is None or position >= limit:
                assert found is None, (position, limit)
            else:
                assert found == position, (position, limit)
            if position is not None and (queue.listed or queue.cached(position) is not None):
                assert queue.index_within(case_id, 0) == position  # ids in memory, or a page already read
    finally:
        engine.dispose()


@pytest.mark.parametrize("sort", MAIN_SORTS)
def test_walking_forward_and_back_page_by_page(mem_engine, sort):
    rows = make_rows(random.Random(5), 300)
    load(mem_engine, rows)
    flt = QueueFilter(open_only=False)
    want = expected(rows, flt, sort)
    queue = Queue(mem_engine, flt, sort, NOW, page_size=10, cache_pages=2, small_set=0, list_limit=0)
    seen = []
    for start in range(0, len(want), 7):
        seen += [r.id for r in queue.rows(start, start + 7)]
    assert seen == want
    back = []
    for stop in range(len(want), 0, -9):
        back = [r.id for r in queue.rows(max(stop - 9, 0), stop)] + back
    assert back == want


def test_end_first_then_page_up_to_the_top(mem_engine):
    rows = make_rows(random.Random(8), 250)
    load(mem_engine, rows)
    flt = QueueFilter()
    want = expected(rows, flt, "priority")
    queue = Queue(mem_engine, flt, "priority", NOW, page_size=8, cache_pages=3, small_set=0, list_limit=0)
    n = queue.count()
    assert [r.id for r in queue.rows(n - 5, n)] == want[-5:]
    got = []
    for stop in range(n, 0, -5):
        got = [r.id for r in queue.rows(max(stop - 5, 0), stop)] + got
    assert got == want


def test_rows_carry_customer_assignee_and_dates(mem_engine):
    rows = make_rows(random.Random(2), 12)
    load(mem_engine, rows)
    queue = Queue(mem_engine, QueueFilter(open_only=False), "ref", NOW)
    by_id = {r.id: r for r in rows}
    for row in queue.rows(0, 12):
        source = by_id[row.id]
        assert row.ref == source.ref and row.status == source.status and row.priority == source.priority
        assert row.due_at == source.due_at and row.received_at == source.received_at
        assert row.assigned_to == source.assigned
        assert row.customer == f"Person {row.id}"


def test_cached_never_reads_and_invalidate_rereads(mem_engine):
    rows = make_rows(random.Random(3), 40)
    load(mem_engine, rows)
    queue = Queue(mem_engine, QueueFilter(open_only=False), "due", NOW, page_size=10, small_set=0, list_limit=0)
    assert queue.cached(0) is None
    first = queue.rows(0, 3)
    assert queue.cached(0) == first[0] and queue.cached(15) is None
    assert queue.is_loaded(0, 10) and not queue.is_loaded(0, 11)
    with mem_engine.begin() as conn:
        conn.exec_driver_sql("UPDATE cases SET title = 'changed' WHERE id = ?", (first[0].id,))
    assert queue.rows(0, 1)[0].title != "changed"
    queue.invalidate()
    assert queue.rows(0, 1)[0].title == "changed"


def test_unknown_sort_is_refused(mem_engine):
    with pytest.raises(ValueError, match="unknown queue sort"):
        Queue(mem_engine, QueueFilter(), "colour", NOW)


def test_filter_normalises_its_values():
    f = QueueFilter(statuses={"new", "acknowledged"}, kinds=["enquiry", "enquiry"], search="  ", category=" ")
    assert f.statuses == ("acknowledged", "new") and f.kinds == ("enquiry",)
    assert f.search is None and f.category is None
    assert hash(f) == hash(QueueFilter(statuses=("new", "acknowledged"), kinds=("enquiry",)))
    assert QueueFilter(statuses=("closed",)).excludes_closed is False
    assert QueueFilter(statuses=("new",), open_only=False).excludes_closed is True


ENGINE_FILTERS = [
    QueueFilter(),
    QueueFilter(open_only=False),
    QueueFilter(mine="ann"),
    QueueFilter(overdue=True, due_soon=True),
    QueueFilter(statuses=("new", "closed")),
    QueueFilter(kinds=("complaint",), category="noise"),
]


@pytest.mark.parametrize("sort", MAIN_SORTS)
def test_paging_on_each_engine(engine, sort):
    """The migrated schema on SQLite and PostgreSQL (NULLs, ties, natural refs) pages like the plain order."""
    rows = make_rows(random.Random(21), 400)
    load(engine, rows)
    rnd = random.Random(sort)
    for flt in ENGINE_FILTERS:
        want = expected(rows, flt, sort)
        for small_set, list_limit in ((0, 0), (2000, 100_000)):
            queue = Queue(engine, flt, sort, NOW, page_size=16, cache_pages=3, small_set=small_set,
                          list_limit=list_limit)
            plan = [(rnd.randrange(-2, 420), rnd.randrange(1, 40), rnd.random() < 0.3) for _ in range(12)]
            check_reads(queue, want, plan)
            for case_id in rnd.sample(range(1, 401), 5):
                position = want.index(case_id) if case_id in want else None
                assert queue.with_query().index_of(case_id) == position, (flt, case_id)
                fresh = queue.with_query()
                found = fresh.index_within(case_id, 150)
                if fresh.listed or (position is not None and position < 150 and not fresh.residual):
                    assert found == position, (flt, case_id, position)
                else:
                    assert found is None, (flt, case_id, position)


def test_filters_the_sort_index_cannot_answer_are_listed(mem_engine):
    rows = make_rows(random.Random(9), 300)
    load(mem_engine, rows)
    flt = QueueFilter(kinds=("enquiry",))
    keyset = Queue(mem_engine, flt, "due", NOW, small_set=0)
    assert keyset.residual == frozenset() and not keyset.listed
    listed = Queue(mem_engine, flt, "received", NOW, small_set=0)
    assert listed.residual == {"kind"} and listed.listed
    big = Queue(mem_engine, flt, "received", NOW, small_set=0, list_limit=5)
    assert not big.listed  # too many to list: walk the sort's index after all
    assert [r.id for r in big.rows(0, 50)] == expected(rows, flt, "received")[:50]


def test_cases_removed_after_the_count_never_break_reading(mem_engine):
    rows = make_rows(random.Random(4), 120)
    load(mem_engine, rows)
    flt = QueueFilter(open_only=False)
    want = expected(rows, flt, "due")
    queue = Queue(mem_engine, flt, "due", NOW, page_size=10, small_set=0, list_limit=0)
    assert queue.count() == 120
    gone = want[15:18]
    with mem_engine.begin() as conn:
        for table in ("contacts", "parties"):
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE case_id IN ({','.join(map(str, gone))})")
        conn.exec_driver_sql(f"DELETE FROM cases WHERE id IN ({','.join(map(str, gone))})")
    left = [i for i in want if i not in gone]
    got = [r.id for r in queue.rows(0, 120)]
    assert got == left  # shorter than the count, in order, nothing twice
    # A fresh queue reading page by page after a short page (no usable neighbour): no loop, no repeats.
    fresh = Queue(mem_engine, flt, "due", NOW, page_size=10, small_set=0, list_limit=0)
    fresh._count = 140  # as if counted long before: the page after the last real one is short
    seen = []
    for start in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130):
        chunk = [r.id for r in fresh.rows(start, start + 10)]
        assert all(i in left for i in chunk) and len(chunk) <= 10
        seen += chunk
    assert len(seen) == len(set(seen))
    queue.invalidate()
    assert queue.count() == 117 and [r.id for r in queue.rows(0, 117)] == left
