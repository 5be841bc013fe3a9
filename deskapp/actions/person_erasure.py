"""`deskapp erase --person ID --reason`: erase one person everywhere, and keep everyone else's data.

In ONE transaction (admins; `case.erase` permission; a refusal is audited):

- every case the person is on that is still held is looked at in turn. On a case where
  every party is theirs, the whole case is erased exactly as `deskapp erase REF` does
  (deskapp.actions.erasure.erase_whole_case: a `case.erase` event naming the person).
  On a case shared with someone else, only what is theirs goes: their party rows, the
  contacts and appointments with them (party_id), the outbound emails to them (the
  contact's party, or an address of theirs) and those contacts, the received files on
  their contacts, the approval requests about them, and drafts addressed to them. The
  case gets a new record_salt (the old digests of their rows could otherwise be tested
  against guesses) and two events: `person.erase` records the rows tombstoned (and, in
  its detail, each one's digest before), `case.resalt` the case's other rows, whose
  text is unchanged but whose digest moved with the salt. Verify accepts `[erased]`
  only in rows an erase event recorded, so the neighbour's rows stay under the strict rule.
- the person row (and any person merged into it: one human) is tombstoned, with a new
  salt and `erased_at` (search and duplicates no longer see them: deskapp.store.person_keys);
  every standing arrangement naming them, as the person or as the representative, loses
  its text; person_merges rows touching them lose their reasons and the values they kept;
  saved views whose search words name them are deleted. One last `person.erase` event
  records those rows and lists every case (ids) and view touched.

Refused, one line and nothing written: an unknown person, one already erased (erasing
twice), one merged into another (erase that one), and one with an approval request
pending on any of their cases (it covers exactly the request approved: the records it
was asked about must not change under it).

Not done: another person's arrangement naming them keeps that person's salt, so its old
digest (covering who authorised it and the evidence note) stays keyed as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import delete, select

from deskapp.actions import audit, refusals
from deskapp.actions.erasure import (ARRANGEMENT_TEXT, CONTACT_TEXT, OUTBOX_TEXT, PARTY_TEXT, PERMISSION, _reason,
                                     _tomb, delete_views, erase_whole_case, tomb_approval, tomb_fields, tomb_person,
                                     views_naming)
from deskapp.actions.permissions import require
from deskapp.actions.person_flags import keep_in_step
from deskapp.actions.subject import one_human
from deskapp.actions.submit import bump_version, reindex
from deskapp.errors import DeskError
from deskapp.store.changes import record as record_change
from deskapp.store.locks import begin_write
from deskapp.store.models import (Appointment, ApprovalRequest, Arrangement, AttachmentBlob, Case, Contact,
                                  ContactAttachment, Draft, Outbox, Party, Person, PersonMerge, new_salt)
from deskapp.store.rowdigests import current_digests

ACTION = "person.erase"  # deskapp.supervision.rowcheck accepts TOMBSTONE where this action recorded it
RESALT = "case.resalt"  # a shared case's other rows, recorded again under the case's new salt
MERGE_TEXT = ("reason", "undo_reason")


@dataclass(frozen=True)
class PersonErased:
    """What one person's erasure did: for the command's report."""

    person_id: int
    persons: tuple[int, ...]  # the person and any persons merged into them
    whole: tuple[str, ...]  # refs of the cases erased whole (theirs alone)
    shared: tuple[str, ...]  # refs of the shared cases where only their data went
    rows: int  # data rows whose digest the events recorded
    views: int  # saved views deleted
    audit_id: int  # the last (person) event
    at: datetime


def person_id_of(text: Any) -> int:
    """'12', '#12' or 'person:12' as 12; one clear line naming --person for anything else."""
    raw = str(text or "").strip()
    digits = raw.removeprefix("person:").removeprefix("#").strip()
    if not digits.isdigit() or len(digits) > 12 or int(digits) < 1:
        shown = raw if len(raw) <= 30 else raw[:29] + "…"
        raise DeskError(f"--person {shown!r}: give a person's number, e.g. 12 (as `deskapp people` lists them)")
    return int(digits)


def _pending(session: Any, ids: list[int]) -> Optional[tuple[int, str]]:
    cases = select(Party.case_id).where(Party.person_id.in_(ids))
    row = session.execute(select(ApprovalRequest.id, Case.ref).join(Case, Case.id == ApprovalRequest.case_id)
                          .where(ApprovalRequest.status == "pending", ApprovalRequest.case_id.in_(cases))
                          .order_by(ApprovalRequest.id).limit(1)).first()
    return (int(row[0]), row[1]) if row is not None else None


def _usable(session: Any, person_id: int) -> Person:
    person = session.execute(select(Person).where(Person.id == person_id).with_for_update()).scalar_one_or_none()
    if person is None:
        raise DeskError(f"--person {person_id}: there is no such person; nothing erased")
    if person.erased_at is not None:
        raise DeskError(f"person #{person_id} was already erased on {person.erased_at:%a %d %b %Y %H:%M}: "
                        f"nothing to do")
    if person.merged_into_id is not None:
        raise DeskError(f"person #{person_id} was merged into #{person.merged_into_id}: erase "
                        f"#{person.merged_into_id} (it erases both); nothing erased")
    return person


def erase_person(desk: Any, person_id: int, reason: Optional[str]) -> PersonErased:
    """Erase one person's data on every case (see the module docstring). DeskError, nothing written, on any problem."""
    reason = _reason(reason)
    now = desk.now()
    with refusals.audited(desk, PERMISSION):
        with desk.session() as session, session.begin():
            begin_write(session)
            require(desk, PERMISSION, session=session)
            _usable(session, person_id)
            ids = one_human(session, person_id)
            pending = _pending(session, ids)
            if pending is not None:
                raise DeskError(f"approval request {pending[0]} on {pending[1]} is still pending: decide or "
                                f"withdraw it first; nothing erased")
            persons = list(session.execute(select(Person).where(Person.id.in_(ids)).order_by(Person.id)).scalars())
            parties = list(session.execute(
                select(Party).join(Case, Case.id == Party.case_id)
                .where(Party.person_id.in_(ids), Case.erased_at.is_(None)).order_by(Party.case_id, Party.id)).scalars())
            # Who they are, as every record of theirs has it: found before anything is tombstoned.
            views = views_naming(session, [*persons, *parties])
            emails = {e.strip().casefold() for e in (h.email for h in [*persons, *parties]) if e and e.strip()}
            case_ids = sorted({p.case_id for p in parties})
            whole: list[Case] = []
            shared: list[Case] = []
            rows = 0
            spare = frozenset(ids)
            for case_id in case_ids:
                case = session.get(Case, case_id)
                others = session.execute(select(Party.id).where(
                    Party.case_id == case_id, (Party.person_id.is_(None)) | (Party.person_id.not_in(ids)))
                    .limit(1)).first()
                if others is None:
                    rows += erase_whole_case(session, desk, case, reason, now, spare=spare,
                                             detail={"person": person_id}).rows
                    whole.append(case)
                else:
                    mine = [p for p in parties if p.case_id == case_id]
                    rows += _erase_on_shared_case(session, desk, case, mine, emails, reason, now, person_id)
                    shared.append(case)
            recorded, event_id = _erase_person_rows(session, desk, persons, views, reason, now, person_id,
                                                    whole=[c.id for c in whole], shared=[c.id for c in shared])
            # Their vulnerability went with them: the queue's V on the cases they were on follows.
            keep_in_step(desk, session, kind=ACTION, at=now, case_ids=case_ids)
            return PersonErased(person_id=person_id, persons=tuple(ids), whole=tuple(c.ref for c in whole),
                                shared=tuple(c.ref for c in shared), rows=rows + recorded, views=len(views),
                                audit_id=event_id, at=now)


