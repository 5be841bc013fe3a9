"""Record the digests of rows no audit event recorded, as a chain of `record.baseline` events.

Used where rows come into being without an action recording each: the
evidence3 migration (rows written before row digests existed) and the demo
load (a million generated cases written in bulk). After it, every digested
row has a recorded digest and `deskapp audit verify` can hold the live tables
to them.

Rows are streamed (deskapp.store.rowdigests.unrecorded, id order, keyset
pages) and recorded `PER_EVENT` to an event: one event per 10,000 rows keeps
each event's hash, and verify's reading of it, small, however large the desk.
Events are appended to the chain exactly as deskapp.actions.audit appends
them (same hash, the audit lock on PostgreSQL), inside the caller's
transaction.
"""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Optional

from sqlalchemy import Connection, select, text

from deskapp.core.chain import canonical, event_hash
from deskapp.core.rowdigest import DIGESTED
from deskapp.store.bulk import BulkWriter, stamp
from deskapp.store.models import AuditEvent
from deskapp.store.rowdigests import unrecorded

PER_EVENT = 10_000
_PG_AUDIT_LOCK = 0x6465736B  # the same lock deskapp.actions.audit takes
_COLUMNS = ("id", "at", "actor", "handler_id", "case_id", "action", "detail", "findings", "reason",
            "contact_id", "approval_id", "prev_hash", "hash", "policy_hash", "via")


def salt_cases(conn: Connection, tables: tuple[str, ...] = ("cases", "persons", "organisations")) -> None:
    """Give every row of these salted tables without a record_salt a random one (bulk writes come without)."""
    for table in tables:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"UPDATE {table} SET record_salt = replace(gen_random_uuid()::text, '-', '') "
                                 "WHERE record_salt IS NULL")
        else:
            conn.exec_driver_sql(f"UPDATE {table} SET record_salt = lower(hex(randomblob(16))) "
                                 "WHERE record_salt IS NULL")


def record_baseline(conn: Connection, *, actor: str, at: datetime, action: str = "record.baseline",
                    detail: Optional[dict[str, Any]] = None, handler_id: Optional[int] = None,
                    policy_hash: Optional[str] = None, per_event: Optional[int] = None,
                    columns: Mapping[str, tuple[str, ...]] = DIGESTED) -> tuple[int, int]:
    """Append events recording every unrecorded digested row; returns (events, rows) written.

    `columns`: the DIGESTED to digest with — a migration passes its revision's (its tables, its columns)."""
    return record_rows(conn, lambda head: unrecorded(conn, upto=head, columns=columns), actor=actor, at=at,
                       action=action, detail=detail, handler_id=handler_id, policy_hash=policy_hash,
                       per_event=per_event)


def record_rows(conn: Connection, rows: Callable[[int], Iterable[tuple[str, int, str]]], *, actor: str,
                at: datetime, action: str, detail: Optional[dict[str, Any]] = None, handler_id: Optional[int] = None,
                policy_hash: Optional[str] = None, per_event: Optional[int] = None) -> tuple[int, int]:
    """Append events recording the (table, id, digest) rows `rows(head event id)` streams; (events, rows) written.

    The stream is read once, `per_event` rows to an event, so memory stays flat however many rows come.
    """
    per_event = per_event or PER_EVENT
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = conn.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    head, prev = (int(last[0]), last[1] or "") if last is not None else (0, "")
    writer = BulkWriter(conn)
    events = count = 0
    part: list[tuple[str, int, str]] = []

    def flush() -> None:
        nonlocal head, prev, events
        head += 1
        event = {"id": head, "at": at.replace(microsecond=0), "actor": actor, "handler_id": handler_id,
                 "case_id": None, "action": action,
                 "detail": canonical({**(detail or {}), "part": events + 1, "rows": len(part)}),
                 "findings": [], "reason": None, "contact_id": None, "approval_id": None, "prev_hash": prev,
                 "policy_hash": policy_hash, "via": None}
        written = sorted(part)
        event["hash"] = prev = event_hash(SimpleNamespace(**event, rows=written))
        writer.insert("audit_events", _COLUMNS, [tuple(
            stamp(event[c]) if c == "at" else json.dumps(event[c]) if c in ("detail", "findings") else event[c]
            for c in _COLUMNS)])
        writer.insert("audit_rows", ("event_id", "tbl", "row_id", "digest"), [(head, t, i, d) for t, i, d in written])
        events += 1
        part.clear()

    for row in rows(head):
        part.append(row)
        count += 1
        if len(part) >= per_event:
            flush()
    if part:
        flush()
    writer.sync_sequences(["audit_events"])
    return events, count
