"""Linking cases (duplicate, related, parent/child) through the desk's one write path: rules, audit, notes."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from deskapp.actions import ActionRequest, Done, load_case, submit
from deskapp.actions.validate import InvalidInput
from deskapp.store.models import AuditEvent, CaseLink
from deskapp.supervision.verify import verify


def link(desk, case, other_ref, kind="duplicate"):
    return submit(desk, ActionRequest(kind="link", case_id=case.id, version=case.version, to=kind,
                                      extra={"other_ref": other_ref}))


def test_a_link_shows_on_both_cases_with_kind_ref_and_status(team, engine, pair):
    keep, dup = pair
    done = link(team["sam"], keep, dup.ref, "parent")
    assert isinstance(done, Done)
    (mine,) = done.case.links
    assert (mine.kind, mine.ref, mine.status, mine.case_id) == ("parent", dup.ref, dup.status, dup.id)
    (theirs,) = load_case(team["jo"], dup.id).links
    assert (theirs.kind, theirs.ref, theirs.link_id) == ("child", keep.ref, mine.link_id)  # read from the other side
    assert done.case.history[-1].summary == f"Linked {dup.ref} (this case's parent)"
    with Session(engine) as s:
        event = s.get(AuditEvent, done.audit_id)
        assert event.action == "link" and event.detail["other_ref"] == dup.ref and event.detail["as"] == "parent"
        changed = {r[0] for r in s.execute(text("SELECT case_id FROM changes WHERE kind = 'link'"))}
        assert changed == {keep.id, dup.id}
    assert verify(engine).ok


def test_unlink_keeps_the_record_and_both_sides_stop_showing_it(team, engine, pair):
    keep, dup = pair
    done = link(team["sam"], keep, dup.ref)
    other = load_case(team["jo"], dup.id)
    undone = submit(team["jo"], ActionRequest(kind="unlink", case_id=other.id, version=other.version,
                                              extra={"link_id": other.links[0].link_id}))
    assert isinstance(undone, Done) and undone.case.links == ()
    assert load_case(team["sam"], keep.id).links == ()
    with Session(engine) as s:
        row = s.execute(select(CaseLink)).scalar_one()
        assert row.removed_at is not None and row.id == done.case.links[0].link_id
    assert verify(engine).ok


@pytest.mark.parametrize("other, message", [
    ("NOPE-1", "there is no case NOPE-1"),
    ("", "give the reference"),
])
def test_bad_links_are_one_line_and_nothing_written(team, engine, pair, other, message):
    keep, _dup = pair
    with Session(engine) as s:
        events = s.execute(text("SELECT COUNT(*) FROM audit_events")).scalar()
    with pytest.raises(InvalidInput, match=message):
        link(team["sam"], keep, other)
    with Session(engine) as s:
        assert s.execute(text("SELECT COUNT(*) FROM audit_events")).scalar() == events
        assert s.execute(text("SELECT COUNT(*) FROM case_links")).scalar() == 0


def test_a_case_is_not_linked_to_itself_nor_twice(team, pair):
    keep, dup = pair
    with pytest.raises(InvalidInput, match="cannot be linked to itself"):
        link(team["sam"], keep, keep.ref)
    keep = link(team["sam"], keep, dup.ref, "related").case
    with pytest.raises(InvalidInput, match="already linked .*related"):
        link(team["sam"], keep, dup.ref, "duplicate")
    with pytest.raises(InvalidInput, match="link"):
        link(team["sam"], keep, dup.ref, "cousin")


def test_the_rules_run_on_a_link_a_warning_needs_a_reason(team, engine, db_url, pair):
    """A team rule `on: [link]` is the desk's like any other: a warning asks for a reason; with one it is written."""
    from deskapp.actions import NeedsReason, open_desk
    from deskapp.actions.policies import DEFAULT_SOURCE, publish, shipped

    from .conftest import NOW

    text_ = shipped(DEFAULT_SOURCE).read_text(encoding="utf-8")
    assert "\nrules:\n" in text_
    rule = ("  - id: duplicate-link-check\n    on: [link]\n    severity: warn\n"
            "    when: action.to == \"duplicate\"\n"
            "    say: Check {action.extra.other_ref} really is the same issue before linking.\n")
    publish(team["ada"], text_.replace("\nrules:\n", "\nrules:\n" + rule, 1), source="team/links.yaml")
    sam = open_desk(db_url, None, "sam", clock=lambda: NOW)
    try:
        keep, dup = pair
        outcome = link(sam, keep, dup.ref)
        assert isinstance(outcome, NeedsReason)
        assert [f.message for f in outcome.findings] == [f"Check {dup.ref} really is the same issue before linking."]
        with Session(engine) as s:
            assert s.execute(text("SELECT COUNT(*) FROM case_links")).scalar() == 0
        done = submit(sam, ActionRequest(kind="link", case_id=keep.id, version=keep.version, to="duplicate",
                                         extra={"other_ref": dup.ref}), reason="same address, same leak, same day")
        assert isinstance(done, Done) and done.case.links[0].ref == dup.ref
        with Session(engine) as s:
            event = s.get(AuditEvent, done.audit_id)
            assert event.reason == "same address, same leak, same day"
            assert [f["rule"] for f in event.findings] == ["duplicate-link-check"]
    finally:
        sam.close()
