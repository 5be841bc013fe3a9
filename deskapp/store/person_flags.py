"""cases.person_vulnerable: "a person on this case is marked vulnerable", kept in step with the persons.

The queue shows V for `cases.vulnerable OR cases.person_vulnerable` from the
case row alone, so it stays fast at a million cases. Every action that changes
a person's vulnerability or which persons a case has (set_vulnerability, person
merge and unmerge, adding a party, import, erasure, the demo load) calls
`sync_person_vulnerable` inside its own transaction. Set-based: one UPDATE per
chunk of cases, touching only rows whose value changes (so a case's row, and
its digest, is left alone when nothing differs).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Optional

from sqlalchemy import and_, exists, select, update

from deskapp.store.models import Case, Party, Person

CHUNK = 500

_C = Case.__table__.c
_P = Party.__table__.c
_PERSON = Person.__table__.c

# Whether a vulnerable person is on the case (correlated to the row being updated).
_HAS_VULNERABLE = exists(
    select(_P.id).select_from(Party.__table__.join(Person.__table__, _PERSON.id == _P.person_id))
    .where(_P.case_id == _C.id, _PERSON.vulnerable.is_(True))
)


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ids = sorted({int(i) for i in ids})
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def cases_of_persons(conn: Any, person_ids: Iterable[int]) -> set[int]:
    """The ids of the cases these persons are on (in any role): parties.person_id's index answers it."""
    out: set[int] = set()
    for chunk in _chunks(person_ids):
        out.update(int(c) for c in conn.execute(select(_P.case_id).where(_P.person_id.in_(chunk)).distinct())
                   .scalars())
    return out


def sync_person_vulnerable(conn: Any, *, case_ids: Iterable[int] = (), person_ids: Iterable[int] = ()) -> list[int]:
    """Set person_vulnerable on these cases and on every case of these persons from the persons on them now.

    `conn` is the caller's connection or session (its transaction). Returns the ids of the cases whose value
    changed, in order (an action records a change-feed line for each, so other desks repaint their queues).
    """
    targets = {int(c) for c in case_ids} | cases_of_persons(conn, person_ids)
    changed: list[int] = []
    for chunk in _chunks(targets):
        differs = and_(_C.id.in_(chunk), _C.person_vulnerable != _HAS_VULNERABLE)
        ids = [int(c) for c in conn.execute(select(_C.id).where(differs)).scalars()]
        if ids:
            conn.execute(update(Case.__table__).where(_C.id.in_(ids))
                         .values(person_vulnerable=_HAS_VULNERABLE)
                         .execution_options(synchronize_session=False))
            changed.extend(ids)
    if changed and hasattr(conn, "identity_map"):  # a Session: its loaded cases must not show the old value
        for obj in list(conn.identity_map.values()):
            if isinstance(obj, Case) and obj.id in changed:
                conn.expire(obj, ["person_vulnerable"])
    return sorted(changed)


def flagged(conn: Any, case_id: int) -> Optional[bool]:
    """The stored person_vulnerable of one case (None if there is no such case): for checks and tests."""
    value = conn.execute(select(_C.person_vulnerable).where(_C.id == case_id)).scalar()
    return None if value is None else bool(value)
