"""The outbox: outbound email queued with its contact, and the sender's bookkeeping.

Queueing (`queue_email`) runs inside the handler's own write transaction
(deskapp.actions.submit), after the rules have passed or been answered with a
reason or approval: the contact, the outbox row and the audit event commit
together or not at all, and the desk never touches the network.

The sender (deskapp.mail.sender, run by the service account) claims due rows
with a lease, marks `data_at` just before it gives the relay the text, and
records the relay's answer. What happens to a row whose sender died holding it
is decided here (`recover`): without `data_at` nothing reached the relay and it
is queued again; with it the relay may have accepted it, so it becomes
`unknown` and a person decides (at-most-once: never sent twice by deskapp on
its own, never silently lost either — the case and the dashboard show it).

Outcomes that matter to the case (sent, failed, unknown) are audited events
with a change-feed line; a failure also adds an internal note to the case so
the history shows it. Claims, leases and retry times are working state, like
presence: not records.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import select, update
from sqlmodel import Session

from deskapp import config
from deskapp.actions import audit
from deskapp.actions.validate import InvalidInput
from deskapp.core.views import ActionRequest
from deskapp.errors import DeskError
from deskapp.store import settings
from deskapp.store.changes import record as record_change
from deskapp.store.engine import session_scope
from deskapp.store.models import Case, Contact, Handler, InboundMail, Outbox, Party
from deskapp.store.rowdigests import audited_session, touch

MAIL_FROM = "mail_from"  # desk_settings: the desk's sending address; no address = no outbox (record only)
_ADDRESS = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$")


def valid_address(address: str) -> bool:
    return bool(_ADDRESS.match(address or "")) and len(address) <= 320


# ----------------------------------------------------------------------------- queueing (desk side)


def queue_email(session: Session, case: Case, contact: Contact, request: ActionRequest,
                now: datetime) -> Optional[Outbox]:
    """Queue `contact` (an outbound email message just written) for the relay, in the caller's transaction.

    Nothing is queued for other kinds or channels, or while the desk has no sending address
    (`deskapp mail from`): then the message is recorded only, as before.
    """
    if request.kind != "message" or contact.channel != "email" or contact.direction != "out":
        return None
    sender = settings.get(session, MAIL_FROM)
    if not sender:
        return None
    party = session.get(Party, contact.party_id) if contact.party_id is not None else _customer(session, case.id)
    if party is None or party.case_id != case.id:
        raise InvalidInput("party", "choose who the email is to: this case has no customer to send it to")
    address = (party.email or "").strip()
    if not valid_address(address):
        raise InvalidInput("party", f"{party.name} has no email address to send to: add one to the party "
                                    f"(p), or record it as a letter")
    domain = sender.rsplit("@", 1)[1]
    subject = (contact.summary or "").strip()
    row = Outbox(
        case_id=case.id, contact_id=contact.id,
        message_id=f"<deskapp.{case.ref}.{secrets.token_hex(8)}@{domain}>",
        from_addr=sender, to_addr=address,
        subject=f"[{case.ref}] {subject}" if subject else f"[{case.ref}]",
        body=contact.body or contact.summary or "",
        status="queued", attempts=0, next_attempt_at=now, created_at=now,
        in_reply_to=latest_received(session, case.id),
    )
    session.add(row)
    session.flush()
    return row


_MESSAGE_ID = re.compile(r"^[!-;=?-~]{1,250}$")  # printable ASCII without < > or spaces: safe in a header


def latest_received(session: Session, case_id: int) -> Optional[str]:
    """`<id>` of the newest email a person sent to this case (not an auto-reply, bounce or loop), if any.

    The reply names it in In-Reply-To/References, so the customer's mail program threads it.
    """
    ident = session.execute(
        select(InboundMail.message_id)
        .where(InboundMail.case_id == case_id, InboundMail.kind == "message", InboundMail.contact_id.is_not(None))
        .order_by(InboundMail.id.desc()).limit(1)).scalar()
    return f"<{ident}>" if ident and _MESSAGE_ID.match(ident) and "@" in ident else None


def _customer(session: Session, case_id: int) -> Optional[Party]:
    rows = session.execute(select(Party).where(Party.case_id == case_id).order_by(Party.id)).scalars().all()
    for role in ("representative", "customer", "resident"):
        for row in rows:
            if row.role == role and (role != "representative" or row.designated):
                return row
    return None


def set_mail_from(desk, address: Optional[str]) -> None:
    """`deskapp mail from ADDRESS`: the desk's sending address (None: stop queueing). Admins only; audited."""
    if desk.me.role != "admin":
        raise DeskError(f"only an admin can set the desk's sending address, and {desk.me.username} is "
                        f"{'a' if desk.me.role[0] not in 'aeiou' else 'an'} {desk.me.role}")
    if address is not None and not valid_address(address):
        raise InvalidInput("address", f"{address!r} is not an email address such as complaints@example.org")
    now = desk.now()
    with desk.session() as session, session.begin():
        before = settings.get(session, MAIL_FROM)
        settings.put(session, MAIL_FROM, address or "", now)
        audit.append(session, **audit.by(desk), action="mail.from", at=now,
                     detail={"from": before or None, "to": address})


