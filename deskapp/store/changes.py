"""The change feed's write side: one line per change, inside the change's own transaction.

Because the line commits (or rolls back) with the change, a desk that reads
"changes with id > the last one I saw" never misses a write and never sees one
that did not happen. Ids must follow commit order for that to hold, so appends
are serialised: SQLite has one writer at a time anyway; on PostgreSQL the line
is written under the same transaction-scoped advisory lock as the audit chain
(re-entrant, so taking it twice in one transaction costs nothing). On
PostgreSQL the transaction also sends a NOTIFY, delivered at commit, so
listening desks wake up at once instead of polling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, select, text
from sqlmodel import Session

from deskapp.store.models import Change as ChangeRow

CHANNEL = "deskapp_changes"
# The audit chain's advisory lock (deskapp.actions.audit._PG_AUDIT_LOCK; a test keeps them equal).
# Sharing it means a write that appends to both takes one lock, so no lock-order deadlock is possible.
PG_APPEND_LOCK = 0x6465736B
# Presence lines only say "someone opened/closed this case"; they are pruned sooner.
PRESENCE = "presence"


@dataclass(frozen=True)
class Change:
    """One thing that changed: `kind` is the audit action (contact, status, approval.request ...)."""

    id: int
    at: datetime
    case_id: int | None
    version: int | None
    actor: str
    kind: str

    @property
    def is_presence(self) -> bool:
        return self.kind == PRESENCE

    @property
    def is_approval(self) -> bool:
        return self.kind.startswith("approval.")


def record(
    session: Session,
    *,
    kind: str,
    actor: str,
    at: datetime,
    case_id: int | None = None,
    version: int | None = None,
) -> None:
    """Add a change-feed line to the caller's open transaction (and NOTIFY on PostgreSQL)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_APPEND_LOCK})
    row = ChangeRow(at=at, case_id=case_id, version=version, actor=actor[:64], kind=kind[:40])
    session.add(row)
    session.flush()
    if postgres:
        session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": str(row.id)})


def _as_change(row) -> Change:
    return Change(id=row.id, at=row.at, case_id=row.case_id, version=row.version, actor=row.actor, kind=row.kind)


def latest_id(conn: Connection | Session) -> int:
    """The newest change-feed id (0 when empty): where a newly opened desk starts listening."""
    return conn.execute(select(func.max(ChangeRow.id))).scalar() or 0


def read_since(conn: Connection | Session, last_id: int, limit: int = 1000) -> list[Change]:
    """Changes after `last_id`, oldest first, at most `limit` (call again for more)."""
    query = (
        select(ChangeRow.id, ChangeRow.at, ChangeRow.case_id, ChangeRow.version, ChangeRow.actor, ChangeRow.kind)
        .where(ChangeRow.id > last_id)
        .order_by(ChangeRow.id)
        .limit(limit)
    )
    return [_as_change(row) for row in conn.execute(query)]


def prune(engine: Engine, now: datetime, keep: timedelta = timedelta(days=2)) -> int:
    """Delete feed lines older than `keep` (presence lines after an hour); the newest line always stays.

    The newest line is kept so ids never restart below what a desk has seen.
    """
    with Session(engine) as session, session.begin():
        newest = latest_id(session)
        result = session.execute(
            delete(ChangeRow).where(
                ChangeRow.id < newest,
                (ChangeRow.at < now - keep)
                | ((ChangeRow.kind == PRESENCE) & (ChangeRow.at < now - timedelta(hours=1))),
            )
        )
        return result.rowcount or 0
