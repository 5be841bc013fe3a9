"""Appending to the audit log, a hash chain.

Each event's hash covers its content and the previous event's hash, so an
edited, inserted or deleted row breaks the chain from that point on. Appends
are serialised (SQLite: the write lock taken by the case update; PostgreSQL:
a transaction-scoped advisory lock) so two desks never fork the chain.

Each row is written by exactly one INSERT that already holds its id and hash:
the table is append-only, and a database trigger (migration 0003) refuses any
UPDATE or DELETE on it. On SQLite the id is the last id + 1, so two desks that
raced past the lock would collide on the primary key rather than fork the chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Optional

from sqlalchemy import insert, select, text
from sqlmodel import Session

from deskapp.core.cards import redact_cards, redact_value
from deskapp.core.chain import canonical as _canonical, event_hash  # noqa: F401 (event_hash re-exported)
from deskapp.store.bulk import insert_dicts, reserve_ids
from deskapp.store.models import AuditEvent
from deskapp.store.rowdigests import AUDIT_ROWS, current_digests, rows_of, take_digests

# Arbitrary constant naming the audit-chain lock among PostgreSQL advisory locks.
_PG_AUDIT_LOCK = 0x6465736B  # "desk"


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
    policy_hash: Optional[str] = None,
    via: Optional[str] = None,
    rows: Iterable[tuple[str, int]] = (),
) -> AuditEvent:
    """Add one event to the chain inside the caller's transaction.

    `policy_hash` names the published pack the action was checked against; `via`
    the admin who opened the desk as `actor` (deskapp desk --as). Prefer
    `append(session, **by(desk), ...)`, which fills actor, handler and both.

    The event records the digest of every digested row written in this transaction
    since the last event (deskapp.store.rowdigests notices ORM writes), plus `rows`
    (table, id) written another way (a Core UPDATE).
    """
    written = take_digests(session, rows)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    last_id, prev = (last[0], last[1]) if last is not None else (0, "")
    event = AuditEvent(
        id=_next_id(session, last_id),
        at=at.replace(microsecond=0),
        actor=actor,
        handler_id=handler_id,
        case_id=case_id,
        action=action,
        detail=_masked(detail or {}),
        findings=redact_value(list(findings or [])),
        reason=redact_cards(reason) if reason else reason,
        contact_id=contact_id,
        approval_id=approval_id,
        prev_hash=prev or "",
        policy_hash=policy_hash,
        via=via,
    )
    # The id is known up front, so the row is INSERTed once, complete.
    event.hash = event_hash(_with_rows(event, written))
    session.add(event)
    session.flush()
    if written:
        session.execute(insert(AUDIT_ROWS), rows_of(event.id, written))
    return event


def recorded_rows(session: Session, event_ids: Iterable[int]) -> dict[int, list[tuple[str, int, str]]]:
    """The row digests each of these events recorded (audit_rows), by event id."""
    out: dict[int, list[tuple[str, int, str]]] = {}
    ids = sorted(set(event_ids))
    t = AUDIT_ROWS
    for start in range(0, len(ids), 500):
        for event_id, tbl, row_id, digest in session.execute(
                select(t.c.event_id, t.c.tbl, t.c.row_id, t.c.digest).where(t.c.event_id.in_(ids[start:start + 500]))):
            out.setdefault(int(event_id), []).append((tbl, int(row_id), digest))
    return out


def hash_holds(event: Any, rows: list[tuple[str, int, str]]) -> bool:
    """The event's stored hash is what its content and its row digests give."""
    try:
        return event_hash(_with_rows(event, rows)) == event.hash
    except (TypeError, ValueError):
        return False


def _with_rows(event: Any, rows: list[tuple[str, int, str]]) -> SimpleNamespace:
    """The event's hashed fields plus its row digests (an ORM row cannot carry extra attributes)."""
    fields = {name: getattr(event, name, None) for name in BULK_COLUMNS}
    return SimpleNamespace(**fields, rows=rows)


