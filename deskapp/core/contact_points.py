"""Phone numbers and email addresses in one comparable form, so "07700 900123" finds "+44 7700 900123".

Phones become E.164 (`phonenumbers`, Google's libphonenumber), read in the desk's
region (GB unless the published calendar names another country) when written
without a country code. A number that does not parse, or is not a possible number,
is kept exactly as written (trimmed) and flagged, never rejected: the handler typed
what the caller said, and a wrong guess would lose it. Emails are trimmed, unwrapped
("Name <a@b>", "mailto:") and lower-cased; one that does not look like an address is
kept as written and flagged too.

Both normalisers never raise and are idempotent (normalising a normalised value gives
it back unchanged): tests/core/test_contact_points.py checks both with Hypothesis.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

import phonenumbers

DEFAULT_REGION = "GB"
# Longer text is not a phone number; libphonenumber refuses over 250 characters anyway.
PHONE_MAX = 64
EMAIL_MAX = 254

# Flags: why a value is kept as written (or is only possibly right).
PHONE_OK, PHONE_UNUSUAL, PHONE_UNPARSED = "ok", "unusual", "unparsed"
EMAIL_OK, EMAIL_UNPARSED = "ok", "unparsed"

_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ANGLE = re.compile(r"<([^<>]*)>")
_PLUS = frozenset("+\uff0b")  # libphonenumber's plus signs: what starts a number with its country code
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]+$")


@dataclass(frozen=True)
class Normalised:
    """One contact point: `value` to store and compare, what was written, and a flag.

    `flag` is "ok"; for phones "unusual" (E.164, but not a number in use in that
    country's plan, e.g. the 07700 900xxx drama range) or "unparsed"; for emails
    "unparsed". An unparsed value is the written text, trimmed.
    """

    value: str
    written: str
    flag: str

    @property
    def parsed(self) -> bool:
        return self.flag != PHONE_UNPARSED


def region_of(country: Optional[str]) -> str:
    """The phone region for a calendar country code (policies.yaml `calendar.country`); GB when unknown."""
    code = (country or "").strip().upper()
    if code == "UK":
        code = "GB"
    return code if code in phonenumbers.SUPPORTED_REGIONS else DEFAULT_REGION


def _clean(text: object) -> str:
    """Text as written, trimmed, with control characters and runs of spaces made single spaces."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()


def normalise_phone(text: object, region: str = DEFAULT_REGION) -> Normalised:
    """`text` as E.164 when it is a possible number (read in `region` without a country code).

    Otherwise kept as written and flagged "unparsed". Never raises.
    """
    written = _clean(text)
    if not written or len(written) > PHONE_MAX:
        return Normalised(written, written, PHONE_UNPARSED)
    try:
        number = phonenumbers.parse(written, region if region in phonenumbers.SUPPORTED_REGIONS else DEFAULT_REGION)
        # Local-only forms ("7946 0018" without its area code) are not a whole number: kept as written.
        if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
            return Normalised(written, written, PHONE_UNPARSED)
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        again = phonenumbers.parse(e164, None)
        if phonenumbers.format_number(again, phonenumbers.PhoneNumberFormat.E164) != e164:
            return Normalised(written, written, PHONE_UNPARSED)  # a form that would not read back the same
        flag = PHONE_OK if phonenumbers.is_valid_number(number) else PHONE_UNUSUAL
        return Normalised(e164, written, flag)
    except Exception:  # libphonenumber's NumberParseException, and anything odd inside it: kept as written
        return Normalised(written, written, PHONE_UNPARSED)


def phone_digits(text: object) -> str:
    """The digits of what was written (any script), for matching numbers that did not parse."""
    return "".join(str(unicodedata.digit(ch)) for ch in _clean(text) if unicodedata.digit(ch, None) is not None)


def phone_key(text: object, region: str = DEFAULT_REGION) -> Optional[str]:
    """What two phone numbers share when they are the same number: E.164, or the bare digits
    (at least six) of one that did not parse; None when there is nothing to compare."""
    phone = normalise_phone(text, region)
    if phone.parsed:
        return phone.value
    digits = phone_digits(phone.written)
    return f"#{digits}" if len(digits) >= 6 else None


def stored_phone_key(stored: object) -> Optional[str]:
    """phone_key of a phone as a person keeps it (E.164 when it parsed in the desk's region when written,
    else the text as written), without any region: a +CC number reads the same in every region, and one
    that did not parse where it was written is matched on its digits. So the keys of stored persons never
    depend on the desk's region, and a search typed in the desk's region (phone_key) meets them."""
    written = _clean(stored)
    if written[:1] in _PLUS:
        return phone_key(written, DEFAULT_REGION)
    digits = phone_digits(written)
    return f"#{digits}" if len(digits) >= 6 else None


def normalise_email(text: object) -> Normalised:
    """`text` trimmed, unwrapped from "Name <a@b>" or "mailto:", NFKC, lower-cased.

    Kept as written and flagged "unparsed" when it does not look like one address. Never raises.
    """
    if isinstance(text, str) and text.isascii() and text.isprintable() and _EMAIL.match(text) \
            and text == text.lower():
        return Normalised(text, text, EMAIL_OK)  # already in normal form (most stored addresses): no work
    written = _clean(text)
    candidate = written
    angle = _ANGLE.findall(candidate)
    if len(angle) == 1:
        candidate = angle[0].strip()
    if candidate[:7].lower() == "mailto:":
        candidate = candidate[7:].strip()
    candidate = _email_form(candidate)
    # An address whose form would change again (odd Unicode) is kept as written: normalising stays idempotent.
    if len(candidate) > EMAIL_MAX or not _EMAIL.match(candidate) or _email_form(candidate) != candidate:
        return Normalised(written, written, EMAIL_UNPARSED)
    return Normalised(candidate, written, EMAIL_OK)


def _email_form(text: str) -> str:
    return _clean(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).lower()))


def email_key(text: object) -> Optional[str]:
    """What two addresses share when they reach the same mailbox: the normalised address without a
    "+tag" on its local part; None for one that did not parse."""
    email = normalise_email(text)
    if email.flag != EMAIL_OK:
        return None
    local, _, domain = email.value.rpartition("@")
    local = local.split("+", 1)[0] or local
    return f"{local}@{domain}"
