"""Merging a duplicate case into the case that stays: both histories kept (read across, never rewritten),
persons joined, the earlier received date kept, audited, reversible by an admin; refusals write nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from deskapp.actions import load_case
from deskapp.actions.case_merge import merge_cases, unmerge_case
from deskapp.actions.person_merge import UNDO_DAYS
from deskapp.core.roles import NotAllowed
from deskapp.errors import DeskError
from deskapp.store.models import ApprovalRequest, AuditEvent, Case, Contact
from deskapp.supervision.verify import verify

from .conftest import NOW, open_case

REASON = "the same leak reported by phone and by email"
TABLES = ("cases", "parties", "contacts", "case_merges", "audit_events", "changes")


def state(engine) -> dict:
    with engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))] for t in TABLES}


def contacts(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, case_id, summary, body FROM contacts ORDER BY id"))]


def test_a_merge_keeps_both_histories_labelled_in_time_order(team, engine, pair):
    keep, dup = pair
    before = contacts(engine)
    done = merge_cases(team["priya"], keep.ref, dup.ref, REASON)
    kept = load_case(team["sam"], keep.id)
    # The duplicate's contacts show on the kept case, labelled with their ref, in time order.
    dated = [(c.at, c.origin, c.summary or c.body) for c in kept.history]
    assert dated == sorted(dated, key=lambda row: row[0])
    assert {c.origin for c in kept.history} == {None, dup.ref}
    assert any(c.origin == dup.ref and "Email from Dana" in (c.body or c.summary) for c in kept.history)
    # Nothing of the duplicate's history was moved or rewritten: only the two merge notes were added.
    after = contacts(engine)
    assert after[:len(before)] == before and len(after) == len(before) + 2
    # The duplicate is closed, pointing at the kept case; the kept case lists it as merged from.
    gone = load_case(team["sam"], dup.id)
    assert gone.status == "closed" and gone.merged_into.ref == keep.ref
    assert [m.ref for m in kept.merged_from] == [dup.ref]
    # Dana (on the duplicate only) joins the kept case; the earlier received date is kept.
    assert {p.name for p in kept.parties} == {"Lee Price", "Dana Hill"}
    assert kept.received_at == dup.received_at == datetime(2026, 3, 2, 15, 0) and done.received_at is not None
    with Session(engine) as s:
        event = s.get(AuditEvent, done.audit_id)
        assert (event.action, event.actor, event.reason) == ("case.merge", "priya", REASON)
        assert event.detail["dup_ref"] == dup.ref and event.detail["keep"]["received_at"] == "2026-03-03T09:00:00"
        changed = {r[0] for r in s.execute(text("SELECT case_id FROM changes WHERE kind = 'case.merge'"))}
        assert changed == {keep.id, dup.id}
    report = verify(engine)
    assert report.ok, report


def test_an_admin_undoes_a_merge_and_audit_still_verifies(team, engine, pair):
    keep, dup = pair
    merge_cases(team["priya"], keep.ref, dup.ref, REASON)
    undone = unmerge_case(team["ada"], dup.ref, "two different leaks after all")
    assert undone.parties == 1 and undone.received_at == datetime(2026, 3, 3, 9, 0)
    kept, back = load_case(team["sam"], keep.id), load_case(team["sam"], dup.id)
    assert back.status == dup.status and back.closed_at is None and back.merged_into is None
    assert kept.received_at == keep.received_at and {p.name for p in kept.parties} == {"Lee Price"}
    assert all(c.origin is None for c in kept.history) and kept.links == ()
    assert verify(engine).ok
    with pytest.raises(DeskError, match="not merged into another case"):
        unmerge_case(team["ada"], dup.ref, "again")


def test_only_supervisors_merge_and_only_admins_undo_within_the_window(team, engine, pair):
    keep, dup = pair
    with pytest.raises(NotAllowed, match="merging a duplicate case"):
        merge_cases(team["sam"], keep.ref, dup.ref, REASON)
    merge_cases(team["priya"], keep.ref, dup.ref, REASON)
    with pytest.raises(NotAllowed, match="undoing a merge of cases"):
        unmerge_case(team["priya"], dup.ref, "no")
    late = team["ada"]
    late.now = lambda: NOW + timedelta(days=UNDO_DAYS + 1)
    with pytest.raises(DeskError, match="can no longer be undone"):
        unmerge_case(late, dup.ref, "too late")


def close(engine, case_id):
    """Closed straight in the store (a seed, audited so verify holds): closing through the desk needs a response."""
    from deskapp.actions import audit

    with Session(engine) as s, s.begin():
        s.get(Case, case_id).status = "closed"
        s.flush()
        audit.append(s, actor="seed", action="seed", at=NOW)


def refused(engine, call, message):
    before = state(engine)
    with pytest.raises(DeskError, match=message):
        call()
    assert state(engine) == before


def test_refusals_are_one_line_and_write_nothing(team, engine, pair):
    keep, dup = pair
    priya = team["priya"]
    refused(engine, lambda: merge_cases(priya, keep.ref, keep.ref, REASON), "into itself")
    refused(engine, lambda: merge_cases(priya, keep.ref, dup.ref, "  "), "reason")
    third = open_case(team["sam"], "Another leak", "Sam Cole", datetime(2026, 3, 4, 9, 0))
    close(engine, third.id)
    refused(engine, lambda: merge_cases(priya, third.ref, dup.ref, REASON), "is closed")
    merge_cases(priya, keep.ref, dup.ref, REASON)
    refused(engine, lambda: merge_cases(priya, dup.ref, third.ref, REASON), f"merged into {keep.ref}")  # a chain
    refused(engine, lambda: merge_cases(priya, third.ref, dup.ref, REASON), "is closed")
    refused(engine, lambda: merge_cases(priya, keep.ref, dup.ref, REASON), "already merged")


def test_a_pending_approval_on_either_case_refuses_the_merge(team, engine, pair):
    keep, dup = pair
    with Session(engine) as s, s.begin():
        handler = s.execute(text("SELECT id FROM handlers WHERE username = 'sam'")).scalar()
        s.add(ApprovalRequest(case_id=dup.id, requested_by_id=handler, action={"kind": "note"}, findings=[],
                              status="pending", created_at=NOW))
    refused(engine, lambda: merge_cases(team["priya"], keep.ref, dup.ref, REASON), "still pending")


def test_a_case_merged_into_a_merged_into_case_shows_all_three_histories(team, engine, pair):
    keep, dup = pair
    third = open_case(team["sam"], "Ceiling stain", "Ann Lowe", datetime(2026, 3, 5, 9, 0))
    merge_cases(team["priya"], dup.ref, third.ref, REASON)  # third into dup, then dup into keep
    merge_cases(team["priya"], keep.ref, dup.ref, REASON)
    kept = load_case(team["sam"], keep.id)
    assert {c.origin for c in kept.history} == {None, dup.ref, third.ref}
    with Session(engine) as s:
        assert s.get(Case, third.id).status == "closed"
        assert s.execute(select(Contact).where(Contact.case_id == third.id)).first() is not None
    assert verify(engine).ok
