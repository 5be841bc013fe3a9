"""Loading the demo as an action: who may fill a desk, who may wipe one, and the desk's demo mark.

The rest of this package makes the rows (deskapp.demo.load); this decides, inside the
fill's one transaction, whether the fill may happen:

- a desk with no cases may be filled by anyone who can open it (it is their
  new desk); one with cases is refused unless `force`;
- `force` (wipe, then fill) needs an active admin — the OS account running
  the command, re-read from the handlers table in this transaction — and
  a desk the demo made (desk_settings demo = "1") whose audit log holds only
  events the demo loader wrote (each says `"demo": true` in its detail; no
  action a person takes writes that key), after at most `deskapp init`'s
  publishing of the packaged rules as the very first event. One event of real
  work, an import, another publish, a refusal: the log and the cases are
  never deleted.

A refusal is one line (NotAllowed / DeskError) and, when the person is a
handler, an audit event `refused` written after the fill rolled back.
The desk is marked demo only when the demo creates it: the command made the
database, or it held no handler, no case and no audit event but that set-up
publish (a desk someone set up with `deskapp init` and `users add`, or worked,
is never made a demo).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, ContextManager, Optional, Protocol, Sequence

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from deskapp.actions import audit, refusals
from deskapp.actions.policies import ensure_published
from deskapp.core.roles import NotAllowed, check
from deskapp.errors import DeskError
from deskapp.store import baseline, fill, search, settings
from deskapp.store.bulk import BulkWriter
from deskapp.store.engine import masked

PERMISSION = "demo.wipe"
LOADED_TABLES = ("cases", "parties", "contacts", "appointments")
PEOPLE_TABLES = ("organisations", "persons", "person_arrangements")


class DemoSource(Protocol):
    """What the demo package hands the action: who to add, and how to make the rows."""

    handlers: Sequence[tuple[str, str, str]]  # (username, display name, role), the person running it first
    policy_hash: Optional[str]  # sha256 of the pack the demo's events were checked against (None: unknown)
    rules_since: datetime  # when a desk with no published rules gets the packaged pack (before every case)

    def prepare(self, conn: Connection) -> ContextManager[None]:
        """Set-up that must happen before the transaction begins (staging files for a parallel load)."""

    def fill(self, conn: Connection, writer: BulkWriter, ids: dict[str, int]) -> list[dict[str, Any]]:
        """Write the rows through `writer`; return the audit events to chain (each detail "demo": true)."""


@dataclass
class DemoLoadResult:
    wiped_cases: int = 0
    kept_cases: int = 0  # if_empty found this many cases and loaded nothing
    handlers_added: list[str] = field(default_factory=list)
    marked_demo: bool = False
    audit_events: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def is_demo_event(action: str, detail: dict[str, Any]) -> bool:
    """An event the demo loader wrote: its detail says "demo": true (exactly True, at the top level)."""
    return detail.get("demo") is True


# `deskapp init` publishing the rules packaged with deskapp (deskapp.actions.policies): setting a desk up,
# not work on it. Only as the log's very first event, version 1, from the packaged file.
SETUP_PUBLISH, PACKAGED_SOURCE = "policy.publish", "policies.yaml"


def _is_setup(action: str, detail: dict[str, Any]) -> bool:
    return action == SETUP_PUBLISH and detail.get("version") == 1 and detail.get("source") == PACKAGED_SOURCE


def _first_real_event(conn: Connection) -> Optional[tuple[int, str]]:
    """(id, action) of the first event that is neither the demo's nor the desk's set-up; None if none."""
    for n, (ident, action, detail) in enumerate(fill.audit_details(conn)):
        if is_demo_event(action, detail) or (n == 0 and _is_setup(action, detail)):
            continue
        return ident, action
    return None


def load_demo(engine: Engine, source: DemoSource, *, actor: str, force: bool = False, if_empty: bool = False,
              created: bool = False, at: Optional[datetime] = None) -> DemoLoadResult:
    """Fill the desk in one transaction, or refuse (nothing written). `actor`: the OS account running it."""
    at = (at or datetime.now()).replace(microsecond=0)
    result = DemoLoadResult()
    refusal: Optional[tuple[NotAllowed, Optional[int]]] = None
    with engine.connect() as conn:
        with source.prepare(conn):
            try:
                with fill.one_transaction(conn):
                    loaded = _fill(conn, source, result, actor=actor, force=force, if_empty=if_empty,
                                   created=created, at=at)
                if loaded:
                    # After the commit, as the load's own connection; the persons' index too (person search).
                    fill.analyze(conn, LOADED_TABLES + ("persons", "person_keys"))
            except NotAllowed as exc:
                refusal = (exc, getattr(exc, "handler_id", None))
    if refusal is not None:
        exc, handler_id = refusal
        refusals.record(engine, actor=actor, handler_id=handler_id, at=at, permission=PERMISSION,
                        message=str(exc), detail={"command": "demo --force"})
        raise exc
    return result


def _fill(conn: Connection, source: DemoSource, result: DemoLoadResult, *, actor: str, force: bool,
          if_empty: bool, created: bool, at: datetime) -> bool:
    """The checks and the writes, inside the transaction. False when nothing was loaded (if_empty)."""
    existing = fill.count(conn, "cases")
    if existing and if_empty and not force:
        result.kept_cases = existing
        return False
    if existing and not force:
        raise DeskError(
            f"{masked(conn.engine.url)} already holds {existing:,} cases: the demo only fills an empty desk "
            "(--force, for an admin on a demo desk nobody has worked, deletes them first)"
        )
    handlers_before = fill.handlers(conn)
    events = fill.count(conn, "audit_events")
    if force and (existing or events):
        fill.lock_audit_log(conn)
        _may_wipe(conn, actor, handlers_before, existing)
        fill.wipe_cases(conn)
        result.wiped_cases = existing
    session = Session(bind=conn)
    try:
        if created or not (handlers_before or existing or _first_real_event(conn)):
            settings.put(session, settings.DEMO, "1", at)
            result.marked_demo = True
    finally:
        session.close()
    result.handlers_added = fill.add_handlers(conn, source.handlers, at)
    ids = {username: ident for username, (ident, _role, _active) in fill.handlers(conn).items()}
    me = source.handlers[0][0]
    session = Session(bind=conn)
    try:  # a new desk's rules: the packaged pack as version 1, marked as the demo's own setup
        ensure_published(session, actor=me, handler_id=ids.get(me), at=source.rules_since, demo=True)
    finally:
        session.close()
    writer = BulkWriter(conn)
    trail = [{"policy_hash": getattr(source, "policy_hash", None), **event}
             for event in source.fill(conn, writer, ids)]
    result.audit_events = audit.append_bulk(conn, writer, trail)
    writer.sync_sequences(LOADED_TABLES + PEOPLE_TABLES)
    # Every row the fill wrote gets a salt and a recorded digest, so `audit verify` holds the demo to them.
    baseline.salt_cases(conn)
    result.audit_events += baseline.record_baseline(
        conn, actor=me, handler_id=ids.get(me), at=at, action="demo.rows", detail={"demo": True},
        policy_hash=getattr(source, "policy_hash", None))[0]
    result.rows = {t: n for t, n in writer.counts.items() if t in LOADED_TABLES}
    search.rebuild(conn)  # the full-text index, filled in one pass over the loaded rows
    return True


def _may_wipe(conn: Connection, actor: str, handlers: dict[str, tuple[int, str, bool]], existing: int) -> None:
    """NotAllowed unless `actor` is an active admin, the desk is a demo and its log is all the demo's."""
    row = handlers.get(actor)
    if row is None:
        raise DeskError(f"{actor} is not a handler on this desk: wiping a demo desk (demo --force) needs an admin")
    handler_id, role, active = row
    try:
        check(SimpleNamespace(username=actor, role=role), PERMISSION, role, active)
        if settings.read(conn, settings.DEMO) != "1":
            raise NotAllowed(
                f"{masked(conn.engine.url)} is not a demo desk (the demo did not create it): its "
                f"{existing:,} cases and audit log are never deleted; load the demo into a new database "
                "(e.g. --db sqlite:///demo.db)")
        real = _first_real_event(conn)
        if real is not None:
            raise NotAllowed(
                f"{masked(conn.engine.url)} holds audit records that a demo did not write (the first: event "
                f"{real[0]}, {real[1]}): people have worked this desk, and its cases and audit log are never "
                "deleted; load the demo into a new database instead (e.g. --db sqlite:///demo.db)")
    except NotAllowed as exc:
        exc.handler_id = handler_id  # type: ignore[attr-defined]  # so the refusal is audited under them
        raise
