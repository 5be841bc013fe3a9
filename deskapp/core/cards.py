"""Find payment card numbers in text, and mask them before anything is stored.

A candidate is a run of 12-19 digits, possibly split into groups by spaces,
tabs, no-break spaces, dashes (any Unicode dash), dots, slashes, underscores or
a line break, also after a dash ("4111 1111 1111 1111", "4111.1111.1111.1111",
"4111 1111\n1111 1111", "4111-1111-\n1111-1111"); digits of any script count
(full-width "４１１１").
It counts as a card number only when all three hold:
  - the Luhn check digit is right,
  - the start matches a card brand's issuer prefix, and
  - the length is one that brand issues.
The brand check is what keeps order numbers, account references and phone
numbers that happen to pass Luhn from being flagged. Already-masked numbers
(424242******4242, **** **** **** 4242, 4242xxxxxxxx4242) never count: a
masking character next to the digits disqualifies the run ("#", "x" and "_"
only when doubled), international phone numbers ("+44 ...") and the digits of
a mod-97-valid IBAN are skipped, and a solid run of digits glued to letters is
an identifier ("INV4111..."), while a number typed in groups stays a number
when a word follows it unspaced ("...1111exp").

Pure, and in core so that the store (deskapp.store.masking), the rules
(deskapp.policy.facts), logs, exports and migrations all use the one detector.

Numbers are reported masked (all but the last four digits hidden), so a
finding or an audit record never repeats the number it warns about; text that
is stored keeps at most the first six and last four (`4111 11•• •••• 1111`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# (brand, prefixes as (low, high) inclusive ranges over the first len(low) digits, allowed lengths)
_BRANDS: tuple[tuple[str, tuple[tuple[str, str], ...], frozenset[int]], ...] = (
    ("American Express", (("34", "34"), ("37", "37")), frozenset({15})),
    ("Diners Club", (("300", "305"), ("3095", "3095"), ("36", "36"), ("38", "39")), frozenset(range(14, 20))),
    ("JCB", (("3528", "3589"),), frozenset(range(16, 20))),
    ("Visa", (("4", "4"),), frozenset({13, 16, 19})),
    ("Mastercard", (("51", "55"), ("2221", "2720")), frozenset({16})),
    ("Maestro", (("5018", "5018"), ("5020", "5020"), ("5038", "5038"), ("5893", "5893"), ("6304", "6304"),
                 ("6759", "6759"), ("6761", "6763")), frozenset(range(12, 20))),
    ("Discover", (("6011", "6011"), ("644", "649"), ("65", "65"), ("622126", "622925")), frozenset(range(16, 20))),
    ("UnionPay", (("62", "62"), ("81", "81")), frozenset(range(16, 20))),
    ("Mir", (("2200", "2204"),), frozenset(range(16, 20))),
)

# Runs of digit groups joined by separators people type or paste: spaces and tabs (up to three),
# a dash or dot (spaces around it allowed), or one line break. Characters that mark a masked
# number, or an identifier the digits are glued to, are checked around the run afterwards.
# Spaces include the no-break and thin spaces a pasted web page brings; dashes the Unicode ones.
_SP = "[ \\t\u00a0\u2007\u2009\u202f]"
_SEP = rf"(?:{_SP}*[-._\u2010-\u2015\u2212/]{_SP}*(?:\r?\n{_SP}*)?|{_SP}*\r?\n{_SP}*|{_SP}{{1,3}})"
_RUN = re.compile(rf"\d+(?:{_SEP}\d+)*")
_GROUP = re.compile(r"\d+")
_DIGIT = re.compile(r"\d")
MASK_DOT = "•"
_MASK_CHARS = frozenset("*xX•#●·_")
# Masking characters that mark a masked number on their own; the others ("x", "#", "_") only
# when doubled, so "card#4111..." and "4111_1111_..." are still numbers.
_MASK_ALONE = frozenset("*•●·")
# An IBAN: country, check digits, then up to 30 letters/digits in groups of up to four.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{1,4}){3,8}")
MIN_DIGITS, MAX_DIGITS = 12, 19


@dataclass(frozen=True)
class CardMatch:
    """A card number found in text: where it is, its brand, and a safe masked form."""

    brand: str
    masked: str
    last4: str
    start: int
    end: int

    @property
    def label(self) -> str:
        """How a message names it: "Visa ending 1111"."""
        return f"{self.brand} ending {self.last4}"


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes."""
    digits = _ascii(digits)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The brand whose issuer prefix AND allowed length match, else None."""
    digits = _ascii(digits)
    n = len(digits)
    for brand, ranges, lengths in _BRANDS:
        if n not in lengths:
            continue
        for low, high in ranges:
            head = digits[: len(low)]
            if low <= head <= high:
                return brand
    return None


def mask(digits: str) -> str:
    """Hide all but the last four digits: 4111111111111111 -> ************1111."""
    return "*" * (len(digits) - 4) + digits[-4:]


def _ascii(digits: str) -> str:
    """Digits of any script as ASCII ("４１" -> "41")."""
    return digits if digits.isascii() else "".join(str(unicodedata.digit(ch)) for ch in digits)


def _masked_neighbour(text: str, start: int, end: int, solid: bool = True) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if before in _MASK_ALONE or after in _MASK_ALONE:
        return True
    if (before in _MASK_CHARS and start > 1 and text[start - 2] in _MASK_CHARS) or \
            (after in _MASK_CHARS and end + 1 < len(text) and text[end + 1] in _MASK_CHARS):
        return True
    # "**** 4242", "xxxx-xxxx-xxxx-4242": a block of masking characters just before or after,
    # across one separator. Two or more, so the "x" ending "Amex 3782..." does not count.
    if before in " -" and start > 2 and text[start - 2] in _MASK_CHARS and text[start - 3] in _MASK_CHARS:
        return True
    if after in " -" and end + 2 < len(text) and text[end + 1] in _MASK_CHARS and text[end + 2] in _MASK_CHARS:
        return True
    # A solid run of digits glued to letters is part of an identifier (INV4111..., 4111...abc); a
    # number typed in groups is still a number when a word follows it unspaced ("...1111exp").
    if solid and (before.isalpha() or after.isalpha()):
        return True
    return False


def _iban_spans(text: str) -> list[tuple[int, int]]:
    """Where the IBANs are (mod-97 valid): their digits are an account, never a card."""
    spans = []
    for m in _IBAN.finditer(text):
        candidate = m.group()
        groups = list(re.finditer(r"[A-Z0-9]{1,4}", candidate))
        for n in range(len(groups), 0, -1):  # the longest valid reading
            end = groups[n - 1].end()
            if _iban_valid(candidate[:end].replace(" ", "")):
                spans.append((m.start(), m.start() + end))
                break
    return spans


def _iban_valid(iban: str) -> bool:
    if not 15 <= len(iban) <= 34:
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _is_phone(text: str, start: int) -> bool:
    """'+44 7700 900123' and '(+44) ...': international phone numbers are not cards."""
    i = start - 1
    while i >= 0 and text[i] in " ()":
        i -= 1
    return i >= 0 and text[i] == "+"


def find_cards(text: str) -> list[CardMatch]:
    """Every payment card number in `text`, in order of appearance."""
    if not text or len(_DIGIT.findall(text)) < MIN_DIGITS:
        return []  # most stored text: nothing to look at
    found: list[CardMatch] = []
    ibans = _iban_spans(text) if any("A" <= ch <= "Z" for ch in text) else []
    for run in _RUN.finditer(text):
        if run.end() - run.start() < MIN_DIGITS or sum(ch.isdigit() for ch in run.group()) < MIN_DIGITS:
            continue  # too few digits for any card (dates, times, phone numbers): the common case
        start, end = run.span()
        if _masked_neighbour(text, start, end, solid=run.group().isdigit()) or _is_phone(text, start):
            continue
        if any(s <= start < e for s, e in ibans):
            continue
        spans = [(g.start() + start, g.end() + start) for g in _GROUP.finditer(run.group())]
        groups = [_ascii(text[gs:ge]) for gs, ge in spans]
        offsets = [gs for gs, _ge in spans]
        i = 0
        while i < len(groups):
            digits = ""
            hit = None
            for j in range(i, len(groups)):
                digits += groups[j]
                if len(digits) > MAX_DIGITS:
                    break
                if len(digits) >= MIN_DIGITS and luhn_valid(digits):
                    brand = card_brand(digits)
                    if brand:
                        hit = (j, digits, brand)
                        # Prefer the longest valid window starting here (19-digit cards).
            if hit:
                j, digits, brand = hit
                s = offsets[i]
                e = spans[j][1]
                found.append(CardMatch(brand=brand, masked=mask(digits), last4=digits[-4:], start=s, end=e))
                i = j + 1
            else:
                i += 1
    return found


def find_card_numbers(text: str) -> list[str]:
    """Masked card numbers in `text` (e.g. ['************1111']); [] when there are none."""
    return [m.masked for m in find_cards(text)]


def keep_six_four(written: str) -> str:
    """A card number as written, with every digit but the first six and last four shown as •.

    Separators stay where they were, so the text still reads as it was typed:
    "4111 1111 1111 1111" -> "4111 11•• •••• 1111".
    """
    total = sum(ch.isdigit() for ch in written)
    out, seen = [], 0
    for ch in written:
        if ch.isdigit():
            seen += 1
            out.append(_ascii(ch) if seen <= 6 or seen > total - 4 else MASK_DOT)
        else:
            out.append(ch)
    return "".join(out)


def redact_cards(text: str) -> str:
    """The text with every card number masked (first six and last four at most), for anything stored."""
    if not text:
        return text
    out, last = [], 0
    for m in find_cards(text):
        out.append(text[last : m.start])
        out.append(keep_six_four(text[m.start : m.end]))
        last = m.end
    out.append(text[last:])
    return "".join(out)


def redact_value(value: Any) -> Any:
    """`value` with every string in it masked (dict keys and values, list items), for JSON stored as is."""
    if isinstance(value, str):
        return redact_cards(value)
    if isinstance(value, dict):
        return {(redact_cards(k) if isinstance(k, str) else k): redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v) for v in value]
    return value


def count_cards(value: Any) -> int:
    """How many card numbers the strings in `value` hold (an import reports what it masked)."""
    if isinstance(value, str):
        return len(find_cards(value))
    if isinstance(value, dict):
        return sum(count_cards(k) + count_cards(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(count_cards(v) for v in value)
    return 0
