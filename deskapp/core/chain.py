"""The audit chain's hashing: what `deskapp audit verify` recomputes, with no database in sight.

An event's hash covers its content and the previous event's hash, so an edited,
inserted or deleted row breaks the chain from that point on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from deskapp.core.rowdigest import rows_for_hash


def canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


def event_hash(event: Any) -> str:
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
    # Added with migration trust1: part of the hash when set, so older chains still verify.
    for name in ("policy_hash", "via"):
        value = getattr(event, name, None)
        if value is not None:
            body[name] = value
    # Added with migration evidence1: the digests of the rows the event wrote (audit_rows), if any.
    rows = getattr(event, "rows", None)
    if rows:
        body["rows"] = rows_for_hash(rows)
    payload = json.dumps(canonical(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


