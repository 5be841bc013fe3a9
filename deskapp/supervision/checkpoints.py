"""`deskapp audit verify`, second half: the signed checkpoints in the witness must still hold.

Runs after the chain walk found every link intact (deskapp.supervision.verify),
with the settings of deskapp.core.witness; no anchor has to be typed.

What it catches (exit 1, naming the witness line):
- truncation: a checkpoint signed event X, and the log now ends before X;
- a rewrite from any point at or before a checkpointed event (hashes recomputed
  with the public function): that event no longer has the signed hash. Every
  checkpoint in the witness is checked, not only the latest;
- events deleted before a checkpoint: the count up to the latest checkpointed
  event differs from the signed count;
- a witness line that was altered or written without the key: its signature fails;
- a witness that lost lines: the log records a checkpoint made with this key whose
  signature the witness no longer has;
- appends after the latest checkpoint that the desk's schedule should have covered:
  an event dated before the latest checkpoint was taken (minus grace_minutes:
  written later, backdated), more than 2 x every_events events, or an event
  older than every_minutes + grace_minutes still uncovered.

What it does not catch, honestly: an event appended by someone who can write
the database, dated "now", inside the schedule's window (fewer than
2 x every_events events, younger than every_minutes + grace_minutes). The next
checkpoint signs it like any other: a checkpoint proves what the log held when
it was signed, not who wrote it. The time bound also needs something that takes
checkpoints when no desk is open (the `deskapp audit checkpoint --if-due` timer
in docs/deploying.md); set every_minutes = 0 where there is none. Changes made
by someone who can also read the signing key or rewrite the witness (the service
account itself, unless the witness is `chattr +a` or kept by a separate signer)
are out of reach of any check here.

Exit 2 (ConfigError, one line naming the file): settings file unreadable or
wrong, public key missing or not a key, a witness line that is not a checkpoint
(file:line), a checkpoint signed by another key than the public key on file, or
a missing witness while the log records checkpoints. These say the set-up is
wrong or damaged; exit 1 is kept for evidence of tampering.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import Engine, func, select

from deskapp.actions.checkpoints import ACTION, settings as load_settings
from deskapp.core import signing, witness
from deskapp.errors import ConfigError, DeskError
from deskapp.store.models import AuditEvent


class Tampered(DeskError):
    """Evidence that the log or the witness was changed: exit 1."""

    exit_code = 1


@dataclass(frozen=True)
class Coverage:
    checkpoints: int
    uncovered: int
    note: str


def check_checkpoints(engine: Engine, head_id: Optional[int], chosen: Optional[witness.Settings] = None,
                      now: Optional[datetime] = None) -> Coverage:
    """Check every checkpoint of the witness against the log (whose chain walk passed, ending at `head_id`)."""
    chosen = chosen or load_settings()
    now = now or datetime.now().replace(microsecond=0)
    where = chosen.witness
    lines = witness.read_witness(chosen)
    with engine.connect() as conn:
        recorded = [(row[0], _mapping(row[1])) for row in conn.execute(
            select(AuditEvent.id, AuditEvent.detail).where(AuditEvent.action == ACTION).order_by(AuditEvent.id))]
        entries = list(lines) if lines is not None else []
        if not entries:
            if recorded:
                state = "missing" if lines is None else "empty"
                raise ConfigError(f"{where}: witness {state}, but the audit log records {len(recorded):,} "
                                  f"checkpoint{'s' if len(recorded) != 1 else ''} (the latest in event "
                                  f"{recorded[-1][0]}): restore it, or point {witness.SETTINGS_FILE} at it")
            note = ("no checkpoint taken yet: run `deskapp audit checkpoint`" if chosen.configured
                    else "no checkpoints set up (`deskapp audit keygen` as the service account)")
            return Coverage(0, 0, note)
        public = witness.read_public_key(chosen)
        ours = signing.key_id(public)
        for entry in entries:
            cp = entry.checkpoint
            if cp.key_id != ours:
                raise ConfigError(f"{where}:{entry.number}: checkpoint signed with key {cp.key_id}, but "
                                  f"{chosen.public_key} is key {ours}")
            if not signing.signature_holds(public, cp):
                raise Tampered(f"{where}:{entry.number}: checkpoint signature does not verify: the line was "
                               "changed, or written without the signing key")
        _signed_events_hold(conn, entries, head_id, where)
        latest = max(entries, key=lambda e: (e.checkpoint.event_id, e.number))
        cp = latest.checkpoint
        counted = conn.execute(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.id <= cp.event_id)).scalar_one()
        if counted != cp.events:
            raise Tampered(f"checkpoint {where}:{latest.number} counted {cp.events:,} events up to event "
                           f"{cp.event_id}; the log now has {counted:,}: events at or before it were "
                           f"{'deleted' if counted < cp.events else 'inserted'}")
        signatures = {e.checkpoint.signature for e in entries}
        for event_id, detail in recorded:
            if detail.get("key_id") == ours and str(detail.get("signature")) not in signatures:
                raise Tampered(f"{where}: the audit log records a checkpoint of event {detail.get('event_id')} "
                               f"(in event {event_id}) signed with this key that the witness does not have: "
                               "lines were removed from the witness, or that event was forged")
        uncovered = _uncovered(conn, chosen, latest, entries, now)
    taken = cp.at.strftime("%Y-%m-%d %H:%M")
    since = f"; {uncovered:,} event{'s' if uncovered != 1 else ''} since" if uncovered else ""
    return Coverage(len(entries), uncovered,
                    f"{len(entries):,} checkpoint{'s hold' if len(entries) != 1 else ' holds'} "
                    f"(latest {where}:{latest.number}: event {cp.event_id}, {taken}){since}")


def _signed_events_hold(conn: Any, entries: list[witness.WitnessLine], head_id: Optional[int], where: Any) -> None:
    """Each checkpointed event is still in the log with the hash that was signed (lowest event id first)."""
    by_event: dict[int, list[witness.WitnessLine]] = {}
    for entry in entries:
        by_event.setdefault(entry.checkpoint.event_id, []).append(entry)
    ids = sorted(by_event)
    found: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update((int(i), h) for i, h in conn.execute(
            select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id.in_(chunk))))
    for event_id in ids:
        for entry in by_event[event_id]:
            label = f"checkpoint {where}:{entry.number}"
            if event_id not in found:
                if head_id is None or event_id > head_id:
                    ends = f"ends at event {head_id}" if head_id is not None else "is empty"
                    raise Tampered(f"{label} signed event {event_id}, but the log now {ends}: "
                                   "events were deleted from its end")
                raise Tampered(f"{label} signed event {event_id}, which is no longer in the log: it was deleted")
            if found[event_id] != entry.checkpoint.hash:
                raise Tampered(f"{label}: event {event_id} no longer has the signed hash: the log was "
                               f"rewritten at or before event {event_id}")


def _uncovered(conn: Any, chosen: witness.Settings, latest: witness.WitnessLine,
               entries: list[witness.WitnessLine], now: datetime) -> int:
    """How many events follow the latest checkpoint; Tampered if the desk's schedule should have covered them.

    The audit.checkpoint events recording checkpoints of the witness are not counted:
    each is written just after the checkpoint it records.
    """
    cp = latest.checkpoint
    where = f"{chosen.witness}:{latest.number}"
    grace = timedelta(minutes=chosen.grace_minutes)
    signed = {(e.checkpoint.event_id, e.checkpoint.signature) for e in entries}
    limit = 2 * chosen.every_events
    rows = conn.execute(select(AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.detail)
                        .where(AuditEvent.id > cp.event_id).order_by(AuditEvent.id).limit(limit + 200)).all()
    total = conn.execute(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.id > cp.event_id)).scalar_one()
    own = [r for r in rows
           if r[2] == ACTION and _recorded(r[3]) in signed]
    others = [r for r in rows if r not in own]
    count = total - len(own)
    backdated = conn.execute(select(AuditEvent.id, AuditEvent.at).where(AuditEvent.id > cp.event_id,
                                                                        AuditEvent.at < cp.at - grace)
                             .order_by(AuditEvent.id).limit(1)).first()
    if backdated is not None:
        raise Tampered(f"event {backdated[0]} comes after checkpoint {where} (event {cp.event_id}, taken "
                       f"{cp.at:%Y-%m-%d %H:%M}) but is dated {backdated[1]:%Y-%m-%d %H:%M}: written later "
                       "and backdated")
    should = "not covered by a checkpoint although the desk should have taken one"
    if count > limit:
        raise Tampered(f"{count:,} events after checkpoint {where} (event {cp.event_id}) are {should} "
                       f"(every_events = {chosen.every_events}): forged appends, or checkpoints are failing")
    if chosen.every_minutes and others:
        oldest = min(r[1] for r in others)
        if now - oldest > timedelta(minutes=chosen.every_minutes) + grace:
            first = min(r[0] for r in others)
            raise Tampered(f"{count:,} event{'s' if count != 1 else ''} after checkpoint {where} (from event "
                           f"{first}, dated {oldest:%Y-%m-%d %H:%M}) {'are' if count != 1 else 'is'} {should} "
                           f"(every_minutes = {chosen.every_minutes}, grace_minutes = {chosen.grace_minutes}): "
                           "forged appends, or checkpoints are failing")
    return count


def _mapping(detail: Any) -> dict:
    """An event's detail as a dict: anything else (written by hand, hashed with the public function) as {}."""
    return detail if isinstance(detail, dict) else {}


def _recorded(detail: Any) -> tuple[Any, str]:
    """(event id, signature) an audit.checkpoint event's detail names, made hashable whatever it holds."""
    detail = _mapping(detail)
    event_id = detail.get("event_id")
    return (event_id if isinstance(event_id, int) else None, str(detail.get("signature")))
