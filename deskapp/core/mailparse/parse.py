"""Raw RFC 5322 bytes -> InboundMessage, or Rejected with one line. Never raises.

The standard library's email package reads the MIME structure (it records
defects rather than raising); every header and part is then read through a
guard, so a broken header costs that header, not the message. Text is decoded
whatever the charset claims (deskapp.core.mailparse.text), the text part is
preferred and HTML is converted (html_text), attachments are kept whole unless
they are zip bombs (bombs). Too big -> rejected before anything is parsed.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import hashlib
import re
from datetime import datetime, timezone
from email.message import Message
from email.parser import BytesHeaderParser
from typing import Any, Callable, Optional, TypeVar

from deskapp.core.mailparse import kinds
from deskapp.core.mailparse.bombs import bomb_reason
from deskapp.core.mailparse.html_text import html_to_text
from deskapp.core.mailparse.message import Attachment, InboundMessage, Limits, Rejected
from deskapp.core.mailparse.text import clean_body, clean_line, decode_bytes, unsurrogate

T = TypeVar("T")
_ID = re.compile(r"<([^<>\s]{1,250})>")
_MAX_REFS = 50
_MAX_DEPTH = 30
_MAX_PARTS = 500
NAME_LIMIT = 200
ADDRESS_LIMIT = 254
SUBJECT_LIMIT = 300


def _guard(fn: Callable[[], T], default: T) -> T:
    try:
        return fn()
    except Exception:
        return default


def parse_message(raw: bytes, limits: Optional[Limits] = None) -> InboundMessage | Rejected:
    """Read one message. Rejected: too big, a zip bomb, or (last resort) unreadable."""
    limits = limits or Limits()
    if len(raw) > limits.max_bytes:
        return Rejected(reason=f"message is {_mb(len(raw))}, over the {_mb(limits.max_bytes)} limit")
    try:
        return _parse(raw, limits)
    except RecursionError:
        return Rejected(reason="message nests its parts too deep to read")
    except Exception as exc:  # the email package is lenient; this keeps a fetch going if it is not
        return Rejected(reason=f"unreadable message ({type(exc).__name__})")


def _parse(raw: bytes, limits: Limits) -> InboundMessage | Rejected:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    notes: list[str] = []
    message_id = first_id(header(msg, "Message-ID")) or f"{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid"
    subject = clean_line(header(msg, "Subject"), SUBJECT_LIMIT)
    from_name, from_address = _sender(msg)
    body = _Body(limits)
    body.walk(msg, 0)
    if body.rejected:
        return Rejected(reason=body.rejected, message_id=message_id)
    text = body.text()
    notes.extend(body.notes)
    result = InboundMessage(
        message_id=message_id,
        in_reply_to=all_ids(header(msg, "In-Reply-To"))[:_MAX_REFS],
        references=all_ids(header(msg, "References"))[-_MAX_REFS:],
        from_name=from_name,
        from_address=from_address,
        to=_addresses(msg, "To") + _addresses(msg, "Cc"),
        subject=subject,
        date=_date(header(msg, "Date")),
        text=text,
        attachments=body.attachments,
        size=len(raw),
        notes=notes,
    )
    _classify(msg, result, limits)
    return result


# ----------------------------------------------------------------------------- headers


def header(msg: Message, name: str) -> str:
    """A header's value with RFC 2047 words decoded and raw 8-bit bytes read as UTF-8 (else cp1252)."""
    def read() -> str:
        # The raw value (raw 8-bit bytes kept as surrogates): compat32's own getter would turn them into '?'.
        wanted = name.lower()
        value = next((v for k, v in msg.raw_items() if str(k).lower() == wanted), None)
        if value is None:
            return ""
        value = str(value)
        try:
            parts = email.header.decode_header(value)
        except Exception:
            return unsurrogate(value)
        out = []
        for chunk, charset in parts:
            if isinstance(chunk, bytes):
                text, _guessed = decode_bytes(chunk, charset if charset != "unknown-8bit" else None)
                out.append(text)
            else:
                out.append(unsurrogate(chunk))
        # decode_header drops the spaces between plain and encoded words only where RFC 2047 says so
        return "".join(out) if any(c for _t, c in parts) else unsurrogate(value)
    return _guard(read, "")


def first_id(value: str) -> Optional[str]:
    ids = all_ids(value)
    if ids:
        return ids[0]
    bare = clean_line(value, 250).strip("<> ")
    return bare if bare and " " not in bare else None


def all_ids(value: str) -> list[str]:
    return [clean_line(i, 250) for i in _ID.findall(clean_line(value, 20_000))]


def _sender(msg: Message) -> tuple[str, str]:
    pairs = _guard(lambda: email.utils.getaddresses([header(msg, "From")]), [])
    for name, address in pairs:
        address = _address(address)
        if address or name:
            return clean_line(name, NAME_LIMIT), address
    return "", ""


def _address(value: str) -> str:
    value = clean_line(value, ADDRESS_LIMIT).lower()
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or " " in value:
        return ""
    return value


def _addresses(msg: Message, name: str) -> list[str]:
    pairs = _guard(lambda: email.utils.getaddresses([header(msg, name)]), [])
    return [a for a in (_address(address) for _n, address in pairs[:100]) if a]


def _date(value: str) -> Optional[datetime]:
    def read() -> Optional[datetime]:
        when = email.utils.parsedate_to_datetime(clean_line(value, 200))
        if when.tzinfo is not None:
            when = when.astimezone(timezone.utc).replace(tzinfo=None)
        return when.replace(microsecond=0) if 1970 <= when.year <= 9999 else None
    return _guard(read, None) if value else None


