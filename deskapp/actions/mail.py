"""A received email into the desk, as one action: threaded onto its case or opening one, in ONE transaction.

For each message (deskapp.core.mailparse has read it): skip it if its
Message-ID is already here (a re-run never duplicates); else find its case:

1. In-Reply-To / References against the Message-IDs the desk sent (the
   outbox's, each with its contact) and received (inbound_mail);
2. a case reference in the subject (C-1234) that exists;
3. the sender's address on a party of an open case (the newest such case);

else open a new case in the intake queue (unassigned, status new) with the
sender as its customer. The message becomes an inbound email contact, its
attachments are stored once by content hash (attachment_blobs) and listed on
the contact (contact_attachments), and the event `mail.receive` records the
case version, how it was threaded and each file's sha256. Machine mail is
recorded as what it is: an auto-reply or loop is an inbound contact with no
party (so no rule counts it as the customer answering) and never opens a
case; a bounce marks the outbound contact it returns `bounced`. A rejected
message (too big, a zip bomb) is recorded with its reason and no contact.

`receive_many` does the same for a batch in one transaction (a fetch's usual
path). The caller marks the messages processed in the mailbox only after the
transaction has committed; if it dies in between, the next run finds the
Message-IDs and skips them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from deskapp.actions import audit, refusals
from deskapp.actions.permissions import require
from deskapp.actions.submit import bump_version, refresh_due, reindex
from deskapp.actions.validate import MAX_BODY, MAX_TITLE
from deskapp.core.cards import count_cards, redact_cards
from deskapp.core.mailparse import Attachment, InboundMessage, Rejected
from deskapp.core.mailparse.text import decode_bytes
from deskapp.core.parties import PARTY_LIMITS
from deskapp.errors import DeskError
from deskapp.store.changes import record as record_change
from deskapp.store.locks import begin_write
from deskapp.store.models import (
    AttachmentBlob,
    Case,
    Contact,
    ContactAttachment,
    InboundMail,
    Outbox,
    Party,
)
from deskapp.store.refs import next_case_refs
from deskapp.store.retry import retry_on_busy

PERMISSION = "mail.import"
ACTION = "mail.receive"
REJECT_ACTION = "mail.reject"
# The outcome an inbound contact carries when no person wrote it (deskapp.vocab.MAIL_OUTCOMES).
MACHINE_OUTCOMES = {"auto_reply": "auto_reply", "bounce": "bounce_notice", "loop": "mail_loop"}
_SUBJECT_REF = re.compile(r"(?<![A-Za-z0-9])[Cc]-(\d{1,9})(?!\d)")
_PREFIX = {"auto_reply": "Auto-reply", "bounce": "Delivery failed", "loop": "Our own mail came back"}


@dataclass(frozen=True)
class Received:
    """What became of one message, for the fetch report: one line each."""

    status: str  # threaded | new_case | recorded | duplicate | rejected
    message_id: str
    ref: Optional[str] = None
    how: str = ""
    detail: str = ""
    cards_masked: int = 0

    def line(self) -> str:
        mid = f"<{self.message_id}>"
        if self.status == "threaded":
            return f"{mid} threaded to {self.ref} ({self.how.replace('_', ' ')}){self.detail}"
        if self.status == "new_case":
            return f"{mid} new case {self.ref}{self.detail}"
        if self.status == "recorded":
            where = f" on {self.ref}" if self.ref else " (no case matched)"
            return f"{mid} recorded {self.how.replace('_', '-')}{where}{self.detail}"
        if self.status == "duplicate":
            return f"{mid} skipped duplicate"
        return f"{mid} rejected: {self.detail}"


def message_key(parsed: InboundMessage | Rejected, raw: bytes) -> str:
    """The Message-ID a message is known by here (a rejected one without an id: its bytes' hash)."""
    ident = parsed.message_id
    return ident or f"{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid"


@retry_on_busy("receive the message")
def receive(desk: Any, parsed: InboundMessage | Rejected, raw: bytes, *, mailbox: str = "") -> Received:
    """Record one parsed message (or its rejection) in one transaction. NotAllowed if not an admin."""
    key = message_key(parsed, raw)
    try:
        with refusals.audited(desk, PERMISSION), desk.session() as session, session.begin():
            begin_write(session)
            require(desk, PERMISSION, session=session)
            if session.execute(select(InboundMail.id).where(InboundMail.message_id == key)).first():
                return Received("duplicate", key)
            if isinstance(parsed, Rejected):
                return _reject(desk, session, parsed, raw, key, mailbox)
            return _receive(desk, session, parsed, key, mailbox)
    except IntegrityError:
        # Another fetcher stored the same Message-ID between our check and our insert: theirs stands.
        with desk.session() as session:
            if session.execute(select(InboundMail.id).where(InboundMail.message_id == key)).first():
                return Received("duplicate", key)
        raise DeskError(f"<{key}>: could not be stored (a constraint refused it); nothing was written") from None


class _Fallback(Exception):
    """A batch met something one message at a time handles better (a race, a conflict): undo the batch."""


@retry_on_busy("receive the messages")
def receive_many(desk: Any, batch: list[tuple[InboundMessage | Rejected, bytes]], *,
                 mailbox: str = "") -> list[Received]:
    """Several messages in ONE transaction (one commit, one role check): what `receive` does for each.

    Each message still gets its own contact, audit event and change-feed line. If anything in
    the batch fails (another fetcher stored one of them, a case changed under it), the batch is
    rolled back and every message is received on its own, so one odd message costs only itself.
    """
    if len(batch) == 1:
        return [receive(desk, *batch[0], mailbox=mailbox)]
    try:
        with refusals.audited(desk, PERMISSION), desk.session() as session, session.begin():
            begin_write(session)
            require(desk, PERMISSION, session=session)
            out = []
            for parsed, raw in batch:
                key = message_key(parsed, raw)
                if session.execute(select(InboundMail.id).where(InboundMail.message_id == key)).first():
                    out.append(Received("duplicate", key))
                elif isinstance(parsed, Rejected):
                    out.append(_reject(desk, session, parsed, raw, key, mailbox))
                else:
                    try:
                        out.append(_receive(desk, session, parsed, key, mailbox))
                    except DeskError as exc:
                        raise _Fallback() from exc
                session.flush()
                session.expunge_all()  # written: keep the unit of work small (dirty checks scan it all)
            return out
    except (_Fallback, IntegrityError):
        return [receive(desk, parsed, raw, mailbox=mailbox) for parsed, raw in batch]


def _reject(desk: Any, session: Session, parsed: Rejected, raw: bytes, key: str, mailbox: str) -> Received:
    now = desk.now()
    row = InboundMail(message_id=key, kind="rejected", how="rejected", note=parsed.reason, size=len(raw),
                      fetched_at=now)
    session.add(row)
    session.flush()
    audit.append(session, **audit.by(desk), action=REJECT_ACTION, at=now,
                 detail={"inbound_mail_id": row.id, "reason": parsed.reason, "size": len(raw),
                         "sha256": hashlib.sha256(raw).hexdigest(), "mailbox": mailbox})
    return Received("rejected", key, detail=parsed.reason)


# ----------------------------------------------------------------------------- threading


def _sent_contact(session: Session, ids: list[str]) -> Optional[Contact]:
    """The outbound contact the desk sent under one of these Message-IDs (nearest first), if any.

    The outbox keeps each sent email's Message-ID with its brackets (deskapp.actions.outbox).
    """
    if not ids:
        return None
    wanted = {f"<{i}>": i for i in ids}
    found = {wanted[m]: c for m, c in session.execute(
        select(Outbox.message_id, Outbox.contact_id).where(Outbox.message_id.in_(list(wanted))))}
    for ident in ids:
        if ident in found:
            return session.get(Contact, found[ident])
    return None


def _thread(session: Session, msg: InboundMessage) -> tuple[Optional[Case], str]:
    """The case this message belongs to and how it was found, or (None, '')."""
    ids = msg.thread_ids()
    sent = _sent_contact(session, ids)
    if sent is not None:
        return session.get(Case, sent.case_id), "reply"
    if ids:
        rows = {m: c for m, c in session.execute(
            select(InboundMail.message_id, InboundMail.case_id).where(InboundMail.message_id.in_(ids),
                                                                      InboundMail.case_id.is_not(None)))}
        for ident in ids:
            stored = redact_cards(ident)  # the column masks card-like digit runs, in the query too
            if stored in rows:
                return session.get(Case, rows[stored]), "reply"
    for number in _SUBJECT_REF.findall(msg.subject):
        case = session.execute(select(Case).where(Case.ref == f"C-{int(number)}")).scalars().first()
        if case is not None:
            return case, "subject_ref"
    if msg.from_address:
        case = session.execute(
            select(Case).join(Party, Party.case_id == Case.id)
            .where(func.lower(Party.email) == msg.from_address, Case.status != "closed")
            .order_by(Case.received_at.desc(), Case.id.desc()).limit(1)).scalars().first()
        if case is not None:
            return case, "sender"
    return None, ""


# ----------------------------------------------------------------------------- writing


def _receive(desk: Any, session: Session, msg: InboundMessage, key: str, mailbox: str) -> Received:
    now = desk.now()
    bounced: Optional[Contact] = None
    if msg.kind == "bounce" and msg.bounced_message_id:
        bounced = _sent_contact(session, [msg.bounced_message_id])
    if msg.kind == "message" and _sent_contact(session, [msg.message_id]) is not None:
        msg = msg.model_copy(update={"kind": "loop", "why": "a Message-ID the desk sent"})
    case, how = (session.get(Case, bounced.case_id), "bounce") if bounced is not None else _thread(session, msg)
    machine = msg.kind != "message"
    if case is None and machine:
        row = InboundMail(message_id=key, kind=msg.kind, how="unmatched", note=msg.why, size=msg.size,
                          fetched_at=now)
        session.add(row)
        session.flush()
        audit.append(session, **audit.by(desk), action=ACTION, at=now,
                     detail={"inbound_mail_id": row.id, "kind": msg.kind, "how": "unmatched", "why": msg.why,
                             "mailbox": mailbox})
        return Received("recorded", key, how=msg.kind)
    opened = case is None
    if opened:
        case, party = _open_case(desk, session, msg, now)
        how = "new_case"
    else:
        if not bump_version(session, case, case.version, now):
            raise DeskError(f"{case.ref} changed while the message was stored; run the fetch again")
        party = None if machine else _party_for(session, case, msg)
    text, extra = _body(msg)
    contact = Contact(case_id=case.id, at=now, channel="email", direction="in",
                      party_id=party.id if party is not None else None, handler_id=None,
                      outcome=MACHINE_OUTCOMES.get(msg.kind), summary=_summary(msg), body=text, created_at=now)
    session.add(contact)
    session.flush()
    files, cards = _store_attachments(session, contact, [*msg.attachments, *extra], now)
    if bounced is not None:
        bounced.outcome = "bounced"
    row = InboundMail(message_id=key, kind=msg.kind, case_id=case.id, contact_id=contact.id,
                      bounced_contact_id=bounced.id if bounced is not None else None, how=how,
                      note=msg.why or None, size=msg.size, fetched_at=now)
    session.add(row)
    # A new case needs its first deadline; an inbound contact moves no deadline (they run from the
    # case's own dates), so a threaded message skips reading the whole case back (a third of the time).
    version = refresh_due(desk, session, case, now).version if opened else case.version
    cards += count_cards([msg.subject, msg.text, msg.from_name])
    detail: dict[str, Any] = {"version": version, "ref": case.ref, "how": how, "kind": msg.kind,
                              "inbound_mail_id": None, "mailbox": mailbox, "attachments": files}
    session.flush()
    detail["inbound_mail_id"] = row.id
    if bounced is not None:
        detail["bounced_contact_id"] = bounced.id
    if cards:
        detail["cards_masked"] = cards
    if opened:
        detail["opened"] = True
    audit.append(session, **audit.by(desk), action=ACTION, at=now, case_id=case.id, contact_id=contact.id,
                 detail=detail)
    record_change(session, kind=ACTION, actor=desk.me.username, at=now, case_id=case.id, version=version)
    reindex(session, case.id)
    status = "new_case" if opened else ("recorded" if machine else "threaded")
    note = f"; {len(files)} attachment{'s' if len(files) != 1 else ''}" if files else ""
    return Received(status, key, ref=case.ref, how=msg.kind if machine else how, detail=note, cards_masked=cards)


def _open_case(desk: Any, session: Session, msg: InboundMessage, now: Any) -> tuple[Case, Party]:
    """A new case in the intake queue: unassigned, status new, the sender its customer."""
    case = Case(ref=next_case_refs(session)[0], kind="complaint", category="general",
                title=(msg.subject or f"Email from {msg.from_address or 'an unknown sender'}")[:MAX_TITLE],
                received_at=now, status="new", status_changed_at=now, assigned_to_id=None,
                created_at=now, updated_at=now)
    session.add(case)
    session.flush()
    name = (msg.from_name or msg.from_address or "Unknown sender")[:PARTY_LIMITS["name"]]
    party = Party(case_id=case.id, role="customer", name=name, email=msg.from_address or None, created_at=now)
    session.add(party)
    session.flush()
    return case, party


def _party_for(session: Session, case: Case, msg: InboundMessage) -> Optional[Party]:
    """The case's party with the sender's address; a new third party if the sender is not on the case."""
    if not msg.from_address:
        return None
    party = session.execute(select(Party).where(Party.case_id == case.id,
                                                func.lower(Party.email) == msg.from_address)
                            .order_by(Party.id)).scalars().first()
    if party is None:
        party = Party(case_id=case.id, role="third_party",
                      name=(msg.from_name or msg.from_address)[:PARTY_LIMITS["name"]], email=msg.from_address)
        session.add(party)
        session.flush()
    return party


def _summary(msg: InboundMessage) -> str:
    subject = msg.subject or "(no subject)"
    prefix = _PREFIX.get(msg.kind)
    return (f"{prefix}: {subject}" if prefix else subject)[:300]


def _body(msg: InboundMessage) -> tuple[str, list[Attachment]]:
    """The contact's text; a text longer than a contact holds is kept whole as an attachment too."""
    text = msg.text
    if len(text) <= MAX_BODY:
        return text, []
    whole = Attachment(name="message-text.txt", content_type="text/plain; charset=utf-8",
                       data=text.encode("utf-8"))
    cut = f"\n[… {len(text) - MAX_BODY + 200:,} more characters in the attachment message-text.txt]"
    return text[:MAX_BODY - 200] + cut, [whole]


def masked_file(attachment: Attachment) -> tuple[Attachment, int]:
    """A text attachment with its card numbers masked like any other text (others as they are).

    Only text/* files can be read here; a masked one is re-encoded as UTF-8. The hash is of what is stored.
    """
    if not attachment.content_type.lower().startswith("text/"):
        return attachment, 0
    charset = None
    match = re.search(r"charset=\"?([\w.:-]+)", attachment.content_type, re.I)
    if match:
        charset = match.group(1)
    text, _guessed = decode_bytes(attachment.data, charset)
    masked = redact_cards(text)
    if masked == text:
        return attachment, 0
    kind = attachment.content_type.split(";")[0].strip()
    return Attachment(name=attachment.name, content_type=f"{kind}; charset=utf-8",
                      data=masked.encode("utf-8")), count_cards(text)


def _store_attachments(session: Session, contact: Contact, files: list[Attachment],
                       now: Any) -> tuple[list[dict[str, Any]], int]:
    listed: list[dict[str, Any]] = []
    cards = 0
    for original in files:
        attachment, masked = masked_file(original)
        cards += masked + count_cards(original.name)
        digest = attachment.sha256
        if session.get(AttachmentBlob, digest) is None:
            session.add(AttachmentBlob(sha256=digest, size=attachment.size, data=attachment.data, created_at=now))
            session.flush()
        session.add(ContactAttachment(contact_id=contact.id, case_id=contact.case_id, sha256=digest,
                                      name=attachment.name, content_type=attachment.content_type[:100],
                                      size=attachment.size, created_at=now))
        listed.append({"sha256": digest, "size": attachment.size})
    if files:
        session.flush()
    return listed, cards