def mail_from(engine) -> Optional[str]:
    return settings.read(engine, MAIL_FROM) or None


# ----------------------------------------------------------------------------- the sender's side


@dataclass(frozen=True)
class Claimed:
    """One claimed outbox row, as the sender needs it (plain values: the session is closed)."""

    id: int
    case_id: int
    contact_id: int
    message_id: str
    from_addr: str
    to_addr: str
    subject: str
    body: str
    created_at: datetime
    attempts: int
    in_reply_to: Optional[str] = None  # the case's latest received Message-ID at queue time


@dataclass(frozen=True)
class Recovered:
    requeued: int
    unknown: int


def worker_name() -> str:
    """host:pid:token — which process holds a claim (the pid lets this host see a dead claimer at once)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def sender_account(engine) -> str:
    """The OS account sending mail: the desk's service account when one is recorded, else DeskError."""
    me = config.os_username()
    service = settings.read(engine, settings.SERVICE_ACCOUNT)
    if service is not None and service != me:
        raise DeskError(f"mail is sent by the desk's service account ({service}), not {me}: run it as {service}")
    return me


def _claimer_dead(claimed_by: Optional[str]) -> bool:
    """True if the claim was made on this host by a process that no longer exists."""
    if not claimed_by:
        return True
    host, _, rest = claimed_by.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover(engine, actor: str, now: datetime) -> Recovered:
    """Settle rows left `sending` by a sender that died (lease over, or its process gone from this host)."""
    requeued = unknown = 0
    with session_scope(engine) as session:
        rows = session.execute(select(Outbox.id, Outbox.claimed_by, Outbox.lease_until, Outbox.data_at)
                               .where(Outbox.status == "sending")).all()
    for row_id, claimed_by, lease_until, data_at in rows:
        if not ((lease_until is not None and lease_until < now) or _claimer_dead(claimed_by)):
            continue
        if data_at is None:
            with session_scope(engine) as session:
                done = session.execute(
                    update(Outbox).where(Outbox.id == row_id, Outbox.status == "sending",
                                         Outbox.claimed_by == claimed_by)
                    .values(status="queued", claimed_by=None, lease_until=None, next_attempt_at=now,
                            attempts=Outbox.attempts - 1)
                    .execution_options(synchronize_session=False)).rowcount
            requeued += done
        else:
            unknown += _settle(engine, row_id, claimed_by, actor, now, "unknown",
                               "the sender stopped after giving the relay the text; it may have gone. "
                               "Check with the recipient; `deskapp mail retry` sends it again (same Message-ID)")
    return Recovered(requeued, unknown)


