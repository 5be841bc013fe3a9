"""Is this the same person? Blocking keys to find candidates, and a score with its reasons.

Comparing every person with every other is out of reach at 700,000 persons, so
candidates come from *blocking keys*: two persons are compared only when they
share one — the same normalised phone (`p:`), the same email (`e:`), the same
surname and first initial (`n:`), or the same surname at the same address
(`a:`, the postcode when the address has one, else its first line). A key shared
by very many persons (a switchboard number, "Smith J") says little and is skipped
by the caller; `first_shared_key` makes each pair scored once, under the first
key the pair shares that was not skipped.

`score` is symmetric and between 0 and 100: how alike the names are (rapidfuzz),
scaled by the other evidence — half of it stands on the names alone, the rest
is earned by a shared phone or email and by the same address. So a namesake
with nothing else in common scores 50 (62 at a different address), a relative
sharing a phone and a home but not a first name at most 56, the same name with
the same phone 85, with the same address 80, with both 94. It comes with reasons a supervisor can check at a glance
("same phone +447700900123; names 92% alike").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Optional

from rapidfuzz import fuzz

from deskapp.core.contact_points import DEFAULT_REGION, email_key, phone_key

# How much of the name score stands without other evidence, and how strongly a shared phone or email and
# the same address earn the rest (combined as independent evidence: 1 - (1 - c)(1 - a)).
NAME_ALONE, CONTACT_WEIGHT, ADDRESS_WEIGHT = 0.5, 0.7, 0.6
# Names whose first names are an initial or short form of each other ("J", "Jo" and "Joanne Smith").
SHORT_FORM = 85
# Names whose first names plainly differ ("Arthur" and "Maria Penrose") are at most this alike.
OTHER_FIRST_NAME = 60
# At or above this score a pair is listed as a likely duplicate.
LIKELY = 70
# Courtesy titles and suffixes that say nothing about who someone is.
_TITLES = frozenset("mr mrs ms miss mx dr prof rev revd sir dame lady lord jr jnr sr snr ii iii".split())
_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_NON_WORD = re.compile(r"[^0-9a-z]+")
# A UK postcode anywhere in an address ("NV3 2LP", "sw1a1aa").
_POSTCODE = re.compile(r"\b([a-z]{1,2}[0-9][0-9a-z]?) ?([0-9][a-z]{2})\b")
_ADDRESS_WORDS = {"rd": "road", "st": "street", "ave": "avenue", "ln": "lane", "cl": "close", "ct": "court",
                  "dr": "drive", "gdns": "gardens", "sq": "square", "tce": "terrace", "pl": "place"}


def _fold(text: Optional[str]) -> str:
    """Lower case, accents off, apostrophes dropped, anything else not a letter or digit a space."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(_NON_WORD.sub(" ", _APOSTROPHES.sub("", bare)).split())


def name_words(name: Optional[str]) -> list[str]:
    """A name's words, folded, without titles: "Mrs Síobhán O'Neill" -> ["siobhan", "oneill"]."""
    return list(_name_words(name))


@lru_cache(maxsize=65_536)
def _name_words(name: Optional[str]) -> tuple[str, ...]:
    return tuple(w for w in _fold(name).split() if w not in _TITLES)


@lru_cache(maxsize=65_536)  # pure; a big desk re-keys many persons sharing a name
def name_key(name: Optional[str]) -> Optional[str]:
    """Surname and first initial ("oneill|s"); None for a name with no letters."""
    words = [w for w in name_words(name) if not w.isdigit()]
    if not words:
        return None
    return f"{words[-1]}|{words[0][0]}" if len(words) > 1 else f"{words[0]}|"


@lru_cache(maxsize=65_536)
def normal_address(address: Optional[str]) -> str:
    """An address folded and with common abbreviations spelled out ("Rd" -> "road")."""
    return " ".join(_ADDRESS_WORDS.get(w, w) for w in _fold(address).split())


@lru_cache(maxsize=65_536)
def postcode(address: Optional[str]) -> Optional[str]:
    """The UK postcode in an address, without its space ("nv32lp"), if it has one."""
    found = _POSTCODE.findall(_fold(address))
    return "".join(found[-1]) if found else None


@lru_cache(maxsize=65_536)
def address_key(address: Optional[str]) -> Optional[str]:
    """Where someone lives, coarsely: the postcode, else the first line of the address, folded."""
    code = postcode(address)
    if code:
        return code
    first_line = normal_address((address or "").split(",")[0])
    return first_line or None


