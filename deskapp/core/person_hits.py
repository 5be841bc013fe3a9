"""What the desk shows of a person it found, and of the cases a person is on: plain views, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional


@dataclass(frozen=True)
class PersonHit:
    """A person a search found: who, how to reach them, how they were found, how many cases they have."""

    id: int
    name: str
    matched: str  # email | phone | case | name | surname | place (deskapp.store.people_index.MATCH_ORDER)
    phone: Optional[str] = None
    email: Optional[str] = None
    address: Optional[str] = None
    vulnerable: bool = False
    open_cases: int = 0
    cases: int = 0


@dataclass(frozen=True)
class PersonCase:
    """One case a person is on, in the role they have there."""

    case_id: int
    ref: str
    title: str
    status: str
    received_at: datetime
    role: str

    @property
    def open(self) -> bool:
        return self.status != "closed"
