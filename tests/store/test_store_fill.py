"""After a bulk fill PostgreSQL's queue counts read the partial indexes alone (VACUUM, not only ANALYZE)."""

from __future__ import annotations

from datetime import date

import pytest

from deskapp.demo.load import fill_demo
from deskapp.store.engine import connect
from deskapp.store.migrate import upgrade

TODAY = date(2026, 3, 10)


@pytest.mark.postgres
def test_a_filled_postgresql_desk_is_vacuumed_and_analyzed(pg_url):
    engine = connect(pg_url)
    try:
        upgrade(engine)
        fill_demo(engine, cases=200, seed=3, today=TODAY, me="sam")
        with engine.connect() as conn:
            # pg_class and pg_statistic change with the VACUUM / ANALYZE themselves; pg_stat_user_tables'
            # last_vacuum is reported by the stats system a moment later (a race on a busy host).
            found = conn.exec_driver_sql(
                "SELECT c.relname, c.relallvisible > 0, EXISTS (SELECT 1 FROM pg_statistic s WHERE s.starelid = c.oid) "
                "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
                "AND c.relname IN ('cases', 'parties', 'contacts') ORDER BY c.relname").all()
            level = conn.exec_driver_sql("SHOW transaction_isolation").scalar_one()
    finally:
        engine.dispose()
    # relallvisible > 0: VACUUM set the visibility map, so counts can use index-only scans;
    # pg_statistic rows: ANALYZE gave the planner its statistics.
    assert [tuple(row) for row in found] == [(t, True, True) for t in ("cases", "contacts", "parties")]
    assert level == "read committed", "the connection went back to the pool with its usual isolation level"
