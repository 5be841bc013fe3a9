"""The persons behind a case's parties: what holds on every case of theirs, read for one case's view.

A few small queries per case opened (the persons, their standing arrangements,
their open-case counts, their other cases), each answered by an index:
parties.person_id, ix_person_arrangements_person. The other cases are one
query: each person's first OTHER_SHOWN (open first, newest first) and how many
there are in all, numbered per person by a window function.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case as when, func, select
from sqlmodel import Session

from deskapp.core.views import ArrangementView, OtherCaseView, PersonView
from deskapp.store.models import Arrangement, Case, Organisation, Party, Person

_OPEN = Case.status != "closed"
OTHER_SHOWN = 5  # other cases listed per person on the case pane; "and N more" after them


def other_cases(session: Session, person_ids: Sequence[int], case_id: int,
                shown: int = OTHER_SHOWN) -> dict[int, tuple[list[OtherCaseView], int]]:
    """Person id -> (their first `shown` cases other than `case_id`, open first then newest first; how many
    other cases they have in all). Erased cases are left out. One query: parties.person_id's index finds
    the links."""
    if not person_ids:
        return {}
    # One row per (person, case): a person in two roles on one case counts that case once.
    links = (select(Party.person_id.label("person_id"), Party.case_id.label("case_id"),
                    func.min(Party.role).label("role"))
             .where(Party.person_id.in_(list(person_ids)), Party.case_id != case_id)
             .group_by(Party.person_id, Party.case_id).subquery())
    closed_last = when((Case.status == "closed", 1), else_=0)
    order = (closed_last, Case.received_at.desc(), Case.id.desc())
    numbered = (select(links.c.person_id, Case.id, Case.ref, Case.status, Case.title, links.c.role,
                       Case.received_at,
                       func.row_number().over(partition_by=links.c.person_id, order_by=order).label("n"),
                       func.count().over(partition_by=links.c.person_id).label("total"))
                .join(Case, Case.id == links.c.case_id).where(Case.erased_at.is_(None)).subquery())
    out: dict[int, tuple[list[OtherCaseView], int]] = {}
    for row in session.execute(select(numbered).where(numbered.c.n <= shown)
                               .order_by(numbered.c.person_id, numbered.c.n)).all():
        listed, _total = out.setdefault(int(row.person_id), ([], int(row.total)))
        listed.append(OtherCaseView(id=int(row.id), ref=row.ref, status=row.status, title=row.title or "",
                                    role=row.role, received_at=row.received_at))
    return out


def persons_of(session: Session, parties: Sequence[Party]) -> tuple[PersonView, ...]:
    """One PersonView per person among `parties` (in party order), with their arrangements and open cases."""
    by_person: dict[int, list[int]] = {}
    for party in parties:
        if party.person_id is not None:
            by_person.setdefault(party.person_id, []).append(party.id)
    if not by_person:
        return ()
    ids = list(by_person)
    rows = {p.id: p for p in session.execute(select(Person).where(Person.id.in_(ids))).scalars()}
    open_counts = dict(session.execute(
        select(Party.person_id, func.count(func.distinct(Party.case_id)))
        .join(Case, Case.id == Party.case_id)
        .where(Party.person_id.in_(ids), _OPEN)
        .group_by(Party.person_id)).all())
    arrangements = session.execute(
        select(Arrangement).where(Arrangement.person_id.in_(ids), Arrangement.ended_at.is_(None))
        .order_by(Arrangement.person_id, Arrangement.id.desc())).scalars().all()
    reps: dict[int, Person] = {}
    refs: dict[int, str] = {}
    orgs: dict[int, str] = {}
    if arrangements:
        rep_ids = {a.representative_id for a in arrangements}
        reps = {p.id: p for p in session.execute(select(Person).where(Person.id.in_(rep_ids))).scalars()}
        case_ids = {a.case_id for a in arrangements if a.case_id is not None}
        if case_ids:
            refs = dict(session.execute(select(Case.id, Case.ref).where(Case.id.in_(case_ids))).all())
        org_ids = {p.organisation_id for p in reps.values() if p.organisation_id is not None}
        if org_ids:
            orgs = dict(session.execute(select(Organisation.id, Organisation.name)
                                        .where(Organisation.id.in_(org_ids))).all())
    party_of_person = {party.person_id: party for party in parties if party.person_id is not None}
    others = other_cases(session, ids, parties[0].case_id)
    out = []
    for person_id, party_ids in by_person.items():
        person = rows.get(person_id)
        if person is None:
            continue
        mine = []
        for a in arrangements:
            if a.person_id != person_id:
                continue
            rep = reps.get(a.representative_id)
            here = party_of_person.get(a.representative_id)
            org = orgs.get(rep.organisation_id) if rep is not None and rep.organisation_id is not None else None
            mine.append(ArrangementView(
                id=a.id, kind=a.kind, representative_id=a.representative_id,
                representative_name=rep.name if rep is not None else f"person {a.representative_id}",
                representative_organisation=(here.organisation if here is not None else None) or org,
                representative_party_id=here.id if here is not None else None,
                authorised_by=a.authorised_by, starts_at=a.starts_at, ends_at=a.ends_at,
                case_ref=refs.get(a.case_id) if a.case_id is not None else None, recorded_at=a.created_at,
                evidence_contact_id=a.evidence_contact_id, evidence_note=a.evidence_note))
        out.append(PersonView(
            id=person.id, name=person.name, party_ids=tuple(party_ids), vulnerable=bool(person.vulnerable),
            vulnerability_reason=person.vulnerability_reason, vulnerability_review=person.vulnerability_review,
            accessibility=person.accessibility, open_cases=int(open_counts.get(person_id, 0)),
            arrangements=tuple(mine), other_cases=tuple(others.get(person_id, ([], 0))[0]),
            other_total=others.get(person_id, ([], 0))[1]))
    return tuple(out)
