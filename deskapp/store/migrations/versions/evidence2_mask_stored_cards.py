"""Evidence: mask the card numbers already stored (PCI DSS 3.4), and say so in the audit chain.

From this revision on the store masks card numbers as it writes them
(deskapp.store.masking). This one masks what was written before, keeping the
first six and last four digits:

- the data tables, every free-text and JSON column (the list is written out
  below, as the schema stood at this revision), in batches by id;
- the audit log: events whose detail, findings or reason hold a card number are
  rewritten with it masked, and since each hash covers the one before, every
  hash from the first rewritten event on is recomputed. The append-only
  triggers are dropped and restored inside this migration's transaction
  (deskapp.store.guard.audit_unlocked), so a failure leaves them in place;
- then one `audit.reanchor` event is appended: why (PCI DSS 3.4), the old head
  `id:hash`, the first rewritten event, how many were rewritten, how many rows
  of each table were masked, and the digests of the masked rows (so the row
  check in `audit verify` expects the masked text). Anyone holding an anchor
  from before sees exactly where and why the chain changed.

Before rewriting, every event from the first rewritten one on must still hash
to what it stores and link to the one before: a chain already broken there is
refused (rewriting it would launder the tampering), with a one-line error.

Masking uses deskapp.core.cards, not a frozen copy: "no full card number at
rest" is judged by the detector the desk writes with and scans with, and the
masker only ever hides digits and is idempotent, so a later, better detector
running this again can only mask more, never bring a digit back. The chain
hash and the row digest are imported for the same reason verify imports them:
the re-anchored chain must verify with the verifier that ships.

Revision ID: evidence2
Revises: evidence1
"""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Iterator, Optional, Sequence, Union

import sqlalchemy as sa
from alembic import op

from deskapp.errors import StorageError


revision: str = 'evidence2'
down_revision: Union[str, Sequence[str], None] = 'evidence1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 2000
WHY = "PCI DSS 3.4: card numbers stored before masking at rest were masked (migration evidence2)"

# The free-text and JSON columns that can hold what a customer or handler typed, as of this revision.
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "cases": ("title", "category"),
    "parties": ("name", "organisation", "email", "phone", "address", "notes"),
    "contacts": ("summary", "body"),
    "appointments": ("purpose",),
    "approval_requests": ("reason", "decision_reason"),
    "drafts": ("body",),
}
JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "approval_requests": ("action", "findings"),
    "drafts": ("fields",),
}
# The columns each digested table's row digest covers (deskapp.core.rowdigest.DIGESTED at this revision).
EVENT_COLUMNS = ("id", "at", "actor", "handler_id", "case_id", "action", "detail", "findings", "reason",
                 "contact_id", "approval_id", "prev_hash", "hash", "policy_hash", "via")


class ChainBroken(StorageError):
    """The audit chain does not hold where masking would rewrite it: refuse rather than launder it."""


def upgrade() -> None:
    from deskapp.store.guard import audit_unlocked

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Pages freed or rewritten from here on are zeroed, so the old digits do not linger in the file.
        bind.exec_driver_sql("PRAGMA secure_delete = ON")
    masked_rows = _mask_tables(bind)
    if masked_rows or bind.execute(sa.text("SELECT 1 FROM audit_events LIMIT 1")).first() is not None:
        with audit_unlocked(bind):
            first, rewritten, old_head, new_head = _mask_events(bind)
            if rewritten or masked_rows:
                _reanchor(bind, first, rewritten, old_head, new_head, masked_rows)
    cases = sorted({row_id for table, row_id in masked_rows if table in ("cases", "parties", "contacts")
                    for row_id in [_case_of(bind, table, row_id)] if row_id is not None})
    if cases:
        _reindex(bind, cases)


def downgrade() -> None:
    # Masked digits cannot be brought back, and that is the point: nothing to undo.
    pass


# ----------------------------------------------------------------------------- data tables


def _mask_tables(bind: Any) -> list[tuple[str, int]]:
    """Mask every listed column of every row; returns (table, id) of each row changed."""
    from deskapp.core.cards import redact_cards, redact_value

    changed: list[tuple[str, int]] = []
    for name in sorted(set(TEXT_COLUMNS) | set(JSON_COLUMNS)):
        texts, blobs = TEXT_COLUMNS.get(name, ()), JSON_COLUMNS.get(name, ())
        t = sa.table(name, sa.column("id", sa.Integer), *[sa.column(c, sa.Text) for c in texts],
                     *[sa.column(c, sa.JSON) for c in blobs])
        last = 0
        while True:
            rows = bind.execute(sa.select(t).where(t.c.id > last).order_by(t.c.id).limit(BATCH)).mappings().all()
            if not rows:
                break
            last = rows[-1]["id"]
            updates = []
            for row in rows:
                values = {}
                for c in texts:
                    if isinstance(row[c], str) and redact_cards(row[c]) != row[c]:
                        values[c] = redact_cards(row[c])
                for c in blobs:
                    if row[c] is not None and redact_value(row[c]) != row[c]:
                        values[c] = redact_value(row[c])
                if values:
                    updates.append((row["id"], values))
            for row_id, values in updates:
                bind.execute(t.update().where(t.c.id == row_id).values(**values))
                changed.append((name, int(row_id)))
    return changed


