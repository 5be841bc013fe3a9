"""Digests of the rows an action wrote: what ties the live tables to the audit chain.

Each audit event records, for every row its action wrote (a case's fields, a
contact, a party, an approval's decision, an appointment), a digest of that
row as stored. `deskapp audit verify` recomputes the digest from the live
table and names every row that no longer matches the latest event that wrote it.

A digest is keyed with the case's `record_salt` (a random value kept on the
case row): without it a digest of a short field (a phone number, a name) could
be guessed back. Erasing a case replaces its personal text with `TOMBSTONE`
and its salt with a new one, so the digests left in the chain reveal nothing.

Pure: values in, hex digest out. deskapp.store.rowdigests reads the rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

# The columns each digested table's digest covers, in a fixed order. Left out on purpose:
# cases.due_at (worked out from the rest; recomputed when rules change), cases.version and
# cases.updated_at (bumped by every write), cases.record_salt (the key, not the content).
DIGESTED: dict[str, tuple[str, ...]] = {
    "cases": ("id", "ref", "kind", "category", "title", "stage", "status", "priority", "vulnerable",
              "received_at", "acknowledged_at", "responded_at", "closed_at", "status_changed_at", "stage2_at",
              "extension_days", "assigned_to_id", "stage1_handler_id", "external_ref", "created_at", "erased_at"),
    "organisations": ("id", "name", "name_key", "kind", "email", "phone", "address", "notes", "created_at"),
    "persons": ("id", "name", "name_key", "email", "phone", "phone_valid", "address", "preferred_channel", "notes",
                "accessibility", "vulnerable", "vulnerability_reason", "vulnerability_review", "organisation_id",
                "merged_into_id", "erased_at", "created_at"),
    "person_arrangements": ("id", "person_id", "representative_id", "kind", "authorised_by", "starts_at", "ends_at",
                            "case_id", "evidence_contact_id", "evidence_note", "recorded_by_id", "ended_at",
                            "created_at"),
    "parties": ("id", "case_id", "person_id", "role", "name", "designated", "authorised", "organisation", "email",
                "phone", "address", "notes", "created_at"),
    "contacts": ("id", "case_id", "at", "channel", "direction", "party_id", "handler_id", "outcome", "summary",
                 "body", "call_id", "created_at", "response_stage"),
    "appointments": ("id", "case_id", "party_id", "at", "purpose", "status", "created_at"),
    "approval_requests": ("id", "case_id", "requested_by_id", "action", "findings", "reason", "status",
                          "decided_by_id", "decided_at", "decision_reason", "created_at", "digest", "expires_at"),
}

# Whose record_salt keys a table's digests: (the table holding the salt, the column naming its row). A table
# whose salt is its own row's (cases, persons, organisations) names itself and "id".
SALTED_BY: dict[str, tuple[str, str]] = {
    "cases": ("cases", "id"),
    "organisations": ("organisations", "id"),
    "persons": ("persons", "id"),
    "person_arrangements": ("persons", "person_id"),
    "parties": ("cases", "case_id"),
    "contacts": ("cases", "case_id"),
    "appointments": ("cases", "case_id"),
    "approval_requests": ("cases", "case_id"),
}

# DIGESTED as it stood before migration people1 (persons; parties.person_id). Migrations up to people1
# digest with these, so a database upgraded from before persons verifies at every step.
DIGESTED_BEFORE_PEOPLE: dict[str, tuple[str, ...]] = {
    **{t: DIGESTED[t] for t in ("cases", "contacts", "appointments", "approval_requests")},
    "parties": tuple(c for c in DIGESTED["parties"] if c != "person_id"),
}

# The digest recorded for a row an action deleted: verify then expects the row to be gone.
DELETED = "deleted"

# What erasure leaves in place of personal text (deskapp erase). Verify accepts it only in rows
# whose latest digest was recorded by an erasure event.
TOMBSTONE = "[erased]"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(timespec="seconds")
    if isinstance(value, bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def row_digest(table: str, values: Mapping[str, Any], salt: str | None,
               columns: Mapping[str, tuple[str, ...]] = DIGESTED) -> str:
    """The digest of one row: its table, its covered columns (DIGESTED) and the case's salt.

    `values` must hold every covered column (missing ones count as None); `columns`: a migration's pinned
    DIGESTED (e.g. DIGESTED_BEFORE_PEOPLE). Booleans stored
    as 0/1 by SQLite and true/false by PostgreSQL give the same digest once the caller has
    read them through the table's types.
    """
    body = [table] + [_plain(values.get(name)) for name in columns[table]]
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(((salt or "") + "\x00" + payload).encode("utf-8")).hexdigest()


def rows_for_hash(rows: Any) -> list[list[Any]]:
    """An event's row digests in the one order its hash covers: [[table, id, digest], ...] sorted."""
    return sorted([str(t), int(i), str(d)] for t, i, d in rows)