def _erase_person_rows(session: Any, desk: Any, persons: list[Person], views: list[Any], reason: str, now: datetime,
                       person_id: int, *, whole: list[int], shared: list[int]) -> tuple[int, int]:
    """The person rows, their arrangements, their merges and the saved views naming them; the final event."""
    ids = [p.id for p in persons]
    arrangements = list(session.execute(
        select(Arrangement).where(Arrangement.person_id.in_(ids) | Arrangement.representative_id.in_(ids))
        .order_by(Arrangement.id)).scalars())
    # Every arrangement OF theirs is keyed with their salt: its digest moves with the new salt even when
    # it held no text, so each is recorded whether or not it changed.
    keys = [("persons", i) for i in ids] + [("person_arrangements", a.id) for a in arrangements]
    before = current_digests(session.connection(), keys)
    for person in persons:
        tomb_person(person, now)
    for arrangement in arrangements:
        tomb_fields(arrangement, ARRANGEMENT_TEXT)
    touching = PersonMerge.keep_id.in_(ids) | PersonMerge.other_id.in_(ids)
    merges = list(session.execute(select(PersonMerge).where(touching)
                                  .order_by(PersonMerge.id)).scalars())
    for merge in merges:
        tomb_fields(merge, MERGE_TEXT)
        moved = dict(merge.moved or {})
        if isinstance(moved.get("filled"), dict):
            # The values the merge kept so its undo could put them back: theirs (an undo of an erased person
            # is refused anyway).
            moved["filled"] = {k: _tomb(v) for k, v in moved["filled"].items()}
            merge.moved = moved
    deleted = delete_views(session, views)
    session.flush()
    event = audit.append(
        session, **audit.by(desk), action=ACTION, at=now, reason=reason,
        detail={"person": person_id, "persons": ids, "cases_erased": whole, "cases_shared": shared,
                **({"saved_views_deleted": deleted} if deleted else {}),
                **({"merges": [m.id for m in merges]} if merges else {}),
                "erased": [[table, row_id, before[(table, row_id)]] for table, row_id in sorted(keys)]},
        rows=keys,
    )
    return len(keys), int(event.id)


