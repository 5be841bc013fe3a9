"""Keeping `person_keys` in step with `persons`: each live person's keys, re-made on every ORM write.

The keys (deskapp.core.person_match): `p:+447700900123`, `e:jo@example.org`,
`n:smith|j`, `a:smith|nv32lp` are the blocking keys duplicates are found by;
`s:smith` (surname) and `w:nv32lp` (where: postcode, else the first line of the
address) are for search only. deskapp.store.models calls `install` (as it does
masking.install), so an ORM insert or update of a Person re-keys it in the same
transaction without any action having to remember. A merged or erased person
has no keys. Bulk writers (the people1 migration, the demo load) call `rebuild`
(deskapp.store.people_index). Derived data like the case search index: not
row-digested.

This module does not import the models (they import it): the tables are handed
to `install`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Optional

from sqlalchemy import Connection, Table, delete, event, insert, select

from deskapp.core.contact_points import email_key, phone_key, stored_phone_key
from deskapp.core.person_match import PersonPoints, address_key, name_key

BLOCKING_KINDS = ("p:", "e:", "n:", "a:")
SEARCH_KINDS = ("s:", "w:")
KEY_MAX = 300

_tables: dict[str, Table] = {}


PhoneKey = Callable[[str], Optional[str]]


@lru_cache(maxsize=65_536)
def cached_phone_key(stored: str) -> Optional[str]:
    """The key of a phone as a person keeps it (contact_points.stored_phone_key: no region plays a part),
    remembered (a demo desk repeats a thousand numbers)."""
    return stored_phone_key(stored)


@lru_cache(maxsize=4_096)
def typed_phone_key(text: str, region: str) -> Optional[str]:
    """The key of a phone as typed into a search or a form, read in the desk's region."""
    return phone_key(text, region)


def points_of(name: Optional[str], address: Optional[str], phone: Optional[str], email: Optional[str]) -> PersonPoints:
    """What the matcher compares, from a person's stored columns."""
    phones = frozenset(k for k in (cached_phone_key(phone),) if k) if phone else frozenset()
    emails = frozenset(k for k in (email_key(email),) if k) if email else frozenset()
    return PersonPoints(name or "", address or None, phones, emails)


def keys_of(name: Optional[str], address: Optional[str], phone: Optional[str], email: Optional[str],
            phone_key_of: PhoneKey = cached_phone_key) -> set[str]:
    """Every key of one person: the blocking keys (core.person_match.blocking_keys, spelled out here from
    the same cached parts: a million persons are keyed in a demo load) and the search-only ones.

    `phone_key_of`: how the stored phone is keyed (a migration passes the rule of its revision)."""
    keys = set()
    if phone and (key := phone_key_of(phone)):
        keys.add(f"p:{key}")
    if email and (key := email_key(email)):
        keys.add(f"e:{key}")
    surname_initial = name_key(name)
    where = address_key(address) if address else None
    if surname_initial:
        surname = surname_initial.split("|")[0]
        keys.add(f"n:{surname_initial}")
        keys.add(f"s:{surname}")
        if where:
            keys.add(f"a:{surname}|{where}")
    if where:
        keys.add(f"w:{where}")
    return {k for k in keys if len(k) <= KEY_MAX}


def is_live(merged_into_id: Any, erased_at: Any) -> bool:
    """A person who is neither merged into another nor erased: the only ones search and duplicates see."""
    return merged_into_id is None and erased_at is None


def index_person(conn: Connection, person_id: int) -> None:
    """Re-key one person from its stored row, in the caller's transaction."""
    persons, keys = _tables["persons"], _tables["person_keys"]
    conn.execute(delete(keys).where(keys.c.person_id == person_id))
    t = persons.c
    row = conn.execute(select(t.name, t.address, t.phone, t.email, t.merged_into_id, t.erased_at)
                       .where(t.id == person_id)).first()
    if row is not None and is_live(row.merged_into_id, row.erased_at):
        rows = [{"key": k, "person_id": person_id} for k in sorted(keys_of(row.name, row.address, row.phone,
                                                                            row.email))]
        if rows:
            conn.execute(insert(keys), rows)


def index_many(conn: Connection, person_ids: list[int]) -> int:
    """Re-key these persons (written by a Core insert, e.g. an import) 500 at a time; returns keys written."""
    persons, keys = _tables["persons"], _tables["person_keys"]
    t = persons.c
    written = 0
    wanted = sorted(set(int(i) for i in person_ids))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        conn.execute(delete(keys).where(keys.c.person_id.in_(chunk)))
        rows = [{"key": k, "person_id": r.id}
                for r in conn.execute(select(t.id, t.name, t.address, t.phone, t.email, t.merged_into_id, t.erased_at)
                                      .where(t.id.in_(chunk)))
                if is_live(r.merged_into_id, r.erased_at)
                for k in sorted(keys_of(r.name, r.address, r.phone, r.email))]
        if rows:
            conn.execute(insert(keys), rows)
            written += len(rows)
    return written


def _on_write(_mapper: Any, connection: Connection, target: Any) -> None:
    if getattr(target, "id", None) is not None:
        index_person(connection, target.id)


def install(person_model: Any, key_model: Any) -> None:
    """Re-key a Person on every ORM insert and update (called once, by deskapp.store.models)."""
    _tables["persons"], _tables["person_keys"] = person_model.__table__, key_model.__table__
    if not event.contains(person_model, "after_insert", _on_write):
        event.listen(person_model, "after_insert", _on_write)
        event.listen(person_model, "after_update", _on_write)