def _case_of(bind: Any, table: str, row_id: int) -> Optional[int]:
    if table == "cases":
        return row_id
    return bind.execute(sa.text(f"SELECT case_id FROM {table} WHERE id = :i"), {"i": row_id}).scalar()


def _reindex(bind: Any, case_ids: list[int]) -> None:
    """The full-text index was built from the unmasked text: rebuild the documents of the cases changed."""
    from deskapp.store import search

    if not sa.inspect(bind).has_table(search.SEARCH_TABLE):
        return
    shim = SimpleNamespace(connection=lambda: bind)
    for case_id in case_ids:
        search.index_case(shim, case_id)
    if bind.dialect.name == "sqlite":
        # FTS5 keeps replaced terms in old segments until they are merged: merge them now.
        bind.exec_driver_sql(f"INSERT INTO {search.SEARCH_TABLE} ({search.SEARCH_TABLE}) VALUES ('optimize')")


# ----------------------------------------------------------------------------- the audit chain


def _events(bind: Any) -> Iterator[SimpleNamespace]:
    """Every event in id order, read as `audit verify` reads it (text, parsed here), with its row digests."""
    t = sa.table("audit_events", *[sa.column(c) for c in EVENT_COLUMNS])
    r = sa.table("audit_rows", sa.column("event_id"), sa.column("tbl"), sa.column("row_id"), sa.column("digest"))
    cols = [sa.cast(t.c[c], sa.Text) if c in ("at", "detail", "findings") else t.c[c] for c in EVENT_COLUMNS]
    last = None
    while True:
        query = sa.select(*cols).order_by(t.c.id).limit(BATCH)
        if last is not None:
            query = query.where(t.c.id > last)
        batch = bind.execute(query).all()
        if not batch:
            return
        ids = [raw[0] for raw in batch]
        rows: dict[int, list[tuple[str, int, str]]] = {}
        for event_id, tbl, row_id, digest in bind.execute(
                sa.select(r.c.event_id, r.c.tbl, r.c.row_id, r.c.digest).where(r.c.event_id.in_(ids))):
            rows.setdefault(int(event_id), []).append((tbl, int(row_id), digest))
        for raw in batch:
            values = dict(zip(EVENT_COLUMNS, raw))
            values["at"] = datetime.fromisoformat(str(values["at"]).strip()) if values["at"] is not None else None
            values["detail"] = json.loads(values["detail"]) if values["detail"] is not None else None
            values["findings"] = json.loads(values["findings"]) if values["findings"] is not None else None
            yield SimpleNamespace(**values, rows=rows.get(int(values["id"]), []))
        last = ids[-1]


def _mask_events(bind: Any) -> tuple[Optional[int], int, Optional[str], Optional[str]]:
    """Mask events' text and re-chain from the first one changed. (first id, how many, old head, new head)."""
    from deskapp.core.cards import redact_cards, redact_value
    from deskapp.core.chain import event_hash

    t = sa.table("audit_events", sa.column("id", sa.Integer), sa.column("detail", sa.JSON),
                 sa.column("findings", sa.JSON), sa.column("reason", sa.Text), sa.column("prev_hash", sa.String),
                 sa.column("hash", sa.String))
    first: Optional[int] = None
    rewritten = 0
    relinked: list[dict[str, Any]] = []
    old_prev: Optional[str] = None  # the stored hash of the event before, as it was
    new_prev: Optional[str] = None  # ... and as it is now
    old_head = new_head = None
    for event in _events(bind):
        old_head = f"{event.id}:{event.hash}"
        detail, findings = redact_value(event.detail), redact_value(event.findings)
        reason = redact_cards(event.reason) if isinstance(event.reason, str) else event.reason
        changed = (detail, findings, reason) != (event.detail, event.findings, event.reason)
        if first is None and not changed:
            old_prev = new_prev = event.hash
            new_head = old_head
            continue
        # From the first rewritten event on, the old chain must hold before it is re-made.
        if event_hash(event) != event.hash or (old_prev is not None and event.prev_hash != old_prev):
            raise ChainBroken(f"audit event {event.id} does not match its hash or does not follow the one before: "
                              "run `deskapp audit verify`; evidence2 will not rewrite a broken chain")
        if first is None:
            first = event.id
        old_prev = event.hash
        event.detail, event.findings, event.reason = detail, findings, reason
        event.prev_hash = new_prev or ""
        event.hash = event_hash(event)
        new_prev = event.hash
        new_head = f"{event.id}:{event.hash}"
        if changed:
            rewritten += 1
            bind.execute(t.update().where(t.c.id == event.id).values(
                detail=detail, findings=findings, reason=reason, prev_hash=event.prev_hash, hash=event.hash))
        else:
            relinked.append({"b_id": event.id, "p": event.prev_hash, "h": event.hash})
            if len(relinked) >= BATCH:
                _relink(bind, t, relinked)
    _relink(bind, t, relinked)
    return first, rewritten, old_head, new_head


