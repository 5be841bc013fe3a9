"""The demo: deterministic, live-looking, consistent, and careful with a desk that already has data."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel
from sqlmodel import select as sm_select

from deskapp.core.roles import NotAllowed
from deskapp.errors import DeskError
from deskapp.demo import load as demo_module
from deskapp.demo import generator as demo_generator, parallel as demo_parallel
from deskapp.demo.load import fill_demo
from deskapp.demo.days import add_working_days
from deskapp.store import search
from deskapp.store.engine import connect, session_scope
from deskapp.store.migrate import upgrade
from deskapp.store.models import Case
from deskapp.vocab import (APPOINTMENT_STATUSES, CASE_KINDS, CASE_STATUSES, CHANNELS, DIRECTIONS, OUTCOMES,
                           PARTY_ROLES)

TODAY = date(2026, 3, 10)  # a Tuesday
TABLES = ("cases", "parties", "contacts", "appointments", "audit_events")


def _rows(engine, table):
    """Typed rows (datetimes as datetimes on SQLite too), in id order."""
    t = SQLModel.metadata.tables[table]
    with engine.connect() as conn:
        return conn.execute(select(t).order_by(t.c.id)).all()


def _same_rows(engine, table):
    """What the same (seed, today) must reproduce: every column but the random per-case salt, and every
    audit event but the demo.rows events recording the rows' digests (keyed with those salts)."""
    t = SQLModel.metadata.tables[table]
    columns = [c for c in t.c if c.name != "record_salt"]
    query = select(*columns).order_by(t.c.id)
    if table == "audit_events":
        query = query.where(t.c.action != "demo.rows")
    with engine.connect() as conn:
        return conn.execute(query).all()


def _fresh(url):
    engine = connect(url)
    upgrade(engine)
    return engine


def _case(engine, ref) -> Case:
    with session_scope(engine) as session:
        return session.exec(sm_select(Case).where(Case.ref == ref)).one()


