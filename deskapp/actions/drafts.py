"""Drafts: what a handler is composing, saved as they type so a dropped SSH link loses nothing."""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import delete, select

from deskapp.actions.desk import Desk
from deskapp.actions.validate import MAX_BODY, check_length, clean_text
from deskapp.store.models import Draft


def save_draft(desk: Desk, case_id: int, kind: str, fields: dict[str, Any], body: str) -> None:
    body = clean_text(body)
    check_length("body", body, MAX_BODY)
    with desk.session() as session, session.begin():
        row = session.execute(
            select(Draft).where(Draft.case_id == case_id, Draft.handler_id == desk.me.id, Draft.kind == kind)
        ).scalar_one_or_none()
        if row is None:
            row = Draft(case_id=case_id, handler_id=desk.me.id, kind=kind)
            session.add(row)
        row.fields = dict(fields)
        row.body = body
        row.updated_at = desk.now()


def load_draft(desk: Desk, case_id: int, kind: str) -> Optional[tuple[dict[str, Any], str]]:
    with desk.session() as session:
        row = session.execute(
            select(Draft).where(Draft.case_id == case_id, Draft.handler_id == desk.me.id, Draft.kind == kind)
        ).scalar_one_or_none()
        return None if row is None else (dict(row.fields or {}), row.body or "")


def discard_draft(desk: Desk, case_id: int, kind: str) -> None:
    with desk.session() as session, session.begin():
        session.execute(
            delete(Draft).where(Draft.case_id == case_id, Draft.handler_id == desk.me.id, Draft.kind == kind)
        )