@dataclass(frozen=True)
class PersonPoints:
    """What the matcher knows of one person: name, address and contact-point keys."""

    name: str
    address: Optional[str] = None
    phones: frozenset[str] = field(default_factory=frozenset)  # contact_points.phone_key values
    emails: frozenset[str] = field(default_factory=frozenset)  # contact_points.email_key values

    @classmethod
    def of(cls, name: Optional[str], address: Optional[str] = None, phones: Iterable[Optional[str]] = (),
           emails: Iterable[Optional[str]] = (), region: str = DEFAULT_REGION) -> "PersonPoints":
        """From text as stored (phones in any format): the keys are worked out here."""
        phone_keys = frozenset(k for k in (phone_key(p, region) for p in phones if p) if k)
        email_keys = frozenset(k for k in (email_key(e) for e in emails if e) if k)
        return cls(name or "", address or None, phone_keys, email_keys)


def blocking_keys(person: PersonPoints) -> frozenset[str]:
    """Every key under which this person is compared with others."""
    keys = {f"p:{k}" for k in person.phones} | {f"e:{k}" for k in person.emails}
    surname_initial = name_key(person.name)
    if surname_initial:
        keys.add(f"n:{surname_initial}")
        where = address_key(person.address)
        if where:
            keys.add(f"a:{surname_initial.split('|')[0]}|{where}")
    return frozenset(keys)


def first_shared_key(a: Iterable[str], b: Iterable[str], skipped: Iterable[str] = ()) -> Optional[str]:
    """The first (smallest) key both share that was not skipped: the one block that scores this pair."""
    shared = (a if isinstance(a, frozenset) else frozenset(a)) & (b if isinstance(b, frozenset) else frozenset(b))
    if skipped and shared:
        shared = shared.difference(skipped)
    return min(shared) if shared else None


@dataclass(frozen=True)
class Match:
    """How likely two persons are one: 0..100, and why."""

    score: int
    reasons: tuple[str, ...]

    @property
    def likely(self) -> bool:
        return self.score >= LIKELY

    def because(self) -> str:
        return "; ".join(self.reasons)


def name_similarity(a: Optional[str], b: Optional[str]) -> int:
    """0..100: word order ignored ("Smith, John" is "John Smith"), and "J Smith" counts as 85 alike
    "John Smith" (same surname, the initial agrees)."""
    wa, wb = _name_words(a), _name_words(b)
    if not wa or not wb:
        return 0
    alike = 100 if wa == wb else fuzz.token_sort_ratio(" ".join(wa), " ".join(wb))
    if len(wa) > 1 and len(wb) > 1 and wa[-1] == wb[-1]:
        first_a, first_b = wa[0], wb[0]
        short, full = sorted((first_a, first_b), key=len)
        if full.startswith(short):  # an initial or a short form: "J", "Jo" for "Joanne"
            alike = max(alike, SHORT_FORM)
        elif min(len(first_a), len(first_b)) > 1 and fuzz.ratio(first_a, first_b) < 60:
            alike = min(alike, OTHER_FIRST_NAME)
    return int(round(alike))


def address_similarity(a: Optional[str], b: Optional[str]) -> Optional[int]:
    """0..100, or None when either has no address. Different postcodes cap it at 40."""
    na, nb = normal_address(a), normal_address(b)
    if not na or not nb:
        return None
    if na == nb:
        return 100
    alike = fuzz.token_set_ratio(na, nb)
    pa, pb = postcode(a), postcode(b)
    if pa and pb and pa != pb:
        alike = min(alike, 40)
    return int(round(alike))


def score_value(a: PersonPoints, b: PersonPoints) -> int:
    """The score alone (no reasons): what `people duplicates` computes for every pair it compares.

    Symmetric by construction: every part (shared contact points, rapidfuzz's ratios, the
    first-name rules) gives the same value whichever person comes first.
    """
    shared = bool(a.phones & b.phones or a.emails & b.emails)
    names = name_similarity(a.name, b.name)
    where = address_similarity(a.address, b.address)
    support = 1 - (1 - CONTACT_WEIGHT * shared) * (1 - ADDRESS_WEIGHT * (where or 0) / 100)
    return max(0, min(100, int(round(names * (NAME_ALONE + (1 - NAME_ALONE) * support)))))


def score(a: PersonPoints, b: PersonPoints) -> Match:
    """How likely `a` and `b` are the same person, with the reasons; the same whichever comes first."""
    reasons: list[str] = []
    for phone in sorted(a.phones & b.phones)[:2]:
        reasons.append(f"same phone {phone.lstrip('#')}")
    for email in sorted(a.emails & b.emails)[:2]:
        reasons.append(f"same email {email}")
    reasons.append(f"names {name_similarity(a.name, b.name)}% alike")
    where = address_similarity(a.address, b.address)
    if where is not None:
        reasons.append(f"addresses {where}% alike")
    return Match(score_value(a, b), tuple(reasons))
