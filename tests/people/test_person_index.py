"""The person-finding index (person_keys): kept in step with persons by the ORM, rebuilt in bulk, probed by key."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
from sqlalchemy import select, text
from sqlmodel import Session

from deskapp.store.models import Person, PersonKey
from deskapp.core.person_match import blocking_keys
from deskapp.store.people_index import persons_with_key, rebuild, search_keys
from deskapp.store.person_keys import keys_of, points_of

from .conftest import add_person


def keys(engine, person_id) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(PersonKey.key).where(PersonKey.person_id == person_id)).scalars())


def test_a_person_written_through_the_orm_is_keyed_and_rekeyed(engine):
    pid, _ = add_person(engine, "Arthur Penrose", phone="07700 900412", email="A.Penrose@Example.org",
                        address="Flat 4, Linden Court, Northvale NV3 2LP")
    assert keys(engine, pid) == {"p:+447700900412", "e:a.penrose@example.org", "n:penrose|a", "a:penrose|nv32lp",
                                 "s:penrose", "w:nv32lp"}
    with Session(engine) as s, s.begin():
        s.get(Person, pid).phone = "+44 20 7946 0018"
    assert "p:+442079460018" in keys(engine, pid) and "p:+447700900412" not in keys(engine, pid)
    with Session(engine) as s, s.begin():
        other = Person(name="Arthur P")
        s.add(other)
        s.flush()
        s.get(Person, pid).merged_into_id = other.id
    assert keys(engine, pid) == set()  # merged: found through the person it was merged into


def test_rebuild_keys_every_live_person_again(engine):
    a, _ = add_person(engine, "Jo Bloggs", phone="07700 900111")
    b, _ = add_person(engine, "Ann Other", email="ann@example.org")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM person_keys"))
        assert rebuild(conn) == 6
    assert keys(engine, a) == {"p:+447700900111", "n:bloggs|j", "s:bloggs"}
    assert keys(engine, b) == {"e:ann@example.org", "n:other|a", "s:other"}


def test_a_phone_in_any_format_finds_the_person(engine):
    pid, _ = add_person(engine, "Arthur Penrose", phone="07700 900412")
    with engine.connect() as conn:
        for typed in ("07700900412", "+44 7700 900 412", "(07700) 900-412", "0044 7700 900412"):
            found = [pid for key in search_keys(typed) for pid in persons_with_key(conn, key)]
            assert found == [pid], typed


def test_search_keys_read_names_emails_and_places():
    assert search_keys("Jo@Example.org")[0] == "e:jo@example.org"
    assert search_keys("Arthur Penrose") == ["n:penrose|a", "s:penrose"]
    assert search_keys("Penrose, Arthur")[:2] == ["n:penrose|a", "s:penrose"]
    assert "w:nv32lp" in search_keys("NV3 2LP")
    assert search_keys("") == []


texts = st.one_of(st.none(), st.text(max_size=30),
                  st.sampled_from(["Arthur Penrose", "Mr A. Penrose", "07700 900412", "+44 20 7946 0018",
                                   "Jo@Example.org", "Flat 4, Linden Court, NV3 2LP", "1 Mill Ln", "Dr 42"]))


@settings(max_examples=300, deadline=None)
@given(texts, texts, texts, texts)
def test_the_index_holds_every_blocking_key_the_matcher_uses(name, address, phone, email):
    keys = keys_of(name, address, phone, email)
    assert {k for k in blocking_keys(points_of(name, address, phone, email)) if len(k) <= 300} <= keys
    assert {k[:2] for k in keys} <= {"p:", "e:", "n:", "a:", "s:", "w:"}


def test_migration_people2_keys_the_persons_people1_made_and_goes_back(engine):
    from alembic import command
    from sqlalchemy import inspect

    from deskapp.store import migrate

    pid, _ = add_person(engine, "Arthur Penrose", phone="07700 900412")
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "people1")
    assert not {"person_keys", "person_merges"} & set(inspect(engine).get_table_names())
    migrate.upgrade(engine)
    assert keys(engine, pid) == {"p:+447700900412", "n:penrose|a", "s:penrose"}
