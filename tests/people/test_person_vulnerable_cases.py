"""A person marked vulnerable shows V on ALL their cases in the queue: cases.person_vulnerable is kept in step
by every action that changes it (set_vulnerability, adding a party, merge and unmerge, import, erasure) and
the migration backfills it. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from sqlalchemy import select, text
from sqlmodel import Session

from deskapp.actions import Done, new_case, save_party, set_vulnerability
from deskapp.actions.person_merge import merge_persons, unmerge_persons
from deskapp.store import migrate
from deskapp.store.models import Case, Change, Person
from deskapp.store.person_flags import flagged, sync_person_vulnerable
from deskapp.store.queue import Queue, QueueFilter
from deskapp.supervision.verify import verify

from .conftest import NOW, add_person


def _queue_v(engine, ref: str) -> bool:
    """The V of `ref` as the queue reads it (every status, so closed cases count too)."""
    queue = Queue(engine, QueueFilter(open_only=False), "due", NOW)
    rows = [r for r in queue.rows(0, queue.count()) if r.ref == ref]
    assert len(rows) == 1
    return rows[0].vulnerable


def _flag(engine, case_id: int) -> bool:
    with engine.connect() as conn:
        return flagged(conn, case_id)


def _lee_twice(sam):
    first = new_case(sam, kind="complaint", category="repairs", title="Damp", received_at=datetime(2026, 3, 2, 9),
                     party={"role": "resident", "name": "Lee Price", "phone": "07700 900412"})
    lee = first.person_of(first.parties[0].id).id
    second = new_case(sam, kind="complaint", category="repairs", title="Cold radiator",
                      received_at=datetime(2026, 3, 9, 9), party={"role": "resident", "name": "Lee Price"},
                      person_id=lee)
    return first, second, lee


def test_marking_a_person_vulnerable_shows_v_on_their_other_case(team, engine):
    sam = team["sam"]
    first, second, lee = _lee_twice(sam)
    other = new_case(sam, kind="complaint", category="repairs", title="Same name, another man",
                     received_at=datetime(2026, 3, 9, 10), party={"role": "resident", "name": "Lee Price"})
    assert not _queue_v(engine, second.ref)
    done = set_vulnerability(sam, first.id, first.version, person_id=lee, vulnerable=True, reason="Lives alone")
    assert isinstance(done, Done)
    assert _queue_v(engine, first.ref) and _queue_v(engine, second.ref)
    assert not _queue_v(engine, other.ref), "a different person with the same name is not flagged"
    with Session(engine) as s:  # the other case gets a change line (open desks repaint), no version bump
        lines = s.execute(select(Change.case_id, Change.kind).where(Change.kind == "person.vulnerability")).all()
        assert sorted(lines) == sorted([(first.id, "person.vulnerability"), (second.id, "person.vulnerability")])
    from deskapp.actions import load_case

    assert load_case(sam, second.id).version == second.version
    from deskapp.commands.case_text import case_lines

    assert "VULNERABLE" in case_lines(load_case(sam, second.id))[1]  # `deskapp case show` says so too
    done = set_vulnerability(sam, second.id, second.version, person_id=lee, vulnerable=False)
    assert not _queue_v(engine, first.ref) and not _queue_v(engine, second.ref)
    assert verify(engine).ok


def test_a_vulnerable_person_added_to_a_case_flags_it(team, engine):
    sam = team["sam"]
    first, second, lee = _lee_twice(sam)
    set_vulnerability(sam, first.id, first.version, person_id=lee, vulnerable=True, reason="Recent bereavement")
    third = new_case(sam, kind="enquiry", category="rent", title="Rent query", received_at=datetime(2026, 3, 9, 11),
                     party={"role": "customer", "name": "Joan Price"})
    assert not _flag(engine, third.id)
    save_party(sam, third.id, third.version, role="third_party", name="Lee Price", person_id=lee)
    assert _flag(engine, third.id) and _queue_v(engine, third.ref)
    fourth = new_case(sam, kind="complaint", category="repairs", title="Leak", received_at=datetime(2026, 3, 9, 12),
                      party={"role": "resident", "name": "Lee Price"}, person_id=lee)
    assert _flag(engine, fourth.id)


def test_merge_carries_the_flag_and_unmerge_takes_it_back(team, engine):
    keep, keep_cases = add_person(engine, "Arthur Penrose", phone="07700 900412", cases=2)
    other, other_cases = add_person(engine, "Mr A Penrose", phone="+44 7700 900412", vulnerable=True)
    with Session(engine) as s, s.begin():  # add_person writes straight to the store: derive the flag once
        sync_person_vulnerable(s, person_ids=[keep, other])
    assert [_flag(engine, c) for c in keep_cases + other_cases] == [False, False, True]
    done = merge_persons(team["priya"], keep, other, "same caller")
    assert [_flag(engine, c) for c in keep_cases + other_cases] == [True, True, True]
    unmerge_persons(team["ada"], done.merge_id, "father and son")
    assert [_flag(engine, c) for c in keep_cases + other_cases] == [False, False, True]
    assert verify(engine).ok


def test_sync_touches_only_rows_that_differ(team, engine):
    person, cases = add_person(engine, "Ruth Kay", cases=3, vulnerable=True)
    with Session(engine) as s, s.begin():
        assert sync_person_vulnerable(s, person_ids=[person]) == sorted(cases)
        assert sync_person_vulnerable(s, person_ids=[person], case_ids=cases) == []
        s.get(Person, person).vulnerable = False
        assert sync_person_vulnerable(s, case_ids=[cases[0]]) == [cases[0]]


def _to(engine, revision, down=False):
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_the_migration_backfills_and_is_reversible(engine):
    person, cases = add_person(engine, "Ruth Kay", cases=2, vulnerable=True)
    plain, plain_cases = add_person(engine, "Tom Ellery", cases=1)
    _to(engine, "links1", down=True)
    with engine.connect() as conn:
        assert "person_vulnerable" not in [c for c in conn.execute(text("SELECT * FROM cases")).keys()]
    _to(engine, "people4")
    assert [_flag(engine, c) for c in cases + plain_cases] == [True, True, False]


def test_the_vulnerable_filter_lists_cases_flagged_either_way(team, engine):
    sam = team["sam"]
    first, second, lee = _lee_twice(sam)
    own = new_case(sam, kind="complaint", category="repairs", title="Flagged on the case", vulnerable=True,
                   received_at=datetime(2026, 3, 9, 10), party={"role": "customer", "name": "Joan Smith"})
    new_case(sam, kind="complaint", category="repairs", title="Namesake", received_at=datetime(2026, 3, 9, 11),
             party={"role": "resident", "name": "Lee Price"})

    def listed(**kw):
        queue = Queue(engine, QueueFilter(vulnerable=True, **kw), "due", NOW)
        return sorted(r.ref for r in queue.rows(0, queue.count()))

    assert listed() == [own.ref]
    set_vulnerability(sam, first.id, first.version, person_id=lee, vulnerable=True, reason="Lives alone")
    assert listed() == sorted([first.ref, second.ref, own.ref])
    with Session(engine) as s, s.begin():
        s.get(Case, second.id).status = "closed"
    assert listed() == sorted([first.ref, own.ref])
    assert listed(open_only=False) == sorted([first.ref, second.ref, own.ref])
