"""Merging two persons who are one human, and undoing it: `deskapp people merge|unmerge`.

A merge of OTHER into KEEP, in ONE transaction: every party (a case link) of
OTHER moves to KEEP, and every arrangement naming OTHER (as the person or as the
representative) names KEEP; details KEEP lacks (email, phone, address,
accessibility, preferred channel) are filled from OTHER, and OTHER's
vulnerability carries over if KEEP has none recorded — a merge must never lose a
safeguard. OTHER stays in the table, marked `merged_into_id`, so the history of
who was recorded how is kept and search finds KEEP only. A `person_merges` row
records exactly what moved, for the undo; the `person.merge` audit event holds
the same list (and the digest of every row written); each case that changed
hands gets a change-feed line so open desks refresh.

Supervisors and admins merge (`person.merge`). An admin may undo a merge
(`person.unmerge`) within UNDO_DAYS: what moved and is still where the merge
put it goes back; the filled details are taken back where KEEP still holds what
the merge put there. The undo trusts the merge row only where the audited
event agrees with it.

Bad input is one line and nothing written: a person merged into themselves,
into or from an erased or already merged person, or while an approval request
is pending on a case of either (an approval covers exactly the request it
approved: the persons it was asked about must not change under it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import select

from deskapp.actions import audit, refusals
from deskapp.actions.permissions import require
from deskapp.actions.person_flags import keep_in_step
from deskapp.actions.validate import required_text
from deskapp.errors import DeskError
from deskapp.store.changes import record as record_change
from deskapp.store.locks import begin_write
from deskapp.store.models import ApprovalRequest, Arrangement, AuditEvent, Case, Party, Person, PersonMerge

MERGE, UNMERGE = "person.merge", "person.unmerge"
# What a person merge records as moved (its row and its audit event alike); the undo reads these.
MOVED_KEYS = ("parties", "arrangements_person", "arrangements_representative", "filled")
UNDO_DAYS = 30
MAX_REASON = 4_000
# What KEEP takes from OTHER when KEEP has none (the undo takes it back).
FILLED = ("email", "phone", "phone_valid", "address", "accessibility", "preferred_channel")
VULNERABILITY = ("vulnerable", "vulnerability_reason", "vulnerability_review")


@dataclass(frozen=True)
class Merged:
    """What one merge or undo did: for the command's one-line report."""

    merge_id: int
    keep_id: int
    other_id: int
    parties: int
    arrangements: int
    audit_id: int
    undo_until: datetime


def person_number(text: Any, what: str) -> int:
    """'#12' or '12' as 12; one clear line for anything else."""
    raw = str(text or "").strip()
    digits = raw[1:] if raw.startswith("#") else raw
    if not digits.isdigit() or len(digits) > 12 or int(digits) < 1:
        shown = raw if len(raw) <= 30 else raw[:29] + "…"
        raise DeskError(f"{what} {shown!r}: give a number as `deskapp people duplicates` lists them, e.g. 12 or #12")
    return int(digits)


def _reason(text: Optional[str]) -> str:
    return required_text("reason", text, "(e.g. the same caller: same phone and address)", MAX_REASON)


def _person(session: Any, person_id: int, role: str) -> Person:
    row = session.execute(select(Person).where(Person.id == person_id).with_for_update()).scalar_one_or_none()
    if row is None:
        raise DeskError(f"{role} #{person_id}: there is no such person")
    return row


def _usable(person: Person, role: str) -> None:
    if person.erased_at is not None:
        raise DeskError(f"{role} #{person.id} was erased on {person.erased_at:%a %d %b %Y}: nothing merged")
    if person.merged_into_id is not None:
        raise DeskError(f"{role} #{person.id} was already merged into #{person.merged_into_id}: "
                        f"use #{person.merged_into_id} instead; nothing merged")


def _pending_approval(session: Any, person_ids: list[int]) -> Optional[tuple[int, str]]:
    """(approval id, case ref) of a pending approval request on any case of these persons."""
    cases = select(Party.case_id).where(Party.person_id.in_(person_ids))
    row = session.execute(select(ApprovalRequest.id, Case.ref).join(Case, Case.id == ApprovalRequest.case_id)
                          .where(ApprovalRequest.status == "pending", ApprovalRequest.case_id.in_(cases))
                          .order_by(ApprovalRequest.id).limit(1)).first()
    return (row[0], row[1]) if row is not None else None