def append_many(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Append many events at once inside the caller's transaction: the same chain and hashes as `append`.

    One read of the tail under the audit lock, ids reserved in rising order,
    each hash over the previous one, multi-row INSERTs (appending row by row
    would re-read the tail for every event of a big import). Each row gives
    actor, action and at, and may give any other column. Returns the ids.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = conn.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    prev = last[1] if last is not None else ""
    ids = reserve_ids(conn, "audit_events", len(rows))
    stored = current_digests(conn, [key for row in rows for key in row.get("row_keys", ())])
    out, digest_rows = [], []
    for ident, row in zip(ids, rows):
        row = dict(row)
        keys = row.pop("row_keys", ())
        written = sorted((t, int(i), stored[(t, int(i))]) for t, i in set(keys))
        event = {"handler_id": None, "case_id": None, "detail": {}, "findings": [], "reason": None,
                 "contact_id": None, "approval_id": None, "policy_hash": None, "via": None,
                 **row, "id": ident, "prev_hash": prev or ""}
        event["at"] = event["at"].replace(microsecond=0)
        event["detail"] = _masked(event["detail"])
        event["findings"] = redact_value(list(event["findings"] or []))
        event["reason"] = redact_cards(event["reason"]) if event["reason"] else event["reason"]
        event["hash"] = prev = event_hash(SimpleNamespace(**event, rows=written))
        out.append(event)
        digest_rows.extend(rows_of(ident, written))
    insert_dicts(conn, AuditEvent.__table__, out)
    if digest_rows:
        insert_dicts(conn, AUDIT_ROWS, digest_rows)
    return ids


BULK_COLUMNS = ("id", "at", "actor", "handler_id", "case_id", "action", "detail", "findings", "reason",
                "contact_id", "approval_id", "prev_hash", "hash", "policy_hash", "via")


def append_bulk(conn: Any, writer: Any, events: list[dict[str, Any]]) -> int:
    """Chain and write events through a bulk writer (executemany / COPY), for a big fill's own transaction.

    An event may carry `rows`: [(table, id, digest)] of the rows it wrote, digests made
    by the caller with deskapp.core.rowdigest (a fill knows its values already). Ids follow the log's last one (the fill holds the write lock, and on
    PostgreSQL the audit lock here), hashes as `append` makes them; the id
    sequence is moved past them afterwards. Returns how many were written.
    """
    import json

    from deskapp.store.bulk import stamp

    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = conn.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    next_id, prev = (int(last[0]) + 1, last[1] or "") if last is not None else (1, "")
    rows, digest_rows = [], []
    for event in events:
        event = {"handler_id": None, "case_id": None, "findings": [], "reason": None, "contact_id": None,
                 "approval_id": None, "policy_hash": None, "via": None, **event,
                 "detail": _masked(event.get("detail") or {}), "id": next_id, "prev_hash": prev}
        event["findings"] = redact_value(list(event["findings"] or []))
        event["reason"] = redact_cards(event["reason"]) if event["reason"] else event["reason"]
        written = sorted((t, int(i), d) for t, i, d in event.pop("rows", None) or ())
        event["at"] = event["at"].replace(microsecond=0)
        event["hash"] = prev = event_hash(SimpleNamespace(**event, rows=written))
        digest_rows.extend((next_id, t, i, d) for t, i, d in written)
        rows.append((next_id, stamp(event["at"]), event["actor"], event["handler_id"], event["case_id"],
                     event["action"], json.dumps(event["detail"]), json.dumps(event["findings"]), event["reason"],
                     event["contact_id"], event["approval_id"], event["prev_hash"], event["hash"],
                     event["policy_hash"], event["via"]))
        next_id += 1
    writer.insert("audit_events", BULK_COLUMNS, rows)
    if digest_rows:
        writer.insert("audit_rows", ("event_id", "tbl", "row_id", "digest"), digest_rows)
    writer.sync_sequences(["audit_events"])
    return len(rows)


def _masked(detail: dict[str, Any]) -> dict[str, Any]:
    """An event's detail as stored and hashed: canonical JSON with card numbers masked (PCI DSS 3.4).

    Masked here, before the hash, because the column type masks again on write: what is hashed
    must be exactly what is stored (masking is idempotent, so the second pass changes nothing).
    """
    return redact_value(_canonical(detail))


def by(desk: Any) -> dict[str, Any]:
    """Who wrote an event from this desk, and under which rules: actor, handler_id, via, policy_hash."""
    return {
        "actor": desk.me.username,
        "handler_id": desk.me.id,
        "via": getattr(desk, "via", None),
        "policy_hash": getattr(desk, "policy_hash", None),
    }


def _next_id(session: Session, last_id: int) -> int:
    """The id for the next event, allocated before the INSERT because the hash covers it.

    PostgreSQL: the table's sequence (under the advisory lock, so ids rise in chain
    order; a rolled-back append leaves a gap, which `audit verify` tolerates). If
    rows were ever loaded with explicit ids the sequence is moved past them first.
    SQLite: the last id + 1, exactly what INTEGER PRIMARY KEY would have chosen.
    """
    if session.get_bind().dialect.name != "postgresql":
        return last_id + 1
    seq = "pg_get_serial_sequence('audit_events', 'id')"
    value = session.execute(text(f"SELECT nextval({seq})")).scalar_one()
    if value <= last_id:
        value = session.execute(text(f"SELECT setval({seq}, :v)"), {"v": last_id + 1}).scalar_one()
    return int(value)
