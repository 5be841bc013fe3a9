"""Finding cases by what a handler remembers: a ref, a name, a phone number, words from a call.

One search document per case, kept in a full-text index:
    ref    the case reference
    names  every party's name, organisation, email and phone (also as bare digits,
           so 07700900123 finds "07700 900 123")
    body   the case title and every contact's summary and body
SQLite uses an FTS5 table (`case_search`, rowid = case id); PostgreSQL a
`case_search` table holding a tsvector per case with a GIN index. The action
layer calls `index_case` in the same transaction as every write that changes
a case's parties, contacts, ref or title, so the index never lags the data;
bulk loaders call `rebuild`.

The handler's text is untrusted and never reaches the engine as query syntax:
it is split into words, and each word becomes a quoted phrase (FTS5) or
quoted lexemes (PostgreSQL). Quotes, operators (AND, OR, NOT, NEAR), `*`,
`^`, column filters and control characters are all just text. Every word
must match somewhere in the case; a word of three or more letters also
matches as a prefix ("smi" finds Smith), so results appear as the handler types.

Ranking (the "relevance" sort): the case whose ref was typed exactly, then
cases where every word is in the ref or a party's details, then the rest;
newest first within each tier. With `last` (the desk passes "closed"), the
cases matching it come after all the others, tier by tier again: a search
covers every status, but a handler looks for live work first. Each tier reads the index in case-id order and
stops after SEARCH_LIMIT matches, so a common word costs the same as a rare
one; `SearchHits.truncated` says when there were more.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from sqlalchemy import Connection, Engine, case, column, literal_column, select, table, text
from sqlalchemy.sql import ColumnElement, TableClause

# At most this many cases are returned for one search (the queue says "showing the first N").
SEARCH_LIMIT = 1000
# Words shorter than this match whole tokens only; prefix matching on one or two
# letters would expand to most of the vocabulary.
PREFIX_MIN = 3
# Longest query text considered (a pasted letter is not a search).
MAX_QUERY = 200
MAX_WORDS = 12
# A search ranking some cases last reads each tier once, up to this many times the limit, and
# splits it as it goes: a second full-text query would cost the index's whole lookup again
# (about 15 ms for a prefix like "adams*" on a million cases, however few rows it returns).
SPLIT_READ = 20
# Page cache for `rebuild` on SQLite (KiB); only for that connection, only while it runs.
REBUILD_CACHE_KIB = 256 * 1024

SEARCH_TABLE = "case_search"
_SQLITE_SHADOWS = ("_data", "_idx", "_content", "_docsize", "_config")
_PG_INDEX = "ix_case_search_doc"

# ASCII punctuation becomes a space before PostgreSQL sees text (documents and queries alike):
# its parser would otherwise keep emails and "C-1001" as odd single tokens ("-1001").
_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_PG_TRANSLATE = (_PUNCT, " " * len(_PUNCT))
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TOKEN = re.compile(r"[^\W_]+")


def is_search_table(name: str) -> bool:
    """True for the search index's own tables (and SQLite's FTS5 shadow tables).

    They are not SQLModel tables, so schema comparisons (Alembic autogenerate)
    should skip them: use this in `include_object`/`include_name`.
    """
    return name == SEARCH_TABLE or any(name == SEARCH_TABLE + s for s in _SQLITE_SHADOWS)


# --- creating the index --------------------------------------------------------------------


def install(conn: Connection) -> None:
    """Create the search index's tables if missing (used by the migration; safe to repeat)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} USING fts5("
            "ref, names, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {SEARCH_TABLE} ("
            "case_id INTEGER PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE, "
            "doc TSVECTOR NOT NULL)"
        )
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {_PG_INDEX} ON {SEARCH_TABLE} USING gin (doc)")


def uninstall(conn: Connection) -> None:
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {SEARCH_TABLE}")


# The three document fields, per engine, for the case aliased `c`.
_SQLITE_NAMES = """(SELECT group_concat(
        coalesce(p.name, '') || ' ' || coalesce(p.organisation, '') || ' ' || coalesce(p.email, '') || ' '
        || coalesce(p.phone, '') || ' '
        || replace(replace(replace(replace(replace(coalesce(p.phone, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''),
        ' ') FROM parties p WHERE p.case_id = c.id)"""
_SQLITE_BODY = """c.title || ' ' || coalesce((SELECT group_concat(t.summary || ' ' || coalesce(t.body, ''), ' ')
        FROM contacts t WHERE t.case_id = c.id), '')"""