# ----------------------------------------------------------------------------- parts


class _Body:
    """The walk over a message's parts: text kept, HTML converted, files kept, bombs refused."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []
        self.notes: list[str] = []
        self.rejected = ""
        self.parts = 0
        self.total = 0

    def text(self) -> str:
        if any(t.strip() for t in self.plain):
            return clean_body("\n\n".join(self.plain))
        if self.html:
            self.notes.append("HTML converted to text")
            return clean_body("\n\n".join(html_to_text(h) for h in self.html))
        return ""

    def walk(self, part: Message, depth: int) -> None:
        if self.rejected:
            return
        self.parts += 1
        if depth > _MAX_DEPTH or self.parts > _MAX_PARTS:
            self.rejected = "message nests too many parts to read"
            return
        ctype = _guard(part.get_content_type, "text/plain")
        if ctype.startswith("message/") and ctype not in ("message/delivery-status",):
            self._attach(part, ctype, default_name="message.eml", whole=True)
            return
        if ctype.startswith("multipart/") and not part.is_multipart():
            # A multipart that could not be split (a broken boundary): its text as it stands, undecoded.
            raw = _guard(lambda: str(part.get_payload()), "")
            self._count(len(raw))
            self.plain.append(raw)
            return
        if part.is_multipart():
            payload = _guard(part.get_payload, [])
            if ctype == "multipart/alternative" and isinstance(payload, list):
                payload = self._alternative(payload)
            for sub in payload if isinstance(payload, list) else []:
                if isinstance(sub, Message):
                    self.walk(sub, depth + 1)
            return
        disposition = (_guard(part.get_content_disposition, None) or "").lower()
        filename = _guard(part.get_filename, None)
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            data = _guard(lambda: part.get_payload(decode=True), b"") or b""
            self._count(len(data))
            text, guessed = decode_bytes(data, _guard(part.get_content_charset, None))
            if guessed and "charset guessed" not in self.notes:
                self.notes.append("charset guessed")
            (self.plain if ctype == "text/plain" else self.html).append(text)
            return
        self._attach(part, ctype, default_name=None, whole=False, filename=filename)

    def _alternative(self, payload: list[Any]) -> list[Any]:
        """Of the alternatives, the plain text one if there is one (the sender's own words), else all."""
        plain = [p for p in payload if isinstance(p, Message) and _guard(p.get_content_type, "") == "text/plain"]
        return plain[:1] or payload

    def _attach(self, part: Message, ctype: str, *, default_name: Optional[str], whole: bool,
                filename: Optional[str] = None) -> None:
        if whole:
            data = _guard(lambda: part.get_payload(0).as_bytes(), b"") if part.is_multipart() else \
                _guard(lambda: part.get_payload(decode=True), b"") or b""
        else:
            data = _guard(lambda: part.get_payload(decode=True), b"") or b""
        self._count(len(data))
        if self.rejected:
            return
        why = bomb_reason(data, self.limits)
        if why:
            self.rejected = why
            return
        name = clean_line(filename or "", NAME_LIMIT).replace("/", "_").replace("\\", "_").lstrip(".")
        name = name or default_name or f"attachment-{len(self.attachments) + 1}{_extension(ctype)}"
        self.attachments.append(Attachment(name=name, content_type=clean_line(ctype, 100) or
                                           "application/octet-stream", data=data))

    def _count(self, size: int) -> None:
        self.total += size
        if self.total > self.limits.max_bytes:
            self.rejected = f"message's parts hold {_mb(self.total)}, over the {_mb(self.limits.max_bytes)} limit"


_EXTENSIONS = {"text/rfc822-headers": ".txt", "message/delivery-status": ".txt", "text/plain": ".txt"}


def _extension(ctype: str) -> str:
    import mimetypes

    if ctype in _EXTENSIONS:
        return _EXTENSIONS[ctype]
    return _guard(lambda: mimetypes.guess_extension(ctype) or ".bin", ".bin")


# ----------------------------------------------------------------------------- what kind of mail


def _classify(msg: Message, result: InboundMessage, limits: Limits) -> None:
    if kinds.is_bounce(msg) or (kinds.bounce_from(result.from_address) and _original_id(msg)):
        result.kind = "bounce"
        result.why = "delivery status notification" if kinds.is_bounce(msg) else "returned by the mail system"
        result.bounced_message_id = _original_id(msg) or (result.in_reply_to or [None])[0]
        return
    loop = kinds.loop_reason(msg, result.message_id, limits)
    if loop:
        result.kind, result.why = "loop", loop
        return
    auto = kinds.auto_reply_reason(msg, result.subject)
    if auto:
        result.kind, result.why = "auto_reply", auto


def _original_id(msg: Message) -> Optional[str]:
    """The Message-ID of the message a bounce returns: its message/rfc822 or text/rfc822-headers part."""
    for part in _guard(lambda: list(msg.walk()), []):
        ctype = _guard(part.get_content_type, "")
        if ctype in ("message/rfc822", "message/global") and part.is_multipart():
            inner = _guard(lambda: part.get_payload(0), None)
            if isinstance(inner, Message):
                found = first_id(header(inner, "Message-ID"))
                if found:
                    return found
        if ctype in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            data = _guard(lambda: part.get_payload(decode=True), b"") or b""
            inner = _guard(lambda: BytesHeaderParser(policy=email.policy.compat32).parsebytes(data), None)
            if inner is not None:
                found = first_id(header(inner, "Message-ID"))
                if found:
                    return found
    return None


def _mb(n: int) -> str:
    return f"{n / 1_048_576:,.1f} MB"