def _q(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


# --------------------------------------------------------------------------- determinism


def test_same_seed_and_day_give_identical_rows(tmp_path):
    a, b = _fresh(f"sqlite:///{tmp_path}/a.db"), _fresh(f"sqlite:///{tmp_path}/b.db")
    fill_demo(a, cases=300, seed=7, today=TODAY, me="tester")
    fill_demo(b, cases=300, seed=7, today=TODAY, me="tester")
    for table in TABLES:
        assert _same_rows(a, table) == _same_rows(b, table), table
    assert len(_rows(a, "cases")) == 309


def test_different_seed_changes_generated_cases_not_stories(tmp_path):
    a, b = _fresh(f"sqlite:///{tmp_path}/a.db"), _fresh(f"sqlite:///{tmp_path}/b.db")
    fill_demo(a, cases=100, seed=1, today=TODAY, me="tester")
    fill_demo(b, cases=100, seed=2, today=TODAY, me="tester")
    stories_a = [r for r in _same_rows(a, "cases") if r.ref <= "C-1099"]
    stories_b = [r for r in _same_rows(b, "cases") if r.ref <= "C-1099"]
    assert stories_a == stories_b
    assert _same_rows(a, "cases") != _same_rows(b, "cases")
    assert [r.ref for r in _rows(a, "cases")] == [r.ref for r in _rows(b, "cases")]


def test_different_today_moves_everything(tmp_path):
    a, b = _fresh(f"sqlite:///{tmp_path}/a.db"), _fresh(f"sqlite:///{tmp_path}/b.db")
    fill_demo(a, cases=20, seed=1, today=TODAY, me="tester")
    fill_demo(b, cases=20, seed=1, today=TODAY + timedelta(days=7), me="tester")
    ra, rb = _rows(a, "cases")[0], _rows(b, "cases")[0]
    assert rb.received_at - ra.received_at == timedelta(days=7)


# --------------------------------------------------------------------------- the named stories


@pytest.fixture(scope="module")
def filled(module_db_url):
    """One demo load shared by the read-only tests below."""
    engine = _fresh(module_db_url)
    fill_demo(engine, cases=200, seed=1, today=TODAY, me="tester")
    yield engine
    engine.dispose()


def test_story_refs_and_handlers(filled):
    refs = {r for (r,) in _q(filled, "SELECT ref FROM cases WHERE ref <= 'C-1099'")}
    assert refs == {f"C-{n}" for n in range(1001, 1010)}
    roles = dict(_q(filled, "SELECT username, role FROM handlers"))
    assert roles == {"tester": "handler", "sam": "handler", "jo": "handler", "priya": "supervisor",
                     "admin": "admin"}


def test_housing_repairs_story(filled):
    case = _case(filled, "C-1001")
    assert case.vulnerable and case.category == "housing repairs" and case.status == "investigating"
    parties = _q(filled, "SELECT id, role, designated, organisation FROM parties WHERE case_id = :c ORDER BY id",
                 c=case.id)
    roles = {p.role: p for p in parties}
    assert set(roles) == {"resident", "representative"}
    assert roles["representative"].designated and roles["representative"].organisation
    assert not roles["resident"].designated
    missed = _q(filled, "SELECT at FROM appointments WHERE case_id = :c AND status = 'missed'", c=case.id)
    assert len(missed) == 2
    history = _q(filled, "SELECT direction, channel, party_id, outcome FROM contacts WHERE case_id = :c ORDER BY at",
                 c=case.id)
    rep = roles["representative"].id
    tail = []
    for h in reversed(history):
        if h.party_id == rep and h.direction == "in":
            break
        if h.party_id == rep and h.direction == "out":
            tail.append(h)
    assert len(tail) >= 3 and all(h.channel == "email" and h.outcome == "no_reply" for h in tail)
    assert any(h.party_id == roles["resident"].id for h in history)  # the resident is a party too


def test_card_details_story_asks_for_jo(filled):
    case = _case(filled, "C-1002")
    bodies = " ".join(b or "" for (b,) in _q(filled, "SELECT coalesce(body, summary) FROM contacts WHERE case_id = :c",
                                             c=case.id))
    assert "Jo" in bodies and "card" in bodies
    jo = _q(filled, "SELECT id FROM handlers WHERE username = 'jo'")[0][0]
    assert _q(filled, "SELECT count(*) FROM contacts WHERE case_id = :c AND handler_id = :j", c=case.id, j=jo)[0][0] >= 2


def test_abusive_caller_warned_then_ended_in_one_call(filled):
    case = _case(filled, "C-1003")
    rows = _q(filled, "SELECT call_id, outcome FROM contacts WHERE case_id = :c AND outcome IN "
                      "('warning_given', 'ended_for_abuse') ORDER BY at", c=case.id)
    assert [r.outcome for r in rows] == ["warning_given", "ended_for_abuse"]
    assert rows[0].call_id == rows[1].call_id is not None


def test_other_stories(filled):
    third = _case(filled, "C-1004")
    assert third.status == "awaiting_third_party"
    assert _q(filled, "SELECT count(*) FROM parties WHERE case_id = :c AND role = 'third_party'", c=third.id)[0][0] == 1
    assert add_working_days(third.status_changed_at.date(), 5) < TODAY  # waiting more than 5 working days
    nursery = _case(filled, "C-1005")
    assert nursery.status == "closed" and nursery.responded_at and nursery.closed_at
    assert nursery.responded_at.date() <= add_working_days(nursery.acknowledged_at.date(), 10)  # in time
    assert nursery.due_at is None
    kinds = {_case(filled, ref).kind for ref in ("C-1006", "C-1007")}
    assert kinds == {"compliment"}
    stage2 = _case(filled, "C-1008")
    assert stage2.stage == 2 and stage2.stage2_at and stage2.stage1_handler_id is not None


def test_deadlines_look_live(filled):
    now = datetime.combine(TODAY, datetime.min.time())
    dues = [c.due_at for c in _rows(filled, "cases") if c.due_at is not None]
    assert any(d < now for d in dues), "some cases should be overdue"
    soon = datetime.combine(add_working_days(TODAY, 2), datetime.max.time())
    assert any(now <= d <= soon for d in dues), "some cases should be due within two working days"
    assert any(d > soon for d in dues)
    repairs = _case(filled, "C-1001")
    assert now <= repairs.due_at <= soon


# --------------------------------------------------------------------------- consistency of generated data


def test_generated_rows_are_consistent(filled):
    cases = _rows(filled, "cases")
    assert {c.kind for c in cases} == set(CASE_KINDS)
    assert {c.status for c in cases} <= set(CASE_STATUSES) and len({c.status for c in cases}) >= 6
    assert {c.priority for c in cases} <= {1, 2, 3, 4}
    assert {c.stage for c in cases} == {1, 2}
    assert len({c.category for c in cases}) >= 8
    today_end = datetime.combine(TODAY, datetime.max.time())
    for c in cases:
        start = c.stage2_at or c.received_at
        assert c.received_at <= today_end
        if c.acknowledged_at:
            assert start <= c.acknowledged_at <= today_end, c.ref
        else:
            assert c.status == "new" and c.responded_at is None, c.ref
        if c.responded_at:
            assert c.acknowledged_at <= c.responded_at <= today_end, c.ref
        assert (c.closed_at is not None) == (c.status == "closed"), c.ref
        if c.closed_at:
            assert c.closed_at >= (c.responded_at or c.acknowledged_at), c.ref
            assert c.due_at is None
        if c.stage == 2:
            assert c.stage2_at and c.stage1_handler_id and c.kind == "complaint", c.ref
        if c.status in ("responded", "closed") or c.kind == "compliment":
            assert c.due_at is None, c.ref  # compliments have no timescale in the default pack
        elif c.stage == 1:
            assert c.due_at is not None, c.ref
        assert c.version == 1
    by_case = {c.id: c for c in cases}
    for p in _rows(filled, "parties"):
        assert p.role in PARTY_ROLES and p.case_id in by_case
    for t in _rows(filled, "contacts"):
        assert t.channel in CHANNELS and t.direction in DIRECTIONS
        assert t.outcome is None or t.outcome in OUTCOMES
        assert t.at >= by_case[t.case_id].received_at
        assert t.at <= today_end
    for a in _rows(filled, "appointments"):
        assert a.status in APPOINTMENT_STATUSES
        assert (a.status == "booked") == (a.at.date() > TODAY)


def test_every_generated_case_has_a_customer_and_few_contacts(filled):
    per_case = dict(_q(filled, "SELECT case_id, count(*) FROM contacts GROUP BY case_id"))
    generated = [c for c in _rows(filled, "cases") if c.ref > "C-1100" or len(c.ref) > 6]
    # Up to 3 from the generator, plus at most one the audit trail adds (a handler's override, demo_audit).
    overridden = {cid for (cid,) in _q(filled, "SELECT case_id FROM audit_events WHERE reason IS NOT NULL")}
    assert all(per_case.get(c.id, 0) <= (4 if c.id in overridden else 3) for c in generated)
    assert 1.0 < sum(per_case.get(c.id, 0) for c in generated) / len(generated) < 3.0
    with_customer = {cid for (cid,) in _q(filled, "SELECT DISTINCT case_id FROM parties")}
    assert all(c.id in with_customer for c in generated)


def test_search_index_is_filled(filled):
    from deskapp.store.search import search_case_ids

    hits = search_case_ids(filled, "Penrose")
    assert _case(filled, "C-1001").id in hits


def test_new_rows_get_fresh_ids_after_the_load(engine):
    from deskapp.store.models import Contact

    fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester")
    with session_scope(engine) as session:
        contact = Contact(case_id=1, at=datetime(2026, 3, 10, 12), channel="note", direction="internal",
                          summary="after demo")
        session.add(contact)
    assert contact.id == max(r.id for r in _rows(engine, "contacts"))


# --------------------------------------------------------------------------- refusing and replacing


def test_refuses_a_desk_with_cases_then_force_replaces(engine):
    fill_demo(engine, cases=10, seed=1, today=TODAY, me="tester")
    before = _rows(engine, "cases")
    with pytest.raises(DeskError, match="already holds 19 cases"):
        fill_demo(engine, cases=10, seed=2, today=TODAY, me="tester")
    assert _rows(engine, "cases") == before
    summary = fill_demo(engine, cases=5, seed=2, today=TODAY, me="tester", replace=True, actor="admin")
    assert _verify(engine).rows.checked["cases"] == 14, "the replaced demo verifies, nothing left of the old one"
    assert summary.wiped_cases == 19
    assert len(_rows(engine, "cases")) == 14
    assert len(_q(engine, "SELECT * FROM handlers")) == 5  # handlers are kept, not duplicated


def test_force_refused_on_a_desk_the_demo_did_not_make(engine):
    """A desk that is not a demo desk is never wiped, even by its admin."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO handlers (username, display_name, role, active, created_at) "
                          "VALUES ('kim', 'Kim', 'admin', :t, :at)"), {"t": True, "at": datetime(2026, 3, 1)})
        conn.execute(text("INSERT INTO cases (ref, kind, category, title, stage, status, priority, vulnerable, "
                          "received_at, extension_days, version, created_at, updated_at) VALUES ('C-9', 'enquiry', "
                          "'x', 'real', 1, 'new', 3, :f, :at, 0, 1, :at, :at)"), {"f": False, "at": datetime(2026, 3, 1)})
        conn.execute(text("INSERT INTO audit_events (id, at, actor, action, detail, findings, prev_hash, hash) "
                          "VALUES (1, :at, 'kim', 'case.new', '{}', '[]', '', 'x')"), {"at": datetime(2026, 3, 1)})
    with pytest.raises(NotAllowed, match="is not a demo desk.*never deleted"):
        fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester", replace=True, actor="kim")
    assert len(_rows(engine, "cases")) == 1
    events = _rows(engine, "audit_events")
    assert [(e.actor, e.action, e.detail["permission"]) for e in events[1:]] == [("kim", "refused", "demo.wipe")]


def test_big_load_path_keeps_indexes(engine, monkeypatch):
    """Above BIG_LOAD the cases indexes are dropped for the load and recreated exactly."""
    def index_sql():
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                return sorted(conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all())
            return sorted(conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()").all())

    before = index_sql()
    monkeypatch.setattr(demo_module, "BIG_LOAD", 10)
    monkeypatch.setattr(demo_generator, "BATCH", 7)
    fill_demo(engine, cases=30, seed=3, today=TODAY, me="tester")
    assert index_sql() == before
    assert len(_rows(engine, "cases")) == 39
    assert _verify(engine).rows.checked["cases"] == 39  # the big-load path records every row it wrote


def test_failed_load_writes_nothing(engine, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(search, "rebuild", explode)
    with pytest.raises(RuntimeError):
        fill_demo(engine, cases=10, seed=1, today=TODAY, me="tester")
    for table in TABLES + ("handlers",):
        assert _rows(engine, table) == [], table


def test_bad_arguments(engine):
    with pytest.raises(DeskError):
        fill_demo(engine, cases=-1)
    with pytest.raises(DeskError, match="cannot add you as a demo handler: username 'not a login'"):
        fill_demo(engine, cases=1, me="not a login")


def test_sqlite_stamps_match_what_the_orm_writes(tmp_path):
    engine = _fresh(f"sqlite:///{tmp_path}/s.db")
    fill_demo(engine, cases=5, seed=1, today=TODAY, me="tester")
    with session_scope(engine) as session:
        session.add(Case(ref="ORM-1", received_at=datetime(2026, 3, 2, 9, 30)))
    raw = dict(_q(engine, "SELECT ref, received_at FROM cases WHERE ref IN ('ORM-1', 'C-1001')"))
    orm, bulk = raw["ORM-1"], raw["C-1001"]
    assert isinstance(orm, str) and isinstance(bulk, str)
    assert len(orm) == len(bulk) and orm[10] == bulk[10] and orm[19:] == bulk[19:]


# --------------------------------------------------------------------------- deadlines


def test_due_at_is_what_the_policy_pack_says(filled):
    """Every case's due_at equals the next deadline the desk itself works out from the default pack."""
    from deskapp.config import policies_path
    from deskapp.policy import load_policies

    pack = load_policies(policies_path(None))
    now = datetime.combine(TODAY, datetime.min.time())
    checked = 0
    for case in _rows(filled, "cases"):
        expected = pack.deadlines(case, now).next_due
        if case.status == "closed" or case.responded_at is not None:
            expected = None
        assert case.due_at == expected, case.ref
        checked += case.due_at is not None
    assert checked > 50
    # different timescales really are in play: FCA (billing complaints) and the desk's own standard
    kinds = {(c.kind, c.category) for c in _rows(filled, "cases") if c.due_at is not None}
    assert ("complaint", "billing") in kinds and any(k in ("enquiry", "service_request") for k, _ in kinds)


def test_demo_uses_the_policies_it_is_given(tmp_path):
    """A pack with other timescales gives other due dates."""
    from deskapp.config import policies_path

    text_ = policies_path(None).read_text()
    slow = tmp_path / "slow.yaml"
    slow.write_text(text_.replace("respond: {working_days: 10, from: acknowledged}",
                                  "respond: {working_days: 30, from: acknowledged}"))
    a, b = _fresh(f"sqlite:///{tmp_path}/a.db"), _fresh(f"sqlite:///{tmp_path}/b.db")
    fill_demo(a, cases=0, today=TODAY, me="tester")
    fill_demo(b, cases=0, today=TODAY, me="tester", policies=slow)
    assert _case(b, "C-1001").due_at - _case(a, "C-1001").due_at >= timedelta(days=28)


def test_add_working_days_both_ways():
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)  # Fri + 1 = Mon
    assert add_working_days(date(2026, 3, 9), -1) == date(2026, 3, 6)
    assert add_working_days(date(2026, 3, 8), -1) == date(2026, 3, 5)  # Sun rolls back to Fri first
    assert add_working_days(date(2026, 3, 10), 0) == date(2026, 3, 10)
    assert add_working_days(date(2026, 3, 10), 15) == date(2026, 3, 31)


