"""Merging a duplicate case into the case that stays, and undoing it: `deskapp case merge|unmerge`.

A merge of DUP into KEEP, in ONE transaction, keeps BOTH histories:

- DUP is closed as merged (its status before is recorded), pointing at KEEP through its
  `case_merges` row: opening it says so and offers a jump to KEEP.
- Nothing of DUP's history is moved or rewritten: every contact keeps its case and its
  digest in the audit chain (so `deskapp audit verify` still passes). KEEP's history is
  read as the union of its own contacts and those of the cases merged into it, each
  labelled with the ref it came from, in time order (deskapp.actions.link_reads).
- The persons on DUP join KEEP: each person of a DUP party who has no party on KEEP gets
  one there, with DUP's details (a new row; DUP's parties stay as they were).
- Deadlines: KEEP takes DUP's received date when it is earlier. The statutory clock for a
  complaint runs from when the complaint was first received; the same issue reported
  twice was first received on the earlier date, and keeping the later one would let a
  merge quietly push the deadline back. Likewise an acknowledgement already sent on DUP
  counts for KEEP if KEEP has none (the customer was acknowledged; at the same stage only).
  Both are recorded and put back by the undo.
- A note on each case says what happened; the `case.merge` audit event holds what changed
  (and the digests of every row written); both cases get a change-feed line.

Supervisors and admins merge (`case.merge`). An admin may undo a merge (`case.unmerge`)
within the same retention window as person merges (deskapp.actions.person_merge.UNDO_DAYS):
DUP's status comes back (if it is still closed as the merge left it), KEEP's dates come
back where KEEP still holds what the merge put there, and the parties the merge added are
removed unless a contact or appointment now names them. The undo trusts the merge row only
where its audit event agrees.

Refused with one line, nothing written: a case merged into itself; into a closed, erased or
merged case (a chain: A into B when B is merged — merge into what B was merged into);
an erased or already merged duplicate; a pending approval request on either case (an
approval covers exactly the case it was asked about).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import select

from deskapp.actions import audit, refusals
from deskapp.actions.erasure import case_by_ref
from deskapp.actions.link_reads import active_merge_into
from deskapp.actions.permissions import require
from deskapp.actions.person_merge import UNDO_DAYS, audited_moves
from deskapp.actions.submit import refresh_due, reindex
from deskapp.actions.validate import required_text
from deskapp.errors import DeskError
from deskapp.store.changes import record as record_change
from deskapp.store.locks import begin_write
from deskapp.store.models import (ApprovalRequest, Appointment, Case, CaseMerge, Contact, Party)

MERGE, UNMERGE = "case.merge", "case.unmerge"
MAX_REASON = 4_000
PARTY_COPY = ("role", "name", "designated", "authorised", "organisation", "email", "phone", "address", "notes")


@dataclass(frozen=True)
class CaseMerged:
    """What one merge or undo did: for the command's one-line report and the desk's notice."""

    merge_id: int
    keep_id: int
    keep_ref: str
    dup_id: int
    dup_ref: str
    parties: int  # persons who joined KEEP (merge) / parties taken off KEEP again (undo)
    received_at: Optional[datetime]  # KEEP's received date, if the merge (or undo) changed it
    audit_id: int
    undo_until: datetime
    kept_parties: int = 0  # undo: parties left on KEEP because a contact or appointment names them


def _reason(text: Optional[str]) -> str:
    return required_text("reason", text, "(e.g. the same leak reported by phone and by email)", MAX_REASON)


def _locked(session: Any, ref: str) -> Case:
    found = case_by_ref(session, ref)
    return session.execute(select(Case).where(Case.id == found.id).with_for_update()).scalar_one()


def _no_pending(session: Any, cases: list[Case], verb: str) -> None:
    row = session.execute(select(ApprovalRequest.id, ApprovalRequest.case_id)
                          .where(ApprovalRequest.status == "pending",
                                 ApprovalRequest.case_id.in_([c.id for c in cases]))
                          .order_by(ApprovalRequest.id).limit(1)).first()
    if row is not None:
        ref = next(c.ref for c in cases if c.id == row[1])
        raise DeskError(f"approval request {row[0]} on {ref} is still pending: decide or withdraw it first; "
                        f"nothing {verb}")


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat(timespec="seconds") if value is not None else None


def _when(value: Optional[str]) -> Optional[datetime]:
    return datetime.fromisoformat(value) if value else None


def _note(case: Case, me_id: int, now: datetime, summary: str, body: Optional[str]) -> Contact:
    return Contact(case_id=case.id, at=now, channel="note", direction="internal", handler_id=me_id,
                   summary=summary[:300], body=body)


def _check_merge(session: Any, keep: Case, dup: Case) -> None:
    if keep.id == dup.id:
        raise DeskError(f"cannot merge {keep.ref} into itself: give the case that stays and its duplicate")
    if keep.erased_at is not None:
        raise DeskError(f"{keep.ref} was erased on {keep.erased_at:%a %d %b %Y}: nothing merged")
    into = active_merge_into(session, keep.id)
    if into is not None:
        target = session.get(Case, into.keep_id)
        if target.id == dup.id:
            raise DeskError(f"{keep.ref} was itself merged into {dup.ref}: to keep {keep.ref} instead, an admin "
                            f"undoes that merge first (`deskapp case unmerge {keep.ref}`); nothing merged")
        raise DeskError(f"{keep.ref} was itself merged into {target.ref}: merge {dup.ref} into {target.ref} "
                        f"instead; nothing merged")
    if keep.status == "closed":
        raise DeskError(f"{keep.ref} is closed: reopen it first, or merge into an open case; nothing merged")
    if dup.erased_at is not None:
        raise DeskError(f"{dup.ref} was erased on {dup.erased_at:%a %d %b %Y}: nothing merged")
    already = active_merge_into(session, dup.id)
    if already is not None:
        target = session.get(Case, already.keep_id)
        raise DeskError(f"{dup.ref} was already merged into {target.ref}: nothing merged")


def _join_parties(session: Any, keep: Case, dup: Case, now: datetime) -> list[Party]:
    """A party on KEEP for each person on DUP who has none there (DUP's details, as given on DUP)."""
    on_keep = list(session.execute(select(Party).where(Party.case_id == keep.id)).scalars())
    persons = {p.person_id for p in on_keep if p.person_id is not None}
    names = {(p.name or "").casefold() for p in on_keep if p.person_id is None}
    has_designated = any(p.designated for p in on_keep)
    added = []
    for party in session.execute(select(Party).where(Party.case_id == dup.id).order_by(Party.id)).scalars():
        if party.person_id is not None and party.person_id in persons:
            continue
        if party.person_id is None and (party.name or "").casefold() in names:
            continue
        values = {name: getattr(party, name) for name in PARTY_COPY}
        if has_designated:
            values["designated"] = False  # one designated representative per case: KEEP's stays
        has_designated = has_designated or bool(values["designated"])
        row = Party(case_id=keep.id, person_id=party.person_id, created_at=now, **values)
        session.add(row)
        added.append(row)
        persons.add(party.person_id)
    session.flush()
    return added


def merge_cases(desk: Any, keep_ref: str, dup_ref: str, reason: Optional[str]) -> CaseMerged:
    """Merge case `dup_ref` into `keep_ref` (see the module docstring). DeskError, nothing written, on any problem."""
    reason = _reason(reason)
    now = desk.now().replace(microsecond=0)
    with refusals.audited(desk, MERGE):
        with desk.session() as session, session.begin():
            begin_write(session)
            require(desk, MERGE, session=session)
            keep, dup = _locked(session, keep_ref), _locked(session, dup_ref)
            _check_merge(session, keep, dup)
            _no_pending(session, [keep, dup], "merged")

            added = _join_parties(session, keep, dup, now)
            keep_before: dict[str, Any] = {}
            if dup.received_at < keep.received_at:
                keep_before["received_at"] = _iso(keep.received_at)
                keep.received_at = dup.received_at
            if keep.acknowledged_at is None and dup.acknowledged_at is not None and keep.stage == dup.stage:
                keep_before["acknowledged_at"] = None
                keep.acknowledged_at = dup.acknowledged_at
            dup_before = {"status": dup.status, "closed_at": _iso(dup.closed_at),
                          "status_changed_at": _iso(dup.status_changed_at)}
            dup.status, dup.closed_at, dup.status_changed_at = "closed", now, now
            for case in (keep, dup):
                case.version += 1
                case.updated_at = now
            notes = [_note(keep, desk.me.id, now, f"Merged {dup.ref} into this case: its history shows here",
                           reason),
                     _note(dup, desk.me.id, now, f"Merged into {keep.ref}: closed as a duplicate", reason)]
            session.add_all(notes)
            session.flush()
            moved = {"parties": [p.id for p in added], "keep": keep_before, "dup": dup_before,
                     "notes": [n.id for n in notes]}
            merge = CaseMerge(keep_id=keep.id, dup_id=dup.id, at=now, actor=desk.me.username, reason=reason,
                              moved=moved, undo_until=now + timedelta(days=UNDO_DAYS))
            session.add(merge)
            session.flush()
            for case in (keep, dup):
                refresh_due(desk, session, case, now)
                reindex(session, case.id)
            event = audit.append(session, **audit.by(desk), action=MERGE, at=now, case_id=keep.id, reason=reason,
                                 detail={"merge": merge.id, "keep": keep.id, "dup": dup.id, "keep_ref": keep.ref,
                                         "dup_ref": dup.ref, "version": keep.version, **moved})
            merge.audit_id = event.id
            for case in (keep, dup):
                record_change(session, kind=MERGE, actor=desk.me.username, at=now, case_id=case.id,
                              version=case.version)
            return CaseMerged(merge.id, keep.id, keep.ref, dup.id, dup.ref, len(added),
                              keep.received_at if "received_at" in keep_before else None, event.id, merge.undo_until)


def unmerge_case(desk: Any, dup_ref: str, reason: Optional[str]) -> CaseMerged:
    """Undo the merge of case `dup_ref` into another (admins, within UNDO_DAYS). DeskError, nothing written,
    on any problem."""
    reason = _reason(reason)
    now = desk.now().replace(microsecond=0)
    with refusals.audited(desk, UNMERGE):
        with desk.session() as session, session.begin():
            begin_write(session)
            require(desk, UNMERGE, session=session)
            dup = _locked(session, dup_ref)
            merge = active_merge_into(session, dup.id)
            if merge is None:
                raise DeskError(f"{dup.ref} is not merged into another case; nothing to undo")
            if now > merge.undo_until:
                raise DeskError(f"the merge of {dup.ref} (on {merge.at:%a %d %b %Y}) can no longer be undone: the "
                                f"{UNDO_DAYS}-day window closed on {merge.undo_until:%a %d %b %Y}")
            keep = session.execute(select(Case).where(Case.id == merge.keep_id).with_for_update()).scalar_one()
            for case in (keep, dup):
                if case.erased_at is not None:
                    raise DeskError(f"{case.ref} was erased on {case.erased_at:%a %d %b %Y}; nothing undone")
            _no_pending(session, [keep, dup], "undone")
            moved = audited_moves(session, merge, MERGE, ("parties", "keep", "dup", "notes"))

            removed, left = [], []
            for party in session.execute(select(Party).where(Party.id.in_(moved["parties"] or [-1]),
                                                             Party.case_id == keep.id).order_by(Party.id)).scalars():
                named = session.execute(select(Contact.id).where(Contact.party_id == party.id).limit(1)).first() \
                    or session.execute(select(Appointment.id).where(Appointment.party_id == party.id)
                                       .limit(1)).first()
                if named is not None:
                    left.append(party.id)
                else:
                    session.delete(party)
                    removed.append(party.id)
            restored = []
            keep_before, dup_before = moved["keep"] or {}, moved["dup"] or {}
            if "received_at" in keep_before and keep.received_at == dup.received_at:
                keep.received_at = _when(keep_before["received_at"])
                restored.append("received_at")
            if "acknowledged_at" in keep_before and keep.acknowledged_at == dup.acknowledged_at:
                keep.acknowledged_at = None
                restored.append("acknowledged_at")
            if dup.status == "closed" and dup.closed_at == merge.at:
                dup.status = dup_before.get("status") or "new"
                dup.closed_at = _when(dup_before.get("closed_at"))
                dup.status_changed_at = now
                restored.append("status")
            for case in (keep, dup):
                case.version += 1
                case.updated_at = now
            body = reason
            notes = [_note(keep, desk.me.id, now, f"Merge of {dup.ref} undone: its history no longer shows here",
                           body),
                     _note(dup, desk.me.id, now, f"Merge into {keep.ref} undone: this case stands on its own again",
                           body)]
            session.add_all(notes)
            merge.undone_at, merge.undone_by, merge.undo_reason = now, desk.me.username, reason
            session.flush()
            for case in (keep, dup):
                refresh_due(desk, session, case, now)
                reindex(session, case.id)
            event = audit.append(session, **audit.by(desk), action=UNMERGE, at=now, case_id=keep.id, reason=reason,
                                 detail={"merge": merge.id, "keep": keep.id, "dup": dup.id, "keep_ref": keep.ref,
                                         "dup_ref": dup.ref, "version": keep.version, "parties_removed": removed,
                                         "parties_left": left, "restored": restored,
                                         "notes": [n.id for n in notes]})
            for case in (keep, dup):
                record_change(session, kind=UNMERGE, actor=desk.me.username, at=now, case_id=case.id,
                              version=case.version)
            return CaseMerged(merge.id, keep.id, keep.ref, dup.id, dup.ref, len(removed),
                              keep.received_at if "received_at" in restored else None, event.id, merge.undo_until,
                              kept_parties=len(left))
