"""Does a piece of search text name a person? For saved views (their `search` words) in a subject-access
export and an erasure: a handler who saved "Lee Price" or "07700 900111" as a view kept personal data.

`mentions(text, names=..., emails=..., phones=...)` is true when the text holds one of the person's
names as written (whole words; case and spacing ignored), one of their email addresses (case ignored),
or a run of digits that is one of their phone numbers in any layout ("07700-900-111" and "+44 7700 900111"
are the same number: compared as E.164 where both parse, else digit by digit). Only the whole name
counts: "Price" alone does not name Lee Price. Erased text (TOMBSTONE) names nobody.

Pure: no database, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Optional

from deskapp.core.contact_points import phone_digits, phone_key
from deskapp.core.rowdigest import TOMBSTONE

MIN_PHONE_DIGITS = 6  # fewer digits than this are not a phone number to match on
_PHONE_RUN = re.compile(r"\+?\d[\d\s().\-/]*\d")


def _fold(text: Optional[str]) -> str:
    return " ".join((text or "").split()).casefold()


def _phone_forms(text: Optional[str]) -> set[str]:
    """The ways a phone number compares: its E.164 form (if it parses) and its bare digits."""
    digits = phone_digits(text or "")
    if len(digits) < MIN_PHONE_DIGITS:
        return set()
    key = phone_key(text)
    return {digits} | ({key} if key else set())


def mentions(text: Optional[str], *, names: Iterable[Optional[str]] = (), emails: Iterable[Optional[str]] = (),
             phones: Iterable[Optional[str]] = ()) -> bool:
    """True if `text` names the person with these names, emails and phone numbers (module docstring)."""
    folded = _fold(text)
    if not folded:
        return False
    for name in names:
        wanted = _fold(name)
        if len(wanted) >= 2 and wanted != TOMBSTONE.casefold():
            if re.search(r"(?<!\w)" + re.escape(wanted) + r"(?!\w)", folded):
                return True
    for email in emails:
        wanted = _fold(email)
        if wanted and "@" in wanted and wanted != TOMBSTONE and wanted in folded:
            return True
    wanted_phones: set[str] = set()
    for phone in phones:
        if phone and phone != TOMBSTONE:
            wanted_phones |= _phone_forms(phone)
    if wanted_phones:
        for run in _PHONE_RUN.findall(text or ""):
            if _phone_forms(run) & wanted_phones:
                return True
    return False
