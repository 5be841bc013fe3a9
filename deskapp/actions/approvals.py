"""Supervisor approval of blocked actions.

A handler's blocked action is stored whole as a pending request; a supervisor
(not the requester) approves or refuses it with a reason; the handler's desk
then completes the action with `submit(..., approval_id=...)`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlmodel import Session

from deskapp.actions import audit
from deskapp.actions.desk import Desk
from deskapp.actions.reads import approval_view, usernames
from deskapp.actions.submit import _reason
from deskapp.actions.validate import InvalidInput, check_reason
from deskapp.core.request_digest import request_digest
from deskapp.core.views import ApprovalView
from deskapp.errors import DeskError
from deskapp.store.changes import record as record_change
from deskapp.store.retry import retry_on_busy
from deskapp.store.models import ApprovalRequest
from deskapp.actions.permissions import require


def _not_expired(now: datetime):
    return or_(ApprovalRequest.expires_at.is_(None), ApprovalRequest.expires_at >= now)


def pending_approvals(desk: Desk) -> list[ApprovalView]:
    """Supervisors and admins see every pending request; a handler sees their own. Expired ones are gone."""
    now = desk.now()
    with desk.session() as session:
        query = select(ApprovalRequest).where(ApprovalRequest.status == "pending", _not_expired(now))
        if not desk.me.can_approve:
            query = query.where(ApprovalRequest.requested_by_id == desk.me.id)
        names = usernames(session)
        rows = session.execute(query.order_by(ApprovalRequest.created_at, ApprovalRequest.id)).scalars().all()
        return [approval_view(session, row, names=names, now=now) for row in rows]


def my_approvals(desk: Desk, case_id: int) -> list[ApprovalView]:
    """This handler's approved-but-not-yet-completed requests on a case, ready to carry out (not expired)."""
    now = desk.now()
    with desk.session() as session:
        rows = session.execute(
            select(ApprovalRequest).where(
                ApprovalRequest.case_id == case_id,
                ApprovalRequest.requested_by_id == desk.me.id,
                ApprovalRequest.status == "approved",
                _not_expired(now),
            )
        ).scalars().all()
        return [approval_view(session, row, now=now) for row in rows]


@retry_on_busy("record the decision")
def decide_approval(desk: Desk, approval_id: int, *, approve: bool, reason: str | None,
                    seen_digest: str | None = None) -> ApprovalView:
    """Approve or refuse a pending request. Only supervisors/admins, never on their own request.

    `seen_digest` is the digest of the request as the supervisor's screen showed it: if the
    stored request is not that one any more, nothing is decided. Approving binds the approval
    to the stored request's digest and starts its expiry (policies.yaml `approvals:`).
    """
    if not desk.me.can_approve:
        raise DeskError(f"only a supervisor or admin can decide approvals; you are a {desk.me.role}")
    decision_reason = _reason(reason)
    if decision_reason is None:
        raise InvalidInput("reason", "give a reason for the decision")
    check_reason(desk.policies.reasons, decision_reason)
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
            if row.expires_at is not None and now > row.expires_at:
                raise DeskError(f"approval request {approval_id} expired at {row.expires_at:%a %d %b %H:%M} "
                                f"undecided: the handler must ask again")
            stored = request_digest(row.action or {})
            if seen_digest is not None and seen_digest != (row.digest or stored):
                raise DeskError(f"approval request {approval_id} changed since you opened it: look at it again")
            if approve:
                if row.digest is None:
                    row.digest = stored  # asked before digests were kept: bind it to what the supervisor saw
                elif row.digest != stored:
                    raise DeskError(f"approval request {approval_id} no longer holds what the handler asked "
                                    f"for (its digest differs): refuse it; they must ask again")
                row.expires_at = desk.policies.approvals.expires_at(desk.policies.calendar, now)
            row.status = "approved" if approve else "refused"
            row.decided_by_id = desk.me.id
            row.decided_at = now
            row.decision_reason = decision_reason
            session.flush()
            audit.append(
                session, **audit.by(desk),
                action="approval.approve" if approve else "approval.refuse", at=now, case_id=row.case_id,
                detail={"kind": (row.action or {}).get("kind"), "digest": row.digest,
                        **({"expires_at": row.expires_at} if approve else {})},
                findings=list(row.findings or []),
                reason=decision_reason, approval_id=row.id,
            )
            record_change(session, kind=f"approval.{row.status}", actor=desk.me.username, at=now,
                          case_id=row.case_id)
            return approval_view(session, row, now=now)
