"""people1: parties become persons, merged only on exact matches; the chain verifies; downgrade restores parties."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from deskapp.core.rowdigest import DIGESTED_BEFORE_PEOPLE
from deskapp.store import migrate
from deskapp.store.engine import connect
from deskapp.store.rowdigests import live_digests, recorded_latest
from deskapp.supervision.verify import verify

T = "'2026-03-02 09:00:00.000000'"
# id, name, phone, email, organisation
PARTIES = [
    (1, "Ann Lee", "07700 900111", None, None),
    (2, "ann  LEE", "+44 7700 900111", None, None),  # same name key, same number written otherwise: 1
    (3, "Ann Lee", "07700 900222", "ann@Example.ORG", None),  # another Ann Lee: other phone, no email in common
    (4, "Ann Lee", None, " ann@example.org", None),  # same email once normalised: 3
    (5, "Ann Leigh", "07700 900111", None, None),  # same phone, other name: own person
    (6, "Bob Kay", "not known", None, None),  # kept as written, flagged
    (7, "Bob Kay", "not known", None, None),  # a phone that does not parse matches nothing
    (8, "Cy Dee", "020 7946 0001", None, "Social services"),
    (9, "Cy Dee", "+442079460001", "cy@council.example", " social  SERVICES"),
    (10, "Cy Dee", None, "cy@council.example", None),  # 8 = 9 by phone, 9 = 10 by email: one person
]
GROUPS = {1: 1, 2: 1, 3: 3, 4: 3, 5: 5, 6: 6, 7: 7, 8: 8, 9: 8, 10: 8}


def _q(value):
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


OLD_ROWS = [
    f"INSERT INTO handlers (id, username, display_name, role, active, created_at) VALUES (1, 'sam', 'Sam', 'handler', true, {T})",
    *(f"INSERT INTO cases (id, ref, kind, category, title, stage, status, priority, vulnerable, received_at, "
      f"extension_days, version, created_at, updated_at, assigned_to_id) VALUES ({i}, 'C-{1000 + i}', 'complaint', "
      f"'repairs', 'Case {i}', 1, 'new', 2, false, {T}, 0, 1, {T}, {T}, 1)" for i in range(1, 11)),
    *(f"INSERT INTO parties (id, case_id, role, name, designated, authorised, phone, email, organisation, address, "
      f"created_at) VALUES ({i}, {i}, 'customer', {_q(name)}, false, false, {_q(phone)}, {_q(email)}, {_q(org)}, "
      f"{_q('1 High St' if i == 10 else None)}, {T})"
      for i, name, phone, email, org in PARTIES),
    # Contacts and an appointment point at parties: a downgrade on SQLite must keep them pointing.
    *(f"INSERT INTO contacts (id, case_id, at, channel, direction, party_id, handler_id, summary, created_at) "
      f"VALUES ({i}, {i}, {T}, 'phone', 'in', {i}, 1, 'Rang', {T})" for i in range(1, 11)),
    f"INSERT INTO appointments (id, case_id, party_id, at, purpose, status, created_at) "
    f"VALUES (1, 2, 2, {T}, 'visit', 'booked', {T})",
]


@pytest.fixture
def old_db(db_url):
    """A database at mail19c1 (the head before persons) with ten parties on ten cases, all recorded."""
    engine = connect(db_url)
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "trust1")
        for sql in OLD_ROWS:
            conn.execute(text(sql))
        command.upgrade(cfg, "mail19c1")
    yield engine
    engine.dispose()


def _parties(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT id, case_id, role, name, phone, email, organisation, address "
                                 "FROM parties ORDER BY id")).all()


def _to(engine, revision, down=False):
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_parties_become_persons_merged_on_exact_matches_only(old_db):
    migrate.upgrade(old_db)
    with old_db.connect() as conn:
        links = dict(conn.execute(text("SELECT id, person_id FROM parties")).all())
        persons = {row.id: row for row in conn.execute(text("SELECT * FROM persons"))}
        orgs = conn.execute(text("SELECT id, name, name_key FROM organisations")).all()
    assert links == GROUPS
    assert sorted(persons) == [1, 3, 5, 6, 7, 8]
    assert persons[1].phone == "+447700900111" and persons[1].phone_valid
    assert persons[3].email == "ann@example.org" and persons[3].phone == "+447700900222"
    assert persons[6].phone == "not known" and not persons[6].phone_valid, "kept as written, flagged"
    # The merged person takes the lowest party's details and fills the gaps from its group.
    assert persons[8].email == "cy@council.example" and persons[8].address == "1 High St"
    assert len(orgs) == 1 and orgs[0].name_key == "social services"
    assert persons[8].organisation_id == orgs[0].id
    assert len({p.record_salt for p in persons.values()}) == 6
    report = verify(old_db)
    assert report.ok, report.problems()
    assert report.rows.checked["persons"] == 6 and report.rows.checked["parties"] == 10


def test_a_party_changed_outside_deskapp_is_not_laundered(old_db):
    with old_db.begin() as conn:
        conn.execute(text("UPDATE parties SET name = 'Ann Lea' WHERE id = 4"))
    migrate.upgrade(old_db)
    report = verify(old_db)
    assert not report.ok
    assert [p for p in report.problems() if "party" in p] == [
        "party 4 of C-1004 was changed after event 1 recorded it"]


def test_downgrade_restores_parties_and_their_recorded_digests_and_upgrade_again_verifies(old_db):
    before = _parties(old_db)
    migrate.upgrade(old_db)
    _to(old_db, "mail19c1", down=True)
    assert _parties(old_db) == before
    with old_db.connect() as conn:
        tables = {"persons", "organisations", "person_arrangements"} & set(
            conn.dialect.get_table_names(conn))
        assert tables == set()
        live = {i: d for i, d, _c, _t in live_digests(conn, "parties", columns=DIGESTED_BEFORE_PEOPLE)}
        recorded = {i: d for i, _e, d in recorded_latest(conn, "parties")}
    assert live == recorded, "the chain again holds the parties' digests in the form before persons"
    migrate.upgrade(old_db)
    report = verify(old_db)
    assert report.ok, report.problems()
    with old_db.connect() as conn:
        assert dict(conn.execute(text("SELECT id, person_id FROM parties")).all()) == GROUPS


def test_an_empty_desk_upgrades_with_no_events(engine):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM audit_events")).scalar() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM persons")).scalar() == 0
