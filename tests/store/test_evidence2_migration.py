"""Migration evidence2: card numbers already stored are masked, and the audit chain is re-anchored on record.

A database at evidence1 is filled, past the masking column types, with full
card numbers in every table that can hold them (and a valid audit chain whose
events quote them), then upgraded to head on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.types import TypeDecorator

from deskapp.core.chain import event_hash
from deskapp.core.rowdigest import row_digest
from deskapp.errors import StorageError
from deskapp.store import migrate, search
from deskapp.store.engine import connect
from deskapp.store.guard import is_guarded
from deskapp.store.models import SQLModel
from deskapp.supervision.verify import verify

from cardscan import scan_database, scan_sqlite_file

PAN = "4111 1111 1111 1111"
AT = datetime(2026, 3, 10, 9, 0)
SALT = "00" * 16


@pytest.fixture
def old(db_url):
    """A database at evidence1 (before masking at rest)."""
    engine = connect(db_url)
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "evidence1")
    yield engine
    engine.dispose()


def plain(name: str) -> sa.TableClause:
    """The model's table with the masking types taken off: writes what old code wrote."""
    cols = [sa.column(c.name, c.type.impl if isinstance(c.type, TypeDecorator) else c.type)
            for c in SQLModel.metadata.tables[name].columns]
    return sa.table(name, *cols)


def event(ident, prev, action, detail, *, findings=(), reason=None, case_id=None, rows=()):
    e = SimpleNamespace(id=ident, at=AT, actor="sam", handler_id=1, case_id=case_id, action=action,
                        detail=detail, findings=list(findings), reason=reason, contact_id=None, approval_id=None,
                        prev_hash=prev, policy_hash=None, via=None, rows=list(rows))
    e.hash = event_hash(e)
    return e


def fill(engine, *, tamper: bool = False) -> list[SimpleNamespace]:
    with engine.begin() as conn:
        conn.execute(plain("handlers").insert().values(id=1, username="sam", display_name="Sam", role="handler",
                                                       active=True, created_at=AT))
        conn.execute(plain("cases").insert().values(
            id=1, ref="C-1001", kind="complaint", category="billing", title=f"Charged twice on {PAN}", stage=1,
            status="new", priority=3, vulnerable=False, received_at=AT, extension_days=0, version=1, created_at=AT,
            updated_at=AT, record_salt=SALT))
        conn.execute(plain("parties").insert().values(
            id=1, case_id=1, role="customer", name="Ray 5555555555554444", designated=False, authorised=False,
            organisation="Org 3782 822463 10005", email="4111111111111111@example.org", phone="6011111111111117",
            address=f"1 High St\n{PAN}", notes="card 5555 5555\n5555 4444", created_at=AT))
        conn.execute(plain("contacts").insert().values(
            id=1, case_id=1, at=AT, channel="phone", direction="in", party_id=1, summary=f"Read out {PAN}",
            body="It was 4111-1111-1111-1111", created_at=AT))
        conn.execute(plain("appointments").insert().values(
            id=1, case_id=1, party_id=1, at=AT, purpose=f"Bring {PAN}", status="booked", created_at=AT))
        conn.execute(plain("approval_requests").insert().values(
            id=1, case_id=1, requested_by_id=1, action={"kind": "message", "body": f"Your card {PAN}"},
            findings=[{"rule": "cards", "message": f"quotes {PAN}"}], reason=f"he said {PAN}", status="approved",
            decision_reason=f"ok for {PAN}", created_at=AT))
        conn.execute(plain("drafts").insert().values(
            id=1, case_id=1, handler_id=1, kind="message", fields={"summary": f"Re {PAN}"}, body=f"card {PAN}",
            updated_at=AT))
        digest = row_digest("contacts", {"id": 1, "case_id": 1, "at": AT, "channel": "phone", "direction": "in",
                                         "party_id": 1, "summary": f"Read out {PAN}",
                                         "body": "It was 4111-1111-1111-1111", "created_at": AT}, SALT)
        events = [event(1, "", "policy.publish", {"version": 1})]
        events.append(event(2, events[-1].hash, "case.new", {"title": f"Charged twice on {PAN}"}, case_id=1))
        events.append(event(3, events[-1].hash, "contact", {"summary": "rang"}, case_id=1,
                            rows=[("contacts", 1, digest)]))
        events.append(event(4, events[-1].hash, "approval.request", {"request": {"body": f"Your card {PAN}"}},
                            findings=[{"message": f"quotes {PAN}"}], reason=f"he said {PAN}", case_id=1))
        events.append(event(5, events[-1].hash, "note", {"body": "no card here"}, case_id=1))
        if tamper:
            events[2].detail = {"summary": "rang (edited by hand)"}  # stored hash no longer matches
        t = plain("audit_events")
        for e in events:
            conn.execute(t.insert().values(**{c: getattr(e, c) for c in (
                "id", "at", "actor", "handler_id", "case_id", "action", "detail", "findings", "reason",
                "contact_id", "approval_id", "prev_hash", "hash", "policy_hash", "via")}))
        conn.execute(plain("audit_rows").insert().values(event_id=3, tbl="contacts", row_id=1, digest=digest))
        search.index_case(SimpleNamespace(connection=lambda: conn), 1)
    return events


