"""`deskapp erase REF --reason`: remove a case's personal text and keep the audit chain whole.

Personal text (names, contact details, what was said) lives in the data tables;
the chain holds only salted digests of those rows. Erasing a case, in ONE
transaction: replace every personal text field with TOMBSTONE, delete the
case's drafts and received files (their bytes too, unless another case holds the same file), give the case a new record_salt (so the old digests in the chain
can no longer be tested against guesses), stamp cases.erased_at, rebuild the
case's search document, and append one `case.erase` event. That event records
the new digest of every row of the case (audit.append does it) and, in its
detail, the digest each row had before: `deskapp audit verify` accepts a
tombstone only in a row whose latest digest came from a `case.erase` event.

The persons behind the case's parties who are on no other case still held
go with it (their text tombstoned, a new salt, erased_at), with the standing
arrangements that name them; a person still on another case keeps theirs.
Saved views whose search words name whoever goes with the case are deleted
(deskapp.core.subject_match). Erasing one person on every case is
deskapp.actions.person_erasure, which reuses `erase_whole_case` here.

Dates, statuses, channels and who-did-what stay, so deadlines and statistics
still work. Admins only; a refusal is audited. Erasing twice is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import delete, select

from deskapp.actions import audit, refusals
from deskapp.actions.permissions import require
from deskapp.actions.person_flags import keep_in_step
from deskapp.actions.submit import bump_version, reindex
from deskapp.actions.validate import required_text
from deskapp.core.rowdigest import TOMBSTONE
from deskapp.core.subject_match import mentions
from deskapp.errors import DeskError
from deskapp.store.changes import record as record_change
from deskapp.store.locks import begin_write
from deskapp.store.models import (Appointment, ApprovalRequest, Arrangement, AttachmentBlob, AuditEvent, Case, Contact,
                                  ContactAttachment, Draft, Outbox, Party, Person, SavedView,
                                  new_salt)
from deskapp.store.rowdigests import current_digests

PERMISSION = "case.erase"
ACTION = "case.erase"  # deskapp.supervision.verify accepts TOMBSTONE only where this action recorded it
MAX_REASON = 4_000

# The personal text columns erasure replaces, per model. Everything else stays.
PARTY_TEXT = ("name", "organisation", "email", "phone", "address", "notes")
# A person on no other case still held goes with the case (see _persons_only_here).
PERSON_TEXT = ("name", "name_key", "email", "phone", "address", "notes", "accessibility", "vulnerability_reason")
ARRANGEMENT_TEXT = ("authorised_by", "evidence_note")
CONTACT_TEXT = ("summary", "body")
APPOINTMENT_TEXT = ("purpose",)
APPROVAL_TEXT = ("reason", "decision_reason")
REQUEST_TEXT = ("summary", "body")  # the text fields of a stored request (approval_requests.action)
OUTBOX_TEXT = ("to_addr", "subject", "body", "relay_answer", "last_error")


@dataclass(frozen=True)
class Erased:
    """What one erasure did: for the command's one-line report."""

    case_id: int
    ref: str
    rows: int  # data rows whose digest the erase event recorded
    drafts: int  # drafts deleted
    audit_id: int
    at: datetime


def _reason(text: Optional[str]) -> str:
    return required_text("reason", text, "the case is erased (e.g. the erasure request it honours)", MAX_REASON)


def case_by_ref(session: Any, ref: str) -> Case:
    """The case with this reference (or its imported reference); DeskError naming it if there is none."""
    text = (ref or "").strip()
    if not text:
        raise DeskError("give a case reference, e.g. C-1001")
    for candidate in dict.fromkeys((text, text.upper())):
        row = session.execute(select(Case).where(Case.ref == candidate)).scalar_one_or_none()
        if row is not None:
            return row
    row = session.execute(select(Case).where(Case.external_ref == text)).scalar_one_or_none()
    if row is None:
        shown = text if len(text) <= 40 else text[:39] + "…"
        raise DeskError(f"no case with reference {shown!r}")
    return row


def _tomb(value: Any) -> Any:
    """TOMBSTONE for text that was there; None and "" stay as they were (nothing was held)."""
    return TOMBSTONE if isinstance(value, str) and value != "" else value


def erased_request(action: Any) -> dict[str, Any]:
    """A stored request (approval_requests.action) with its text fields tombstoned; its shape kept."""
    out = dict(action or {})
    for name in REQUEST_TEXT:
        if name in out:
            out[name] = _tomb(out[name])
    if isinstance(out.get("extra"), dict):
        out["extra"] = {key: _tomb(value) for key, value in out["extra"].items()}
    return out


