"""The presence table's reads and writes: one row per running desk, touched by its heartbeat.

Storage only (deskapp.live.presence keeps the timing and the thread). Presence
is the machinery's own state, not something a person does: it is never audited,
but a change of case is announced on the change feed in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Optional

from sqlalchemy import Engine, delete, select, update
from sqlmodel import Session

from deskapp.store.changes import PRESENCE, record
from deskapp.store.models import Presence as PresenceRow


def touch(engine: Engine, *, token: str, handler_id: int, username: str, desk: str, case_id: Optional[int],
          opened_at: Optional[datetime], now: datetime, announce: Iterable[Optional[int]] = ()) -> None:
    """Upsert this desk's row (last_seen = now); a feed line for each case in `announce`. One transaction."""
    with Session(engine) as session, session.begin():
        values = {"case_id": case_id, "opened_at": opened_at, "last_seen": now}
        hit = session.execute(update(PresenceRow).where(PresenceRow.token == token).values(**values)).rowcount
        if not hit:  # first beat, or our row was swept after a long stall
            session.add(PresenceRow(token=token, handler_id=handler_id, username=username, desk=desk,
                                    started_at=now, **values))
        for announced in announce:
            if announced is not None:
                record(session, kind=PRESENCE, actor=username, at=now, case_id=announced)


def sweep(engine: Engine, older_than: datetime) -> None:
    """Delete rows of desks not seen since `older_than` (they died without signing off)."""
    with Session(engine) as session, session.begin():
        session.execute(delete(PresenceRow).where(PresenceRow.last_seen < older_than))


def sign_off(engine: Engine, *, token: str, username: str, case_id: Optional[int], now: datetime) -> None:
    """Remove this desk's row; a feed line for the case it had open."""
    with Session(engine) as session, session.begin():
        session.execute(delete(PresenceRow).where(PresenceRow.token == token))
        if case_id is not None:
            record(session, kind=PRESENCE, actor=username, at=now, case_id=case_id)


def viewers(engine: Engine, case_id: int, *, token: str, fresh_since: datetime) -> list[PresenceRow]:
    """Rows of live desks other than `token` showing `case_id`, longest-open first."""
    with Session(engine) as session:
        return list(session.execute(
            select(PresenceRow)
            .where(PresenceRow.case_id == case_id, PresenceRow.last_seen >= fresh_since, PresenceRow.token != token)
            .order_by(PresenceRow.opened_at, PresenceRow.username)
        ).scalars().all())

