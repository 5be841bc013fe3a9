"""Roles are enforced in the action layer: a handler's desk cannot do a supervisor's job."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session

from deskapp.actions import ActionRequest, ApprovalRequested, Done, decide_approval, new_case, submit
from deskapp.store.models import AuditEvent, Case, Handler
from deskapp.core import roles
from deskapp.actions.permissions import require
from deskapp.core.roles import NotAllowed, allowed, matrix


def audit_count(engine) -> int:
    with Session(engine) as s:
        return s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def assign(desk, case, to):
    return submit(desk, ActionRequest(kind="assign", case_id=case.id, version=case.version, to=to))


def test_matrix_is_nested_handler_supervisor_admin():
    for _name, _what, by_role in matrix():
        assert by_role["handler"] <= by_role["supervisor"] <= by_role["admin"]
    assert not allowed_role("handler", "approval.decide") and allowed_role("supervisor", "approval.decide")
    assert not allowed_role("supervisor", "case.import") and allowed_role("admin", "case.import")
    assert allowed_role("handler", "case.work") and not allowed_role("handler", "dashboard.view")
    with pytest.raises(ValueError):
        allowed_role("admin", "case.teleport")


def allowed_role(role: str, permission: str) -> bool:
    class Person:
        username = "x"
        id = 1
    Person.role = role
    return allowed(Person, permission)


def test_handler_may_work_any_case_but_not_take_it(team, worked_case, engine):
    jo, priya = team["jo"], team["priya"]
    assert worked_case.assigned_to == "sam"
    noted = submit(jo, ActionRequest(kind="note", case_id=worked_case.id, version=worked_case.version,
                                     body="Took a call for Sam: customer asked for an update"))
    assert isinstance(noted, Done), "covering a colleague's call is normal work"
    before = audit_count(engine)
    with pytest.raises(NotAllowed, match="^jo is a handler: taking a case off another handler needs a supervisor"):
        assign(jo, noted.case, "jo")
    with pytest.raises(NotAllowed):
        submit(jo, ActionRequest(kind="escalate", case_id=worked_case.id, version=noted.case.version, to="jo",
                                 body="I will take stage 2"))
    assert audit_count(engine) == before, "a refused action writes nothing"
    moved = assign(priya, noted.case, "jo")
    assert isinstance(moved, Done) and moved.case.assigned_to == "jo"


def test_handler_may_hand_on_their_own_or_an_unassigned_case(team):
    sam = team["sam"]
    mine = new_case(sam, kind="enquiry", category="billing", title="Bill query", party={"name": "A"})
    handed = assign(sam, mine, "jo")
    assert isinstance(handed, Done) and handed.case.assigned_to == "jo"
    unassigned = new_case(team["priya"], kind="enquiry", category="billing", title="Loose one",
                          party={"name": "B"}, assign_to_me=False)
    taken = assign(team["jo"], unassigned, "jo")
    assert isinstance(taken, Done) and taken.case.assigned_to == "jo"


def test_approvals_are_decided_by_supervisors_only_and_role_is_reread(team, worked_case, engine):
    rep = next(p for p in worked_case.parties if p.designated)
    request = ActionRequest(kind="message", case_id=worked_case.id, version=worked_case.version, channel="email",
                            party_id=rep.id, summary="Refund", body="Card 4111 1111 1111 1111 was refunded")
    asked = submit(team["sam"], request, request_approval=True, reason="Customer asked which card was refunded")
    assert isinstance(asked, ApprovalRequested)
    with pytest.raises(Exception, match="supervisor"):
        decide_approval(team["jo"], asked.approval_id, approve=True, reason="Fine by me: checked the account")
    # Priya is demoted while her desk is open: her next decision is refused.
    with Session(engine) as s, s.begin():
        s.execute(update(Handler).where(Handler.username == "priya").values(role="handler"))
    with pytest.raises(NotAllowed, match="priya is a handler"):
        decide_approval(team["priya"], asked.approval_id, approve=True, reason="Checked the account and the request")
    decided = decide_approval(team["ada"], asked.approval_id, approve=False, reason="Never send card numbers")
    assert decided.status == "refused" and decided.decided_by == "ada"


def test_deactivated_handler_cannot_write_from_an_open_desk(team, worked_case, engine):
    with Session(engine) as s, s.begin():
        s.execute(update(Handler).where(Handler.username == "sam").values(active=False))
    before = audit_count(engine)
    with pytest.raises(NotAllowed, match="inactive"):
        submit(team["sam"], ActionRequest(kind="note", case_id=worked_case.id, version=worked_case.version,
                                          body="still here"))
    with pytest.raises(NotAllowed, match="inactive"):
        new_case(team["sam"], kind="enquiry", category="x", title="t", party={"name": "A"})
    assert audit_count(engine) == before


def test_require_accepts_desks_views_and_rows(team, engine):
    require(team["priya"], "dashboard.view")
    require(team["priya"].me, "case.export")
    with Session(engine) as s:
        ada = s.execute(select(Handler).where(Handler.username == "ada")).scalar_one()
        require(ada, "case.import", session=s)
        with pytest.raises(NotAllowed, match="sam is a handler: the team dashboard needs a supervisor or admin"):
            require(team["sam"], "dashboard.view", session=s)
    assert roles.role_of(team["jo"]) == "handler"