def erased_findings(findings: Any) -> list[Any]:
    """Findings as stored with an approval request: rule and severity kept, the message (it can name
    a party) tombstoned."""
    return [{**f, "message": _tomb(f.get("message"))} if isinstance(f, dict) else f for f in findings or []]


def _rows_of_case(session: Any, case_id: int) -> dict[str, list[Any]]:
    def all_of(model: Any) -> list[Any]:
        return list(session.execute(select(model).where(model.case_id == case_id).order_by(model.id)).scalars())

    return {"parties": all_of(Party), "contacts": all_of(Contact), "appointments": all_of(Appointment),
            "approval_requests": all_of(ApprovalRequest)}


def _erase_outbox(session: Any, case_id: int) -> int:
    """Tombstone the case's outbound emails (a delivery queue: not digested); one not yet sent never goes."""
    rows = list(session.execute(select(Outbox).where(Outbox.case_id == case_id)).scalars())
    for row in rows:
        for name in OUTBOX_TEXT:
            setattr(row, name, _tomb(getattr(row, name)))
        if row.status == "queued":
            row.status, row.last_error = "failed", "the case was erased before this email was sent"
    return len(rows)


def _persons_only_here(session: Any, case_id: int, parties: list[Any],
                       spare: frozenset[int] = frozenset()) -> dict[str, list[Any]]:
    """The persons of this case's parties who are on no other case still held (not erased), and the
    standing arrangements that name them: their text goes with the case. A person still on another
    case keeps theirs (erasing the person everywhere is a subject's erasure, not a case's)."""
    ids = {p.person_id for p in parties if p.person_id is not None} - set(spare)
    if not ids:
        return {"persons": [], "person_arrangements": []}
    elsewhere = set(session.execute(
        select(Party.person_id).join(Case, Case.id == Party.case_id)
        .where(Party.person_id.in_(ids), Party.case_id != case_id, Case.erased_at.is_(None))).scalars())
    gone = sorted(ids - elsewhere)
    persons = list(session.execute(select(Person).where(Person.id.in_(gone), Person.erased_at.is_(None))
                                   .order_by(Person.id)).scalars()) if gone else []
    arrangements = list(session.execute(
        select(Arrangement).where(Arrangement.person_id.in_(gone) | Arrangement.representative_id.in_(gone))
        .order_by(Arrangement.id)).scalars()) if gone else []
    return {"persons": persons, "person_arrangements": arrangements}


def _erasure_of(session: Any, case: Case) -> Optional[AuditEvent]:
    return session.execute(select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == ACTION)
                           .order_by(AuditEvent.id.desc()).limit(1)).scalar_one_or_none()


def erase_case(desk: Any, ref: str, reason: Optional[str]) -> Erased:
    """Erase one case's personal text (see the module docstring). DeskError, nothing written, on any problem."""
    reason = _reason(reason)
    now = desk.now()
    with refusals.audited(desk, PERMISSION):
        with desk.session() as session, session.begin():
            begin_write(session)
            require(desk, PERMISSION, session=session)
            case = case_by_ref(session, ref)
            if case.erased_at is not None:
                earlier = _erasure_of(session, case)
                who = f" by {earlier.actor}" if earlier is not None else ""
                raise DeskError(f"{case.ref} was already erased on {case.erased_at:%a %d %b %Y %H:%M}{who}: "
                                f"nothing to do")
            return erase_whole_case(session, desk, case, reason, now)


