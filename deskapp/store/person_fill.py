"""A person for every party a bulk fill wrote without one (the demo's generated cases).

The demo writes parties as plain tuples, a million at a time; this gives each
one still unlinked its own person (no matching: generated people are drawn at
random), with contact points normalised as deskapp.core.people does for the
desk. Rows are read a page at a time by keyset and written through the bulk
writer, so memory stays flat; the normalisers are cached, since generated
text repeats (a pool of names and phone numbers). Person ids are the party's
id shifted past any existing person, so linking the parties is one set-based
UPDATE.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from sqlalchemy import Connection

from deskapp.core.people import Phone, name_key, normalise_email, normalise_phone
from deskapp.store.bulk import BulkWriter

PERSON_COLS = ("id", "name", "name_key", "email", "phone", "phone_valid", "address", "vulnerable", "version",
               "created_at", "updated_at")
PAGE = 20_000

_phone = lru_cache(maxsize=65_536)(normalise_phone)
_name_key = lru_cache(maxsize=65_536)(name_key)


def persons_for_parties(conn: Connection, writer: BulkWriter, first_party_id: int) -> int:
    """Make and link a person for each party from `first_party_id` on that has none; returns how many."""
    top = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM persons").scalar() or 0
    shift = max(0, int(top) - first_party_id + 1)
    made = 0
    after = first_party_id - 1
    while True:
        page = conn.exec_driver_sql(
            "SELECT id, name, email, phone, address, created_at FROM parties "
            f"WHERE id > {int(after)} AND person_id IS NULL ORDER BY id LIMIT {PAGE}").fetchall()
        if not page:
            break
        rows = []
        for party_id, name, email, phone_text, address, created in page:
            phone: Optional[Phone] = _phone(phone_text) if phone_text else None
            rows.append((party_id + shift, name, _name_key(name), normalise_email(email),
                         phone.value if phone else None, phone is None or phone.valid, address, False, 1,
                         created, created))
        made += writer.insert("persons", PERSON_COLS, rows)
        after = page[-1][0]
        if len(page) < PAGE:
            break
    if made:
        conn.exec_driver_sql(f"UPDATE parties SET person_id = id + {shift} "
                             f"WHERE id >= {int(first_party_id)} AND person_id IS NULL")
    return made