def test_if_empty_leaves_a_filled_desk_alone(engine):
    fill_demo(engine, cases=4, seed=1, today=TODAY, me="tester")
    before = _rows(engine, "cases")
    summary = fill_demo(engine, cases=50, seed=9, today=TODAY, me="tester", if_empty=True)
    assert summary.kept_cases == 13 and summary.cases == 0
    assert _rows(engine, "cases") == before
    # and on an empty desk it simply loads
    assert fill_demo(engine, cases=2, today=TODAY, me="tester", replace=True, if_empty=True, actor="admin").cases == 11


def test_sqlite_back_in_wal_after_load(tmp_path):
    engine = _fresh(f"sqlite:///{tmp_path}/w.db")
    fill_demo(engine, cases=5, seed=1, today=TODAY, me="tester")
    import sqlite3

    with sqlite3.connect(tmp_path / "w.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1


def test_sqlite_load_while_a_desk_has_the_file_open(tmp_path):
    """Another connection keeps the database in WAL mode; the load still goes through."""
    url = f"sqlite:///{tmp_path}/busy.db"
    engine = _fresh(url)
    other = connect(url)
    try:
        with other.connect() as desk:
            desk.exec_driver_sql("SELECT count(*) FROM cases").scalar()
            summary = fill_demo(engine, cases=5, seed=1, today=TODAY, me="tester")
            assert summary.cases == 14
            assert desk.exec_driver_sql("SELECT count(*) FROM cases").scalar() == 14
    finally:
        other.dispose()


def _small_chunks(monkeypatch):
    monkeypatch.setattr(demo_generator, "CHUNK_MIN", 25)
    monkeypatch.setattr(demo_generator, "BATCH", 10)


def test_chunks_cover_every_case_once():
    for n in (0, 1, 49_999, 50_000, 50_001, 449_999, 1_000_000, 3_333_333):
        parts = demo_generator.chunks(n)
        assert len(parts) <= demo_generator.MAX_CHUNKS
        assert sum(stop - start for start, stop in parts) == n
        assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
    arrivals = list(demo_generator.arrivals(500, 3, TODAY))
    assert len(arrivals) == 500
    assert arrivals == sorted(arrivals, key=lambda a: (-a[0], a[1]))  # oldest first
    assert list(demo_generator.arrivals(500, 3, TODAY, 123, 321)) == arrivals[123:321]


def test_parallel_load_gives_the_same_rows(tmp_path, monkeypatch):
    """Worker processes with staging files write exactly what the single-process path writes."""
    _small_chunks(monkeypatch)
    if demo_parallel._workers(120) == 0:
        pytest.skip("no fork, one CPU or threads running: the parallel path is not used here")
    monkeypatch.setattr(demo_module, "BIG_LOAD", 50)
    parallel = _fresh(f"sqlite:///{tmp_path}/parallel.db")
    fill_demo(parallel, cases=120, seed=5, today=TODAY, me="tester")
    monkeypatch.setattr(demo_parallel, "_workers", lambda cases: 0)
    serial = _fresh(f"sqlite:///{tmp_path}/serial.db")
    fill_demo(serial, cases=120, seed=5, today=TODAY, me="tester")
    for table in TABLES:
        assert _same_rows(parallel, table) == _same_rows(serial, table), table
    assert len(_rows(parallel, "cases")) == 129
    assert _verify(parallel).rows.checked["cases"] == 129 and _verify(serial).ok
    with parallel.connect() as conn:
        assert [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")] == ["main"]
    assert not list(tmp_path.glob("deskapp-demo-*"))  # the staging folder (made beside the database) is gone


def test_parallel_worker_failure_writes_nothing(tmp_path, monkeypatch):
    _small_chunks(monkeypatch)
    if demo_parallel._workers(120) == 0:
        pytest.skip("no fork, one CPU or threads running: the parallel path is not used here")
    engine = _fresh(f"sqlite:///{tmp_path}/fail.db")

    def broken(*args, **kwargs):
        raise ValueError("generator broke")

    monkeypatch.setattr(demo_generator, "generate_chunk", broken)
    with pytest.raises(ValueError, match="generator broke"):
        fill_demo(engine, cases=120, seed=5, today=TODAY, me="tester")
    for table in TABLES + ("handlers",):
        assert _rows(engine, table) == [], table
    with engine.connect() as conn:
        assert [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")] == ["main"]


# --------------------------------------------------------------------------- audit trail and --force


def _verify(engine):
    from deskapp.supervision.verify import verify

    report = verify(engine)
    assert report.ok, report.problem
    return report


def test_fresh_demo_has_a_valid_audit_trail_with_overrides_and_an_outlier(filled):
    from deskapp.actions.reads import case_view
    from deskapp.supervision.stats import override_stats

    report = _verify(filled)
    assert report.ok, report.problems()  # the chain, and every row the demo wrote against its digest
    everything = _rows(filled, "audit_events")
    assert report.checked == len(everything) and all(e.detail.get("demo") is True for e in everything)
    events = [e for e in everything if e.action != "demo.rows"]
    assert everything[len(events):] and all(e.action == "demo.rows" for e in everything[len(events):])
    assert len(events) > 50
    assert events[-1].action == "demo.load" and [e.at for e in events[:-1]] == sorted(e.at for e in events[:-1])
    overrides = [e for e in events if e.reason]
    assert len(overrides) >= 5 and all(any(f["severity"] == "warn" for f in e.findings) for e in overrides)
    # Every event about a contact names a real one on its case, and its reason shows in that case's history.
    with session_scope(filled) as session:
        for event in overrides:
            shown = {c.id: c for c in case_view(session, event.case_id).history}
            assert shown[event.contact_id].reason == event.reason
    # Every handler-made contact of the stories has its event.
    for ref in ("C-1001", "C-1003", "C-1008"):
        story = _case(filled, ref)
        made = _q(filled, "SELECT COUNT(*) FROM contacts WHERE case_id = :c AND handler_id IS NOT NULL", c=story.id)
        assert len([e for e in events if e.case_id == story.id]) == made[0][0], ref
    with filled.connect() as conn:
        stats = override_stats(conn, datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=18), 30)
    assert any(row.outlier and row.handler == "jo" for row in stats.rows), stats.rows


def test_demo_events_are_what_the_rules_say(filled):
    """The findings recorded are the policy pack's own for that action on the case as it stood."""
    from dataclasses import replace

    from deskapp.actions.facts import action_snapshot, case_snapshot
    from deskapp.actions.reads import case_view
    from deskapp.core.views import ActionRequest
    from deskapp.config import policies_path
    from deskapp.policy import evaluate, load_policies

    pack = load_policies(policies_path(None))
    events = [e for e in _rows(filled, "audit_events") if e.contact_id is not None]
    with session_scope(filled) as session:
        for event in events[:40] + [e for e in events if e.reason]:
            case = case_view(session, event.case_id)
            i = next(i for i, c in enumerate(case.history) if c.id == event.contact_id)
            request = ActionRequest(**{**event.detail["request"], "at": case.history[i].at})
            snap = case_snapshot(replace(case, history=case.history[:i]))
            expected = [f.as_dict() for f in evaluate(pack, snap, action_snapshot(request, event.actor), event.at)]
            assert event.findings == expected, (case.ref, event.action)


def _counts(engine, tables=("cases", "parties", "contacts", "approval_requests", "drafts", "audit_events")):
    return {t: _q(engine, f"SELECT COUNT(*) FROM {t}")[0][0] for t in tables}


def _work_the_demo(engine, db_url):
    """jo works a demo desk: a note, a draft, an approval request, presence on a case."""
    from deskapp.actions import ActionRequest, Done, open_desk, save_draft
    from deskapp.actions.submit import submit
    from deskapp.live.presence import Presence

    desk = open_desk(db_url, None, "jo", clock=lambda: datetime(2026, 3, 10, 12, 0))
    try:
        case = _case(engine, "C-1005")
        assert isinstance(submit(desk, ActionRequest(kind="note", case_id=case.id, version=case.version,
                                                     body="worked")), Done)
        c1002 = _case(engine, "C-1002")
        save_draft(desk, c1002.id, "message", {}, "Dear customer")
        customer = _q(engine, "SELECT MIN(id) FROM parties WHERE case_id = :c", c=c1002.id)[0][0]
        card = ActionRequest(kind="message", case_id=c1002.id, version=c1002.version, channel="email",
                             party_id=customer, body="Card 5555 5555 5555 4444")
        submit(desk, card, request_approval=True, reason="The customer asked in writing")
        Presence(desk.engine, handler_id=desk.me.id, username="jo").viewing(case.id)
    finally:
        desk.close()


@pytest.mark.parametrize("who", ["tester", "admin"])
def test_force_refused_on_a_worked_demo_desk(engine, db_url, who):
    """The issue's attack: `demo --force` on a desk where people have worked deletes nothing, run by a
    handler or by an admin; the refusal is audited under their name and the chain still verifies."""
    fill_demo(engine, cases=20, seed=1, today=TODAY, me="tester")
    _work_the_demo(engine, db_url)
    before = _counts(engine)
    assert before["approval_requests"] == 1 and before["drafts"] == 1
    events_before = _rows(engine, "audit_events")
    expected = "tester is a handler: wiping a demo desk" if who == "tester" else "audit records that a demo did not write"
    with pytest.raises(NotAllowed, match=expected):
        fill_demo(engine, cases=3, seed=2, today=TODAY, me="tester", replace=True, actor=who)
    after = _rows(engine, "audit_events")
    assert after[:len(events_before)] == events_before
    assert [(e.actor, e.action, e.detail["permission"]) for e in after[len(events_before):]] == \
        [(who, "refused", "demo.wipe")]
    assert _counts(engine) == {**before, "audit_events": before["audit_events"] + 1}
    _verify(engine)


def test_force_refused_for_someone_who_is_not_a_handler(engine):
    fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester")
    before = _counts(engine)
    with pytest.raises(DeskError, match="mallory is not a handler on this desk"):
        fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester", replace=True, actor="mallory")
    assert _counts(engine) == before  # nobody identified: no event


def test_force_refused_for_an_inactive_admin(engine):
    fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester")
    with engine.begin() as conn:
        conn.execute(text("UPDATE handlers SET active = :f WHERE username = 'admin'"), {"f": False})
    with pytest.raises(NotAllowed, match="inactive"):
        fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester", replace=True, actor="admin")
    assert len(_rows(engine, "cases")) == 12


def test_a_look_alike_detail_does_not_make_an_event_the_demos(engine):
    """Only `"demo": true` exactly, at the top level of the detail, marks the demo's events."""
    from sqlmodel import Session

    from deskapp.actions import audit

    fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester")
    with Session(engine) as session, session.begin():
        audit.append(session, actor="sam", action="note", at=datetime(2026, 3, 10, 9),
                     detail={"demo": "true", "request": {"demo": True}})
    with pytest.raises(NotAllowed, match="a demo did not write"):
        fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester", replace=True, actor="admin")


def test_force_replaces_an_unworked_demo_desk_whole(engine, db_url):
    """--force by an admin on a demo desk with nothing but the demo's records: cases, history, drafts, the
    change feed, presence and the audit log all go; the triggers that guard the log come back; the new log
    verifies; the desk stays a demo desk."""
    from deskapp.actions import open_desk, save_draft
    from deskapp.live.presence import Presence
    from deskapp.store.guard import is_guarded
    from deskapp.store.settings import is_demo

    first = fill_demo(engine, cases=20, seed=1, today=TODAY, me="tester")
    assert first.marked_demo and is_demo(engine)
    desk = open_desk(db_url, None, "jo", clock=lambda: datetime(2026, 3, 10, 12, 0))
    try:
        case = _case(engine, "C-1005")
        save_draft(desk, case.id, "message", {}, "Dear customer")
        Presence(desk.engine, handler_id=desk.me.id, username="jo").viewing(case.id)
    finally:
        desk.close()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO changes (at, actor, kind) VALUES (:at, 'jo', 'note')"),
                     {"at": datetime(2026, 3, 10)})
    for table in ("changes", "presence", "drafts"):
        assert _q(engine, f"SELECT COUNT(*) FROM {table}")[0][0] > 0, table
    top_change = _q(engine, "SELECT MAX(id) FROM changes")[0][0]

    summary = fill_demo(engine, cases=20, seed=1, today=TODAY, me="tester", replace=True, actor="admin")
    assert summary.wiped_cases == 29 and not summary.marked_demo and is_demo(engine)
    for table in ("changes", "presence", "drafts"):
        assert _q(engine, f"SELECT COUNT(*) FROM {table}")[0][0] == 0, table
    assert all(e.detail.get("demo") is True for e in _rows(engine, "audit_events"))
    _verify(engine)
    with engine.connect() as conn:
        assert is_guarded(conn)
        conn.execute(text("INSERT INTO changes (at, actor, kind) VALUES (:at, 'x', 'note')"),
                     {"at": datetime(2026, 3, 10)})
        assert conn.execute(text("SELECT MAX(id) FROM changes")).scalar() > top_change  # feed ids keep rising
        conn.rollback()
    with pytest.raises(DBAPIError), engine.begin() as conn:  # the append-only triggers are back
        conn.execute(text("DELETE FROM audit_events"))


def test_demo_appends_to_a_log_that_is_already_there(engine):
    """A desk with no cases but an audit log keeps its chain: the demo's events follow it; the demo did not
    make that desk, so it is no demo desk and --force will not delete it."""
    from sqlmodel import Session

    from deskapp.actions import audit
    from deskapp.store.handlers import add_handler

    kim = add_handler(engine, "kim", "admin")
    with Session(engine) as session, session.begin():
        audit.append(session, actor="kim", handler_id=kim.id, action="user.add", at=datetime(2026, 3, 1, 9),
                     detail={"username": "kim"})
    before = _rows(engine, "audit_events")
    assert not fill_demo(engine, cases=5, seed=1, today=TODAY, me="tester").marked_demo
    after = _rows(engine, "audit_events")
    assert after[0] == before[0] and after[1].prev_hash == before[0].hash
    assert _verify(engine).checked == len(after)
    with pytest.raises(NotAllowed, match="not a demo desk"):
        fill_demo(engine, cases=5, seed=1, today=TODAY, me="tester", replace=True, actor="kim")


def _publish(engine, version, source="policies.yaml", actor="root"):
    from sqlmodel import Session

    from deskapp.actions import audit

    with Session(engine) as session, session.begin():
        audit.append(session, actor=actor, action="policy.publish", at=datetime(2026, 3, 1, 9),
                     detail={"version": version, "source": source, "sha256": "ab" * 32})


def test_init_publishing_the_packaged_rules_still_leaves_a_new_desk(engine):
    """`deskapp init` then `deskapp demo`: init's publish of the packaged rules (the log's first event) is
    setting up, so the demo makes it a demo desk, and --force may later wipe it (publish and all)."""
    _publish(engine, 1)
    assert fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester").marked_demo
    summary = fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester", replace=True, actor="admin")
    assert summary.wiped_cases == 12
    _verify(engine)


@pytest.mark.parametrize("version, source", [(2, "policies.yaml"), (1, "ours.yaml")])
def test_any_other_publish_is_work(engine, version, source):
    _publish(engine, version, source)
    assert not fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester").marked_demo
    with pytest.raises(NotAllowed, match="not a demo desk"):
        fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester", replace=True, actor="admin")


def test_a_setup_publish_later_in_the_log_is_work(engine):
    fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester")
    _publish(engine, 1)
    with pytest.raises(NotAllowed, match="a demo did not write.*policy.publish"):
        fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester", replace=True, actor="admin")


def test_demo_events_record_the_rules_they_were_checked_against(engine):
    fill_demo(engine, cases=3, seed=1, today=TODAY, me="tester")
    [pack] = _rows(engine, "policy_packs")  # the packaged rules, published by the demo for its new desk
    events = _rows(engine, "audit_events")
    assert len(events) > 1 and all(e.policy_hash == pack.sha256 for e in events)
    _verify(engine)
