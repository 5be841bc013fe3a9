"""Every sort/filter combination is answered by an index on both engines: no full scan, no sort.

SQLite: the queue names its index (INDEXED BY) and EXPLAIN QUERY PLAN must show
no "SCAN cases" without an index and no temp b-tree for ORDER BY.
PostgreSQL: with sequential scans and sorts priced out (enable_seqscan/sort off),
EXPLAIN must show neither on cases, i.e. an index path exists for each query.
"""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import event

from deskapp.store.queue import Queue, QueueFilter

from queue_data import NOW, load, make_rows

SORTS = ("due", "priority", "received", "ref")
FILTERS = [
    QueueFilter(),
    QueueFilter(open_only=False),
    QueueFilter(mine="ann"),
    QueueFilter(mine="ann", open_only=False),
    QueueFilter(overdue=True),
    QueueFilter(due_soon=True),
    QueueFilter(overdue=True, due_soon=True, open_only=False),
    QueueFilter(statuses=("investigating",)),
    QueueFilter(statuses=("closed",)),
    QueueFilter(statuses=("new", "responded")),
    QueueFilter(kinds=("complaint",)),
    QueueFilter(kinds=("complaint", "enquiry"), open_only=False),
    QueueFilter(category="repairs"),
    QueueFilter(mine="bob", overdue=True, kinds=("complaint",)),
    QueueFilter(vulnerable=True),
    QueueFilter(vulnerable=True, open_only=False),
    QueueFilter(vulnerable=True, overdue=True),
]


def statements_of(engine, queue: Queue) -> list[tuple[str, object]]:
    """The SQL a queue runs for count, first page, End, a jump, PageUp from the end and index_of."""
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if " cases" in statement and "EXPLAIN" not in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        total = queue.count()
        queue.rows(0, 10)
        queue.rows(max(total - 10, 0), total)
        queue.rows(total // 2, total // 2 + 5)
        queue.rows(max(total - 40, 0), max(total - 30, 0))
        some = queue.rows(total // 3, total // 3 + 1)
        if some:
            fresh = queue.with_query()
            fresh.count()
            fresh.index_of(some[0].id)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen


@pytest.fixture
def filled(engine):
    load(engine, make_rows(random.Random(11), 3000), parties=False)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE cases")
    return engine


def sqlite_plan(engine, statement, parameters) -> list[str]:
    with engine.connect() as conn:
        return [r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()]


def pg_plan(engine, statement, parameters) -> list[str]:
    nodes: list[str] = []

    def walk(node):
        nodes.append(f"{node['Node Type']} {node.get('Relation Name', '')} {node.get('Index Name', '')}".strip())
        for child in node.get("Plans", ()):
            walk(child)

    with engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_sort = off")
        raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
        conn.rollback()
    walk((raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"])
    return nodes


@pytest.mark.slow
@pytest.mark.parametrize("sort", SORTS)
def test_keyset_queries_use_indexes_only(filled, sort):
    engine = filled
    problems = []
    for flt in FILTERS:
        # small_set/list_limit 0: always keyset, the mode that must never scan or sort.
        queue = Queue(engine, flt, sort, NOW, page_size=20, small_set=0, list_limit=0)
        for statement, parameters in statements_of(engine, queue):
            if "FROM handlers" in statement or "FROM parties" in statement:
                continue
            if engine.dialect.name == "sqlite":
                plan = sqlite_plan(engine, statement, parameters)
                bad = [p for p in plan if "TEMP B-TREE FOR ORDER BY" in p
                       or (p.startswith("SCAN cases") and "INDEX" not in p)]
            else:
                plan = pg_plan(engine, statement, parameters)
                bad = [p for p in plan if p == "Sort" or p.startswith("Seq Scan on cases")
                       or p.startswith("Seq Scan cases")]
            if bad:
                problems.append(f"{flt} / {sort}: {' '.join(statement.split())[:160]} -> {plan}")
    assert not problems, "\n".join(problems)


def test_listed_queues_read_through_the_filter_index(filled):
    """A filter the sort's index cannot answer is read once through the filter's own index."""
    engine = filled
    covered = Queue(engine, QueueFilter(mine="ann", overdue=True), "received", NOW)
    assert covered.residual == frozenset()  # the received index carries assignee, status and due date
    queue = Queue(engine, QueueFilter(kinds=("complaint",), overdue=True), "received", NOW)
    assert queue.residual == {"kind"}
    seen = statements_of(engine, queue)
    assert queue.listed
    listing = [s for s in seen if "ORDER BY" in s[0] and "LIMIT" not in s[0]]
    assert listing, seen
    if engine.dialect.name == "sqlite":
        plan = sqlite_plan(engine, *listing[0])
        assert any("ix_cases_open_kind" in p for p in plan), plan