def _relink(bind: Any, t: Any, pending: list[dict[str, Any]]) -> None:
    """New prev_hash/hash for events after the first rewritten one whose content is unchanged (executemany)."""
    if pending:
        bind.execute(t.update().where(t.c.id == sa.bindparam("b_id"))
                     .values(prev_hash=sa.bindparam("p"), hash=sa.bindparam("h")), pending)
        pending.clear()


def _reanchor(bind: Any, first: Optional[int], rewritten: int, old_head: Optional[str], new_head: Optional[str],
              masked_rows: list[tuple[str, int]]) -> None:
    """Append the `audit.reanchor` event that records what this migration changed and why."""
    from deskapp.core.chain import canonical, event_hash
    from deskapp.core.rowdigest import DIGESTED_BEFORE_PEOPLE as DIGESTED  # this revision's tables and columns
    from deskapp.core.rowdigest import row_digest

    counts: dict[str, int] = {}
    for table, _id in masked_rows:
        counts[table] = counts.get(table, 0) + 1
    reflected: dict[str, Any] = {}
    digests = sorted((table, row_id, _digest(bind, table, row_id, row_digest, reflected))
                     for table, row_id in masked_rows if table in DIGESTED)
    last_id = bind.execute(sa.text("SELECT MAX(id) FROM audit_events")).scalar() or 0
    if bind.dialect.name == "postgresql":
        seq = "pg_get_serial_sequence('audit_events', 'id')"
        ident = bind.execute(sa.text(f"SELECT nextval({seq})")).scalar_one()
        if ident <= last_id:
            ident = bind.execute(sa.text(f"SELECT setval({seq}, :v)"), {"v": last_id + 1}).scalar_one()
    else:
        ident = last_id + 1
    try:
        actor = getpass.getuser()[:64]
    except (KeyError, OSError):
        actor = "unknown"
    detail = canonical({"why": WHY, "migration": "evidence2", "old_head": old_head, "first_rewritten": first,
                        "rewritten": rewritten, "rows_masked": counts})
    event = SimpleNamespace(id=int(ident), at=datetime.now().replace(microsecond=0), actor=actor, handler_id=None,
                            case_id=None, action="audit.reanchor", detail=detail, findings=[], reason=WHY,
                            contact_id=None, approval_id=None, prev_hash=(new_head or ":").split(":", 1)[1],
                            policy_hash=None, via=None, rows=digests)
    event.hash = event_hash(event)
    typed = {"at": sa.DateTime, "detail": sa.JSON, "findings": sa.JSON}
    t = sa.table("audit_events", *[sa.column(c, typed.get(c)) for c in EVENT_COLUMNS])
    bind.execute(t.insert().values(**{c: getattr(event, c) for c in EVENT_COLUMNS}))
    if digests:
        r = sa.table("audit_rows", sa.column("event_id"), sa.column("tbl"), sa.column("row_id"), sa.column("digest"))
        bind.execute(r.insert(), [{"event_id": event.id, "tbl": tb, "row_id": i, "digest": d} for tb, i, d in digests])


def _digest(bind: Any, table: str, row_id: int, row_digest: Any, reflected: dict[str, Any]) -> str:
    """The row's digest as now stored: read through its reflected column types (booleans, times), keyed
    with its case's salt, as deskapp.store.rowdigests reads it; columns a later revision adds count as None."""
    if table not in reflected:
        reflected[table] = sa.table(table, *[sa.column(c["name"], c["type"])
                                             for c in sa.inspect(bind).get_columns(table)])
    t = reflected[table]
    row = bind.execute(sa.select(t).where(t.c.id == row_id)).mappings().first()
    if row is None:
        return "deleted"
    case_id = row["id"] if table == "cases" else row.get("case_id")
    salt = bind.execute(sa.text("SELECT record_salt FROM cases WHERE id = :i"), {"i": case_id}).scalar()
    from deskapp.core.rowdigest import DIGESTED_BEFORE_PEOPLE

    return row_digest(table, dict(row), salt, DIGESTED_BEFORE_PEOPLE)
