"""The sender: delivers the outbox through the organisation's SMTP relay (smtplib), with retries and backoff.

Run by the service account (`deskapp mail send`, or `--watch` under systemd),
never inside a handler's desk: the relay password stays with the account that
owns it, and no desk ever waits on the network. One connection serves a batch.

Per message: MAIL FROM, RCPT TO, then `data_at` is committed, then DATA. So:
- the relay refuses MAIL/RCPT/DATA with 4xx -> queued again after a backoff
  (retry_after doubling up to max_retry_after), `failed` after max_attempts;
- 5xx -> `failed` at once (the relay will not take it);
- the relay unreachable, TLS or login refused -> every claimed message goes back
  untouched (no attempt counted: the message is not at fault), one line, exit 2;
- the connection lost after DATA started, or this process killed before the
  answer is recorded -> `unknown` (deskapp.actions.outbox.recover): the relay
  may have it, so deskapp does not send it again on its own (see docs/mail.md).
The Message-ID, Date and text are fixed at queue time: a retry sends the same message.
"""

from __future__ import annotations

import signal
import smtplib
import ssl
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from typing import Callable, Optional

from deskapp.actions import outbox
from deskapp.core.smtp_settings import SmtpSettings
from deskapp.errors import DeskError


class RelayUnavailable(DeskError):
    """The relay cannot be reached, will not do TLS, or refuses the login: nothing was sent (exit 2)."""


@dataclass
class PassReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unknown: int = 0
    requeued: int = 0

    def lines(self) -> list[str]:
        return self.sent + self.retrying + self.failed


def _clock() -> datetime:
    return datetime.now().replace(microsecond=0)


