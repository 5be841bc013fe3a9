"""`deskapp import` as an action: checked cases in, all or nothing, each one audited.

The file is read and checked above (deskapp.supervision.import_format); this
writes what it holds. In ONE transaction: the role (case.import) re-read,
cases matched on external_ref, new ones numbered and created, changed ones
updated (unless worked in deskapp since their import), one `case.import`
audit event per case (chained in bulk, with the desk's rules hash), search
reindexed, one change-feed line. Each case's event records the digests of the
rows it wrote or replaced (append_many row_keys), so `audit verify` holds the
imported rows to them. A refusal is audited; a dry run does all of
it and rolls back. Records are duck-typed (the parser's CaseRecord): this
layer reads their fields, it does not know the file format.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Optional, Sequence

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from deskapp.actions import audit, refusals
from deskapp.actions.permissions import require
from deskapp.core.cards import count_cards
from deskapp.errors import DeskError
from deskapp.store import changes
from deskapp.store.bulk import insert_dicts, reserve_ids
from deskapp.store.locks import begin_write
from deskapp.core.people import name_key, normalise_email, normalise_phone
from deskapp.store.models import Appointment, AuditEvent, Case, Contact, Handler, Party, Person
from deskapp.store.person_flags import sync_person_vulnerable
from deskapp.store.person_keys import index_many
from deskapp.store.refs import next_case_refs

PERMISSION = "case.import"
IGNORED_SINCE_IMPORT = ("case.export", "appointment.ics", refusals.ACTION)  # events that do not count as working a case
_CHUNK = 500
# Case fields a re-import may change, named in the audit record when it does.
_COMPARED = ("kind", "category", "title", "stage", "status", "priority", "vulnerable", "received_at",
             "acknowledged_at", "responded_at", "closed_at", "stage2_at", "assigned_to_id")


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)  # desk refs
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped_worked: list[tuple[str, str]] = field(default_factory=list)  # (external ref, desk ref)
    cards_masked: int = 0  # card numbers in the file, stored masked (deskapp.store.masking)


class WorkedSinceImport(DeskError):
    """Rows that would overwrite work done in deskapp: `problems` holds (line, field, message) for each."""

    def __init__(self, problems: list[tuple[Optional[int], str, str]]):
        self.problems = problems
        super().__init__(f"import refused: {len(problems):,} cases were worked in deskapp since their import")


class _DryRun(Exception):
    """Rolls the import's transaction back after a full rehearsal."""


def importers_view(desk: Any) -> dict[str, int]:
    """Active handlers' usernames -> ids (what an import may assign to), for a person who may import.

    NotAllowed (audited) otherwise: checked before the file is parsed.
    """
    with refusals.audited(desk, PERMISSION):
        with desk.session() as session:
            require(desk, PERMISSION, session=session)
            return {u: i for u, i in session.execute(
                select(Handler.username, Handler.id).where(Handler.active == True)).all()}  # noqa: E712


def import_cases(desk: Any, records: Sequence[Any], *, source: str, handler_ids: dict[str, int],
                 now: datetime, skip_worked: bool = False, dry_run: bool = False) -> ImportResult:
    """Write checked records in one transaction. NotAllowed (audited) / WorkedSinceImport: nothing written."""
    result = ImportResult()
    try:
        with refusals.audited(desk, PERMISSION):
            with desk.session() as session, session.begin():
                begin_write(session)
                require(desk, PERMISSION, session=session)
                _write(desk, session, records, result, source, handler_ids, now, skip_worked)
                if dry_run:
                    raise _DryRun()  # everything was checked against the database; now undo it
    except _DryRun:
        pass
    return result


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


def _case_values(record: Any, handler_ids: dict[str, int], now: datetime) -> dict[str, Any]:
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


