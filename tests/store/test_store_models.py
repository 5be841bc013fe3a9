"""The tables as the rest of deskapp uses them: naive local times, JSON, constraints, defaults."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from deskapp.store.engine import session_scope
from deskapp.store.models import (ALL_TABLES, ApprovalRequest, Case, Contact, Draft, Handler, Party)


def test_naive_local_times_round_trip(engine):
    received = datetime(2026, 3, 7, 23, 30, 15)  # a Saturday night, no time zone
    with session_scope(engine) as session:
        session.add(Case(ref="C-1", received_at=received, due_at=datetime(2026, 3, 16, 23, 59, 59)))
    with session_scope(engine) as session:
        case = session.exec(select(Case).where(Case.ref == "C-1")).one()
    assert case.received_at == received and case.received_at.tzinfo is None
    assert case.due_at == datetime(2026, 3, 16, 23, 59, 59)


def test_case_defaults(engine):
    with session_scope(engine) as session:
        case = Case(ref="C-2", received_at=datetime(2026, 3, 2, 9))
        session.add(case)
    assert (case.version, case.stage, case.status, case.priority, case.kind) == (1, 1, "new", 3, "complaint")
    assert case.extension_days == 0 and case.vulnerable is False
    assert case.created_at.microsecond == 0


def test_refs_and_usernames_are_unique(engine):
    with session_scope(engine) as session:
        session.add(Case(ref="C-3", received_at=datetime(2026, 3, 2)))
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(Case(ref="C-3", received_at=datetime(2026, 3, 3)))
    with session_scope(engine) as session:
        session.add(Handler(username="sam", display_name="Sam"))
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(Handler(username="sam", display_name="Another Sam"))


def test_foreign_keys_are_enforced(engine):
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(Contact(case_id=999, at=datetime(2026, 3, 2), channel="note", direction="internal"))


def test_json_columns_and_draft_uniqueness(engine):
    with session_scope(engine) as session:
        handler = Handler(username="jo", display_name="Jo")
        case = Case(ref="C-4", received_at=datetime(2026, 3, 2))
        session.add_all([handler, case])
        session.flush()
        session.add(Party(case_id=case.id, name="Ann <b>Lee</b>", notes="untrusted [red]text[/red]"))
        session.add(ApprovalRequest(case_id=case.id, requested_by_id=handler.id,
                                    action={"kind": "message", "body": "ünïcode ✓", "n": [1, 2]},
                                    findings=[{"rule": "card-number-disclosure", "severity": "block"}]))
        session.add(Draft(case_id=case.id, handler_id=handler.id, fields={"to": "p1"}, body="hello"))
        ids = (case.id, handler.id)
    with session_scope(engine) as session:
        approval = session.exec(select(ApprovalRequest)).one()
        party = session.exec(select(Party)).one()
    assert approval.action == {"kind": "message", "body": "ünïcode ✓", "n": [1, 2]}
    assert approval.findings[0]["severity"] == "block" and approval.status == "pending"
    assert party.name == "Ann <b>Lee</b>" and party.notes == "untrusted [red]text[/red]"
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(Draft(case_id=ids[0], handler_id=ids[1], kind="message"))


def test_every_model_table_exists(engine):
    from sqlalchemy import inspect

    assert {t.__tablename__ for t in ALL_TABLES} <= set(inspect(engine).get_table_names())