def _no_pending(session: Any, keep: int, other: int, verb: str) -> None:
    pending = _pending_approval(session, [keep, other])
    if pending is not None:
        raise DeskError(f"approval request {pending[0]} on {pending[1]} is still pending: decide or withdraw it "
                        f"first; nothing {verb}")


def _changed_cases(session: Any, party_ids: list[int]) -> list[tuple[int, int]]:
    if not party_ids:
        return []
    rows = session.execute(select(Case.id, Case.version).join(Party, Party.case_id == Case.id)
                           .where(Party.id.in_(party_ids)).distinct()).all()
    return sorted((int(c), int(v)) for c, v in rows)


def merge_persons(desk: Any, keep_id: int, other_id: int, reason: Optional[str]) -> Merged:
    """Merge person `other_id` into `keep_id` (see the module docstring). DeskError, nothing written, on any problem."""
    reason = _reason(reason)
    if keep_id == other_id:
        raise DeskError(f"cannot merge person #{keep_id} into themselves: give two different persons")
    now = desk.now().replace(microsecond=0)
    with refusals.audited(desk, MERGE):
        with desk.session() as session, session.begin():
            begin_write(session)
            require(desk, MERGE, session=session)
            keep, other = _person(session, keep_id, "KEEP"), _person(session, other_id, "OTHER")
            _usable(keep, "KEEP")
            _usable(other, "OTHER")
            _no_pending(session, keep.id, other.id, "merged")

            parties = list(session.execute(select(Party).where(Party.person_id == other.id)
                                           .order_by(Party.id)).scalars())
            as_person = list(session.execute(select(Arrangement).where(Arrangement.person_id == other.id)
                                             .order_by(Arrangement.id)).scalars())
            as_rep = list(session.execute(select(Arrangement).where(Arrangement.representative_id == other.id)
                                          .order_by(Arrangement.id)).scalars())
            for party in parties:
                party.person_id = keep.id
            for arrangement in as_person:
                arrangement.person_id = keep.id
            for arrangement in as_rep:
                arrangement.representative_id = keep.id
            filled: dict[str, Any] = {}
            for name in FILLED:
                if getattr(keep, name) in (None, "") and getattr(other, name) not in (None, ""):
                    filled[name] = _plain(getattr(keep, name))
                    setattr(keep, name, getattr(other, name))
            if other.vulnerable and not keep.vulnerable:
                for name in VULNERABILITY:
                    filled[name] = _plain(getattr(keep, name))
                    setattr(keep, name, getattr(other, name))
            other.merged_into_id = keep.id
            for person in (keep, other):
                person.version = (person.version or 0) + 1
                person.updated_at = now
            moved = {"parties": [p.id for p in parties], "arrangements_person": [a.id for a in as_person],
                     "arrangements_representative": [a.id for a in as_rep], "filled": filled}
            merge = PersonMerge(keep_id=keep.id, other_id=other.id, at=now, actor=desk.me.username,
                                reason=reason, moved=moved, undo_until=now + timedelta(days=UNDO_DAYS))
            session.add(merge)
            session.flush()
            event = audit.append(session, **audit.by(desk), action=MERGE, at=now, reason=reason,
                                 detail={"merge": merge.id, "keep": keep.id, "other": other.id, **moved})
            merge.audit_id = event.id
            told = _changed_cases(session, moved["parties"])
            for case_id, version in told:
                record_change(session, kind=MERGE, actor=desk.me.username, at=now, case_id=case_id, version=version)
            # OTHER's vulnerability may now show on KEEP's cases, KEEP's on the cases that moved.
            keep_in_step(desk, session, kind=MERGE, at=now, person_ids=[keep.id], announced=[c for c, _v in told])
            return Merged(merge.id, keep.id, other.id, len(parties), len(as_person) + len(as_rep), event.id,
                          merge.undo_until)


def _plain(value: Any) -> Any:
    """A value as JSON keeps it (the undo writes it back through the column's type)."""
    return value.isoformat() if isinstance(value, datetime) else value


