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
from deskapp.actions.validate import InvalidInput, check_length, clean_text
from deskapp.core.rowdigest import TOMBSTONE
from deskapp.errors import DeskError
from deskapp.store.changes import record as record_change
from deskapp.store.locks import begin_write
from deskapp.store.models import (Appointment, ApprovalRequest, Arrangement, AttachmentBlob, AuditEvent, Case, Contact,
                                  ContactAttachment, Draft, Outbox, Party, Person, new_salt)
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
    cleaned = clean_text(text).strip()
    if not cleaned:
        raise InvalidInput("reason", "say why the case is erased (e.g. the erasure request it honours)")
    check_length("reason", cleaned, MAX_REASON)
    return cleaned


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
def _persons_only_here(session: Any, case_id: int, parties: list[Any]) -> dict[str, list[Any]]:
    """The persons of this case's parties who are on no other case still held (not erased), and the
    standing arrangements that name them: their text goes with the case. A person still on another
    case keeps theirs (erasing the person everywhere is a subject's erasure, not a case's)."""
    ids = {p.person_id for p in parties if p.person_id is not None}
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
    case_id: Optional[int] = None
    with refusals.audited(desk, PERMISSION):
        with desk.session() as session, session.begin():
            begin_write(session)
            require(desk, PERMISSION, session=session)
            case = case_by_ref(session, ref)
            case_id = case.id
            if case.erased_at is not None:
                earlier = _erasure_of(session, case)
                who = f" by {earlier.actor}" if earlier is not None else ""
                raise DeskError(f"{case.ref} was already erased on {case.erased_at:%a %d %b %Y %H:%M}{who}: "
                                f"nothing to do")
            if not bump_version(session, case, case.version, now):  # claims the row: no desk writes meanwhile
                raise DeskError(f"{case.ref} changed while it was being erased; nothing was erased: try again")
            rows = _rows_of_case(session, case.id)
            rows.update(_persons_only_here(session, case.id, rows["parties"]))
            keys = [("cases", case.id)] + [(table, row.id) for table, found in rows.items() for row in found]
            before = current_digests(session.connection(), keys)
            for party in rows["parties"]:
                for name in PARTY_TEXT:
                    setattr(party, name, _tomb(getattr(party, name)))
            for contact in rows["contacts"]:
                for name in CONTACT_TEXT:
                    setattr(contact, name, _tomb(getattr(contact, name)))
            for appointment in rows["appointments"]:
                appointment.purpose = _tomb(appointment.purpose)
            for approval in rows["approval_requests"]:
                for name in APPROVAL_TEXT:
                    setattr(approval, name, _tomb(getattr(approval, name)))
                approval.action = erased_request(approval.action)
                approval.findings = erased_findings(approval.findings)
            for person in rows["persons"]:
                for name in PERSON_TEXT:
                    setattr(person, name, _tomb(getattr(person, name)))
                person.record_salt = new_salt()
                person.erased_at = now.replace(microsecond=0)
            for arrangement in rows["person_arrangements"]:
                for name in ARRANGEMENT_TEXT:
                    setattr(arrangement, name, _tomb(getattr(arrangement, name)))
            drafts = session.execute(delete(Draft).where(Draft.case_id == case.id)
                                     .execution_options(synchronize_session=False)).rowcount or 0
            files = _erase_attachments(session, case.id)
            outbox = _erase_outbox(session, case.id)
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
                        "erased": [[table, row_id, before[(table, row_id)]] for table, row_id in sorted(keys)]},
                rows=keys,
            )
            record_change(session, kind=ACTION, actor=desk.me.username, at=now, case_id=case.id,
                          version=case.version)
            return Erased(case_id=case.id, ref=case.ref, rows=len(keys), drafts=drafts, audit_id=event.id, at=now)


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
