"""People fixtures: the supervision team (two handlers, a supervisor, an admin) and persons on cases."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import Session

from supervision.conftest import NOW, run_cli, team  # noqa: F401 (fixtures and helpers shared)


def add_person(engine, name, *, phone=None, email=None, address=None, cases=1, vulnerable=False,
               status="investigating", region="GB") -> tuple[int, list[int]]:
    """A person with `cases` cases (a party each), written straight to the store and audited as a seed.

    The phone is kept as the desk keeps it: E.164 (read in `region` without +CC), else as written.
    Returns (person id, case ids). The seed event records the rows, so `audit verify` holds afterwards.
    """
    from deskapp.actions import audit
    from deskapp.core.people import normalise_phone
    from deskapp.store.models import Case, Party, Person

    kept = normalise_phone(phone, region)  # as a person keeps it (deskapp.actions.people.person_for_party)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        person = Person(name=name, phone=kept.value if kept else None, phone_valid=kept is None or kept.valid,
                        email=email, address=address, vulnerable=vulnerable,
                        vulnerability_reason="lives alone" if vulnerable else None)
        s.add(person)
        s.flush()
        case_ids = []
        for n in range(cases):
            case = Case(ref=f"P-{person.id}-{n}", title=f"case {n} of {name}", received_at=datetime(2026, 3, 2, 9),
                        status=status if n == 0 else "closed")
            s.add(case)
            s.flush()
            s.add(Party(case_id=case.id, person_id=person.id, role="customer", name=name, phone=phone, email=email,
                        address=address))
            case_ids.append(case.id)
        s.flush()
        audit.append(s, actor="seed", action="seed", at=NOW)
        return person.id, case_ids
