"""Finding everything held about one person, for a subject-access request (`deskapp export --subject`).

A person is today a set of party records on separate cases (people spanning
cases arrive later). `SubjectKey` says how they are looked for: an exact name
(case and spacing ignored), an email (case ignored) or a phone number (digits
only, so "07700 900111" finds "07700-900-111"). A later `person` kind can
plug in here: `party_ids` is all the rest of the export needs.

A query matching records that disagree (two names for one phone, two emails
for one name) is ambiguous: the person asking is shown the matches and asked to
narrow it, rather than handed someone else's data.

Here too: the permission (subject.export, supervisors and admins) and the
`subject.export` audit event, whose detail names record ids, never the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import func, select

from deskapp.actions import audit, refusals
from deskapp.actions.permissions import require
from deskapp.core.rowdigest import TOMBSTONE
from deskapp.errors import DeskError
from deskapp.store.locks import begin_write
from deskapp.store.models import Case, Party

PERMISSION = "subject.export"
ACTION = "subject.export"
MIN_PHONE_DIGITS = 6  # fewer digits than this is not a phone number to search on
_PHONE = re.compile(r"^\+?[\d\s().\-/]+$")


@dataclass(frozen=True)
class SubjectKey:
    """How the subject is looked for: kind is "name", "email" or "phone"; value is normalised."""

    kind: str
    value: str

    def describe(self) -> str:
        return {"name": "name", "email": "email address", "phone": "phone number"}[self.kind]


def digits(text: Optional[str]) -> str:
    return re.sub(r"\D", "", text or "")


def name_key(text: Optional[str]) -> str:
    return " ".join((text or "").split()).casefold()


def parse_subject(query: Optional[str]) -> SubjectKey:
    """The query as a SubjectKey; DeskError (one line, naming --subject) if it cannot be one."""
    text = " ".join((query or "").split())
    if not text:
        raise DeskError("--subject: give a name, an email address or a phone number")
    if text == TOMBSTONE:
        raise DeskError(f"--subject: {TOMBSTONE} marks erased text, not a person")
    if "@" in text:
        if " " in text or text.count("@") != 1 or not all(text.split("@")):
            raise DeskError("--subject: not an email address (give it whole, e.g. lee@example.org)")
        return SubjectKey("email", text.casefold())
    if _PHONE.match(text):
        found = digits(text)
        if len(found) < MIN_PHONE_DIGITS:
            raise DeskError(f"--subject: a phone number needs at least {MIN_PHONE_DIGITS} digits")
        return SubjectKey("phone", found)
    return SubjectKey("name", name_key(text))


def _phone_digits_sql(column: Any, dialect: str) -> Any:
    """The column with everything but digits removed, in SQL (so the match runs in the database)."""
    if dialect == "postgresql":
        return func.regexp_replace(column, "[^0-9]", "", "g")
    expr = column
    for ch in (" ", "-", "+", "(", ")", ".", "/", "\t"):
        expr = func.replace(expr, ch, "")
    return expr


def matching_parties(session: Any, key: SubjectKey) -> list[Party]:
    """Every party record (on any case, erased ones aside) that the key matches, by case then id."""
    query = select(Party).join(Case, Case.id == Party.case_id).where(Case.erased_at.is_(None))
    if key.kind == "email":
        query = query.where(func.lower(Party.email) == key.value)
    elif key.kind == "phone":
        dialect = session.get_bind().dialect.name
        query = query.where(Party.phone.is_not(None), _phone_digits_sql(Party.phone, dialect) == key.value)
    else:
        # Narrow in SQL by the lower-cased name, then compare exactly (spacing, Unicode case) here.
        query = query.where(func.lower(func.trim(Party.name)).like(key.value.split(" ")[0] + "%"))
    rows = list(session.execute(query.order_by(Party.case_id, Party.id)).scalars())
    if key.kind == "name":
        rows = [p for p in rows if name_key(p.name) == key.value]
    return rows


def conflicts(parties: list[Party]) -> list[str]:
    """What the matched records disagree on ("names", "email addresses", "phone numbers"): ambiguity."""
    out = []
    for what, values in (("names", {name_key(p.name) for p in parties}),
                         ("email addresses", {(p.email or "").casefold() for p in parties if p.email}),
                         ("phone numbers", {digits(p.phone) for p in parties if digits(p.phone)})):
        if len(values) > 1:
            out.append(what)
    return out


class Ambiguous(DeskError):
    """The query matches records that may be different people: `lines` lists them (shown, exit 2)."""

    def __init__(self, message: str, lines: list[str]):
        super().__init__(message)
        self.lines = lines


def may_export_subject(desk: Any) -> None:
    """NotAllowed (audited) unless this person may take a subject-access export now."""
    with refusals.audited(desk, PERMISSION):
        with desk.session() as session:
            require(desk, PERMISSION, session=session)


def record_subject_export(desk: Any, *, key: SubjectKey, party_ids: list[int], case_ids: list[int], to: str,
                          at: datetime) -> None:
    """The export's audit event (record ids and how they were found; never the query text)."""
    with refusals.audited(desk, PERMISSION):
        with desk.session() as session, session.begin():
            begin_write(session)
            require(desk, PERMISSION, session=session)
            audit.append(session, **audit.by(desk), action=ACTION, at=at,
                         detail={"by": key.kind, "party_ids": sorted(party_ids), "case_ids": sorted(case_ids),
                                 "to": to})