def _plan(session: Session, records: Sequence[Any], result: ImportResult,
          skip_worked: bool) -> list[tuple[Any, Optional[_Existing], str]]:
    """Which records to create or update; WorkedSinceImport for rows that would overwrite work."""
    existing = _existing(session, [r.external_ref for r in records])
    refused: list[tuple[Optional[int], str, str]] = []
    plan: list[tuple[Any, Optional[_Existing], str]] = []
    for record in records:
        known = existing.get(record.external_ref)
        fingerprint = record.fingerprint()
        if known is None:
            plan.append((record, None, fingerprint))
        elif known.fingerprint == fingerprint:
            result.unchanged += 1
        elif known.worked_by is not None:
            if skip_worked:
                result.skipped_worked.append((record.external_ref, known.ref))
            else:
                refused.append((record.line, "external_ref",
                                f"case {known.ref} was worked in deskapp since it was imported "
                                f"({known.worked_by}); the file would overwrite that: change it "
                                "in deskapp, or import with --skip-worked"))
        else:
            plan.append((record, known, fingerprint))
    if refused:
        raise WorkedSinceImport(refused)
    return plan


def _write(desk: Any, session: Session, records: Sequence[Any], result: ImportResult, source: str,
           handler_ids: dict[str, int], now: datetime, skip_worked: bool) -> None:
    """Match, number and write every case (multi-row INSERTs: fast for big files)."""
    from deskapp.actions.submit import reindex

    plan = _plan(session, records, result, skip_worked)
    if not plan:
        return
    conn = session.connection()
    fresh = [r for r, known, _f in plan if known is None]
    new_ids = iter(reserve_ids(conn, "cases", len(fresh)))
    new_refs = iter(next_case_refs(session, len(fresh)))
    party_ids = iter(reserve_ids(conn, "parties", sum(len(r.parties) for r, _k, _f in plan)))
    # Contacts and appointments are numbered up front too, so each case's event can record their digests.
    contact_ids = iter(reserve_ids(conn, "contacts", sum(len(r.contacts) for r, _k, _f in plan)))
    appointment_ids = iter(reserve_ids(conn, "appointments", sum(len(r.appointments) for r, _k, _f in plan)))
    cases, parties, contacts, appointments, events, touched = [], [], [], [], [], []
    current: dict[int, Any] = {}
    kept_persons: dict[tuple[int, str], int] = {}
    persons: list[dict[str, Any]] = []
    replaced: dict[int, list[tuple[str, int]]] = {}  # case id -> rows a re-import deletes (recorded as deleted)
    if len(fresh) < len(plan):
        updated_ids = [known.case_id for _r, known, _f in plan if known is not None]
        table = Case.__table__
        for i in range(0, len(updated_ids), _CHUNK):
            chunk = updated_ids[i:i + _CHUNK]
            for row in conn.execute(select(table).where(table.c.id.in_(chunk))).mappings():
                current[row["id"]] = row
            pt = Party.__table__
            for case_id, name, person_id in conn.execute(select(pt.c.case_id, pt.c.name, pt.c.person_id)
                                                         .where(pt.c.case_id.in_(chunk))):
                if person_id is not None:  # a re-imported party of the same name stays the same person
                    kept_persons[(int(case_id), name)] = int(person_id)
            for model in (Contact, Appointment, Party):
                t = model.__table__
                for row_id, case_id in conn.execute(select(t.c.id, t.c.case_id).where(t.c.case_id.in_(chunk))):
                    replaced.setdefault(int(case_id), []).append((t.name, int(row_id)))
                conn.execute(delete(t).where(t.c.case_id.in_(chunk)))
    person_ids = iter(reserve_ids(conn, "persons", sum(len(r.parties) for r, _k, _f in plan)))
    who = audit.by(desk)
    for record, known, fingerprint in plan:
        values = _case_values(record, handler_ids, now)
        values["due_at"] = desk.policies.deadlines(SimpleNamespace(**values), now).next_due
        if known is None:
            case_id, ref, version, mode = next(new_ids), next(new_refs), 1, "new"
            cases.append({**values, "id": case_id, "ref": ref, "external_ref": record.external_ref,
                          "version": 1, "created_at": now, "record_salt": secrets.token_hex(16)})
        else:
            case_id, ref, mode = known.case_id, known.ref, "update"
            before = current.get(case_id) or {}
            version = int(before.get("version") or 1) + 1
            changed = sorted(k for k in _COMPARED if before.get(k) != values.get(k))
            conn.execute(update(Case.__table__).where(Case.__table__.c.id == case_id)
                         .values(**values, version=version))
        names: dict[str, int] = {}
        written: list[tuple[str, int]] = [("cases", case_id), *replaced.get(case_id, ())]
        for p in record.parties:
            names[p.name] = next(party_ids)
            person_id = kept_persons.get((case_id, p.name))
            if person_id is None:
                person_id = next(person_ids)  # a new person for each new party
                persons.append(_person_row(person_id, p, now, desk.policies.phone_region))
                written.append(("persons", person_id))
            parties.append({"id": names[p.name], "case_id": case_id, "person_id": person_id, "role": p.role,
                            "name": p.name,
                            "designated": p.designated, "authorised": p.authorised,
                            "organisation": p.organisation, "email": p.email, "phone": p.phone,
                            "address": p.address, "notes": p.notes, "created_at": now})
            written.append(("parties", names[p.name]))
        for c in record.contacts:
            written.append(("contacts", next(contact_ids)))
            contacts.append({"id": written[-1][1], "case_id": case_id, "at": c.at, "channel": c.channel,
                             "direction": c.direction,
                             "party_id": names.get(c.party) if c.party else None, "handler_id": None,
                             "outcome": c.outcome, "summary": c.summary, "body": c.body, "call_id": None,
                             "created_at": now})
        for a in record.appointments:
            written.append(("appointments", next(appointment_ids)))
            appointments.append({"id": written[-1][1], "case_id": case_id, "at": a.at, "purpose": a.purpose,
                                 "status": a.status,
                                 "party_id": names.get(a.party) if a.party else None, "created_at": now})
        detail = {"source": source, "external_ref": record.external_ref, "line": record.line,
                  "fingerprint": fingerprint, "version": version, "ref": ref, "mode": mode}
        if known is not None:
            detail["changed"] = changed
        masked = _cards_in(record)
        if masked:
            detail["cards_masked"] = masked
            result.cards_masked += masked
        events.append({**who, "action": "case.import", "at": now, "case_id": case_id, "detail": detail,
                       "row_keys": written})
        touched.append(case_id)
        (result.created if known is None else result.updated).append(ref)
    insert_dicts(conn, Case.__table__, cases)
    insert_dicts(conn, Person.__table__, persons)
    index_many(conn, [p["id"] for p in persons])  # a Core insert: key the persons for search and duplicates
    insert_dicts(conn, Party.__table__, parties)
    insert_dicts(conn, Contact.__table__, contacts)
    insert_dicts(conn, Appointment.__table__, appointments)
    # A re-imported party stays its person: one marked vulnerable shows V on the case (the change line below
    # makes open desks reload their queues).
    sync_person_vulnerable(conn, case_ids=touched)
    audit.append_many(session, events)
    for case_id in touched:
        reindex(session, case_id)
    # One line on the change feed so open desks reload their queues.
    changes.record(session, kind="case.import", actor=desk.me.username, at=now)


def _person_row(key: int, p: Any, now: datetime, region: str) -> dict[str, Any]:
    """A new person from an imported party (normalised contact points; a phone without +CC read in the
    desk's region)."""
    phone = normalise_phone(p.phone, region)
    return {"id": key, "name": p.name, "name_key": name_key(p.name), "email": normalise_email(p.email),
            "phone": phone.value if phone else None, "phone_valid": phone is None or phone.valid,
            "address": p.address, "vulnerable": False, "version": 1, "created_at": now, "updated_at": now,
            "record_salt": secrets.token_hex(16)}


def _cards_in(record: Any) -> int:
    """How many card numbers a record's text holds: the store masks them, the import says how many."""
    texts: list[Any] = [record.title]
    texts += [[p.name, p.organisation, p.email, p.phone, p.address, p.notes] for p in record.parties]
    texts += [[c.summary, c.body] for c in record.contacts]
    texts += [a.purpose for a in record.appointments]
    return count_cards(texts)