def recover_now(engine, row_id: int, worker: str, actor: str, now: datetime) -> bool:
    """The connection dropped after the relay was given the text: the row is `unknown` at once."""
    return _settle(engine, row_id, worker, actor, now, "unknown",
                   "the connection to the relay was lost after it was given the text; it may have gone. "
                   "Check with the recipient; `deskapp mail retry` sends it again (same Message-ID)") == 1


def claim(engine, worker: str, now: datetime, lease_seconds: int, limit: int) -> list[Claimed]:
    """Claim up to `limit` due rows for `worker` (a conditional UPDATE each: two senders never share one)."""
    lease = now + timedelta(seconds=lease_seconds)
    with session_scope(engine) as session:
        ids = session.execute(select(Outbox.id).where(Outbox.status == "queued", Outbox.next_attempt_at <= now)
                              .order_by(Outbox.next_attempt_at, Outbox.id).limit(limit)).scalars().all()
    out: list[Claimed] = []
    for row_id in ids:
        with session_scope(engine) as session:
            got = session.execute(
                update(Outbox).where(Outbox.id == row_id, Outbox.status == "queued")
                .values(status="sending", claimed_by=worker, lease_until=lease, data_at=None,
                        attempts=Outbox.attempts + 1)
                .execution_options(synchronize_session=False)).rowcount
            if got != 1:
                continue
            row = session.get(Outbox, row_id)
            out.append(Claimed(row.id, row.case_id, row.contact_id, row.message_id, row.from_addr, row.to_addr,
                               row.subject, row.body, row.created_at, row.attempts, row.in_reply_to))
    return out


def mark_data(engine, row_id: int, worker: str, now: datetime, lease_seconds: int) -> bool:
    """Note that the text is about to go to the relay (and renew the lease). False if the claim was lost."""
    with session_scope(engine) as session:
        return session.execute(
            update(Outbox).where(Outbox.id == row_id, Outbox.status == "sending", Outbox.claimed_by == worker)
            .values(data_at=now, lease_until=now + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)).rowcount == 1


def release(engine, row_id: int, worker: str, now: datetime, retry_at: datetime, error: str,
            count_attempt: bool) -> None:
    """Back to the queue for a later try: `count_attempt` False when the relay, not the message, failed."""
    values = dict(status="queued", claimed_by=None, lease_until=None, data_at=None, next_attempt_at=retry_at,
                  last_error=error[:2000])
    if not count_attempt:
        values["attempts"] = Outbox.attempts - 1
    with session_scope(engine) as session:
        session.execute(update(Outbox).where(Outbox.id == row_id, Outbox.claimed_by == worker)
                        .values(**values).execution_options(synchronize_session=False))


def mark_sent(engine, row_id: int, worker: str, actor: str, now: datetime, answer: str) -> bool:
    return _settle(engine, row_id, worker, actor, now, "sent", answer) == 1


def mark_failed(engine, row_id: int, worker: str, actor: str, now: datetime, error: str) -> bool:
    return _settle(engine, row_id, worker, actor, now, "failed", error) == 1


_NOTES = {
    "failed": "Email not delivered: {error}",
    "unknown": "Email may not have been delivered: {error}",
}