def build_message(item: outbox.Claimed) -> bytes:
    """The message as sent, built only from what was fixed at queue time (a retry is byte for byte the same)."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = item.from_addr
    msg["To"] = item.to_addr
    msg["Subject"] = " ".join(item.subject.split())  # no line breaks reach a header
    msg["Date"] = format_datetime(item.created_at.astimezone())
    msg["Message-ID"] = item.message_id
    if item.in_reply_to:  # the customer's mail program threads the reply under their message
        msg["In-Reply-To"] = item.in_reply_to
        msg["References"] = item.in_reply_to
    # Names this desk, so its own mail coming back is recognised (deskapp.core.mailparse.kinds). No
    # Auto-Submitted: a handler wrote this; RFC 3834 reserves it for mail no person wrote, and marking
    # a reply auto-submitted would make the customer's auto-responders and filters treat it as a robot's.
    msg["X-Loop"] = loop_mark(item.from_addr)
    msg.set_content(item.body or "", cte="quoted-printable")
    return msg.as_bytes()


def loop_mark(from_addr: str) -> str:
    """The X-Loop value: `deskapp` and the desk's sending address (another desk's mail is not ours)."""
    return f"deskapp {from_addr}"


def connect(settings: SmtpSettings, password: Optional[str]) -> smtplib.SMTP:
    """A logged-in connection to the relay, or RelayUnavailable with one line saying why."""
    where = f"{settings.host}:{settings.relay_port}"
    try:
        context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
        if settings.security == "tls":
            smtp = smtplib.SMTP_SSL(settings.host, settings.relay_port, timeout=settings.timeout, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.relay_port, timeout=settings.timeout)
        try:
            smtp.ehlo()
            if settings.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.username:
                if password is None:
                    raise RelayUnavailable(f"mail relay {where}: username {settings.username} but no password "
                                           f"(password_file in mail.yaml, or $DESKAPP_SMTP_PASSWORD)")
                smtp.login(settings.username, password)
        except BaseException:
            smtp.close()
            raise
        return smtp
    except RelayUnavailable:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise RelayUnavailable(f"mail relay {where} refused the login for {settings.username}: "
                               f"{exc.smtp_code} {_said(exc.smtp_error)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise RelayUnavailable(f"mail relay {where}: {exc} (security: {settings.security} in mail.yaml)") from None
    except ssl.SSLError as exc:
        raise RelayUnavailable(f"mail relay {where}: TLS failed: {exc.reason or exc}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise RelayUnavailable(f"mail relay {where} unreachable: {_error(exc)}") from None


def _said(raw) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:300]


def _error(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_said(exc.smtp_error)}"
    return " ".join((getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).split())


class _Refused(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}")
        self.code = code


class Sender:
    """Delivers the due outbox rows; one instance per process (its worker name is on every claim)."""

    def __init__(self, engine, settings: SmtpSettings, password: Optional[str], actor: str,
                 clock: Callable[[], datetime] = _clock) -> None:
        self.engine, self.settings, self.password, self.actor, self.clock = engine, settings, password, actor, clock
        self.worker = outbox.worker_name()

    def backoff(self, attempts: int) -> timedelta:
        seconds = self.settings.retry_after * (2 ** max(0, attempts - 1))
        return timedelta(seconds=min(seconds, self.settings.max_retry_after))

    def run_pass(self) -> PassReport:
        """Send everything due now. RelayUnavailable (after putting the claimed rows back) if the relay is down."""
        report = PassReport()
        recovered = outbox.recover(self.engine, self.actor, self.clock())
        report.unknown, report.requeued = recovered.unknown, recovered.requeued
        while True:
            batch = outbox.claim(self.engine, self.worker, self.clock(), self.settings.lease, self.settings.batch)
            if not batch:
                return report
            try:
                smtp = connect(self.settings, self.password)
            except RelayUnavailable as exc:
                now = self.clock()
                for item in batch:
                    outbox.release(self.engine, item.id, self.worker, now, now + self.backoff(item.attempts),
                                   str(exc), count_attempt=False)
                raise
            try:
                for at, item in enumerate(batch):
                    try:
                        self._send_one(smtp, item, report)
                    except (smtplib.SMTPServerDisconnected, OSError) as exc:  # the relay went away between
                        now = self.clock()
                        for rest in batch[at + 1:]:
                            outbox.release(self.engine, rest.id, self.worker, now, now, _error(exc),
                                           count_attempt=False)
                        raise RelayUnavailable(f"mail relay {self.settings.host}:{self.settings.relay_port} "
                                               f"dropped the connection: {_error(exc)}") from None
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()

    def _send_one(self, smtp: smtplib.SMTP, item: outbox.Claimed, report: PassReport) -> None:
        raw = build_message(item)
        label = f"outbox {item.id} {item.message_id}"
        try:
            code, said = smtp.mail(item.from_addr)
            if code != 250:
                raise _Refused(code, _said(said))
            code, said = smtp.rcpt(item.to_addr)
            if code not in (250, 251):
                raise _Refused(code, _said(said))
        except _Refused as refused:
            self._refused(smtp, item, refused, report, label)
            return
        except (smtplib.SMTPServerDisconnected, OSError) as exc:  # before the text: safe to try again later
            now = self.clock()
            outbox.release(self.engine, item.id, self.worker, now, now + self.backoff(item.attempts), _error(exc),
                           count_attempt=False)
            raise
        if not outbox.mark_data(self.engine, item.id, self.worker, self.clock(), self.settings.lease):
            smtp.rset()
            return  # the claim was taken over (this process was too slow): its new holder decides
        try:
            code, said = smtp.data(raw)
        except smtplib.SMTPDataError as exc:  # DATA itself refused: the text never went
            self._refused(smtp, item, _Refused(exc.smtp_code, _said(exc.smtp_error)), report, label)
            return
        except (smtplib.SMTPServerDisconnected, OSError):
            # The text was (partly) given and no answer came: the relay may have it. Never resent on our own.
            outbox.recover_now(self.engine, item.id, self.worker, self.actor, self.clock())
            report.unknown += 1
            raise
        if code == 250:
            outbox.mark_sent(self.engine, item.id, self.worker, self.actor, self.clock(), f"{code} {_said(said)}")
            report.sent.append(f"sent {label} to {item.to_addr}: {code} {_said(said)}")
        else:
            self._refused(smtp, item, _Refused(code, _said(said)), report, label)

    def _refused(self, smtp: smtplib.SMTP, item: outbox.Claimed, refused: _Refused, report: PassReport,
                 label: str) -> None:
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            pass
        now = self.clock()
        if 400 <= refused.code < 500 and item.attempts < self.settings.max_attempts:
            retry_at = now + self.backoff(item.attempts)
            outbox.release(self.engine, item.id, self.worker, now, retry_at, str(refused), count_attempt=True)
            report.retrying.append(f"retry {label} at {retry_at:%H:%M:%S}: {refused}")
        else:
            outbox.mark_failed(self.engine, item.id, self.worker, self.actor, now, str(refused))
            report.failed.append(f"failed {label} to {item.to_addr}: {refused}")


def watch(sender: Sender, every: float, say: Callable[[str], None], stop: Optional[threading.Event] = None) -> None:
    """Run passes until SIGTERM/SIGINT (or `stop`): fit for a systemd service. A relay that is down is a line, not an exit."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set():
        try:
            report = sender.run_pass()
            for line in report.lines():
                say(line)
        except RelayUnavailable as exc:
            say(f"{exc}; trying again in {every:g}s")
        stop.wait(every)
