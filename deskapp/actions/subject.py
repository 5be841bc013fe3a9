"""Finding everything held about one person, for a subject-access request (`deskapp export --subject`).

A person has a record of their own (persons) and a party record on each case
they are on. `SubjectKey` says how they are looked for: `person:ID` (that
person, and any person merged into them), an exact name (case and spacing
ignored), an email (case ignored) or a phone number (digits only, so "07700
900111" finds "07700-900-111"). A name, email or phone finds party records and
live persons (their own email and phone, by person_keys); the persons behind
them are the subject, so every case of theirs is exported, not only the ones
whose records match the query (`subject_persons`).

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
from deskapp.core.contact_points import email_key, phone_key
from deskapp.store.models import Case, Party, Person, PersonKey

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
        return {"name": "name", "email": "email address", "phone": "phone number",
                "person": "person number"}[self.kind]


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
    if text.casefold().startswith("person:"):
        number = text[len("person:"):].strip().removeprefix("#")
        if not number.isdigit() or len(number) > 12 or int(number) < 1:
            raise DeskError("--subject: person:ID needs a person's number, e.g. person:12")
        return SubjectKey("person", str(int(number)))
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
    """Every party record (on any case, erased ones aside) that the key matches, by case then id.

    A `person` key matches no party by itself: subject_persons and parties_of_persons find theirs."""
    if key.kind == "person":
        return []
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


def one_human(session: Any, person_id: int) -> list[int]:
    """The person and every person merged into them (at any depth): one human's records, sorted."""
    ids, frontier = [person_id], [person_id]
    while frontier:
        frontier = [i for i in session.execute(select(Person.id).where(Person.merged_into_id.in_(frontier))).scalars()
                    if i not in ids]
        ids += frontier
    return sorted(ids)


def _merged_root(session: Any, person_id: int) -> int:
    seen = {person_id}
    while True:
        into = session.execute(select(Person.merged_into_id).where(Person.id == person_id)).scalar()
        if into is None or into in seen:
            return person_id
        seen.add(into)
        person_id = into


def subject_persons(session: Any, key: SubjectKey, parties: list[Party]) -> list[Person]:
    """The persons the query names (each with anyone merged into them), erased ones aside; by id.

    `person:ID`: that person (DeskError if there is none or they were erased); otherwise the persons
    behind the matching parties and the live persons whose own email or phone is the one asked about."""
    if key.kind == "person":
        row = session.get(Person, int(key.value))
        if row is None:
            raise DeskError(f"--subject: there is no person #{key.value}")
        roots = {_merged_root(session, row.id)}
    else:
        roots = {_merged_root(session, p.person_id) for p in parties if p.person_id is not None}
        wanted = None
        if key.kind == "email":
            wanted = f"e:{email_key(key.value)}" if email_key(key.value) else None
        elif key.kind == "phone":
            wanted = f"p:{phone_key(key.value)}" if phone_key(key.value) else None
        if wanted:
            roots |= {_merged_root(session, i) for i in session.execute(
                select(PersonKey.person_id).where(PersonKey.key == wanted)).scalars()}
    ids = sorted({i for root in roots for i in one_human(session, root)})
    persons = list(session.execute(select(Person).where(Person.id.in_(ids)).order_by(Person.id)).scalars()) \
        if ids else []
    live = [p for p in persons if p.erased_at is None]
    if key.kind == "person" and not live:
        raise DeskError(f"--subject: person #{key.value} was erased: nothing is held about them")
    return live


def parties_of_persons(session: Any, person_ids: list[int]) -> list[Party]:
    """Every party record of these persons on a case still held (not erased), by case then id."""
    if not person_ids:
        return []
    return list(session.execute(select(Party).join(Case, Case.id == Party.case_id)
                                .where(Party.person_id.in_(person_ids), Case.erased_at.is_(None))
                                .order_by(Party.case_id, Party.id)).scalars())


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
                          at: datetime, person_ids: Optional[list[int]] = None) -> None:
    """The export's audit event (record ids and how they were found; never the query text)."""
    with refusals.audited(desk, PERMISSION):
        with desk.session() as session, session.begin():
            begin_write(session)
            require(desk, PERMISSION, session=session)
            audit.append(session, **audit.by(desk), action=ACTION, at=at,
                         detail={"by": key.kind, "party_ids": sorted(party_ids), "case_ids": sorted(case_ids),
                                 **({"person_ids": sorted(person_ids)} if person_ids else {}), "to": to})
