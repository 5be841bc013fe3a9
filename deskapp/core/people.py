"""A person (or organisation) across all their cases — declared once, with the keys that say "the same one".

A Party (deskapp.core.parties) is a person's role on ONE case; the Person is the
human behind it, kept once: contact points, vulnerability, accessibility needs,
and standing arrangements (a designated or authorised representative, see
ARRANGEMENT_KINDS) that hold on every case of theirs.

Contact points are normalised by deskapp.core.contact_points (the one
normaliser: store, search, forms, import); the functions here only give its
answer in the shape a person keeps it:

- phones become E.164 (`phonenumbers`, read in the desk's region — the published
  pack's calendar country, deskapp.policy PolicyPack.phone_region — when written
  without +CC); a number that does not parse is kept as written and flagged
  (`phone_valid` False), never rejected;
- emails are trimmed, unwrapped and lower-cased; one that is not an address is
  kept as written;
- a name key is the name case-folded with its whitespace collapsed.

The migration that made persons out of parties (people1) keeps its own frozen
copy of the rules it ran with, so changing these never changes what it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from deskapp.core import contact_points
from deskapp.core.contact_points import DEFAULT_REGION

PERSON_LIMITS = {"name": 200, "email": 254, "phone": 40, "preferred_channel": 16}
ORGANISATION_LIMITS = {"name": 200, "kind": 24, "email": 254, "phone": 40}
ORGANISATION_KINDS = ("social_care", "contractor", "solicitor", "advocacy", "other")
# A designated representative: all contact goes through them. Authorised: the person has agreed we may talk to them.
ARRANGEMENT_KINDS = ("designated", "authorised")
ARRANGEMENT_LIMITS = {"kind": 16, "authorised_by": 200}


@dataclass(frozen=True)
class PersonFields:
    """What is known about a person, whatever case they come up on."""

    name: str
    email: Optional[str] = None
    phone: Optional[str] = None  # E.164 when it parses, else exactly as written
    phone_valid: bool = True  # False: the phone did not parse and is kept as written
    address: Optional[str] = None
    preferred_channel: Optional[str] = None  # deskapp.vocab.CHANNELS
    notes: Optional[str] = None
    accessibility: Optional[str] = None  # e.g. "large print", "BSL interpreter"
    vulnerable: bool = False
    vulnerability_reason: Optional[str] = None
    vulnerability_review: Optional[datetime] = None  # when the flag is to be looked at again
    organisation_id: Optional[int] = None

    @classmethod
    def fields_of(cls, person: Any) -> dict[str, Any]:
        return {name: getattr(person, name) for name in PERSON_FIELDS}


PERSON_FIELDS = tuple(PersonFields.__dataclass_fields__)


@dataclass(frozen=True)
class ArrangementFields:
    """A standing arrangement on a person: `representative_id` acts for `person_id` on every case of theirs.

    `authorised_by`: who authorised it (the person, a court, a lasting power of attorney, ...);
    `evidence_contact_id` / `evidence_note`: what it rests on (a contact holding the signed form, or a note);
    `case_id`: the case it was recorded on, so a finding can say where it came from.
    """

    person_id: int
    representative_id: int
    kind: str = "designated"
    authorised_by: str = ""
    starts_at: Optional[datetime] = None
    ends_at: Optional[datetime] = None  # None: until withdrawn
    case_id: Optional[int] = None
    evidence_contact_id: Optional[int] = None
    evidence_note: Optional[str] = None


ARRANGEMENT_FIELDS = tuple(ArrangementFields.__dataclass_fields__)


@dataclass(frozen=True)
class Phone:
    """A phone number as kept: `value` E.164 when `valid`, else the text as written (stripped)."""

    value: str
    valid: bool


def normalise_phone(raw: Optional[str], region: str = DEFAULT_REGION) -> Optional[Phone]:
    """E.164 for a number that parses (contact_points.normalise_phone, read in `region` without +CC);
    otherwise the text as written, flagged. None for blank."""
    if raw is None or not raw.strip():
        return None
    phone = contact_points.normalise_phone(raw, region)
    return Phone(phone.value, phone.parsed) if phone.value else None


def normalise_email(raw: Optional[str]) -> Optional[str]:
    """The address as contact_points.normalise_email keeps it (trimmed, unwrapped, lower-cased); text that
    is not an address is kept as written. None for blank."""
    if raw is None or not raw.strip():
        return None
    return contact_points.normalise_email(raw).value or None


def name_key(raw: Optional[str]) -> Optional[str]:
    """A name case-folded with runs of whitespace made one space; None for blank."""
    if raw is None:
        return None
    key = " ".join(raw.split()).casefold()
    return key or None
