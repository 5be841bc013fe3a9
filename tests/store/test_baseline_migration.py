"""evidence3: a database from before row digests gets its rows recorded once, and then verifies."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from deskapp.store import migrate
from deskapp.store.engine import connect
from deskapp.supervision.verify import verify

T = "'2026-03-02 09:00:00.000000'"
OLD_ROWS = [
    f"INSERT INTO handlers (id, username, display_name, role, active, created_at) VALUES (1, 'sam', 'Sam', 'handler', true, {T})",
    *(f"INSERT INTO cases (id, ref, kind, category, title, stage, status, priority, vulnerable, received_at, "
      f"extension_days, version, created_at, updated_at, assigned_to_id) VALUES ({i}, 'C-{1000 + i}', 'complaint', "
      f"'repairs', 'Case {i}', 1, 'new', 2, false, {T}, 0, 1, {T}, {T}, 1)" for i in range(1, 8)),
    *(f"INSERT INTO parties (id, case_id, role, name, designated, authorised, phone, created_at) VALUES "
      f"({i}, {i}, 'customer', 'Person {i}', false, false, '07700 90011{i}', {T})" for i in range(1, 8)),
    *(f"INSERT INTO contacts (id, case_id, at, channel, direction, party_id, handler_id, summary, body, created_at) "
      f"VALUES ({i}, {1 + i % 7}, {T}, 'phone', 'in', {1 + i % 7}, 1, 'Call {i}', 'Body {i}', {T})" for i in range(1, 20)),
    f"INSERT INTO appointments (id, case_id, party_id, at, purpose, status, created_at) VALUES (1, 2, 2, {T}, 'visit', 'booked', {T})",
    f"INSERT INTO approval_requests (id, case_id, requested_by_id, action, findings, reason, status, created_at) "
    f"VALUES (1, 3, 1, '{{}}', '[]', 'needs a look', 'pending', {T})",
]


@pytest.fixture
def old_db(db_url):
    """A database at trust1 (before evidence1) holding cases, parties, contacts, an appointment, an approval."""
    engine = connect(db_url)
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "trust1")
        for sql in OLD_ROWS:
            conn.execute(text(sql))
    yield engine
    engine.dispose()


def test_upgraded_old_database_verifies_with_one_recorded_baseline(old_db, monkeypatch):
    from deskapp.store import baseline

    monkeypatch.setattr(baseline, "PER_EVENT", 10)  # several events, as a big desk would have
    migrate.upgrade(old_db)
    report = verify(old_db)
    assert report.ok, report.problems()
    assert report.rows.checked == {"cases": 7, "parties": 7, "contacts": 19, "appointments": 1,
                                   "approval_requests": 1, "persons": 7, "organisations": 0,
                                   "person_arrangements": 0}
    with old_db.connect() as conn:
        events = conn.execute(text("SELECT actor, action FROM audit_events ORDER BY id")).all()
        recorded = conn.execute(text("SELECT COUNT(*) FROM audit_rows")).scalar()
        salts = conn.execute(text("SELECT COUNT(DISTINCT record_salt) FROM cases")).scalar()
    # evidence3: 35 rows, 10 an event; then people1: 7 persons made and the 7 parties' digests with person_id.
    assert set(events) == {("deskapp-migration", "record.baseline")} and len(events) == 4 + 2
    assert recorded == 35 + 14 and salts == 7
    # From here on, a change is caught.
    with old_db.begin() as conn:
        conn.execute(text("UPDATE contacts SET body = 'rewritten' WHERE id = 5"))
    report = verify(old_db)
    assert not report.ok and any("contact 5 of C-1006 was changed after event" in p for p in report.problems())


def test_new_database_gets_no_baseline_event(engine):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM audit_events")).scalar() == 0
    assert verify(engine).ok