_SQLITE_INSERT = f"""INSERT INTO {SEARCH_TABLE} (rowid, ref, names, body)
    SELECT c.id, c.ref, coalesce({_SQLITE_NAMES}, ''), {_SQLITE_BODY} FROM cases c"""

_PG_NAMES = """coalesce((SELECT string_agg(
        coalesce(p.name, '') || ' ' || coalesce(p.organisation, '') || ' ' || coalesce(p.email, '') || ' '
        || coalesce(p.phone, '') || ' ' || regexp_replace(coalesce(p.phone, ''), '[^0-9]', '', 'g'),
        ' ') FROM parties p WHERE p.case_id = c.id), '')"""
_PG_BODY = """c.title || ' ' || coalesce((SELECT string_agg(t.summary || ' ' || coalesce(t.body, ''), ' ')
        FROM contacts t WHERE t.case_id = c.id), '')"""


def _pg_vector(expr: str) -> str:
    return f"to_tsvector('simple', translate(lower({expr}), %(punct)s, %(spaces)s))"


_PG_DOC = (f"setweight({_pg_vector(chr(99) + '.ref || ' + repr(' ') + ' || ' + _PG_NAMES)}, 'A')"
           f" || setweight({_pg_vector(_PG_BODY)}, 'D')")
_PG_INSERT = f"INSERT INTO {SEARCH_TABLE} (case_id, doc) SELECT c.id, {_PG_DOC} FROM cases c"
_PG_PARAMS = {"punct": _PUNCT, "spaces": " " * len(_PUNCT)}


def index_case(session, case_id: int) -> None:
    """Re-read one case's ref, parties and contacts into the index, in the caller's transaction.

    Call it after any write that adds or changes parties, contacts, the ref or
    the title (the action layer does). A case that no longer exists is removed.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DELETE FROM {SEARCH_TABLE} WHERE rowid = ?", (case_id,))
        conn.exec_driver_sql(_SQLITE_INSERT + " WHERE c.id = ?", (case_id,))
    else:
        conn.exec_driver_sql(f"DELETE FROM {SEARCH_TABLE} WHERE case_id = %(id)s", {"id": case_id})
        conn.exec_driver_sql(_PG_INSERT + " WHERE c.id = %(id)s", {**_PG_PARAMS, "id": case_id})


def rebuild(engine_or_conn) -> int:
    """Rebuild the whole index from the cases, parties and contacts tables; returns cases indexed.

    For bulk loads (the demo): one INSERT ... SELECT, in one transaction.
    """
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.begin() as conn:
            return _rebuild(conn)
    return _rebuild(engine_or_conn)


def _rebuild(conn: Connection) -> int:
    if conn.dialect.name == "sqlite":
        # Dropping is far quicker than deleting a million documents one by one.
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {SEARCH_TABLE}")
        install(conn)
        # A big page cache for this bulk insert only (the index's segments are merged in memory).
        saved = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql(f"PRAGMA cache_size = -{REBUILD_CACHE_KIB}")
        try:
            conn.exec_driver_sql(_SQLITE_INSERT)
            # Merge the index's segments now rather than during the first searches.
            conn.exec_driver_sql(f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}) VALUES ('optimize')")
        finally:
            conn.exec_driver_sql(f"PRAGMA cache_size = {int(saved)}")
    else:
        install(conn)
        conn.exec_driver_sql(f"TRUNCATE {SEARCH_TABLE}")
        conn.exec_driver_sql(_PG_INSERT, _PG_PARAMS)
        conn.exec_driver_sql(f"ANALYZE {SEARCH_TABLE}")
    return int(conn.exec_driver_sql("SELECT count(*) FROM cases").scalar_one())


# --- turning a handler's text into a query ---------------------------------------------------


def clean(text_: object) -> str:
    """The query text with control characters removed, Unicode normalised and length capped."""
    value = "" if text_ is None else str(text_)
    value = unicodedata.normalize("NFKC", _CONTROL.sub(" ", value))
    return " ".join(value.split())[:MAX_QUERY]


def words(text_: object) -> list[str]:
    """The handler's words that contain at least one letter or digit (at most MAX_WORDS)."""
    return [w for w in clean(text_).split(" ") if _TOKEN.search(w)][:MAX_WORDS]


def _prefixable(word: str) -> bool:
    tokens = _TOKEN.findall(word)
    return bool(tokens) and len(tokens[-1]) >= PREFIX_MIN