def erase_whole_case(session: Any, desk: Any, case: Case, reason: str, now: datetime, *,
                     spare: frozenset[int] = frozenset(), detail: Optional[dict[str, Any]] = None) -> Erased:
    """Inside the caller's write transaction: erase `case` whole and append its `case.erase` event.

    `spare`: person ids the caller erases itself (a person's erasure), left out of the persons that go
    with the case; `detail`: more for the event's detail (e.g. the person erased)."""
    if not bump_version(session, case, case.version, now):  # claims the row: no desk writes meanwhile
        raise DeskError(f"{case.ref} changed while it was being erased; nothing was erased: try again")
    rows = _rows_of_case(session, case.id)
    rows.update(_persons_only_here(session, case.id, rows["parties"], spare))
    views = views_naming(session, _going(rows))
    keys = [("cases", case.id)] + [(table, row.id) for table, found in rows.items() for row in found]
    before = current_digests(session.connection(), keys)
    for party in rows["parties"]:
        tomb_fields(party, PARTY_TEXT)
    for contact in rows["contacts"]:
        tomb_fields(contact, CONTACT_TEXT)
    for appointment in rows["appointments"]:
        appointment.purpose = _tomb(appointment.purpose)
    for approval in rows["approval_requests"]:
        tomb_approval(approval)
    for person in rows["persons"]:
        tomb_person(person, now)
    for arrangement in rows["person_arrangements"]:
        tomb_fields(arrangement, ARRANGEMENT_TEXT)
    drafts = session.execute(delete(Draft).where(Draft.case_id == case.id)
                             .execution_options(synchronize_session=False)).rowcount or 0
    files = _erase_attachments(session, case.id)
    outbox = _erase_outbox(session, case.id)
    deleted_views = delete_views(session, views)
    case.title = TOMBSTONE
    case.record_salt = new_salt()  # every row's digest changes: the old ones name nothing any more
    case.erased_at = now.replace(microsecond=0)
    session.flush()
    reindex(session, case.id)
    keep_in_step(desk, session, kind=ACTION, at=now, case_ids=[case.id], announced=[case.id])
    event = audit.append(
        session, **audit.by(desk), action=ACTION, at=now, case_id=case.id, reason=reason,
        detail={"version": case.version, "ref": case.ref, "drafts_deleted": drafts,
                **({"attachments_deleted": files} if files else {}),
                **({"outbox_erased": outbox} if outbox else {}),
                **({"saved_views_deleted": deleted_views} if deleted_views else {}),
                **(detail or {}),
                "erased": [[table, row_id, before[(table, row_id)]] for table, row_id in sorted(keys)]},
        rows=keys,
    )
    record_change(session, kind=ACTION, actor=desk.me.username, at=now, case_id=case.id, version=case.version)
    return Erased(case_id=case.id, ref=case.ref, rows=len(keys), drafts=drafts, audit_id=event.id, at=now)


def tomb_fields(row: Any, names: tuple[str, ...]) -> None:
    for name in names:
        setattr(row, name, _tomb(getattr(row, name)))


def tomb_approval(approval: Any) -> None:
    tomb_fields(approval, APPROVAL_TEXT)
    approval.action = erased_request(approval.action)
    approval.findings = erased_findings(approval.findings)


def tomb_person(person: Any, now: datetime) -> None:
    """A person's text tombstoned, a new salt (their old digests name nothing), erased_at (search drops them)."""
    tomb_fields(person, PERSON_TEXT)
    person.vulnerable = False  # their circumstances are theirs too; cases.person_vulnerable follows (person_flags)
    person.vulnerability_review = None
    person.record_salt = new_salt()
    person.erased_at = now.replace(microsecond=0)
    person.version = (person.version or 0) + 1
    person.updated_at = now


def _going(rows: dict[str, list[Any]]) -> list[Any]:
    """Whose text leaves with the case, for finding saved views that name them: the persons going with it
    and the parties that are theirs or no person's (a party whose person stays elsewhere is still held)."""
    gone = {p.id for p in rows["persons"]}
    return list(rows["persons"]) + [p for p in rows["parties"] if p.person_id is None or p.person_id in gone]


def views_naming(session: Any, holders: list[Any]) -> list[Any]:
    """The saved views whose search words name any of these persons or parties (deskapp.core.subject_match).

    Saved views are few (a desk's handlers' filters): read whole and matched here."""
    names = {h.name for h in holders if h.name}
    emails = {h.email for h in holders if h.email}
    phones = {h.phone for h in holders if h.phone}
    if not (names or emails or phones):
        return []
    views = session.execute(select(SavedView).order_by(SavedView.id)).scalars()
    return [v for v in views
            if mentions((v.spec or {}).get("search"), names=names, emails=emails, phones=phones)]


def delete_views(session: Any, views: list[Any]) -> list[int]:
    """Delete these saved views (their search words named an erased person); their ids, for the event."""
    ids = sorted(v.id for v in views)
    if ids:
        session.execute(delete(SavedView).where(SavedView.id.in_(ids)).execution_options(synchronize_session=False))
        for view in views:
            if view in session:
                session.expunge(view)
    return ids


def _erase_attachments(session: Any, case_id: int) -> int:
    """Delete the case's received files: their listing, and their bytes unless another case holds the same file."""
    t = ContactAttachment
    hashes = set(session.execute(select(t.sha256).where(t.case_id == case_id)).scalars())
    count = session.execute(delete(t).where(t.case_id == case_id)
                            .execution_options(synchronize_session=False)).rowcount or 0
    kept = set(session.execute(select(t.sha256).where(t.sha256.in_(hashes))).scalars()) if hashes else set()
    if hashes - kept:
        session.execute(delete(AttachmentBlob).where(AttachmentBlob.sha256.in_(hashes - kept))
                        .execution_options(synchronize_session=False))
    return count
