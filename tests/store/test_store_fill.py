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
            found = conn.exec_driver_sql(
                "SELECT relname, last_vacuum IS NOT NULL, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE schemaname = current_schema() AND relname IN ('cases', 'parties', 'contacts') "
                "ORDER BY relname").all()
            visible = conn.exec_driver_sql(
                "SELECT relallvisible FROM pg_class WHERE oid = 'cases'::regclass").scalar_one()
            level = conn.exec_driver_sql("SHOW transaction_isolation").scalar_one()
    finally:
        engine.dispose()
    assert [tuple(row) for row in found] == [(t, True, True) for t in ("cases", "contacts", "parties")]
    assert visible > 0, "the visibility map lets counts use index-only scans"
    assert level == "read committed", "the connection went back to the pool with its usual isolation level"