def fts5_query(text_: object, columns: Optional[Sequence[str]] = None) -> Optional[str]:
    """An FTS5 MATCH expression finding every word; None if there is nothing to search for.

    Each word is one double-quoted string (FTS5 tokenises it like the
    documents, so "C-1001" is the phrase c 1001), inner quotes doubled.
    Nothing the handler types can be read as an operator or column name.
    """
    found = words(text_)
    if not found:
        return None
    parts = ['"' + w.replace('"', '""') + '"' + ("*" if _prefixable(w) else "") for w in found]
    expr = " AND ".join(parts)
    if columns:
        expr = "{" + " ".join(columns) + "} : (" + expr + ")"
    return expr


def pg_query(text_: object, weight: str = "") -> Optional[str]:
    """A to_tsquery('simple', ...) string finding every word; None if there is nothing to search for.

    Words are reduced to letters and digits (as the documents are), each piece
    single-quoted; pieces of one word must be adjacent (<->).
    """
    pieces = []
    for word in words(text_):
        tokens = _TOKEN.findall(word.lower().translate(str.maketrans(*_PG_TRANSLATE)))
        if not tokens:
            continue
        lexemes = [f"'{t}'" + (f":{weight}" if weight else "") for t in tokens[:-1]]
        flags = ("*" if len(tokens[-1]) >= PREFIX_MIN else "") + weight
        lexemes.append(f"'{tokens[-1]}'" + (f":{flags}" if flags else ""))
        pieces.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(pieces) if pieces else None


# --- searching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHits:
    ids: tuple[int, ...]  # best first
    exact_id: Optional[int] = None  # the case whose ref is exactly the text typed
    truncated: bool = False  # more cases matched than were returned
    persons: tuple[int, ...] = ()  # the persons the text reads as (their cases are among `ids`)
    more_persons: bool = False  # more persons read so than `persons` holds (a phone shared by many)


_FTS = table(SEARCH_TABLE, column("rowid"), column("case_id"), column("doc"))
# The columns of `cases` a search reads; the queue passes its own table (with its index hints) instead.
_CASES = table("cases", column("id"), column("ref"), column("erased_at"))
_PARTIES = table("parties", column("case_id"), column("person_id"))


