"""The action layer: one function per thing a handler does, each one transaction.

The UI calls only this package (never SQL); this package asks the pure policy
engine what the rules say and writes through the store. See
the README's "Architecture" section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select

from deskapp.actions.approvals import decide_approval, my_approvals, pending_approvals
from deskapp.actions.cases import new_case, save_party
from deskapp.actions.desk import Desk, open_desk
from deskapp.actions.drafts import discard_draft, load_draft, save_draft
from deskapp.actions.facts import case_snapshot
from deskapp.actions.outcomes import ApprovalRequested, Blocked, Conflict, Done, NeedsReason, Outcome
from deskapp.actions.reads import case_view, handler_view
from deskapp.actions.submit import preview, submit
from deskapp.actions.validate import InvalidInput
from deskapp.actions.views import ActionRequest, CaseView, HandlerView
from deskapp.policy import Finding, evaluate
from deskapp.store.models import Handler


@dataclass(frozen=True)
class Standing:
    """Standing advice for a case: the `on: case` findings and its deadlines."""

    findings: list[Finding]
    deadlines: Any


def load_case(desk: Desk, case_id: int) -> CaseView:
    with desk.session() as session:
        return case_view(session, case_id)


def standing(desk: Desk, case: CaseView, now: Optional[datetime] = None) -> Standing:
    now = now or desk.now()
    snap = case_snapshot(case)
    return Standing(findings=evaluate(desk.policies, snap, None, now), deadlines=desk.policies.deadlines(snap, now))


def list_handlers(desk: Desk, active_only: bool = True) -> list[HandlerView]:
    with desk.session() as session:
        query = select(Handler).order_by(Handler.username)
        if active_only:
            query = query.where(Handler.active)
        return [handler_view(row) for row in session.execute(query).scalars()]


__all__ = [
    "ActionRequest", "ApprovalRequested", "Blocked", "CaseView", "Conflict", "Desk", "Done", "HandlerView",
    "InvalidInput", "NeedsReason", "Outcome", "Standing", "decide_approval", "discard_draft", "list_handlers",
    "load_case", "load_draft", "my_approvals", "new_case", "open_desk", "pending_approvals", "preview",
    "save_draft", "save_party", "standing", "submit",
]
