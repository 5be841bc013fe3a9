"""Reading the person-finding index (`person_keys`, kept by deskapp.store.person_keys) and rebuilding it.

Every lookup is an equality on the unique index (key, person_id), so a phone,
email or name search is one index probe on SQLite and PostgreSQL alike, whatever
the collation; `blocks` reads the keys in key order in keyset pages, so
`people duplicates` never compares all pairs and never holds all rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional

from sqlalchemy import Connection, delete, func, select, tuple_

from deskapp.core.contact_points import DEFAULT_REGION, email_key
from deskapp.core.people import normalise_phone
from deskapp.core.person_match import PersonPoints, address_key, name_key, name_words, postcode
from deskapp.store.models import Person, PersonKey
from deskapp.store.person_keys import (BLOCKING_KINDS, PhoneKey, cached_phone_key, keys_of, points_of,
                                      typed_phone_key)

PAGE = 20_000


def rebuild(conn: Connection, phone_key_of: PhoneKey = cached_phone_key) -> int:
    """Key every live person again (after a bulk load or the people1 migration); returns keys written.

    `phone_key_of`: how stored phones are keyed (the people2 migration passes the rule it ran with)."""
    from deskapp.store.bulk import BulkWriter, indexes_suspended

    conn.execute(delete(PersonKey))
    writer = BulkWriter(conn)
    t = Person.__table__.c
    last, written = 0, 0
    # The indexes are built once over the finished table: updating them row by row, in key order
    # unrelated to the insert order, cost a million-person desk ~100 s of CPU on SQLite.
    with indexes_suspended(conn, ("person_keys",)):
        while True:
            page = conn.execute(select(t.id, t.name, t.address, t.phone, t.email)
                                .where(t.id > last, t.merged_into_id.is_(None), t.erased_at.is_(None))
                                .order_by(t.id).limit(PAGE)).all()
            if not page:
                break
            rows = [(k, r.id) for r in page
                    for k in sorted(keys_of(r.name, r.address, r.phone, r.email, phone_key_of))]
            written += writer.insert("person_keys", ("key", "person_id"), rows)
            last = page[-1].id
    return written


# --- reading ---------------------------------------------------------------------------------


def persons_with_key(conn: Connection, key: str, limit: int = 200) -> list[int]:
    """Ids of the live persons holding this key (one index probe)."""
    return list(conn.execute(select(PersonKey.person_id).where(PersonKey.key == key)
                             .order_by(PersonKey.person_id).limit(limit)).scalars())


def search_keys(text: str, region: str = DEFAULT_REGION) -> list[str]:
    """The keys a search box's text may be, most specific first: email, phone, full name, surname, place.

    A phone written without +CC is read in `region` (the desk's: PolicyPack.phone_region)."""
    out: list[str] = []
    email = email_key(text)
    if email:
        out.append(f"e:{email}")
    phone = typed_phone_key(text.strip(), region) if any(ch.isdigit() for ch in text) else None
    if phone:
        out.append(f"p:{phone}")
    words = [w for w in name_words(text.replace(",", " ")) if not w.isdigit()]
    if "," in text and len(words) > 1:  # "Penrose, Arthur": surname first
        words = words[1:] + words[:1]
    full = name_key(" ".join(words)) if words else None
    if full and len(words) > 1:
        out.append(f"n:{full}")
    if words:
        out.append(f"s:{words[-1]}")
    stripped = text.strip()
    if postcode(stripped) or (stripped[:1].isdigit() and any(ch.isalpha() for ch in stripped)):
        where = address_key(stripped)  # a postcode, or a first line like "4 Linden Court"
        if where:
            out.append(f"w:{where}")
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class Block:
    """Persons sharing one blocking key."""

    key: str
    person_ids: tuple[int, ...]


def common_keys(conn: Connection, max_block: int) -> dict[str, int]:
    """Blocking keys shared by more than `max_block` persons, with how many: too common to tell anyone apart."""
    counted = (select(PersonKey.key, func.count().label("n")).group_by(PersonKey.key)
               .having(func.count() > max_block))
    return {k: int(n) for k, n in conn.execute(counted) if k[:2] in BLOCKING_KINDS}


def blocks(conn: Connection, max_block: int, page: int = PAGE) -> Iterator[Block]:
    """Every blocking key held by 2..max_block persons, in key order, read in keyset pages (bounded memory)."""
    last: Optional[tuple[str, int]] = None
    key: Optional[str] = None
    ids: list[int] = []
    too_many = False
    while True:
        query = select(PersonKey.key, PersonKey.person_id).order_by(PersonKey.key, PersonKey.person_id).limit(page)
        if last is not None:
            query = query.where(tuple_(PersonKey.key, PersonKey.person_id) > tuple_(*last))
        rows = conn.execute(query).all()
        for k, person_id in rows:
            if k != key:
                if key is not None and not too_many and len(ids) > 1 and key[:2] in BLOCKING_KINDS:
                    yield Block(key, tuple(ids))
                key, ids, too_many = k, [], False
            if not too_many:
                ids.append(person_id)
                if len(ids) > max_block:
                    too_many, ids = True, []
        if len(rows) < page:
            break
        last = (rows[-1][0], rows[-1][1])
    if key is not None and not too_many and len(ids) > 1 and key[:2] in BLOCKING_KINDS:
        yield Block(key, tuple(ids))


def person_points(conn: Connection, ids: Iterable[int]) -> dict[int, tuple[Any, PersonPoints]]:
    """(row, points) of these persons, read 500 at a time: row has id, name, address, phone, email."""
    wanted = sorted(set(ids))
    t = Person.__table__.c
    out: dict[int, tuple[Any, PersonPoints]] = {}
    for start in range(0, len(wanted), 500):
        for row in conn.execute(select(t.id, t.name, t.address, t.phone, t.email)
                                .where(t.id.in_(wanted[start:start + 500]))):
            out[row.id] = (row, points_of(row.name, row.address, row.phone, row.email))
    return out


# --- search ----------------------------------------------------------------------------------

# How a search hit was found, best first: the order hits are listed in.
MATCH_ORDER = ("email", "phone", "case", "name", "surname", "place")
_KIND_MATCH = {"e:": "email", "p:": "phone", "n:": "name", "s:": "surname", "w:": "place"}
# Persons read per key at most: a common surname is narrowed by ranking, not by reading all its holders.
PER_KEY = 200


@dataclass(frozen=True)
class Found:
    """A person a search found, how (MATCH_ORDER), and how alike their name is to what was typed."""

    person_id: int
    matched: str
    alike: int


def _case_persons(conn: Connection, text: str) -> list[int]:
    """The persons on the case with this reference (as typed, or upper-cased), if it is one."""
    from deskapp.store.models import Case, Party

    ref = text.strip()
    if not ref or len(ref) > 32 or " " in ref:
        return []
    rows = conn.execute(select(Party.person_id).join(Case, Case.id == Party.case_id)
                        .where(Case.ref.in_({ref, ref.upper()}), Party.person_id.is_not(None))
                        .order_by(Party.id)).scalars().all()
    return list(dict.fromkeys(int(r) for r in rows))


def find(conn: Connection, text: str, limit: int = 20, region: str = DEFAULT_REGION) -> list[Found]:
    """Live persons matching `text`: an email, a phone in any format (read in `region` without +CC),
    a case ref, a name, a postcode.

    Each possible reading is one index probe (at most PER_KEY persons each); hits are ranked by
    how they were found, then by how alike the name is to the text, then by id.
    """
    from rapidfuzz import fuzz

    text = (text or "")[:200]
    hits: dict[int, str] = {}
    for key in search_keys(text, region):
        if len(hits) >= limit:
            break  # the more specific readings already fill the list: the rest would only rank below them
        for pid in persons_with_key(conn, key, PER_KEY):
            hits.setdefault(pid, _KIND_MATCH[key[:2]])
    for pid in _case_persons(conn, text):
        hits.setdefault(pid, "case")
    if not hits:
        return []
    live = {pid: name for pid, name in _live_names(conn, list(hits))}
    typed = " ".join(name_words(text))
    found = [Found(pid, how, int(fuzz.token_sort_ratio(typed, " ".join(name_words(live[pid]))))
                   if typed else 0) for pid, how in hits.items() if pid in live]
    found.sort(key=lambda f: (MATCH_ORDER.index(f.matched), -f.alike, f.person_id))
    return found[:limit]


# The readings the desk's `/` search also looks persons up by: a surname alone is left to the case search
# (it finds party names itself; a common surname's holders would only crowd the list).
QUEUE_KINDS = ("e:", "p:", "n:", "w:")
QUEUE_PERSONS = 50


def queue_persons(conn: Connection, text: str, limit: int = QUEUE_PERSONS) -> list[int]:
    """Live persons the desk's search text reads as: an email, a phone in any format, a postcode or first line
    of an address, or a full name (every typed word in their name: "Arthur Penrose" is not Alice Penrose).
    One index probe per reading; most specific reading first, then by id."""
    text = (text or "")[:200]
    hits: dict[int, str] = {}
    for key in search_keys(text):
        if key[:2] in QUEUE_KINDS:
            for pid in persons_with_key(conn, key, PER_KEY):
                hits.setdefault(pid, key[:2])
    if not hits:
        return []
    typed = set(name_words(text))
    out = [pid for pid, name in _live_names(conn, list(hits))
           if hits[pid] != "n:" or typed <= set(name_words(name))]
    order = {pid: i for i, pid in enumerate(hits)}
    return sorted(out, key=order.__getitem__)[:limit]


def _live_names(conn: Connection, ids: list[int]) -> list[tuple[int, str]]:
    t = Person.__table__.c
    out: list[tuple[int, str]] = []
    for start in range(0, len(ids), 500):
        out.extend((int(r.id), r.name) for r in conn.execute(
            select(t.id, t.name).where(t.id.in_(ids[start:start + 500]), t.merged_into_id.is_(None),
                                       t.erased_at.is_(None))))
    return out


def likely_matches(conn: Connection, name: Optional[str], address: Optional[str], phone: Optional[str],
                   email: Optional[str], *, min_score: int, limit: int = 3, per_key: int = 50,
                   region: str = DEFAULT_REGION) -> list[tuple[int, Any]]:
    """(person id, Match) of live persons likely to be this one (a new party being typed), best first.

    The phone as typed is first normalised as the new person would keep it (read in `region`), so
    "087 123 4567" on an Irish desk meets +353871234567. Candidates are the holders of the same
    blocking keys (at most `per_key` each), scored like `people duplicates` scores a pair.
    """
    from deskapp.core.person_match import score

    kept = normalise_phone(phone, region)
    phone = kept.value if kept else None
    keys = sorted(k for k in keys_of(name, address, phone, email) if k[:2] in BLOCKING_KINDS)
    ids: set[int] = set()
    for key in keys:
        ids.update(persons_with_key(conn, key, per_key))
    if not ids:
        return []
    me = points_of(name, address, phone, email)
    scored = [(pid, score(me, points)) for pid, (_row, points) in person_points(conn, ids).items()]
    scored = [(pid, match) for pid, match in scored if match.score >= min_score]
    scored.sort(key=lambda item: (-item[1].score, item[0]))
    return scored[:limit]