def _unplain(name: str, value: Any) -> Any:
    if name == "vulnerability_review" and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def audited_moves(session: Any, merge: Any, action: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """What a merge (of persons or cases) moved, as its audit event (in the hash chain) records it.

    The undo trusts its merge row only where it agrees with that event: DeskError, nothing undone, if not."""
    event = session.get(AuditEvent, merge.audit_id) if merge.audit_id else None
    detail = dict(event.detail or {}) if event is not None and event.action == action else {}
    if detail.get("merge") != merge.id or any(detail.get(k) != (merge.moved or {}).get(k) for k in keys):
        raise DeskError(f"merge {merge.id} does not agree with its audit event: run `deskapp audit verify`; "
                        f"nothing undone")
    return {k: detail[k] for k in keys}


def unmerge_persons(desk: Any, merge_id: int, reason: Optional[str]) -> Merged:
    """Undo merge `merge_id` (admins, within UNDO_DAYS). DeskError, nothing written, on any problem."""
    reason = _reason(reason)
    now = desk.now().replace(microsecond=0)
    with refusals.audited(desk, UNMERGE):
        with desk.session() as session, session.begin():
            begin_write(session)
            require(desk, UNMERGE, session=session)
            merge = session.execute(select(PersonMerge).where(PersonMerge.id == merge_id)
                                    .with_for_update()).scalar_one_or_none()
            if merge is None:
                raise DeskError(f"there is no merge {merge_id}")
            if merge.undone_at is not None:
                raise DeskError(f"merge {merge_id} was already undone on {merge.undone_at:%a %d %b %Y} "
                                f"by {merge.undone_by}; nothing to do")
            if now > merge.undo_until:
                raise DeskError(f"merge {merge_id} (on {merge.at:%a %d %b %Y}) can no longer be undone: the "
                                f"{UNDO_DAYS}-day window closed on {merge.undo_until:%a %d %b %Y}")
            keep, other = _person(session, merge.keep_id, "KEEP"), _person(session, merge.other_id, "OTHER")
            if other.merged_into_id != keep.id:
                raise DeskError(f"#{other.id} is no longer merged into #{keep.id}; nothing undone")
            _usable(keep, "KEEP")
            if other.erased_at is not None:
                raise DeskError(f"#{other.id} was erased on {other.erased_at:%a %d %b %Y}; nothing undone")
            _no_pending(session, keep.id, other.id, "undone")
            moved = audited_moves(session, merge, MERGE, MOVED_KEYS)

            parties = [p for p in session.execute(select(Party).where(Party.id.in_(moved["parties"] or [-1]))
                                                  .order_by(Party.id)).scalars() if p.person_id == keep.id]
            as_person = [a for a in session.execute(select(Arrangement).where(
                Arrangement.id.in_(moved["arrangements_person"] or [-1]))).scalars() if a.person_id == keep.id]
            as_rep = [a for a in session.execute(select(Arrangement).where(
                Arrangement.id.in_(moved["arrangements_representative"] or [-1]))).scalars()
                if a.representative_id == keep.id]
            for party in parties:
                party.person_id = other.id
            for arrangement in as_person:
                arrangement.person_id = other.id
            for arrangement in as_rep:
                arrangement.representative_id = other.id
            restored = []
            for name, before in (moved["filled"] or {}).items():
                if _plain(getattr(keep, name)) == _plain(getattr(other, name)):  # still what the merge put there
                    setattr(keep, name, _unplain(name, before))
                    restored.append(name)
            other.merged_into_id = None
            for person in (keep, other):
                person.version = (person.version or 0) + 1
                person.updated_at = now
            merge.undone_at, merge.undone_by, merge.undo_reason = now, desk.me.username, reason
            back = {"parties": [p.id for p in parties], "arrangements_person": [a.id for a in as_person],
                    "arrangements_representative": [a.id for a in as_rep], "restored": restored}
            session.flush()
            event = audit.append(session, **audit.by(desk), action=UNMERGE, at=now, reason=reason,
                                 detail={"merge": merge.id, "keep": keep.id, "other": other.id, **back})
            told = _changed_cases(session, back["parties"])
            for case_id, version in told:
                record_change(session, kind=UNMERGE, actor=desk.me.username, at=now, case_id=case_id,
                              version=version)
            keep_in_step(desk, session, kind=UNMERGE, at=now, person_ids=[keep.id, other.id],
                         announced=[c for c, _v in told])
            return Merged(merge.id, keep.id, other.id, len(parties), len(as_person) + len(as_rep), event.id,
                          merge.undo_until)
