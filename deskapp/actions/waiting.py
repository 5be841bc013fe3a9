"""What is waiting on this desk: approvals to decide (or asked for) and unsent drafts, per case.

A toast about a new approval request is gone in fifteen seconds; a supervisor
back from a call needs a lasting sign. The desk's header shows the count of
approvals waiting and the queue marks each case that has one (`A`) or that
holds one of this handler's drafts (`D`). Read in a worker at start and again
whenever the change feed reports an approval or one of this desk's own writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from deskapp.actions.desk import Desk
from deskapp.actions.inbox import my_requests, pending_for_me
from deskapp.store.models import Draft

APPROVAL_MARK = "A"
DRAFT_MARK = "D"


@dataclass(frozen=True)
class Waiting:
    """approvals: requests waiting for this desk (to decide, or a handler's own still pending);
    marks: case id -> APPROVAL_MARK or DRAFT_MARK (an approval outranks a draft)."""

    approvals: int = 0
    deciding: bool = False  # True: approvals are for me to decide (supervisors, admins)
    marks: dict[int, str] = field(default_factory=dict)


def waiting(desk: Desk) -> Waiting:
    """Approvals waiting and the cases to mark, for this desk's handler. Call from a worker thread."""
    deciding = bool(desk.me.can_approve)
    if deciding:
        approvals = pending_for_me(desk)
    else:
        approvals = [a for a in my_requests(desk) if a.status == "pending"]
    with desk.session() as session:
        drafts = session.execute(select(Draft.case_id).where(Draft.handler_id == desk.me.id)).scalars().all()
    marks = {case_id: DRAFT_MARK for case_id in drafts}
    marks.update({a.case_id: APPROVAL_MARK for a in approvals})
    return Waiting(approvals=len(approvals), deciding=deciding, marks=marks)


__all__ = ["APPROVAL_MARK", "DRAFT_MARK", "Waiting", "waiting"]
