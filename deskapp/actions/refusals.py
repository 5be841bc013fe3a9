"""A refused permission leaves a trace: an audit event `refused`, in a transaction of its own.

The refused action's own transaction rolls back (nothing of it is written), so
the record of the attempt is appended afterwards. Only a person the desk has
identified (a handler row) gets one: an unknown name has no row to point at,
and its refusal is the one line it is shown.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator, Optional

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from deskapp.actions import audit
from deskapp.core.roles import NotAllowed
from deskapp.store.locks import begin_write
from deskapp.store.models import Handler

ACTION = "refused"


def record(engine: Engine, *, actor: str, handler_id: Optional[int], at: datetime, permission: str,
           message: str, via: Optional[str] = None, policy_hash: Optional[str] = None,
           case_id: Optional[int] = None, detail: Optional[dict[str, Any]] = None) -> bool:
    """Append the refusal event; False (and nothing written) when the person has no handler row."""
    try:
        with Session(engine) as session, session.begin():
            begin_write(session)
            if handler_id is None or session.get(Handler, handler_id) is None:
                return False
            audit.append(session, actor=actor, handler_id=handler_id, via=via, policy_hash=policy_hash,
                         action=ACTION, at=at, case_id=case_id,
                         detail={"permission": permission, "message": message, **(detail or {})})
        return True
    except SQLAlchemyError:
        return False  # the refusal itself still reaches the person; a failing database is reported elsewhere


def record_for_desk(desk: Any, permission: str, error: Exception, *, case_id: Optional[int] = None,
                    detail: Optional[dict[str, Any]] = None) -> bool:
    """`record` for a person at an open desk (actor, via and rules from audit.by(desk))."""
    who = audit.by(desk)
    return record(desk.engine, actor=who["actor"], handler_id=who["handler_id"], via=who["via"],
                  policy_hash=who["policy_hash"], at=desk.now(), permission=permission, message=str(error),
                  case_id=case_id, detail=detail)


@contextmanager
def audited(desk: Any, permission: str, **kwargs: Any) -> Iterator[None]:
    """Run the block; a NotAllowed out of it is recorded (after its transaction rolled back) and re-raised."""
    try:
        yield
    except NotAllowed as exc:
        record_for_desk(desk, permission, exc, **kwargs)
        raise
