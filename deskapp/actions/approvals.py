"""Supervisor approval of blocked actions.

A handler's blocked action is stored whole as a pending request; a supervisor
(not the requester) approves or refuses it with a reason; the handler's desk
then completes the action with `submit(..., approval_id=...)`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import audit
from deskapp.actions.desk import Desk
from deskapp.actions.reads import approval_view, usernames
from deskapp.actions.submit import _reason
from deskapp.actions.validate import InvalidInput
from deskapp.core.views import ApprovalView
from deskapp.errors import DeskError
from deskapp.store.changes import record as record_change
from deskapp.store.retry import retry_on_busy
from deskapp.store.models import ApprovalRequest
from deskapp.actions.permissions import require


def pending_approvals(desk: Desk) -> list[ApprovalView]:
    """Supervisors and admins see every pending request; a handler sees their own."""
    with desk.session() as session:
        query = select(ApprovalRequest).where(ApprovalRequest.status == "pending")
        if not desk.me.can_approve:
            query = query.where(ApprovalRequest.requested_by_id == desk.me.id)
        names = usernames(session)
        rows = session.execute(query.order_by(ApprovalRequest.created_at, ApprovalRequest.id)).scalars().all()
        return [approval_view(session, row, names=names) for row in rows]


def my_approvals(desk: Desk, case_id: int) -> list[ApprovalView]:
    """This handler's approved-but-not-yet-completed requests on a case, ready to carry out."""
    with desk.session() as session:
        rows = session.execute(
            select(ApprovalRequest).where(
                ApprovalRequest.case_id == case_id,
                ApprovalRequest.requested_by_id == desk.me.id,
                ApprovalRequest.status == "approved",
            )
        ).scalars().all()
        return [approval_view(session, row) for row in rows]


@retry_on_busy("record the decision")
def decide_approval(desk: Desk, approval_id: int, *, approve: bool, reason: str | None) -> ApprovalView:
    """Approve or refuse a pending request. Only supervisors/admins, never on their own request."""
    if not desk.me.can_approve:
        raise DeskError(f"only a supervisor or admin can decide approvals; you are a {desk.me.role}")
    decision_reason = _reason(reason)
    if decision_reason is None:
        raise InvalidInput("reason", "give a reason for the decision")
    now = desk.now()
    with desk.session() as session:
        with session.begin():
            require(desk, "approval.decide", session=session)
            row = session.get(ApprovalRequest, approval_id, with_for_update=True)
            if row is None:
                raise DeskError(f"approval request {approval_id} does not exist")
            if row.requested_by_id == desk.me.id:
                raise DeskError("you cannot decide your own approval request")
            if row.status != "pending":
                raise DeskError(f"approval request {approval_id} is already {row.status}")
            row.status = "approved" if approve else "refused"
            row.decided_by_id = desk.me.id
            row.decided_at = now
            row.decision_reason = decision_reason
            session.flush()
            audit.append(
                session, **audit.by(desk),
                action="approval.approve" if approve else "approval.refuse", at=now, case_id=row.case_id,
                detail={"kind": (row.action or {}).get("kind")}, findings=list(row.findings or []),
                reason=decision_reason, approval_id=row.id,
            )
            record_change(session, kind=f"approval.{row.status}", actor=desk.me.username, at=now,
                          case_id=row.case_id)
            return approval_view(session, row)