def test_upgrade_masks_every_table_and_reanchors_the_chain(old, db_url):
    events = fill(old)
    assert scan_database(old) != [], "the old database holds full card numbers"
    assert search.search_case_ids(old, "6011111111111117") == [1]
    # rows=False: head's row check reads tables (persons) a database at evidence1 does not have yet.
    assert verify(old, rows=False).problem is None, "the chain holds (rows get baseline digests in evidence3)"

    migrate.upgrade(old)

    assert scan_database(old) == []
    if db_url.startswith("sqlite"):
        assert scan_sqlite_file(old) == []
    report = verify(old)
    assert report.ok, report.problem
    with old.connect() as conn:
        assert conn.execute(sa.text("SELECT title FROM cases")).scalar() == "Charged twice on 4111 11•• •••• 1111"
        rows = conn.execute(sa.text("SELECT id, hash FROM audit_events ORDER BY id")).all()
        assert is_guarded(conn), "the append-only triggers are back"
        t = plain("audit_events")
        reanchor = conn.execute(sa.select(t).where(t.c.action == "audit.reanchor")).mappings().one()
        recorded = conn.execute(sa.text("SELECT tbl, row_id FROM audit_rows WHERE event_id = :i ORDER BY tbl"),
                                {"i": reanchor["id"]}).all()
    assert rows[0] == (1, events[0].hash), "events before the first rewritten one keep their hashes"
    assert [r[1] == e.hash for r, e in zip(rows[1:5], events[1:])] == [False] * 4, "re-chained from event 2"
    assert reanchor["id"] == 6 and reanchor["detail"]["old_head"] == f"5:{events[-1].hash}"
    assert reanchor["detail"]["first_rewritten"] == 2 and reanchor["detail"]["rewritten"] == 2
    assert reanchor["detail"]["rows_masked"] == {"appointments": 1, "approval_requests": 1, "cases": 1,
                                                 "contacts": 1, "drafts": 1, "parties": 1}
    assert "PCI DSS 3.4" in reanchor["reason"] and reanchor["prev_hash"] == rows[4][1]
    assert sorted(recorded) == [("appointments", 1), ("approval_requests", 1), ("cases", 1), ("contacts", 1),
                                ("parties", 1)], "the masked rows' new digests are on record"
    assert search.search_case_ids(old, "Charged 1111") == [1], "the search index holds the masked text"
    assert search.search_case_ids(old, "6011111111111117") == [], "and no longer the full number"


def test_a_broken_chain_is_not_laundered(old, db_url, capsys):
    from deskapp.cli import main

    fill(old, tamper=True)
    with pytest.raises(StorageError, match="audit event 3 does not match its hash"):
        migrate.upgrade(old)
    assert main(["init", "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert "audit event 3 does not match its hash" in err and len(err.strip().splitlines()) == 1, err
    assert migrate.current_revision(old) == "evidence1"
    with old.connect() as conn:
        assert is_guarded(conn)
        assert conn.execute(sa.text("SELECT title FROM cases")).scalar() == f"Charged twice on {PAN}"
    assert not verify(old, rows=False).ok


def test_nothing_to_mask_appends_nothing(old):
    migrate.upgrade(old)
    with old.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_events")).scalar() == 0
