"""Full-text search: what it finds, in what order, kept in step, and that no input can break it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, update
from sqlmodel import Session

from deskapp.store import search
from deskapp.store.models import Case, Contact, Handler, Party
from deskapp.store.queue import Queue, QueueFilter

from queue_data import NOW, memory_engine

CASES = [
    # id, ref, status, title, parties [(role, name, email, phone)], contacts [(summary, body)]
    (1, "C-1001", "new", "Boiler broken", [("customer", "Karen Turner", "k.turner@example.org", "07700 900123")],
     [("Call about the boiler", "No heating since Monday")]),
    (2, "C-1002", "investigating", "Noise from flat above", [("customer", "Zoë Ó Briain", None, None)],
     [("Letter sent", "We wrote to Ms Turner's neighbour about the noise")]),
    (3, "C-10010", "closed", "Old boiler complaint", [("resident", "Sam Turner", None, "+44 (0)20 7946 0000")],
     [("Closed", "Resolved, boiler replaced")]),
    (4, "C-1004", "responded", "Missed bin collection", [("customer", "Ade Okafor", None, None)],
     [("Bins missed", "Recycling missed twice on Elm Street")]),
]


def fill(engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Handler.__table__), [{"id": 1, "username": "ann", "display_name": "Ann",
                                                  "role": "handler", "active": True, "created_at": NOW}])
        for case_id, ref, status, title, parties, contacts in CASES:
            conn.execute(insert(Case.__table__), [{
                "id": case_id, "ref": ref, "kind": "complaint", "category": "repairs", "title": title,
                "stage": 1, "status": status, "priority": 3, "vulnerable": False,
                "received_at": NOW - timedelta(days=case_id), "due_at": NOW + timedelta(days=5 - case_id),
                "extension_days": 0, "version": 1, "created_at": NOW, "updated_at": NOW}])
            for role, name, email, phone in parties:
                conn.execute(insert(Party.__table__), [{
                    "case_id": case_id, "role": role, "name": name, "email": email, "phone": phone,
                    "designated": False, "authorised": False, "created_at": NOW}])
            for summary, body in contacts:
                conn.execute(insert(Contact.__table__), [{
                    "case_id": case_id, "at": NOW, "channel": "phone", "direction": "in",
                    "summary": summary, "body": body, "created_at": NOW}])
    search.rebuild(engine)


def ids(engine, text, **kw):
    with engine.connect() as conn:
        return list(search.find(conn, text, **kw).ids)


@pytest.fixture
def desk(engine):
    fill(engine)
    return engine


def test_finds_by_name_ref_phone_email_and_contact_text(desk):
    assert set(ids(desk, "turner")) == {1, 2, 3}
    assert ids(desk, "C-1002")[0] == 2
    assert ids(desk, "c-1002")[0] == 2  # refs are found whatever the case typed
    assert ids(desk, "07700900123") == [1]  # phone typed without spaces
    assert ids(desk, "900123") == [1]
    assert 1 in ids(desk, "k.turner@example.org")
    assert ids(desk, "heating") == [1]
    assert set(ids(desk, "recycling elm")) == {4}
    assert ids(desk, "recycling mars") == []


def test_prefix_matching_for_words_of_three_letters_or_more(desk):
    assert set(ids(desk, "Turn")) == {1, 2, 3}
    assert set(ids(desk, "boil")) == {1, 3}
    assert ids(desk, "Tu") == []  # two letters match whole words only


def test_exact_ref_first_then_names_then_text_newest_first(desk):
    # "Turner" is a party of 1 and 3, and only in a letter on case 2.
    assert ids(desk, "turner") == [3, 1, 2]
    # C-1001 typed exactly comes first; C-10010 matches the prefix too.
    assert ids(desk, "C-1001")[:2] == [1, 3]


def test_filters_apply_before_the_limit(desk):
    open_only = Queue(desk, QueueFilter(search="turner"), "relevance", NOW)
    assert [r.id for r in open_only.rows(0, 10)] == [1, 2]
    with desk.connect() as conn:
        hits = search.find(conn, "turner", limit=2)
    assert hits.ids == (3, 1) and hits.truncated
    assert not Queue(desk, QueueFilter(search="turner", open_only=False), "due", NOW).truncated


def test_a_full_first_tier_skips_the_others(desk):
    """When the names tier alone has more matches than the limit, the text tier could add nothing: it is
    not asked (a common surname on a big desk costs one full-text query, not two)."""
    from sqlalchemy import event

    matches: list[str] = []

    def note(conn, cursor, statement, params, context, executemany):
        if "case_search" in statement:
            matches.append(statement)

    event.listen(desk, "before_cursor_execute", note)
    try:
        with desk.connect() as conn:
            full = search.find(conn, "turner", limit=1)
            assert full.ids == (3,) and full.truncated and len(matches) == 1
            matches.clear()
            roomy = search.find(conn, "turner", limit=10)
            assert roomy.ids == (3, 1, 2) and not roomy.truncated and len(matches) == 2
    finally:
        event.remove(desk, "before_cursor_execute", note)


def test_search_queue_in_a_sort_keeps_the_typed_ref_first(desk):
    queue = Queue(desk, QueueFilter(search="C-1001", open_only=False), "due", NOW)
    got = [r.id for r in queue.rows(0, 10)]
    assert got[0] == 1 and set(got) == {1, 3} and queue.exact_id == 1
    # Sorted by due date (3 is due before 1), apart from the pinned case.
    queue = Queue(desk, QueueFilter(search="turner", open_only=False), "due", NOW)
    assert [r.id for r in queue.rows(0, 10)] == [3, 2, 1]
    assert queue.index_of(2) == 1 and queue.index_of(4) is None


def test_index_case_keeps_the_index_in_step(desk):
    with Session(desk) as session:
        session.execute(update(Party.__table__).where(Party.__table__.c.case_id == 4).values(name="Bea Quill"))
        session.execute(insert(Contact.__table__).values(
            case_id=4, at=NOW, channel="email", direction="out", summary="Apology", body="sent a voucher",
            created_at=NOW))
        search.index_case(session, 4)
        session.commit()
    assert ids(desk, "quill") == [4]
    assert ids(desk, "okafor") == []
    assert ids(desk, "voucher") == [4]
    # Re-indexing a case that no longer exists just removes it.
    with Session(desk) as session:
        session.execute(Contact.__table__.delete().where(Contact.__table__.c.case_id == 4))
        session.execute(Party.__table__.delete().where(Party.__table__.c.case_id == 4))
        session.execute(Case.__table__.delete().where(Case.__table__.c.id == 4))
        search.index_case(session, 4)
        session.commit()
    assert ids(desk, "quill") == []


def test_rebuild_replaces_everything(desk):
    with desk.begin() as conn:
        conn.execute(update(Case.__table__).where(Case.__table__.c.id == 1).values(title="Kettle"))
    assert ids(desk, "kettle") == []  # not re-indexed yet
    assert search.rebuild(desk) == 4
    assert ids(desk, "kettle") == [1]


NASTY = ['"', '""', "'", "\\", "*", "^", "-", "+", ":", "(", ")", "{ref}: x", "ref:C-1001", "NEAR(a b, 2)",
         "a OR b", "a AND", "NOT a", "AND", "OR OR", '"unterminated', "x*y*", "'; DROP TABLE cases; --",
         "\x00", "\x1b[2J", "\x07", "\u202e", "[@click=app.quit]x[/]", "名前", "a" * 500, "   ", "",
         "!!!", "a & b | !c", "'a':*", "<->", "zoë:*A"]


@pytest.mark.parametrize("text", NASTY)
def test_any_text_is_just_text(desk, text):
    ids(desk, text)
    Queue(desk, QueueFilter(search=text), "relevance", NOW).rows(0, 5)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60) | st.lists(st.sampled_from(NASTY + ["turner", "C-1001", "boiler"]),
                                             max_size=6).map(" ".join))
def test_no_input_raises_on_sqlite(text):
    engine = _shared_engine()
    with engine.connect() as conn:
        hits = search.find(conn, text)
    assert all(isinstance(i, int) for i in hits.ids)


_ENGINE = None


def _shared_engine():
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = memory_engine()
        fill(_ENGINE)
    return _ENGINE


def test_diacritics_are_ignored_on_sqlite(desk):
    if desk.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's 'simple' configuration keeps accents (no unaccent extension assumed)")
    assert ids(desk, "zoe briain") == [2]


def test_the_migration_indexes_cases_that_already_exist(db_url):
    from alembic import command

    from sqlalchemy import column
    from sqlalchemy import table as sa_table

    from deskapp.store.engine import connect
    from deskapp.store.migrate import _config, upgrade

    engine = connect(db_url)
    try:
        cfg = _config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "sup1")
        with engine.begin() as conn:
            # The table as sup1 had it (the model's table has columns added since).
            old_cases = sa_table("cases", *(column(name) for name in (
                "id", "ref", "kind", "category", "title", "stage", "status", "priority", "vulnerable", "received_at",
                "extension_days", "version", "created_at", "updated_at")))
            conn.execute(insert(old_cases), [{
                "id": 7, "ref": "C-7", "kind": "enquiry", "category": "x", "title": "Pigeons in the loft",
                "stage": 1, "status": "new", "priority": 3, "vulnerable": False, "received_at": NOW,
                "extension_days": 0, "version": 1, "created_at": NOW, "updated_at": NOW}])
        upgrade(engine)
        assert ids(engine, "pigeons") == [7]
    finally:
        engine.dispose()


def test_the_desks_search_covers_closed_cases_below_open_ones(desk):
    """Issue #17.4: a search from the desk's filters (no status chosen) finds closed cases too,
    after every open one in each sort; a typed ref finds its case whatever its status."""
    from types import SimpleNamespace

    from deskapp.store.queue import query_from_filters

    base = Queue(desk, now=NOW)
    for sort in ("due", "relevance", "received", "ref"):
        queue = query_from_filters(base, SimpleNamespace(search="turner"), sort)
        assert [r.id for r in queue.rows(0, 10)][-1] == 3, sort  # closed, found, and last
        assert {r.id for r in queue.rows(0, 10)} == {1, 2, 3}
    closed = query_from_filters(base, SimpleNamespace(search="C-10010"), "due")
    assert [r.id for r in closed.rows(0, 10)] == [3] and closed.exact_id == 3
    assert [r.status for r in closed.rows(0, 1)] == ["closed"]
    # A status chosen by the handler still applies.
    only_new = query_from_filters(base, SimpleNamespace(search="turner", statuses=("new",)), "due")
    assert [r.id for r in only_new.rows(0, 10)] == [1]


def test_closed_cases_rank_below_open_ones_before_the_limit(desk, monkeypatch):
    """The open cases fill the list first: a limit never drops an open match for a closed one."""
    from deskapp.store.queue import CLOSED, CASES

    with desk.connect() as conn:
        hits = search.find(conn, "turner", cases_table=CASES, last=CLOSED, limit=2)
        assert hits.ids == (1, 2) and hits.truncated
        # More matches than the limit in a tier: the open ones are read on past the closed ones.
        assert search.find(conn, "turner", cases_table=CASES, last=CLOSED, limit=1).ids == (1,)
        assert search.find(conn, "boiler", cases_table=CASES, last=CLOSED, limit=1).ids == (1,)
        # A tier read to its cap goes on for the open ones from where it stopped.
        monkeypatch.setattr(search, "SPLIT_READ", 1)
        capped = search.find(conn, "turner", cases_table=CASES, last=CLOSED, limit=2)
        assert capped.ids == (1, 2) and capped.truncated
        assert search.find(conn, "turner", cases_table=CASES, last=CLOSED, limit=3).ids == (1, 2, 3)
        assert search.find(conn, "C-10010", cases_table=CASES, last=CLOSED).ids[0] == 3
