"""Finding persons across cases: by name, phone in any format, email, postcode or case ref, and their cases.

The search itself is deskapp.store.people_index.find (one index probe per
reading of the text; a phone without +CC read in the desk's region, the published
pack's PolicyPack.phone_region); here it meets the handler's permission (`case.view`, re-read
from the database) and becomes plain views (deskapp.core.person_hits).
"""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import case as when, func, select

from deskapp.actions.permissions import require
from deskapp.core.person_hits import PersonCase, PersonHit
from deskapp.core.person_match import LIKELY
from deskapp.store.models import Case, Party, Person
from deskapp.store.people_index import find, likely_matches

SEARCH_LIMIT = 20
CASES_LIMIT = 50


def find_persons(desk: Any, text: str, limit: int = SEARCH_LIMIT) -> list[PersonHit]:
    """Persons matching `text`, best first (how they were found, then how alike the name is)."""
    with desk.session() as session:
        require(desk, "case.view", session=session)
        conn = session.connection()
        found = find(conn, text, limit, region=desk.policies.phone_region)
        if not found:
            return []
        ids = [f.person_id for f in found]
        rows = {p.id: p for p in session.execute(select(Person).where(Person.id.in_(ids))).scalars()}
        counts = {pid: (int(total), int(open_ or 0)) for pid, total, open_ in session.execute(
            select(Party.person_id, func.count(func.distinct(Party.case_id)),
                   func.count(func.distinct(when((Case.status != "closed", Party.case_id)))))
            .join(Case, Case.id == Party.case_id).where(Party.person_id.in_(ids)).group_by(Party.person_id))}
        out = []
        for f in found:
            person = rows.get(f.person_id)
            if person is None:
                continue
            total, open_ = counts.get(f.person_id, (0, 0))
            out.append(PersonHit(id=person.id, name=person.name, matched=f.matched, phone=person.phone,
                                 email=person.email, address=person.address, vulnerable=bool(person.vulnerable),
                                 open_cases=open_, cases=total))
        return out


def cases_of_person(desk: Any, person_id: int, limit: int = CASES_LIMIT) -> list[PersonCase]:
    """The cases this person is on (in any role): open ones first, newest first within each."""
    with desk.session() as session:
        require(desk, "case.view", session=session)
        closed_last = when((Case.status == "closed", 1), else_=0)
        rows = session.execute(
            select(Case.id, Case.ref, Case.title, Case.status, Case.received_at, Party.role)
            .join(Party, Party.case_id == Case.id).where(Party.person_id == person_id)
            .order_by(closed_last, Case.received_at.desc(), Case.id.desc()).limit(limit)).all()
        seen: dict[int, PersonCase] = {}
        for cid, ref, title, status, received, role in rows:
            seen.setdefault(int(cid), PersonCase(int(cid), ref, title, status, received, role))
        return list(seen.values())


def likely_persons(desk: Any, name: str, phone: Optional[str] = None, email: Optional[str] = None,
                   address: Optional[str] = None, limit: int = 3) -> list[tuple[PersonHit, tuple[str, ...]]]:
    """Persons already known who are likely the one being typed into a form, best first, with the reasons."""
    if not (name or "").strip():
        return []
    with desk.session() as session:
        require(desk, "case.view", session=session)
        found = likely_matches(session.connection(), name, address or None, phone or None, email or None,
                               min_score=LIKELY, limit=limit, region=desk.policies.phone_region)
        if not found:
            return []
        rows = {p.id: p for p in session.execute(select(Person).where(Person.id.in_([pid for pid, _ in found])))
                .scalars()}
        return [(PersonHit(id=pid, name=rows[pid].name, matched="likely", phone=rows[pid].phone,
                           email=rows[pid].email, address=rows[pid].address,
                           vulnerable=bool(rows[pid].vulnerable)), match.reasons)
                for pid, match in found if pid in rows]
