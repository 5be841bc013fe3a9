"""The case queue: the cases a handler is looking at, read from SQL a page at a time.

A desk may hold a million cases, so the queue never loads them all. The view
asks for rows by position (`rows(start, stop)`) and this module answers from a
small cache of pages, reading a missing page with *keyset* pagination: the next
page is "the first 100 rows after the last row of the page before", which an
index answers in a millisecond wherever it is in the list, where OFFSET would
walk every row before it. End is the same query run backwards from the end.

Order and NULLs. Sorting by due date puts cases without a due date last
("nulls last") on both SQLite and PostgreSQL. SQLite keeps NULLs first in its
indexes, so rather than an ORDER BY that would need a sort, each sort is split
into *runs* that an index answers in order: for "due", the dated cases by
(due_at, id), then the undated ones by id; for "priority", the same two runs
inside each priority. A page that crosses a run boundary simply reads from
the next run.

Indexes. Every sort/filter combination is answered by an index on both
engines (tests/queue/test_plans.py checks the query plans). The usual queue
(open cases only) reads partial indexes over open cases, so a desk with a
million mostly-closed cases works at the speed of its open ones. On SQLite the
index is chosen here (INDEXED BY), because SQLite's planner, unlike
PostgreSQL's, prefers "filter, then sort everything" even when the LIMIT makes
walking the sort's index far cheaper.

Listed mode. A search, a small result (at most SMALL_SET rows), or a filter
the sort's index cannot answer by itself (a kind or category on a sort other
than due date) matching at most LIST_LIMIT rows is read once as an ordered
array of ids through the filter's index; pages are then read by id. Walking
the sort's index instead would pass over (and look up) many non-matching
cases per page. The sort indexes carry status, assignee and due date after
their key, so "mine", status and overdue/due-soon filters are checked on the
index entry on every sort, even where they correlate with the order ("closed,
newest first" passes half a million open entries, cheaply).

All functions are synchronous and may block: the desk calls them from worker
threads. A Queue is safe to share between threads.

The desk's first screen is read before SQLAlchemy is loaded (deskapp.store.
first_page) with this module's own statements for the usual queue, compiled
to SQL text ahead of time: see usual_queue_statements and first_page_gen.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Sequence, Union

from sqlalchemy import (
    Engine,
    Integer,
    bindparam,
    case,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, TableClause

from deskapp.core.due import DUE_SOON_WORKING_DAYS, due_soon_until
from deskapp.store.models import Case, Handler, Party

if TYPE_CHECKING:  # the row type lives with the other views; imported late to keep store below actions
    from deskapp.core.views import QueueRow

PAGE_SIZE = 100
CACHE_PAGES = 50
# A page this close to a cached one is reached by keyset steps rather than a positional jump.
NEAR_PAGES = 10
# At or below this many matching cases the whole ordered list of ids is read at once.
SMALL_SET = 2000
# ... and up to this many when the sort's index cannot answer the filter by itself
# (a kind or category on a sort other than due date): below this the filter matches
# so few cases that walking the sort's index would pass over (and look up) thousands
# of others per page; one sort of the filtered rows is cheaper.
LIST_LIMIT = 20_000

SORTS = ("due", "priority", "received", "ref", "relevance")
SORT_LABELS = {
    "due": "due date",
    "priority": "priority",
    "received": "newest first",
    "ref": "reference",
    "relevance": "best match",
}
# Party roles whose name is shown as the queue's "customer".
CUSTOMER_ROLES = ("customer", "resident")


# --- the cases table, with SQLite index hints ---------------------------------------------


class _CasesTable(TableClause):
    """The `cases` table for queue queries; honours `with_hint(..., "INDEXED BY ix", "sqlite")`.

    SQLAlchemy's SQLite dialect ignores table hints; this class renders them,
    and only for queue queries (nobody else uses this table object).
    """

    inherit_cache = True


@compiles(_CasesTable)
def _render_cases(element, compiler, **kw):
    text = compiler.visit_table(element, **kw)
    hints = kw.get("fromhints")
    if kw.get("asfrom") and hints and element in hints and compiler.dialect.name == "sqlite":
        text += " " + hints[element]
    return text


CASES = _CasesTable("cases", *(column(c.name, c.type) for c in Case.__table__.columns))
C = CASES.c
# A literal (not a bound parameter) so both engines see it matches the partial indexes' WHERE.
OPEN = C.status != literal_column("'closed'")
CLOSED = C.status == literal_column("'closed'")
# V: the case's own flag, or a person on it marked vulnerable (denormalised: deskapp.store.person_flags).
VULNERABLE_TERM = or_(C.vulnerable, C.person_vulnerable)
VULNERABLE = VULNERABLE_TERM.label("vulnerable")
_ROW_COLUMNS = (C.id, C.ref, C.kind, C.category, C.title, C.stage, C.status, C.priority, VULNERABLE,
                C.received_at, C.due_at, C.assigned_to_id)
_PARTIES = Party.__table__
_HANDLERS = Handler.__table__
_USERNAMES = select(_HANDLERS.c.id, _HANDLERS.c.username)


# --- what the handler asked for ----------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """Which cases the queue shows. All given conditions must hold (AND).

    mine        username: only cases assigned to them (an unknown name matches nothing)
    overdue     due_at before now
    due_soon    due from now until the end of the 2nd working day after today
                (weekends skipped; bank holidays too if the Queue is given the
                calendar). overdue and due_soon together mean "overdue or due soon".
    statuses    any of these statuses; when given they replace open_only, so
                ("closed",) shows closed cases
    kinds       any of these case kinds
    category    exactly this category
    vulnerable  only cases marked vulnerable, or with a person on them who is (V in the queue)
    open_only   leave out closed cases (the default)
    search      words to find in refs, party names and contact text (deskapp.store.search)
    closed_last with search: closed cases come after all open ones, in every
                sort (the desk's search covers every status this way)
    """

    mine: Optional[str] = None
    overdue: bool = False
    due_soon: bool = False
    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    category: Optional[str] = None
    vulnerable: bool = False
    open_only: bool = True
    search: Optional[str] = None
    closed_last: bool = False

    def __post_init__(self) -> None:
        # Accept any iterable (sets from a form); keep a stable, hashable order.
        object.__setattr__(self, "statuses", tuple(sorted(set(self.statuses or ()))))
        object.__setattr__(self, "kinds", tuple(sorted(set(self.kinds or ()))))
        search = (self.search or "").strip()
        object.__setattr__(self, "search", search or None)
        if self.category is not None and not self.category.strip():
            object.__setattr__(self, "category", None)

    @property
    def excludes_closed(self) -> bool:
        return ("closed" not in self.statuses) if self.statuses else self.open_only


# --- sort orders as runs -----------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """One stretch of a sort order: the rows matching `where`, ordered by `key` (an index's order)."""

    name: str
    where: Optional[ColumnElement]
    key: tuple[ColumnElement, ...]
    desc: bool = False


_DATED = _Part("dated", C.due_at.is_not(None), (C.due_at, C.id))
_UNDATED = _Part("undated", C.due_at.is_(None), (C.id,))
_REF_KEY = (func.length(C.ref), C.ref)


@dataclass(frozen=True)
class _SortSpec:
    """A sort: rows grouped by `group` (ascending, if any), each group read as `parts` in turn."""

    name: str
    parts: tuple[_Part, ...]
    group: Optional[ColumnElement] = None
    # The whole order as plain ORDER BY terms, for small lists and for tests.
    order: tuple[ColumnElement, ...] = ()


_NULLS_LAST = case((C.due_at.is_(None), 1), else_=0)
_SORT_SPECS = {
    "due": _SortSpec("due", (_DATED, _UNDATED), order=(_NULLS_LAST, C.due_at, C.id)),
    "priority": _SortSpec("priority", (_DATED, _UNDATED), group=C.priority,
                          order=(C.priority, _NULLS_LAST, C.due_at, C.id)),
    "received": _SortSpec("received", (_Part("all", None, (C.received_at, C.id), desc=True),),
                          order=(C.received_at.desc(), C.id.desc())),
    "ref": _SortSpec("ref", (_Part("all", None, _REF_KEY),), order=(*_REF_KEY,)),
}


def order_by(sort: str) -> tuple[ColumnElement, ...]:
    """The full order of `sort` as ORDER BY terms on CASES (used for small lists and by the tests)."""
    if sort == "relevance":
        sort = "due"
    return _SORT_SPECS[sort].order


def _key_terms(part: _Part, key: tuple) -> tuple[ColumnElement, ColumnElement]:
    """(the part's key columns, `key` as literals): the two sides of a keyset comparison.

    Put the comparison *first* in a WHERE: SQLite takes the first term it finds
    as an index range's bound, so after `due_at < :now` it would walk every
    overdue entry and test `(due_at, id) < (...)` on each, instead of stopping
    at the key (a count of the 38 rows before a case cost 30-70 ms, not 0.1).
    PostgreSQL does not care about the order.
    """
    if len(part.key) == 1:
        return part.key[0], literal(key[0], part.key[0].type)
    return tuple_(*part.key), tuple_(*(literal(v, c.type) for v, c in zip(key, part.key)))


def _key_of(part: _Part, row: Any) -> tuple:
    if part.key is _REF_KEY:
        return (len(row.ref), row.ref)
    return tuple(getattr(row, col.name) for col in part.key)


# A run is (group value or None, index of the part); a position is (run, key of a row in it).
Run = tuple[Optional[int], int]
Position = tuple[Run, tuple]


# --- the queue -------------------------------------------------------------------------


Clock = Callable[[], datetime]


class _Shared:
    """What queues derived from one another share: the engine, handler names, index names."""

    def __init__(self, engine: Optional[Engine], indexes: Optional[frozenset[str]] = None):
        self.engine = engine
        self.lock = threading.Lock()
        self._usernames: Optional[dict[int, str]] = None
        self._ids: Optional[dict[str, int]] = None
        self._indexes: Optional[frozenset[str]] = indexes

    def handlers(self) -> tuple[dict[int, str], dict[str, int]]:
        with self.lock:
            if self._usernames is None:
                with self.engine.connect() as conn:
                    pairs = conn.execute(_USERNAMES).all()
                self._usernames = {hid: name for hid, name in pairs}
                self._ids = {name: hid for hid, name in pairs}
            return self._usernames, self._ids  # type: ignore[return-value]

    def indexes(self) -> frozenset[str]:
        """Names of the indexes on cases (SQLite only: the ones we may name in INDEXED BY)."""
        with self.lock:
            if self._indexes is None:
                if self.engine.dialect.name != "sqlite":
                    self._indexes = frozenset()
                else:
                    with self.engine.connect() as conn:
                        names = conn.exec_driver_sql(
                            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases'"
                        ).scalars().all()
                    self._indexes = frozenset(names)
            return self._indexes

    def forget(self) -> None:
        with self.lock:
            self._usernames = self._ids = self._indexes = None


class Queue:
    """The cases matching `filter`, in `sort` order, readable by position.

    count()              how many cases match (cached)
    rows(start, stop)    QueueRows at positions start..stop-1 (reads missing pages)
    cached(i)            the row at position i if already read, else None (never touches the DB)
    index_of(case_id)    where a case is in this queue, or None if it is not in it
    with_query(...)      a queue over the same database with another filter/sort
    invalidate()         forget cached rows and counts (after a write)

    `now` fixes "overdue" and "due soon" when the queue is made; it may be a
    datetime or a clock function (then read at construction). `me` is the
    desk's handler: `query_from_filters` uses it for "mine".
    """

    def __init__(
        self,
        engine: Engine,
        filter: Optional[QueueFilter] = None,
        sort: str = "due",
        now: Union[datetime, Clock, None] = None,
        *,
        me: Optional[str] = None,
        page_size: int = PAGE_SIZE,
        cache_pages: int = CACHE_PAGES,
        small_set: int = SMALL_SET,
        list_limit: int = LIST_LIMIT,
        is_working_day: Optional[Callable[[date], bool]] = None,
        _shared: Optional[_Shared] = None,
    ) -> None:
        if sort not in SORTS:
            raise ValueError(f"unknown queue sort {sort!r}: use one of {', '.join(SORTS)}")
        if page_size < 1 or cache_pages < 2:
            raise ValueError("page_size must be >= 1 and cache_pages >= 2")
        self.filter = filter or QueueFilter()
        if sort == "relevance" and not self.filter.search:
            sort = "due"
        self.sort = sort
        self._clock: Optional[Clock] = now if callable(now) else None
        self.now: datetime = (now() if callable(now) else now) or datetime.now().replace(microsecond=0)
        self.me = me
        self.page_size = page_size
        self.cache_pages = cache_pages
        self.small_set = small_set
        self.list_limit = list_limit
        self.is_working_day = is_working_day
        self._shared = _shared or _Shared(engine)
        self.engine = self._shared.engine
        self._lock = threading.RLock()
        self._spec = _SORT_SPECS["due" if sort == "relevance" else sort]
        self._reset()

    def _reset(self) -> None:
        self._count: Optional[int] = None
        self._pages: OrderedDict[int, list[tuple[QueueRow, Position]]] = OrderedDict()
        self._ids: Optional[array] = None  # listed mode: every matching id, in order
        self._run_sizes: Optional[list[tuple[Run, int]]] = None
        self.truncated = False  # search mode: more matches than search.SEARCH_LIMIT
        self.exact_id: Optional[int] = None  # search mode: the case whose ref was typed exactly
        self.persons: tuple[int, ...] = ()  # search mode: the persons the text reads as (their cases are in it)
        self.more_persons = False  # search mode: more persons than `persons` holds

    def __repr__(self) -> str:
        return f"Queue(sort={self.sort!r}, filter={self.filter!r})"

    # --- derived queues ---------------------------------------------------

    def with_query(self, filter: Optional[QueueFilter] = None, sort: Optional[str] = None,
                   now: Union[datetime, Clock, None] = None) -> "Queue":
        """Another filter/sort on the same database (handler names and index list are shared)."""
        return Queue(
            self.engine,
            filter if filter is not None else self.filter,
            sort or self.sort,
            now if now is not None else (self._clock or self.now),  # a fixed time stays fixed
            me=self.me,
            page_size=self.page_size,
            cache_pages=self.cache_pages,
            small_set=self.small_set,
            list_limit=self.list_limit,
            is_working_day=self.is_working_day,
            _shared=self._shared,
        )

    def invalidate(self) -> None:
        """Forget rows, counts and handler names; the next read goes to the database."""
        with self._lock:
            self._reset()
        self._shared.forget()

    # --- SQL pieces -----------------------------------------------------------

    def conditions(self) -> list[ColumnElement]:
        """The filter as WHERE terms on CASES (search excluded: see deskapp.store.search)."""
        f = self.filter
        out: list[ColumnElement] = []
        if f.statuses:
            out.append(_one_of(C.status, f.statuses))
        if f.excludes_closed:
            out.append(OPEN)  # also lets SQLite and PostgreSQL use the open-cases partial indexes
        if f.mine is not None:
            _names, ids = self._shared.handlers()
            # An unknown name matches nothing (count() answers 0 without asking); -1 is never an id.
            out.append(C.assigned_to_id == ids.get(f.mine, -1))
        if f.kinds:
            out.append(_one_of(C.kind, f.kinds))
        if f.category is not None:
            out.append(C.category == f.category)
        if f.vulnerable:
            out.append(VULNERABLE_TERM)
        if f.overdue or f.due_soon:
            soon = due_soon_until(self.now, is_working_day=self.is_working_day)
            if f.overdue and f.due_soon:
                out.append(C.due_at < soon)
            elif f.overdue:
                out.append(C.due_at < self.now)
            else:
                out.extend((C.due_at >= self.now, C.due_at < soon))
        return out

    def _hinted(self, stmt, index: Optional[str]):
        if index and index in self._shared.indexes():
            return stmt.with_hint(CASES, f"INDEXED BY {index}", "sqlite")
        return stmt

    def _open_or(self, open_name: str, full_name: str) -> str:
        return open_name if self.filter.excludes_closed else full_name

    def _filter_index(self) -> Optional[str]:
        """The index that narrows the filter best (for counts); None lets the engine choose."""
        f = self.filter
        if f.mine is not None:
            return self._open_or("ix_cases_open_assigned", "ix_cases_assigned_due")
        if f.category is not None:
            return self._open_or("ix_cases_open_category", "ix_cases_category_due")
        if f.vulnerable:
            return self._open_or("ix_cases_open_vulnerable", "ix_cases_vulnerable")
        if len(f.statuses) == 1:
            return "ix_cases_status_due"
        if f.kinds:
            return self._open_or("ix_cases_open_kind", "ix_cases_kind_due")
        if f.overdue or f.due_soon:
            return self._open_or("ix_cases_open_due", "ix_cases_due")
        if f.statuses:
            return "ix_cases_status_due"
        if f.excludes_closed:
            return "ix_cases_open_due"
        return None

    def _order_index(self, part: _Part) -> Optional[str]:
        return self._order_plan(part)[0]

    def _order_plan(self, part: _Part) -> tuple[Optional[str], frozenset[str]]:
        """The index that reads `part` of this sort in order, and which filter terms it answers itself.

        Terms it does not answer are checked row by row as the index is
        walked (one table lookup per row passed over).
        """
        f = self.filter
        name = self._spec.name
        opened = {"open"} if f.excludes_closed else set()
        # The sort indexes carry status, assigned_to_id (and, for received/ref, due_at) after their key (queue2).
        if name == "priority":
            return (self._open_or("ix_cases_open_priority", "ix_cases_priority_due"),
                    frozenset(opened | {"due_range", "status", "mine"}))
        if name == "due":
            # (X, due_at, id) indexes give both the filter and the order.
            if f.mine is not None:
                return (self._open_or("ix_cases_open_assigned", "ix_cases_assigned_due"),
                        frozenset(opened | {"mine", "due_range"}))
            if f.category is not None:
                return (self._open_or("ix_cases_open_category", "ix_cases_category_due"),
                        frozenset(opened | {"category", "due_range"}))
            if f.vulnerable:
                return (self._open_or("ix_cases_open_vulnerable", "ix_cases_vulnerable"),
                        frozenset(opened | {"vulnerable", "due_range", "status", "mine"}))
            if len(f.statuses) == 1:
                return "ix_cases_status_due", frozenset({"status", "open", "due_range"})
            if len(f.kinds) == 1:
                return (self._open_or("ix_cases_open_kind", "ix_cases_kind_due"),
                        frozenset(opened | {"kind", "due_range"}))
            return (self._open_or("ix_cases_open_due", "ix_cases_due"),
                    frozenset(opened | {"due_range", "status", "mine"}))
        covered = frozenset(opened | {"status", "due_range", "mine"})
        if name == "received":
            return self._open_or("ix_cases_open_received", "ix_cases_received"), covered
        return self._open_or("ix_cases_open_ref", "ix_cases_ref_natural"), covered

    def _needed_terms(self) -> frozenset[str]:
        f = self.filter
        terms = set()
        if f.statuses:
            terms.add("status")
        elif f.open_only:
            terms.add("open")
        if f.mine is not None:
            terms.add("mine")
        if f.kinds:
            terms.add("kind")
        if f.category is not None:
            terms.add("category")
        if f.vulnerable:
            terms.add("vulnerable")
        if f.overdue or f.due_soon:
            terms.add("due_range")
        return frozenset(terms)

    @property
    def residual(self) -> frozenset[str]:
        """Filter terms the sort's index cannot answer (checked row by row while walking it)."""
        needed = self._needed_terms()
        missing: set[str] = set()
        for part in self._spec.parts:
            missing |= needed - self._order_plan(part)[1]
        return frozenset(missing)

    def _count_index(self, part: Optional[_Part]) -> Optional[str]:
        """The index for counting rows of a run (positions, jumps).

        Normally the sort's own index; when it cannot answer the whole filter,
        the filter's index, which visits only matching rows instead of every row.
        """
        if self.residual and self._filter_index() is not None:
            return self._filter_index()
        return self._group_index() if part is None else self._order_index(part)

    def _group_index(self) -> Optional[str]:
        return self._open_or("ix_cases_open_priority", "ix_cases_priority_due")

    # --- counting -------------------------------------------------------------

    def count(self) -> int:
        """How many cases match. Search and small filters also read their ordered ids here."""
        with self._lock:
            if self._count is None:
                self._count = self._compute_count()
            return self._count

    def _compute_count(self) -> int:
        if self.filter.mine is not None and self.filter.mine not in self._shared.handlers()[1]:
            self._ids = array("q")
            return 0
        if self.filter.search:
            self._load_search()
            return len(self._ids or ())
        with self.engine.connect() as conn:
            total = int(conn.execute(self._count_statement()).scalar_one())
        if total <= self.small_set or (total <= self.list_limit and self.residual):
            # Small, or the sort's index would have to skip many rows per page: read the ordered
            # ids once through the filter's index instead (a sort of at most list_limit rows).
            self._load_ids()
            return len(self._ids or ())
        return total

    def _count_statement(self):
        stmt = select(func.count()).select_from(CASES).where(*self.conditions())
        return self._hinted(stmt, self._filter_index())

    @property
    def known_count(self) -> Optional[int]:
        """The count as last known (None before count()); never touches the database.

        It can drop below the first count() when reading finds the queue ends
        earlier (cases closed or removed meanwhile)."""
        return self._count

    @property
    def listed(self) -> bool:
        """True when the queue holds its whole ordered id list (search or a small result)."""
        self.count()
        return self._ids is not None

    def _load_ids(self, restrict: Optional[Sequence[int]] = None) -> None:
        stmt = select(C.id).select_from(CASES).where(*self.conditions())
        first: tuple[ColumnElement, ...] = ()
        if restrict is not None:
            stmt = stmt.where(C.id.in_(list(restrict)))
            if self.filter.closed_last:
                first = (case((CLOSED, 1), else_=0),)
        else:
            stmt = self._hinted(stmt, self._filter_index())
        stmt = stmt.order_by(*first, *order_by(self.sort))
        with self.engine.connect() as conn:
            self._ids = array("q", conn.execute(stmt).scalars())

    def _load_search(self) -> None:
        from deskapp.store import search

        with self.engine.connect() as conn:
            hits = search.find(conn, self.filter.search or "", where=self.conditions(), cases_table=CASES,
                               last=CLOSED if self.filter.closed_last else None)
        self.truncated = hits.truncated
        self.exact_id = hits.exact_id
        self.persons = hits.persons
        self.more_persons = hits.more_persons
        if self.sort == "relevance":
            self._ids = array("q", hits.ids)
            return
        self._load_ids(restrict=hits.ids)
        if hits.exact_id is not None and hits.exact_id in self._ids:
            # The case whose ref was typed comes first, whatever the sort.
            self._ids.remove(hits.exact_id)
            self._ids.insert(0, hits.exact_id)

    # --- reading rows ---------------------------------------------------------------

    def cached(self, index: int) -> Optional[QueueRow]:
        """The row at `index` if it has been read; never touches the database (safe in render code)."""
        page = self._pages.get(index // self.page_size)
        if page is None:
            return None
        offset = index % self.page_size
        return page[offset][0] if offset < len(page) else None

    def is_loaded(self, start: int, stop: int) -> bool:
        total = self._count
        if total is None:
            return False
        stop = min(stop, total)
        pages = range(max(start, 0) // self.page_size, (max(stop, 1) - 1) // self.page_size + 1)
        return start >= stop or all(p in self._pages for p in pages)

    def row(self, index: int) -> Optional[QueueRow]:
        rows = self.rows(index, index + 1)
        return rows[0] if rows else None

    def rows(self, start: int, stop: int) -> list[QueueRow]:
        """The rows at positions start..stop-1 (fewer at the end of the queue)."""
        with self._lock:
            total = self.count()
            start, stop = max(start, 0), min(stop, total)
            if start >= stop:
                return []
            first_page, last_page = start // self.page_size, (stop - 1) // self.page_size
            order = range(first_page, last_page + 1)
            if first_page not in self._pages and (
                last_page + 1 in self._pages or last_page == (total - 1) // self.page_size
            ):
                order = order[::-1]  # e.g. End: read the last page first, then walk back from it
            pages = {page_no: self._page(page_no) for page_no in order}
            out: list[QueueRow] = []
            for page_no in range(first_page, last_page + 1):
                page, first = pages[page_no], page_no * self.page_size
                lo, hi = max(start - first, 0), min(stop - first, len(page))
                out.extend(entry[0] for entry in page[lo:hi])
            return out

    def _page(self, page_no: int) -> list[tuple[QueueRow, Position]]:
        page = self._pages.get(page_no)
        if page is not None:
            self._pages.move_to_end(page_no)
            return page
        page = self._read_page(page_no)
        self._pages[page_no] = page
        while len(self._pages) > self.cache_pages:
            self._pages.popitem(last=False)
        return page

    def _read_page(self, page_no: int) -> list[tuple[QueueRow, Position]]:
        total = self._count or 0
        first = page_no * self.page_size
        want = min(self.page_size, total - first)
        if want <= 0:
            return []
        if self._ids is not None:
            return self._read_listed(self._ids[first:first + want])
        last_page = (total - 1) // self.page_size
        before, after = self._pages.get(page_no - 1), self._pages.get(page_no + 1)
        forward = True
        if before and len(before) == self.page_size:
            found = self._walk(before[-1][1], want, forward=True)
        elif after:
            found, forward = self._walk(after[0][1], want, forward=False)[::-1], False
        elif page_no == 0:
            found = self._walk(None, want, forward=True)
        elif page_no == last_page:
            found, forward = self._walk(None, want, forward=False)[::-1], False
        else:
            found, forward = self._step_or_jump(page_no, first, want)
        if forward and len(found) < want:
            # Read forwards and hit the end early: cases went since the count. Now we know where
            # the queue ends; forget pages past it (the view asks `known_count` and shrinks).
            self._count = first + len(found)
            for later in [p for p in self._pages if p > page_no]:
                del self._pages[later]
        return self._rows_of(found)

    def _step_or_jump(self, page_no: int, first: int, want: int) -> tuple[list[tuple[Any, Run]], bool]:
        """A page with no cached neighbour: step to it from a cached page a few pages away, else jump.

        Returns the rows and whether they were read forwards (from the page before).
        """
        near = self._nearest_cached(page_no)
        if near is not None:
            # Each step is a cheap keyset read (and caches the page on the way).
            step = 1 if near < page_no else -1
            for between in range(near + step, page_no, step):
                self._page(between)
            neighbour = self._pages.get(page_no - step)
            if neighbour and step == 1 and len(neighbour) == self.page_size:
                return self._walk(neighbour[-1][1], want, forward=True), True
            if neighbour and step == -1:
                return self._walk(neighbour[0][1], want, forward=False)[::-1], False
            # A short page on the way (cases went since the count): positions are off; jump.
        return self._jump(first, want), True

    def _nearest_cached(self, page_no: int) -> Optional[int]:
        near = [p for p in self._pages if 0 < abs(p - page_no) <= NEAR_PAGES and self._pages[p]]
        return min(near, key=lambda p: abs(p - page_no)) if near else None

    # --- keyset walking ----------------------------------------------------------------

    def _walk(self, after: Optional[Position], n: int, forward: bool) -> list[tuple[Any, Run]]:
        """Up to n rows after (forward) or before (backward) `after`, crossing runs as needed.

        `after` None starts at the very beginning (forward) or end (backward).
        Rows come back in walking order: for backward walks, last first.
        """
        out: list[tuple[Any, Run]] = []
        with self.engine.connect() as conn:
            if after is None:
                run, key = self._edge_run(conn, forward), None
            else:
                (run, key) = after
            while run is not None and len(out) < n:
                got = self._read_run(conn, run, key, n - len(out), forward)
                out.extend((r, run) for r in got)
                if len(out) < n:
                    run, key = self._next_run(conn, run, forward), None
        return out

    def _run_conditions(self, run: Run) -> list[ColumnElement]:
        group, part_no = run
        part = self._spec.parts[part_no]
        conds = list(self.conditions())
        if self._spec.group is not None:
            conds.append(self._spec.group == group)
        if part.where is not None:
            conds.append(part.where)
        return conds

    def _read_run(self, conn, run: Run, key: Optional[tuple], n: int, forward: bool, *,
                  inclusive: bool = False, offset: int = 0, columns: Sequence = _ROW_COLUMNS) -> list:
        if self._cannot_match(self._spec.parts[run[1]]):
            return []
        stmt = self._run_statement(run, key, n, forward, inclusive=inclusive, offset=offset, columns=columns)
        return list(conn.execute(stmt).all())

    def _run_statement(self, run: Run, key: Optional[tuple], n: Union[int, ColumnElement], forward: bool, *,
                       inclusive: bool = False, offset: int = 0, columns: Sequence = _ROW_COLUMNS):
        """Up to `n` rows of `run` after (or before) `key`, in walking order: the queue's one row read."""
        part = self._spec.parts[run[1]]
        conds = self._run_conditions(run)
        ascending = forward != part.desc
        if key is not None:
            left, right = _key_terms(part, key)
            if ascending:
                keyset = left >= right if inclusive else left > right
            else:
                keyset = left <= right if inclusive else left < right
            # First: SQLite bounds an index range with the first term it finds on the column.
            conds.insert(0, keyset)
        order = [c if ascending else c.desc() for c in part.key]
        stmt = select(*columns).select_from(CASES).where(*conds).order_by(*order).limit(n)
        if offset:
            stmt = stmt.offset(offset)
        return self._hinted(stmt, self._order_index(part))

    def _cannot_match(self, part: _Part) -> bool:
        """Undated cases are never overdue or due soon: skip that run rather than ask (and sort)."""
        return part is _UNDATED and (self.filter.overdue or self.filter.due_soon)

    def _edge_run(self, conn, forward: bool) -> Optional[Run]:
        parts = len(self._spec.parts)
        if self._spec.group is None:
            return (None, 0) if forward else (None, parts - 1)
        group = self._next_group(conn, None, forward)
        if group is None:
            return None
        return (group, 0) if forward else (group, parts - 1)

    def _next_run(self, conn, run: Run, forward: bool) -> Optional[Run]:
        group, part_no = run
        parts = len(self._spec.parts)
        step = part_no + (1 if forward else -1)
        if 0 <= step < parts:
            return (group, step)
        if self._spec.group is None:
            return None
        nxt = self._next_group(conn, group, forward)
        if nxt is None:
            return None
        return (nxt, 0) if forward else (nxt, parts - 1)

    def _next_group(self, conn, group: Optional[int], forward: bool) -> Optional[int]:
        g = self._spec.group
        agg = func.min(g) if forward else func.max(g)
        conds = list(self.conditions())
        if group is not None:
            conds.append(g > group if forward else g < group)
        stmt = self._hinted(select(agg).select_from(CASES).where(*conds), self._group_index())
        return conn.execute(stmt).scalar()

    # --- jumps (scrollbar drags, End on a cold cache) -----------------------------------

    def run_sizes(self) -> list[tuple[Run, int]]:
        """How many rows each run of this queue holds, in order (read once, then cached)."""
        with self._lock:
            if self._run_sizes is None:
                self._run_sizes = self._compute_run_sizes()
            return self._run_sizes

    def _compute_run_sizes(self) -> list[tuple[Run, int]]:
        spec = self._spec
        conds = self.conditions()
        parts = spec.parts
        with self.engine.connect() as conn:
            if spec.group is None:
                if len(parts) == 1:
                    return [((None, 0), self.count())]
                sizes = []
                for i, part in enumerate(parts):
                    if self._cannot_match(part):
                        sizes.append(((None, i), 0))
                        continue
                    stmt = select(func.count()).select_from(CASES).where(*conds, part.where)
                    stmt = self._hinted(stmt, self._count_index(part))
                    sizes.append(((None, i), int(conn.execute(stmt).scalar_one())))
                return sizes
            # Grouped (priority): one pass over the group index; count(due_at) counts the dated rows.
            stmt = (select(spec.group, func.count(), func.count(C.due_at)).select_from(CASES).where(*conds)
                    .group_by(spec.group).order_by(spec.group))
            stmt = self._hinted(stmt, self._count_index(None))
            out: list[tuple[Run, int]] = []
            for group, total, dated in conn.execute(stmt).all():
                out += [((group, 0), int(dated)), ((group, 1), int(total) - int(dated))]
        return [(run, n) for run, n in out if n]

    def _jump(self, first: int, want: int) -> list[tuple[Any, Run]]:
        """Rows first..first+want-1 with no cached neighbour: OFFSET inside the right run, then keyset.

        The OFFSET reads only the sort key, from whichever end of the run is
        nearer, so SQLite walks index entries without visiting the table when
        the filter is covered by the index.
        """
        seen = 0
        found: list[tuple[Any, Run]] = []
        with self.engine.connect() as conn:
            for run, size in self.run_sizes():
                if first >= seen + size:
                    seen += size
                    continue
                inner = first - seen
                part = self._spec.parts[run[1]]
                if part.key is _REF_KEY:
                    key_cols = [C.id, C.ref]
                else:
                    key_cols = [*part.key] + ([] if any(c is C.id for c in part.key) else [C.id])
                if inner <= size // 2:
                    got = self._read_run(conn, run, None, 1, True, offset=inner, columns=key_cols)
                else:
                    got = self._read_run(conn, run, None, 1, False, offset=size - 1 - inner, columns=key_cols)
                if got:
                    rows = self._read_run(conn, run, _key_of(part, got[0]), want, True, inclusive=True)
                    found = [(r, run) for r in rows]
                break
        if found and len(found) < want:
            last_run = found[-1][1]
            found += self._walk((last_run, _key_of(self._spec.parts[last_run[1]], found[-1][0])),
                                want - len(found), forward=True)
        return found

    # --- turning SQL rows into QueueRows --------------------------------------------

    def _read_listed(self, ids: Sequence[int]) -> list[tuple[QueueRow, Position]]:
        if not ids:
            return []
        with self.engine.connect() as conn:
            found = {r.id: r for r in conn.execute(
                select(*_ROW_COLUMNS).select_from(CASES).where(C.id.in_(list(ids)))).all()}
        # A case deleted since the list was read is simply left out of its page.
        return self._rows_of([(found[i], (None, 0)) for i in ids if i in found])

    def _rows_of(self, found: Sequence[tuple[Any, Run]]) -> list[tuple[QueueRow, Position]]:
        if not found:
            return []
        from deskapp.core.views import QueueRow

        usernames, _ids = self._shared.handlers()
        customers = self._customers([r.id for r, _run in found])
        out = []
        for r, run in found:
            part = self._spec.parts[run[1]] if self._ids is None else None
            position: Position = (run, _key_of(part, r) if part is not None else (r.id,))
            out.append((QueueRow(
                id=r.id, ref=r.ref, kind=r.kind, category=r.category, title=r.title or "", stage=r.stage,
                status=r.status, priority=r.priority, vulnerable=bool(r.vulnerable),
                received_at=r.received_at, due_at=r.due_at,
                assigned_to=usernames.get(r.assigned_to_id) if r.assigned_to_id is not None else None,
                customer=customers.get(r.id),
            ), position))
        return out

    def _customers(self, case_ids: list[int]) -> dict[int, str]:
        """The first customer/resident party's name for each case (one indexed query per page)."""
        out: dict[int, str] = {}
        with self.engine.connect() as conn:
            for case_id, name in conn.execute(_customers_statement(case_ids)).all():
                out.setdefault(case_id, name)
        return out

    # --- finding a case ---------------------------------------------------------------

    def index_of(self, case_id: int) -> Optional[int]:
        """The position of `case_id` in this queue, or None if the queue does not show it.

        Listed queues answer from memory; others count the rows before the case
        with range counts on the sort's index (earlier priorities, the dated run
        before the undated one, then the rows before it in its own run). That
        costs about as much as the case's position: see index_within.
        """
        return self._index_of(case_id, None)

    def index_within(self, case_id: int, limit: int) -> Optional[int]:
        """The position of `case_id` if it is cheap to know, else None (also when it is not in the queue).

        For keeping the cursor's case when the handler changes the filter or
        search, where index_of's cost, a count of every row before the case,
        is not worth paying for a case far down a big result. Cheap means:
        the queue is listed (ids in memory) or the case is in a page already
        read; or the case is among the first `limit` rows, found with counts
        that stop after `limit` rows. A big queue whose filter the sort's
        index cannot check by itself (`residual`) is not counted at all: there
        the count visits the table for every row of the filter.
        """
        return self._index_of(case_id, max(int(limit), 0))

    def _index_of(self, case_id: int, limit: Optional[int]) -> Optional[int]:
        with self._lock:
            self.count()
            if self._ids is not None:
                try:
                    return self._ids.index(case_id)
                except ValueError:
                    return None
            for page_no, page in self._pages.items():
                for i, (row, _pos) in enumerate(page):
                    if row.id == case_id:
                        return page_no * self.page_size + i
            if limit is not None and (limit == 0 or self.residual):
                return None
            with self.engine.connect() as conn:
                stmt = select(*_ROW_COLUMNS).select_from(CASES).where(C.id == case_id, *self.conditions())
                row = conn.execute(stmt).first()
                if row is None:
                    return None
                run = self._run_of(row)
                part = self._spec.parts[run[1]]
                before = self._count_runs_before(conn, run, limit)
                if before is None:
                    return None
                left, right = _key_terms(part, _key_of(part, row))
                earlier = left > right if part.desc else left < right
                n = self._count_rows(conn, [earlier, *self._run_conditions(run)], self._count_index(part),
                                     None if limit is None else limit - before)
                if limit is not None and before + n >= limit:
                    return None
                return before + n

    def _count_rows(self, conn, conds: Sequence[ColumnElement], index: Optional[str],
                    limit: Optional[int]) -> int:
        """count(*) of the rows matching `conds`; with `limit`, it stops counting there (LIMIT inside)."""
        if limit is None:
            stmt = select(func.count()).select_from(CASES).where(*conds)
            return int(conn.execute(self._hinted(stmt, index)).scalar_one())
        if limit <= 0:
            return 0
        inner = self._hinted(select(literal_column("1").label("one")).select_from(CASES).where(*conds).limit(limit),
                             index)
        return int(conn.execute(select(func.count()).select_from(inner.subquery())).scalar_one())

    def _count_runs_before(self, conn, run: Run, limit: Optional[int] = None) -> Optional[int]:
        """Rows in the runs before `run`: a range count or two on the sort's index, not every run's size.

        With `limit`: None once they reach it (each count stops there).
        """
        if self._run_sizes is not None and any(other == run for other, _n in self._run_sizes):
            before = 0
            for other, size in self._run_sizes:
                if other == run:
                    break
                before += size
            return None if limit is not None and before >= limit else before
        group, part_no = run
        conds = list(self.conditions())
        total = 0

        def left() -> Optional[int]:
            return None if limit is None else limit - total

        if self._spec.group is not None:
            total += self._count_rows(conn, [self._spec.group < group, *conds], self._count_index(None), left())
            conds.insert(0, self._spec.group == group)
        for earlier in self._spec.parts[:part_no]:
            if limit is not None and total >= limit:
                return None
            if self._cannot_match(earlier):
                continue
            total += self._count_rows(conn, [*conds, earlier.where], self._count_index(earlier), left())
        return None if limit is not None and total >= limit else total

    def _run_of(self, row: Any) -> Run:
        group = getattr(row, self._spec.group.name) if self._spec.group is not None else None
        if len(self._spec.parts) == 1:
            return (group, 0)
        return (group, 1 if row.due_at is None else 0)


def _customers_statement(case_ids: Union[list[int], ColumnElement]):
    """Customer/resident parties of these cases, first party first (the first is the row's "customer")."""
    p = _PARTIES.c
    return (select(p.case_id, p.name).where(p.case_id.in_(case_ids), p.role.in_(CUSTOMER_ROLES))
            .order_by(p.case_id, p.id))


def usual_queue_statements() -> dict[str, Any]:
    """The usual queue's reads (open cases by due date) as statements, for deskapp.store.first_page.

    The first screen is read before SQLAlchemy is imported, so first_page runs
    these compiled to SQL text (deskapp.store.first_page_gen writes them into
    deskapp/store/first_page_sql.py). Bound parameters: `n` (rows wanted) and
    `ids` (case ids). "first" lists the queue's runs from its start, "last"
    from its end, each in reading order.
    """
    # A database at head has every index the model declares (first_page checks the revision).
    indexes = frozenset(index.name for index in Case.__table__.indexes)
    # No engine: nothing is read. `now` is unused (the usual queue has no date condition).
    usual = Queue(None, sort="due", now=datetime(2000, 1, 1), _shared=_Shared(None, indexes))
    n = bindparam("n", type_=Integer)
    runs = [(None, i) for i in range(len(usual._spec.parts))]
    return {
        "count": usual._count_statement(),
        "first": tuple(usual._run_statement(run, None, n, True) for run in runs),
        "last": tuple(usual._run_statement(run, None, n, False) for run in reversed(runs)),
        "customers": _customers_statement(bindparam("ids", expanding=True)),
        "usernames": _USERNAMES,
    }


def _one_of(col: ColumnElement, values: Iterable[str]) -> ColumnElement:
    values = list(values)
    return col == values[0] if len(values) == 1 else col.in_(values)


# --- the seam with the desk's filter form -----------------------------------------------


def query_from_filters(base: Queue, filters: Any, sort: Optional[str] = None) -> Queue:
    """A queue for the desk's filter form values (deskapp.tui.filters.QueueFilters or alike).

    Reads the attributes mine (bool), overdue, due_soon, statuses, kinds,
    category and search; anything missing counts as "not filtered". "mine"
    means the base queue's handler (`base.me`). A search with no status
    chosen covers every status, closed cases after open ones: a ref or a
    name the handler remembers must find its case, even one closed last year.
    """
    mine = getattr(filters, "mine", False)
    search = getattr(filters, "search", None) or None
    statuses = tuple(getattr(filters, "statuses", ()) or ())
    everything = bool(search and search.strip()) and not statuses
    flt = QueueFilter(
        mine=(base.me or "") if mine is True else (mine or None),
        overdue=bool(getattr(filters, "overdue", False)),
        due_soon=bool(getattr(filters, "due_soon", False)),
        statuses=statuses,
        kinds=tuple(getattr(filters, "kinds", ()) or ()),
        category=getattr(filters, "category", None) or None,
        vulnerable=bool(getattr(filters, "vulnerable", False)),
        open_only=bool(getattr(filters, "open_only", True)) and not everything,
        search=search,
        closed_last=everything,
    )
    chosen = sort or getattr(filters, "sort", None) or base.sort
    if chosen == "relevance" and not flt.search:
        chosen = "due"
    return base.with_query(filter=flt, sort=chosen)


__all__ = [
    "CACHE_PAGES",
    "CASES",
    "DUE_SOON_WORKING_DAYS",
    "PAGE_SIZE",
    "Queue",
    "QueueFilter",
    "LIST_LIMIT",
    "SMALL_SET",
    "SORTS",
    "SORT_LABELS",
    "due_soon_until",
    "order_by",
    "query_from_filters",
]
