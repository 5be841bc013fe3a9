"""Approval requests as each desk sees them, and a handler dropping their own request.

deskapp.actions.approvals has the supervisor's side (pending_approvals,
decide_approval) and completing an approved action (submit with approval_id).
A handler's desk also needs: all of my requests that still need me (pending,
approved and not yet carried out, refused recently so I can see why), the
decisions that just arrived on given cases, and a way to drop a request —
withdraw it — instead of carrying it out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from deskapp.actions import audit
from deskapp.actions.approvals import pending_approvals
from deskapp.actions.desk import Desk
from deskapp.actions.outcomes import Outcome
from deskapp.actions.reads import approval_view, case_view, usernames
from deskapp.actions.submit import submit
from deskapp.core.views import ActionRequest, ApprovalView
from deskapp.errors import DeskError
from deskapp.store.changes import record
from deskapp.store.retry import retry_on_busy
from deskapp.store.models import ApprovalRequest

# A refused request stays on the handler's list this long, so they see the supervisor's reason.
SHOW_REFUSED_FOR = timedelta(days=2)


def pending_for_me(desk: Desk) -> list[ApprovalView]:
    """What a supervisor/admin has to decide (not their own requests), oldest first."""
    if not desk.me.can_approve:
        return []
    return [a for a in pending_approvals(desk) if a.requested_by != desk.me.username]


def my_requests(desk: Desk) -> list[ApprovalView]:
    """This handler's requests that still concern them: pending, approved (to carry out), refused lately."""
    since = desk.now() - SHOW_REFUSED_FOR
    with desk.session() as session:
        rows = session.execute(
            select(ApprovalRequest)
            .where(
                ApprovalRequest.requested_by_id == desk.me.id,
                or_(
                    ApprovalRequest.status.in_(("pending", "approved")),
                    (ApprovalRequest.status == "refused") & (ApprovalRequest.decided_at >= since),
                ),
            )
            .order_by(ApprovalRequest.created_at, ApprovalRequest.id)
        ).scalars().all()
        names = usernames(session)
        return [approval_view(session, row, names=names) for row in rows]


def decided_for_me(desk: Desk, case_ids: Iterable[int]) -> list[ApprovalView]:
    """My requests on these cases that a supervisor has approved (not yet carried out) or refused."""
    ids = [c for c in case_ids if c is not None]
    if not ids:
        return []
    with desk.session() as session:
        rows = session.execute(
            select(ApprovalRequest)
            .where(
                ApprovalRequest.requested_by_id == desk.me.id,
                ApprovalRequest.case_id.in_(ids),
                ApprovalRequest.status.in_(("approved", "refused")),
                ApprovalRequest.decided_at >= desk.now() - SHOW_REFUSED_FOR,
            )
            .order_by(ApprovalRequest.decided_at, ApprovalRequest.id)
        ).scalars().all()
        names = usernames(session)
        return [approval_view(session, row, names=names) for row in rows]


@retry_on_busy("drop the request")
def withdraw_approval(desk: Desk, approval_id: int) -> ApprovalView:
    """Drop my own pending or approved request: it will not be carried out. Audited."""
    now = desk.now()
    with desk.session() as session, session.begin():
        row = session.get(ApprovalRequest, approval_id, with_for_update=True)
        if row is None:
            raise DeskError(f"approval request {approval_id} does not exist")
        if row.requested_by_id != desk.me.id:
            raise DeskError(f"approval request {approval_id} is not yours to drop")
        if row.status not in ("pending", "approved"):
            raise DeskError(f"approval request {approval_id} is already {row.status}")
        row.status = "withdrawn"
        session.flush()
        audit.append(
            session, **audit.by(desk), action="approval.withdraw", at=now,
            case_id=row.case_id, detail={"kind": (row.action or {}).get("kind")},
            approval_id=row.id,
        )
        record(session, kind="approval.withdrawn", actor=desk.me.username, at=now, case_id=row.case_id)
        return approval_view(session, row)


def stored_request(approval: ApprovalView, version: int) -> ActionRequest:
    """The blocked action exactly as the handler submitted it, aimed at the case's current version."""
    data = dict(approval.action or {})
    known = {f.name for f in fields(ActionRequest)}
    values = {k: v for k, v in data.items() if k in known}
    if isinstance(values.get("at"), str):
        values["at"] = datetime.fromisoformat(values["at"])
    values["case_id"] = approval.case_id
    values["version"] = version
    return ActionRequest(**values)


def complete_approval(desk: Desk, approval: ApprovalView) -> Outcome:
    """Carry out my approved action now: Done, or Conflict if another desk changed the case meanwhile."""
    if approval.status != "approved":
        raise DeskError(f"approval request {approval.id} is {approval.status}, not approved")
    with desk.session() as session:
        case = case_view(session, approval.case_id)
    return submit(desk, stored_request(approval, case.version), approval_id=approval.id)
