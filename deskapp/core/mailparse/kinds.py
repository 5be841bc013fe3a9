"""Mail no person wrote: auto-replies, bounces (DSN) and our own mail coming back (loops).

Recorded as such, never as a customer's reply: an out-of-office answer must
not reopen a case or stop its clock, and a bounce must mark the message that
failed. Pure: headers in, (kind, why) out.
"""

from __future__ import annotations

import re
from email.message import Message
from typing import Optional

from deskapp.core.mailparse.message import Limits

_VACATION = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|answer)|out of (the )?office|on vacation|vacation|away from"
    r"|abwesenheit|automatische antwort|r[ée]ponse automatique|absence|fuori ufficio|respuesta autom)",
    re.I)
_BOUNCE_FROM = re.compile(r"^(mailer-daemon|postmaster)@", re.I)


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
        return str(value).strip() if value is not None else ""
    except Exception:
        return ""


def is_bounce(msg: Message) -> bool:
    """A delivery status notification (RFC 3464): multipart/report; report-type=delivery-status."""
    try:
        return (msg.get_content_type() == "multipart/report"
                and (msg.get_param("report-type") or "").lower() == "delivery-status")
    except Exception:
        return False


def auto_reply_reason(msg: Message, subject: str) -> Optional[str]:
    """Why this looks machine-written (RFC 3834 and the common vendor marks), or None."""
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto[:40]}"
    for name in ("X-Autoreply", "X-Autorespond"):
        value = _header(msg, name)
        if value:
            return f"{name}: {value[:40]}"
    precedence = _header(msg, "Precedence").lower()
    if precedence in ("auto_reply", "bulk", "junk"):
        return f"Precedence: {precedence}"
    if _VACATION.match(subject or ""):
        return "vacation subject"
    return None


def loop_reason(msg: Message, message_id: str, limits: Limits) -> Optional[str]:
    """Our own mail come back: an X-Loop naming the desk, or a Message-ID the desk makes.

    The desk's Message-IDs are `deskapp.<ref>.<random>@<its domain>` (deskapp.actions.outbox); only
    that shape counts, so a colleague writing in from the same domain is not taken for a loop.
    """
    try:
        loops = [str(v).strip().lower() for v in (msg.get_all("X-Loop") or [])]
    except Exception:
        loops = []
    token = limits.loop_token.lower()
    if token and any(token in value for value in loops):
        return "X-Loop names this desk"
    local, _, domain = message_id.lower().rpartition("@")
    if local.startswith("deskapp.") and domain in {d.lower() for d in limits.own_domains}:
        return f"a Message-ID the desk made ({domain})"
    return None


def bounce_from(address: str) -> bool:
    return bool(_BOUNCE_FROM.match(address or ""))
