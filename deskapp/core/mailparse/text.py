"""Sender-controlled text made safe to store: decoded whatever the charset claims, controls removed.

Escape sequences (ESC ...), other C0/C1 controls and bidi overrides come out
of everything; headers become one line. Markup is left as text: the desk shows
stored text with Content/markup=False, so "[b]" is shown, never obeyed.
"""

from __future__ import annotations

import codecs
import re

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")


def unsurrogate(text: str) -> str:
    """Undo the surrogateescape the email package uses for raw 8-bit bytes: UTF-8 if it is, else cp1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """(text, guessed): the declared charset if Python knows it and it fits, else UTF-8, else cp1252."""
    if charset:
        try:
            codecs.lookup(charset)
            return data.decode(charset), False
        except (LookupError, UnicodeDecodeError, ValueError):
            pass
    try:
        return data.decode("utf-8"), charset is not None and charset.lower() not in ("utf-8", "utf8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace"), True


def clean_line(text: str, limit: int) -> str:
    """One header's value: decoded, no controls, whitespace folded, at most `limit` characters."""
    text = _CONTROLS.sub(" ", unsurrogate(text or ""))
    return _SPACES.sub(" ", text).strip()[:limit]


def clean_body(text: str) -> str:
    """A body's text: line ends made \\n, controls (but tab and newline) removed."""
    text = unsurrogate(text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROLS.sub("", text)
    return re.sub(r"\n{4,}", "\n\n\n", text).strip()
