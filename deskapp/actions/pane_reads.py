"""Reads the desk's panes need for one case: the case itself, its standing advice, the team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select

from deskapp.actions.desk import Desk
from deskapp.actions.facts import case_snapshot
from deskapp.actions.reads import case_view, handler_view
from deskapp.core.views import CaseView, HandlerView
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
