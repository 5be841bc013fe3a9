"""Appending to the audit log, a hash chain.

Each event's hash covers its content and the previous event's hash, so an
edited, inserted or deleted row breaks the chain from that point on. Appends
are serialised (SQLite: the write lock taken by the case update; PostgreSQL:
a transaction-scoped advisory lock) so two desks never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select, text
from sqlmodel import Session

from deskapp.store.models import AuditEvent

# Arbitrary constant naming the audit-chain lock among PostgreSQL advisory locks.
_PG_AUDIT_LOCK = 0x6465736B  # "desk"


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def event_hash(event: AuditEvent) -> str:
    """The hash of one event given its prev_hash. `deskapp audit verify` recomputes exactly this."""
    body = {
        "id": event.id,
        "at": event.at,
        "actor": event.actor,
        "handler_id": event.handler_id,
        "case_id": event.case_id,
        "action": event.action,
        "detail": event.detail,
        "findings": event.findings,
        "reason": event.reason,
        "contact_id": event.contact_id,
        "approval_id": event.approval_id,
        "prev_hash": event.prev_hash,
    }
    payload = json.dumps(_canonical(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    at: datetime,
    handler_id: Optional[int] = None,
    case_id: Optional[int] = None,
    detail: Optional[dict[str, Any]] = None,
    findings: Optional[list[dict[str, Any]]] = None,
    reason: Optional[str] = None,
    contact_id: Optional[int] = None,
    approval_id: Optional[int] = None,
) -> AuditEvent:
    """Add one event to the chain inside the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    prev = session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    event = AuditEvent(
        at=at.replace(microsecond=0),
        actor=actor,
        handler_id=handler_id,
        case_id=case_id,
        action=action,
        detail=_canonical(detail or {}),
        findings=list(findings or []),
        reason=reason,
        contact_id=contact_id,
        approval_id=approval_id,
        prev_hash=prev or "",
    )
    session.add(event)
    session.flush()  # assigns the id, which the hash covers
    event.hash = event_hash(event)
    session.flush()
    return event
