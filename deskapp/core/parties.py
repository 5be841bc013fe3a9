"""A party on a case — a person or organisation — declared once, for every layer that carries one.

The table (deskapp.store.models.Party) stores these fields with these limits,
the case view (PartyView) and the demo stories (StoryParty) derive from
PartyFields, new-party input (deskapp.actions.cases) and the import record
(deskapp.supervision.import_records.PartyRecord) accept exactly these fields,
and tests/core/test_parties.py keeps each of them to it. The policy snapshot
(deskapp.policy.snapshot.PartySnap) carries the part rules may read, PARTY_FACTS:
who the party is, not how to reach them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

PARTY_ROLE_MAX = 24
# The single-line text fields and their longest length; address and notes are long text.
PARTY_LIMITS = {"name": 200, "organisation": 200, "email": 254, "phone": 40}


@dataclass(frozen=True)
class PartyFields:
    """What is known about a party.

    `designated` marks the representative all contact must go through;
    `authorised` marks someone the customer has authorised us to speak to.
    """

    name: str
    role: str = "customer"  # customer | resident | representative | third_party (deskapp.vocab.PARTY_ROLES)
    designated: bool = False
    authorised: bool = False
    organisation: Optional[str] = None
    email: Optional[str] = None
    phone: Optional[str] = None
    address: Optional[str] = None
    notes: Optional[str] = None

    @classmethod
    def fields_of(cls, party: Any) -> dict[str, Any]:
        """PARTY_FIELDS read from anything that has them (a table row, a view, a record)."""
        return {name: getattr(party, name) for name in PARTY_FIELDS}


PARTY_FIELDS = tuple(PartyFields.__dataclass_fields__)
PARTY_FACTS = ("name", "role", "designated", "authorised", "organisation")  # what the policy engine is told