def find(conn: Connection, text_: object, *, where: Iterable[ColumnElement] = (),
         cases_table: Optional[TableClause] = None, limit: int = SEARCH_LIMIT,
         last: Optional[ColumnElement] = None, persons: bool = True) -> SearchHits:
    """Cases matching the handler's text and the `where` terms (on `cases_table`), best first.

    Cases matching `last` (a term on `cases_table`) rank below all others,
    except the case whose ref was typed exactly, which is always first.
    With `persons` (and no ref typed), text that reads as a person (a phone in
    any format, an email, a postcode, a full name: deskapp.store.people_index)
    also finds that person's cases, ranked after the ref and before the text
    matches; `SearchHits.persons` names them.
    """
    cases = cases_table if cases_table is not None else _CASES
    conds = list(where)
    ids: list[int] = []
    seen: set[int] = set()

    def add(found: Iterable[int]) -> bool:
        """Add new ids while there is room; True if a new one found no room (there are more)."""
        for case_id in found:
            if case_id not in seen:
                if len(ids) >= limit:
                    return True
                seen.add(case_id)
                ids.append(case_id)
        return False

    typed = clean(text_)
    exact_id = None
    if typed and " " not in typed:
        exact_id = conn.execute(
            select(cases.c.id).where(cases.c.ref.in_(sorted({typed, typed.upper()})), *conds).limit(1)
        ).scalar()
        if exact_id is not None:
            add([exact_id])

    sqlite = conn.dialect.name == "sqlite"
    who: tuple[int, ...] = ()
    more_who = False
    if persons and exact_id is None and typed:
        from deskapp.store.people_index import queue_persons

        from deskapp.store.people_index import QUEUE_PERSONS

        who = tuple(queue_persons(conn, str(text_), QUEUE_PERSONS + 1))
        more_who, who = len(who) > QUEUE_PERSONS, who[:QUEUE_PERSONS]

    def person_cases() -> tuple[list[int], list[int]]:
        """The cases of the persons found (newest first) as (the others, the `last` ones)."""
        p = _PARTIES.c
        flag = case((last, 1), else_=0) if last is not None else literal_column("0")
        rows = conn.execute(select(cases.c.id, flag).select_from(_PARTIES.join(cases, cases.c.id == p.case_id))
                            # An erased case keeps its links, not its people: a person no longer finds it.
                            .where(p.person_id.in_(who), cases.c.erased_at.is_(None), *conds)
                            .order_by(cases.c.id.desc())
                            .limit(2 * limit + 2)).all()
        return [int(r[0]) for r in rows if not r[1]], [int(r[0]) for r in rows if r[1]]

    def statement(tier: str, extra: Sequence[ColumnElement], flagged: bool, before: Optional[int], rows: int):
        """Up to `rows` matches of a tier, newest first (with `flagged`: (id, matches `last`)), only
        those older than case `before` if given (a bound on the index's own key: a range read)."""
        if sqlite:
            expr = fts5_query(typed, ("ref", "names") if tier == "names" else None)
            match = text(f"{SEARCH_TABLE} MATCH :q")
            key = _FTS.c.rowid
        else:
            expr = pg_query(typed, "A" if tier == "names" else "")
            match = text(f"{SEARCH_TABLE}.doc @@ to_tsquery('simple', :q)")
            key = _FTS.c.case_id
        if expr is None:
            return None
        columns = (cases.c.id, case((last, 1), else_=0)) if flagged else (cases.c.id,)
        bound = () if before is None else (key < before,)
        return (select(*columns).select_from(_FTS.join(cases, cases.c.id == key))
                .where(match.bindparams(q=expr), *bound, *conds, *extra).order_by(key.desc()).limit(rows))

    def read(tier: str, extra: Sequence[ColumnElement], before: Optional[int] = None) -> list[int]:
        stmt = statement(tier, extra, False, before, limit + 1)
        return [] if stmt is None else list(conn.execute(stmt).scalars())

    def split(tier: str) -> tuple[list[int], Optional[list[int]]]:
        """A tier's matches as (the others, the `last` ones), read once and newest first.

        Stops as soon as the others overflow the limit (the `last` ones could then add
        nothing); the `last` ones are None when the read stopped before the tier's end.
        """
        rows = (limit + 1) * SPLIT_READ
        stmt = statement(tier, (), True, None, rows)
        if stmt is None:
            return [], []
        others: list[int] = []
        lasts: list[int] = []
        seen, oldest = 0, None
        result = conn.execute(stmt.execution_options(stream_results=True))
        try:
            for case_id, is_last in result:
                seen, oldest = seen + 1, case_id
                if not is_last:
                    others.append(case_id)
                    if len(others) > limit:
                        return others, None
                elif len(lasts) <= limit:
                    lasts.append(case_id)
        finally:
            result.close()
        if seen < rows:
            return others, lasts
        # Read to the cap with room left: the others go on from there, the `last` ones wait.
        return others + read(tier, (~last,), before=oldest), None

    truncated = False
    # The `last` cases of each tier, held back until every other match is in; None: read them then.
    held: list[tuple[str, Optional[list[int]]]] = []
    if who:
        others, lasts = person_cases()
        truncated = add(others)
        held.append(("persons", lasts))
    for tier in ("names", "all"):
        if truncated:
            break  # the list is full and there are more: a later tier could add nothing (a common surname)
        if last is None:
            found = read(tier, ())
        else:
            found, lasts = split(tier)
            held.append((tier, lasts))
        truncated = add(found[:limit]) or len(found) > limit
    for tier, later in held:
        if truncated:
            break
        found = later if later is not None else read(tier, (last,))
        truncated = add(found[:limit]) or len(found) > limit
    return SearchHits(tuple(ids), exact_id, truncated, who, more_who)


def search_case_ids(engine: Engine, text_: object, limit: int = SEARCH_LIMIT, persons: bool = False) -> list[int]:
    """Ids of cases matching `text_` (any status), best first. For scripts; the desk uses the Queue.

    The text alone, unless `persons` (the desk's reading of it as persons too: it needs the
    person_keys table, which a database before migration people2 lacks)."""
    with engine.connect() as conn:
        return list(find(conn, text_, limit=limit, persons=persons).ids)


__all__ = [
    "SEARCH_LIMIT",
    "SEARCH_TABLE",
    "SearchHits",
    "clean",
    "find",
    "fts5_query",
    "index_case",
    "install",
    "is_search_table",
    "pg_query",
    "rebuild",
    "search_case_ids",
    "uninstall",
    "words",
]