def _erase_on_shared_case(session: Any, desk: Any, case: Case, mine: list[Party], emails: set[str], reason: str,
                          now: datetime, person_id: int) -> int:
    """Their rows on a case someone else is on too; the case re-salted; `person.erase` and `case.resalt` events."""
    if not bump_version(session, case, case.version, now):  # claims the row: no desk writes meanwhile
        raise DeskError(f"{case.ref} changed while the person was being erased; nothing was erased: try again")
    party_ids = {p.id for p in mine}

    def of_case(model: Any) -> list[Any]:
        return list(session.execute(select(model).where(model.case_id == case.id).order_by(model.id)).scalars())

    outbox = [o for o in of_case(Outbox)
              if (o.to_addr or "").strip().casefold() in emails]
    contacts_all = of_case(Contact)
    to_them = {o.contact_id for o in outbox}
    contacts = [c for c in contacts_all if c.party_id in party_ids or c.id in to_them]
    contact_ids = {c.id for c in contacts}
    outbox_ids = {o.id for o in outbox}
    outbox += [o for o in of_case(Outbox) if o.contact_id in contact_ids and o.id not in outbox_ids]
    appointments_all = of_case(Appointment)
    appointments = [a for a in appointments_all if a.party_id in party_ids]
    approvals_all = of_case(ApprovalRequest)
    approvals = [a for a in approvals_all if (a.action or {}).get("party_id") in party_ids]
    parties_all = of_case(Party)

    changed = ([("cases", case.id)] + [("parties", p.id) for p in mine] + [("contacts", c.id) for c in contacts]
               + [("appointments", a.id) for a in appointments] + [("approval_requests", a.id) for a in approvals])
    before = current_digests(session.connection(), changed)
    for party in mine:
        tomb_fields(party, PARTY_TEXT)
    for contact in contacts:
        tomb_fields(contact, CONTACT_TEXT)
    for appointment in appointments:
        appointment.purpose = _tomb(appointment.purpose)
    for approval in approvals:
        tomb_approval(approval)
    for row in outbox:
        tomb_fields(row, OUTBOX_TEXT)
        if row.status == "queued":
            row.status, row.last_error = "failed", "the person was erased before this email was sent"
    files = _erase_attachments(session, sorted(contact_ids))
    drafts = [d.id for d in of_case(Draft) if str((d.fields or {}).get("party_id")) in {str(i) for i in party_ids}]
    if drafts:
        session.execute(delete(Draft).where(Draft.id.in_(drafts)).execution_options(synchronize_session=False))
    case.record_salt = new_salt()
    session.flush()
    reindex(session, case.id)
    audit.append(session, **audit.by(desk), action=ACTION, at=now, case_id=case.id, reason=reason,
                 detail={"person": person_id, "version": case.version, "ref": case.ref,
                         **({"drafts_deleted": len(drafts)} if drafts else {}),
                         **({"attachments_deleted": files} if files else {}),
                         **({"outbox_erased": len(outbox)} if outbox else {}),
                         "erased": [[t, i, before[(t, i)]] for t, i in sorted(changed)]},
                 rows=changed)
    done = set(changed)
    rest = [key for key in ([("parties", p.id) for p in parties_all] + [("contacts", c.id) for c in contacts_all]
                            + [("appointments", a.id) for a in appointments_all]
                            + [("approval_requests", a.id) for a in approvals_all]) if key not in done]
    if rest:
        audit.append(session, **audit.by(desk), action=RESALT, at=now, case_id=case.id,
                     detail={"person": person_id, "ref": case.ref, "rows": len(rest)}, rows=rest)
    record_change(session, kind=ACTION, actor=desk.me.username, at=now, case_id=case.id, version=case.version)
    return len(changed) + len(rest)


def _erase_attachments(session: Any, contact_ids: list[int]) -> int:
    """Delete the files received with these contacts: their listing, and their bytes unless another contact
    holds the same file."""
    if not contact_ids:
        return 0
    t = ContactAttachment
    hashes = set(session.execute(select(t.sha256).where(t.contact_id.in_(contact_ids))).scalars())
    count = session.execute(delete(t).where(t.contact_id.in_(contact_ids))
                            .execution_options(synchronize_session=False)).rowcount or 0
    kept = set(session.execute(select(t.sha256).where(t.sha256.in_(hashes))).scalars()) if hashes else set()
    if hashes - kept:
        session.execute(delete(AttachmentBlob).where(AttachmentBlob.sha256.in_(hashes - kept))
                        .execution_options(synchronize_session=False))
    return count
