"""`deskapp import FILE`: bring cases in from another system, all or nothing.

The file is read and every case checked first (deskapp.supervision.import_format);
one problem anywhere and nothing is written. Then, in ONE transaction:

- a case whose external_ref is new is created with a fresh desk reference
  (C-nnnn), its parties, contact history and appointments, and a `case.import`
  audit event recording the file, the line and a fingerprint of what the file said;
- a case already imported whose row is unchanged (same fingerprint as its last
  import) is skipped — importing the same file twice changes nothing;
- a case already imported whose row has changed is updated (fields, parties,
  history and appointments replaced from the file) — but only if nobody has
  worked it in deskapp since its import. If someone has, the import stops
  with that row named, because the file would overwrite their work; with
  --skip-worked such cases are left alone and listed instead.

Only admins import (roles: case.import).
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional, Sequence

from sqlalchemy import delete, func, insert, select, text, update
from sqlmodel import Session

from deskapp.actions import audit
from deskapp.errors import DeskError
from deskapp.store.models import Appointment, AuditEvent, Case, Contact, Handler, Party
from deskapp.store.refs import next_case_refs
from deskapp.supervision.import_format import (
    CaseRecord,
    MAX_BYTES,
    Problem,
    Problems,
    read,
)
from deskapp.actions.permissions import require
from deskapp.supervision.writes import begin_write

IGNORED_SINCE_IMPORT = ("case.export",)  # events that do not count as working a case
_CHUNK = 500


@dataclass
class ImportReport:
    file: str
    created: list[str] = field(default_factory=list)  # desk refs
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped_worked: list[tuple[str, str]] = field(default_factory=list)  # (external ref, desk ref)
    dry_run: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        parts = [f"{len(self.created):,} new", f"{len(self.updated):,} updated", f"{self.unchanged:,} unchanged"]
        if self.skipped_worked:
            parts.append(f"{len(self.skipped_worked):,} left alone (worked in deskapp since their import)")
        text = f"{verb} {self.file}: {', '.join(parts)}"
        if self.created:
            text += f"; new cases {self.created[0]}" + (f" … {self.created[-1]}" if len(self.created) > 1 else "")
        return text + ("" if self.dry_run else f" in {self.seconds:.1f} s")


class ImportRefused(DeskError):
    """The file has problems; `lines` holds every `FILE:LINE: field: message`."""

    def __init__(self, name: str, problems: Sequence[Problem], more: int = 0):
        self.lines = [p.render(name) for p in problems]
        if more:
            self.lines.append(f"{name}: … and {more:,} more problems")
        total = len(problems) + more
        super().__init__(f"import refused: {total:,} problem{'s' if total != 1 else ''} in {name}; "
                         "nothing was written")


# ----------------------------------------------------------------------------- reading


def read_file(path: str) -> bytes:
    file = Path(path).expanduser()
    try:
        if file.is_dir():
            raise DeskError(f"{path}: is a folder, not a file")
        size = file.stat().st_size
        if size > MAX_BYTES:
            raise DeskError(f"{path}: {size / 1_048_576:,.0f} MB is more than one import takes "
                            f"({MAX_BYTES // 1_048_576} MB): split the file")
        return file.read_bytes()
    except FileNotFoundError:
        raise DeskError(f"{path}: no such file") from None
    except PermissionError:
        raise DeskError(f"{path}: cannot read it (permission denied)") from None
    except OSError as exc:
        raise DeskError(f"{path}: cannot read it ({exc.strerror or exc})") from None


# ----------------------------------------------------------------------------- case numbers


# ----------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class _Existing:
    case_id: int
    ref: str
    fingerprint: Optional[str]  # from its last case.import
    worked_by: Optional[str]  # "status by sam on 2026-03-10" when worked since that import


def _existing(session: Session, refs: list[str]) -> dict[str, _Existing]:
    found: dict[str, tuple[int, str]] = {}
    for i in range(0, len(refs), _CHUNK):
        chunk = refs[i:i + _CHUNK]
        for case_id, ref, external in session.execute(
                select(Case.id, Case.ref, Case.external_ref).where(Case.external_ref.in_(chunk))).all():
            found[external] = (case_id, ref)
    if not found:
        return {}
    ids = [case_id for case_id, _ref in found.values()]
    last_import: dict[int, Any] = {}
    last_work: dict[int, AuditEvent] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        newest_import = (select(func.max(AuditEvent.id)).where(AuditEvent.case_id.in_(chunk),
                                                               AuditEvent.action == "case.import")
                         .group_by(AuditEvent.case_id))
        for event in session.execute(select(AuditEvent).where(AuditEvent.id.in_(newest_import))).scalars():
            last_import[event.case_id] = event
        newest = (select(func.max(AuditEvent.id)).where(AuditEvent.case_id.in_(chunk),
                                                        AuditEvent.action.not_in(IGNORED_SINCE_IMPORT))
                  .group_by(AuditEvent.case_id))
        for event in session.execute(select(AuditEvent).where(AuditEvent.id.in_(newest))).scalars():
            last_work[event.case_id] = event
    out = {}
    for external, (case_id, ref) in found.items():
        imported = last_import.get(case_id)
        latest = last_work.get(case_id)
        worked = None
        if latest is not None and (imported is None or latest.id != imported.id):
            worked = f"{latest.action} by {latest.actor} on {latest.at:%Y-%m-%d}"
        fingerprint = (imported.detail or {}).get("fingerprint") if imported is not None else None
        out[external] = _Existing(case_id, ref, fingerprint, worked)
    return out


# ----------------------------------------------------------------------------- writing


def _case_values(record: CaseRecord, handler_ids: dict[str, int], now: datetime) -> dict[str, Any]:
    return {
        "kind": record.kind,
        "category": record.category,
        "title": record.title,
        "stage": record.stage,
        "status": record.status,
        "priority": record.priority,
        "vulnerable": record.vulnerable,
        "received_at": record.received_at,
        "acknowledged_at": record.acknowledged_at,
        "responded_at": record.responded_at,
        "closed_at": record.closed_at,
        "stage2_at": record.escalated_at if record.stage == 2 else None,
        "status_changed_at": record.closed_at or record.responded_at or record.acknowledged_at or record.received_at,
        "assigned_to_id": handler_ids.get(record.assigned_to) if record.assigned_to else None,
        "extension_days": 0,
        "updated_at": now,
    }


# Case fields a re-import may change, named in the audit record when it does.
_COMPARED = ("kind", "category", "title", "stage", "status", "priority", "vulnerable", "received_at",
             "acknowledged_at", "responded_at", "closed_at", "stage2_at", "assigned_to_id")


def _reserve_ids(conn: Any, table: str, count: int) -> list[int]:
    """`count` ids for explicit inserts, in rising order, that no other desk can take.

    SQLite: after the largest id (the caller holds the write lock). PostgreSQL:
    taken from the table's sequence (moved past the largest id first if rows
    were ever loaded with explicit ids).
    """
    if count <= 0:
        return []
    top = conn.exec_driver_sql(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').scalar() or 0
    if conn.dialect.name != "postgresql":
        return list(range(top + 1, top + 1 + count))
    seq = f"pg_get_serial_sequence('{table}', 'id')"
    ids = sorted(conn.exec_driver_sql(f"SELECT nextval({seq}) FROM generate_series(1, {int(count)})").scalars())
    if ids[0] <= top:
        conn.exec_driver_sql(f"SELECT setval({seq}, {int(top)})")
        ids = sorted(conn.exec_driver_sql(f"SELECT nextval({seq}) FROM generate_series(1, {int(count)})").scalars())
    return [int(i) for i in ids]


def _append_audit(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append many events to the audit chain at once: the same chain and hash as deskapp.actions.audit.append.

    One read of the tail under the audit lock, ids reserved in rising order,
    each event's hash computed with audit.event_hash over the previous one, one
    multi-row INSERT. (Row by row through audit.append would re-read the tail
    for every imported case.)
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": audit._PG_AUDIT_LOCK})
    last = conn.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    prev = last[1] if last is not None else ""
    ids = _reserve_ids(conn, "audit_events", len(rows))
    out = []
    for ident, row in zip(ids, rows):
        event = {"handler_id": None, "case_id": None, "detail": {}, "findings": [], "reason": None,
                 "contact_id": None, "approval_id": None, **row, "id": ident, "prev_hash": prev or ""}
        event["at"] = event["at"].replace(microsecond=0)
        event["hash"] = prev = audit.event_hash(SimpleNamespace(**event))
        out.append(event)
    for i in range(0, len(out), 1000):
        conn.execute(insert(AuditEvent.__table__), out[i:i + 1000])


def _insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), 1000):
        conn.execute(insert(table), rows[i:i + 1000])


def import_file(desk: Any, path: str, *, dry_run: bool = False, skip_worked: bool = False) -> ImportReport:
    """Check the whole file, then write it in one transaction. ImportRefused / DeskError on any problem.

    With dry_run everything is done (matched, numbered, written) and then rolled back.
    """
    started = clock.perf_counter()
    name = path
    data = read_file(path)
    now = desk.now()
    with desk.session() as session:
        require(desk, "case.import", session=session)
        handler_ids = {u: i for u, i in session.execute(
            select(Handler.username, Handler.id).where(Handler.active == True)).all()}  # noqa: E712
    try:
        parsed, records = read(name, data, now, set(handler_ids))
    except Problems as problems:
        raise ImportRefused(name, problems.problems, problems.more) from None
    report = ImportReport(file=name, dry_run=dry_run)
    source = parsed.source or Path(path).name

    try:
        _write(desk, records, report, source, handler_ids, now, name, skip_worked, dry_run)
    except _DryRun:
        pass
    report.seconds = clock.perf_counter() - started
    return report


def _write(desk, records, report, source, handler_ids, now, name, skip_worked, dry_run) -> None:
    """Match, number and write every case in one transaction (multi-row INSERTs: fast for big files)."""
    from deskapp.actions.submit import reindex

    with desk.session() as session:
        with session.begin():
            begin_write(session)
            conn = session.connection()
            existing = _existing(session, [r.external_ref for r in records])
            refused: list[Problem] = []
            plan: list[tuple[CaseRecord, Optional[_Existing], str]] = []
            for record in records:
                known = existing.get(record.external_ref)
                fingerprint = record.fingerprint()
                if known is None:
                    plan.append((record, None, fingerprint))
                elif known.fingerprint == fingerprint:
                    report.unchanged += 1
                elif known.worked_by is not None:
                    if skip_worked:
                        report.skipped_worked.append((record.external_ref, known.ref))
                    else:
                        refused.append(Problem(record.line, "external_ref",
                                               f"case {known.ref} was worked in deskapp since it was imported "
                                               f"({known.worked_by}); the file would overwrite that: change it "
                                               "in deskapp, or import with --skip-worked"))
                else:
                    plan.append((record, known, fingerprint))
            if refused:
                raise ImportRefused(name, refused[:50], max(0, len(refused) - 50))
            if not plan:
                if dry_run:
                    raise _DryRun()
                return

            fresh = [r for r, known, _f in plan if known is None]
            new_ids = iter(_reserve_ids(conn, "cases", len(fresh)))
            new_refs = iter(next_case_refs(session, len(fresh)))
            party_ids = iter(_reserve_ids(conn, "parties", sum(len(r.parties) for r, _k, _f in plan)))
            cases, parties, contacts, appointments, events, touched = [], [], [], [], [], []
            current: dict[int, Any] = {}
            if len(fresh) < len(plan):
                updated_ids = [known.case_id for _r, known, _f in plan if known is not None]
                table = Case.__table__
                for i in range(0, len(updated_ids), _CHUNK):
                    chunk = updated_ids[i:i + _CHUNK]
                    for row in conn.execute(select(table).where(table.c.id.in_(chunk))).mappings():
                        current[row["id"]] = row
                    for model in (Contact, Appointment, Party):
                        conn.execute(delete(model.__table__).where(model.__table__.c.case_id.in_(chunk)))
            for record, known, fingerprint in plan:
                values = _case_values(record, handler_ids, now)
                values["due_at"] = desk.policies.deadlines(SimpleNamespace(**values), now).next_due
                if known is None:
                    case_id, ref, version, mode = next(new_ids), next(new_refs), 1, "new"
                    cases.append({**values, "id": case_id, "ref": ref, "external_ref": record.external_ref,
                                  "version": 1, "created_at": now})
                else:
                    case_id, ref, mode = known.case_id, known.ref, "update"
                    before = current.get(case_id) or {}
                    version = int(before.get("version") or 1) + 1
                    changed = sorted(k for k in _COMPARED if before.get(k) != values.get(k))
                    conn.execute(update(Case.__table__).where(Case.__table__.c.id == case_id)
                                 .values(**values, version=version))
                names: dict[str, int] = {}
                for p in record.parties:
                    names[p.name] = next(party_ids)
                    parties.append({"id": names[p.name], "case_id": case_id, "role": p.role, "name": p.name,
                                    "designated": p.designated, "authorised": p.authorised,
                                    "organisation": p.organisation, "email": p.email, "phone": p.phone,
                                    "address": p.address, "notes": p.notes, "created_at": now})
                for c in record.contacts:
                    contacts.append({"case_id": case_id, "at": c.at, "channel": c.channel, "direction": c.direction,
                                     "party_id": names.get(c.party) if c.party else None, "handler_id": None,
                                     "outcome": c.outcome, "summary": c.summary, "body": c.body, "call_id": None,
                                     "created_at": now})
                for a in record.appointments:
                    appointments.append({"case_id": case_id, "at": a.at, "purpose": a.purpose, "status": a.status,
                                         "party_id": names.get(a.party) if a.party else None, "created_at": now})
                detail = {"source": source, "external_ref": record.external_ref, "line": record.line,
                          "fingerprint": fingerprint, "version": version, "ref": ref, "mode": mode}
                if known is not None:
                    detail["changed"] = changed
                events.append({**audit.by(desk), "action": "case.import",
                               "at": now, "case_id": case_id, "detail": detail})
                touched.append(case_id)
                (report.created if known is None else report.updated).append(ref)
            _insert(conn, Case.__table__, cases)
            _insert(conn, Party.__table__, parties)
            _insert(conn, Contact.__table__, contacts)
            _insert(conn, Appointment.__table__, appointments)
            _append_audit(session, events)
            for case_id in touched:
                reindex(session, case_id)
            if dry_run:
                raise _DryRun()  # everything above was checked against the database; now undo it
            _record_change(session, desk, now)


def _record_change(session: Session, desk: Any, now: datetime) -> None:
    """One line on the change feed so open desks reload their queues."""
    try:
        from deskapp.store.changes import record
    except ImportError:  # pragma: no cover - the live feed is optional
        return
    record(session, kind="case.import", actor=desk.me.username, at=now)


class _DryRun(Exception):
    """Rolls the import's transaction back after a full rehearsal."""