def _settle(engine, row_id: int, worker: Optional[str], actor: str, now: datetime, status: str,
            text: str) -> int:
    """Record a row's outcome, audited: sent (the relay's answer), failed or unknown (an internal note too)."""
    with audited_session(engine) as session, session.begin():
        row = session.get(Outbox, row_id, with_for_update=True)
        if row is None or row.status != "sending" or row.claimed_by != worker:
            return 0
        row.status, row.claimed_by, row.lease_until = status, None, None
        if status == "sent":
            row.sent_at, row.relay_answer = now, text[:500]
        else:
            row.last_error = text[:2000]
        case = session.get(Case, row.case_id)
        note = None
        if status != "sent":  # the case gains a note, so it changes (a desk holding it is told who changed it)
            session.execute(update(Case).where(Case.id == case.id)  # atomic: never a stale version + 1
                            .values(version=Case.version + 1, updated_at=now)
                            .execution_options(synchronize_session=False))
            touch(session, "cases", case.id)
            session.refresh(case)
            note = Contact(case_id=case.id, at=now, channel="note", direction="internal",
                           summary=_NOTES[status].format(error=text)[:300],
                           body=f"Message-ID {row.message_id} to {row.to_addr} (outbox {row.id}, "
                                f"{row.attempts} attempt{'s' if row.attempts != 1 else ''}): {text}")
            session.add(note)
        session.flush()
        handler = session.execute(select(Handler.id).where(Handler.username == actor)).scalar_one_or_none()
        version = {"version": case.version} if note is not None else {}
        audit.append(session, actor=actor, handler_id=handler, action=f"mail.{status}", at=now, case_id=case.id,
                     contact_id=note.id if note is not None else row.contact_id,
                     detail={**version, "outbox_id": row.id, "message_id": row.message_id,
                             "sent_contact_id": row.contact_id, "attempts": row.attempts,
                             ("answer" if status == "sent" else "error"): text[:500]})
        record_change(session, kind=f"mail.{status}", actor=actor, at=now, case_id=case.id,
                      version=case.version if note is not None else None)
    return 1


def retry(desk, outbox_id: int) -> str:
    """`deskapp mail retry ID`: send a failed or unknown email again, same Message-ID. Supervisors; audited."""
    if not desk.me.can_approve:
        raise DeskError(f"only a supervisor or admin can send an email again, and {desk.me.username} is not one")
    now = desk.now()
    with desk.session() as session, session.begin():
        row = session.get(Outbox, outbox_id, with_for_update=True)
        if row is None:
            raise InvalidInput("outbox", f"no outbox email {outbox_id}")
        if row.status not in ("failed", "unknown"):
            raise InvalidInput("outbox", f"outbox email {outbox_id} is {row.status}: only a failed or unknown one "
                                         f"can be sent again")
        before = row.status
        row.status, row.next_attempt_at, row.attempts, row.data_at = "queued", now, 0, None
        session.flush()
        audit.append(session, **audit.by(desk), action="mail.retry", at=now, case_id=row.case_id,
                     contact_id=row.contact_id,
                     detail={"outbox_id": row.id, "message_id": row.message_id, "from": before})
        record_change(session, kind="mail.retry", actor=desk.me.username, at=now, case_id=row.case_id)
    return row.message_id


# ----------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class OutboxLine:
    id: int
    case_ref: str
    to_addr: str
    subject: str
    status: str
    attempts: int
    message_id: str
    sent_at: Optional[datetime]
    next_attempt_at: datetime
    relay_answer: Optional[str]
    last_error: Optional[str]


def outbox_lines(engine, statuses: tuple[str, ...] = (), case_id: Optional[int] = None,
                 limit: int = 200) -> list[OutboxLine]:
    """Outbox rows, newest first (optionally only some statuses or one case)."""
    query = select(Outbox, Case.ref).join(Case, Case.id == Outbox.case_id).order_by(Outbox.id.desc()).limit(limit)
    if statuses:
        query = query.where(Outbox.status.in_(statuses))
    if case_id is not None:
        query = query.where(Outbox.case_id == case_id)
    with session_scope(engine) as session:
        return [OutboxLine(o.id, ref, o.to_addr, o.subject, o.status, o.attempts, o.message_id, o.sent_at,
                           o.next_attempt_at, o.relay_answer, o.last_error)
                for o, ref in session.execute(query).all()]


def outbox_counts(engine) -> dict[str, int]:
    """How many outbox rows are in each status (the dashboard's mail line)."""
    from sqlalchemy import func

    with session_scope(engine) as session:
        return {status: n for status, n in
                session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()}
