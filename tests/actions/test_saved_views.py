"""Saved views through the action layer, on SQLite and PostgreSQL: save, names, team views, delete, broken views."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, strategies as st
from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import InvalidInput, open_desk
from deskapp.actions.saved_views import delete_view, find_view, list_views, publish_view, rename_view, save_view
from deskapp.core.roles import NotAllowed
from deskapp.core.saved_views import NAME_MAX, ViewNameError, ViewSpec, clean_view_name
from deskapp.errors import DeskError
from deskapp.store.handlers import add_handler
from deskapp.store.models import AuditEvent, Change
from deskapp.store.models import SavedView as SavedViewRow
from deskapp.supervision.verify import verify

NOW = datetime(2026, 3, 10, 11, 0)
OVERDUE_MINE = ViewSpec(mine=True, overdue=True, sort="priority")


@pytest.fixture
def desks(engine, published, db_url):
    """sam (handler), jo (handler), priya (supervisor): each at a desk."""
    opened = {}
    for name, role in (("sam", "handler"), ("jo", "handler"), ("priya", "supervisor")):
        add_handler(engine, name, role, name.title())
        opened[name] = open_desk(db_url, None, name, clock=lambda: NOW)
    yield opened
    for desk in opened.values():
        desk.close()


def events(engine, prefix="view."):
    with Session(engine) as s:
        return s.execute(select(AuditEvent).where(AuditEvent.action.startswith(prefix))
                         .order_by(AuditEvent.id)).scalars().all()


def test_save_lists_the_view_audited_with_a_change_line(desks, engine):
    sam = desks["sam"]
    saved = save_view(sam, "  My   overdue ", OVERDUE_MINE)
    assert saved.name == "My overdue" and saved.owner == "sam" and not saved.team and saved.spec == OVERDUE_MINE
    assert [(v.name, v.scope, v.spec) for v in list_views(sam)] == [("My overdue", "mine", OVERDUE_MINE)]
    assert list_views(desks["jo"]) == [], "a personal view is its owner's alone"
    (event,) = events(engine)
    assert (event.action, event.actor, event.detail["name"], event.detail["team"]) == \
        ("view.save", "sam", "My overdue", False)
    assert event.detail["spec"]["sort"] == "priority" and event.detail["spec"]["mine"] is True
    with Session(engine) as s:
        assert s.execute(select(Change.kind).where(Change.kind == "view.save")).scalars().all() == ["view.save"]
    assert verify(engine).problem is None


def test_a_duplicate_name_is_refused_whatever_its_case_and_nothing_is_written(desks, engine):
    sam = desks["sam"]
    save_view(sam, "Overdue", OVERDUE_MINE)
    with pytest.raises(InvalidInput, match="name: you already have a view called 'OVERDUE'"):
        save_view(sam, "OVERDUE", ViewSpec(overdue=True))
    assert len(list_views(sam)) == 1 and len(events(engine)) == 1
    save_view(desks["jo"], "Overdue", ViewSpec(overdue=True))  # another handler's names are their own


def test_publishing_as_a_handler_is_refused_in_one_line_and_writes_nothing(desks, engine):
    with pytest.raises(NotAllowed, match="sam is a handler: publishing or changing the team's saved views "
                                         "needs a supervisor or admin"):
        publish_view(desks["sam"], "Team overdue", ViewSpec(overdue=True))
    assert list_views(desks["sam"]) == [] and events(engine) == []


def test_a_team_view_is_everyone_s_and_may_share_a_personal_view_s_name(desks, engine):
    team = publish_view(desks["priya"], "Overdue", ViewSpec(overdue=True))
    assert team.team and team.published_by == "priya" and team.scope == "team (by priya)"
    save_view(desks["sam"], "Overdue", OVERDUE_MINE)
    listed = list_views(desks["sam"])
    assert [(v.name, v.scope) for v in listed] == [("Overdue", "mine"), ("Overdue", "team (by priya)")]
    assert find_view(desks["sam"], "overdue").scope == "mine", "the handler's own view first"
    assert find_view(desks["sam"], "Overdue", team=True).id == team.id
    assert [(v.name, v.scope) for v in list_views(desks["jo"])] == [("Overdue", "team (by priya)")]
    with pytest.raises(InvalidInput, match="the team already has a view called 'overdue'"):
        publish_view(desks["priya"], "overdue", ViewSpec())
    assert [e.action for e in events(engine)] == ["view.publish", "view.save"]


def test_delete_own_view_and_not_a_colleague_s_or_the_team_s(desks, engine):
    mine = save_view(desks["sam"], "Mine", OVERDUE_MINE)
    team = publish_view(desks["priya"], "Team", ViewSpec(due_soon=True))
    with pytest.raises(DeskError, match="does not exist"):
        delete_view(desks["jo"], mine.id)
    with pytest.raises(NotAllowed, match="sam is a handler"):
        delete_view(desks["sam"], team.id)
    assert delete_view(desks["sam"], mine.id) == "Mine"
    assert [v.name for v in list_views(desks["sam"])] == ["Team"]
    assert delete_view(desks["priya"], team.id) == "Team"
    assert list_views(desks["sam"]) == []
    deleted = [e for e in events(engine) if e.action == "view.delete"]
    assert [(e.actor, e.detail["name"]) for e in deleted] == [("sam", "Mine"), ("priya", "Team")]
    assert deleted[0].detail["spec"]["overdue"] is True, "the audit keeps what the view was"
    assert verify(engine).problem is None


def test_rename_keeps_names_unique_per_owner(desks, engine):
    a = save_view(desks["sam"], "A", ViewSpec())
    save_view(desks["sam"], "B", ViewSpec())
    with pytest.raises(InvalidInput, match="you already have a view called 'b'"):
        rename_view(desks["sam"], a.id, "b")
    assert rename_view(desks["sam"], a.id, "a").name == "a", "a view may change its own name's case"
    assert rename_view(desks["sam"], a.id, "Overdue this week").name == "Overdue this week"
    (event,) = [e for e in events(engine) if e.detail.get("old_name") == "a"]
    assert event.action == "view.rename" and event.detail["name"] == "Overdue this week"


def test_a_stored_view_that_no_longer_validates_is_listed_broken_with_the_reason(desks, engine):
    save_view(desks["sam"], "Fine", OVERDUE_MINE)
    with Session(engine) as s, s.begin():  # as if a status had been renamed since it was saved
        s.add(SavedViewRow(owner_id=desks["sam"].me.id, name="Old", spec={"statuses": ["waiting"], "sort": "due"}))
        s.add(SavedViewRow(owner_id=desks["sam"].me.id, name="Odd", spec={"colour": "red"}))
    by_name = {v.name: v for v in list_views(desks["sam"])}
    assert not by_name["Fine"].broken
    assert by_name["Old"].broken and by_name["Old"].problem.startswith("statuses.0: Input should be 'new'")
    assert by_name["Odd"].problem == "colour: Extra inputs are not permitted"
    assert delete_view(desks["sam"], by_name["Old"].id) == "Old", "a broken view can still be deleted"


@pytest.mark.parametrize("name, problem", [("", "give the view a name"), ("   \t", "give the view a name"),
                                           ("x" * 41, "too long (41 characters; the limit is 40)")])
def test_bad_names_are_one_line_naming_the_field(desks, name, problem):
    with pytest.raises(InvalidInput, match=f"^name: {problem.replace('(', '.').replace(')', '.')}$"):
        save_view(desks["sam"], name, ViewSpec())


@given(st.text(max_size=60))
def test_clean_view_name_is_trimmed_one_line_and_within_the_limit(text):
    try:
        name = clean_view_name(text)
    except ViewNameError:
        cleaned = " ".join(text.replace("\x00", "").split())
        assert not cleaned or len(cleaned) > NAME_MAX
        return
    assert name == name.strip() and 1 <= len(name) <= NAME_MAX
    assert "\n" not in name and "\t" not in name and "  " not in name
    assert clean_view_name(name) == name
