"""Fill a database with a believable desk: the named stories plus N generated cases.

Deterministic: the same (seed, today) gives the same rows, so tests, docs and
screenshots agree. Everything is placed relative to `today`, so some cases are
overdue, some due soon and some long closed whenever the demo is loaded.

Speed matters (a million cases in under a minute on SQLite): generated rows
are built as plain tuples with precomputed text and written with executemany
or COPY (deskapp.store.bulk), with the secondary indexes rebuilt once at the
end. The whole fill is one transaction: it lands completely or not at all.
"""

from __future__ import annotations

import random
from bisect import bisect_right
import time as clock
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Iterator, Optional

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from deskapp.errors import DeskError, StorageError
from deskapp.store import demo_pools as pools
from deskapp.store import search
from deskapp.store.bulk import BulkWriter, indexes_suspended, stamp
from deskapp.store.demo_stories import ME, STORY_REFS, Story, stories
from deskapp.store.demo_time import add_working_days, roll_back
from deskapp.store.engine import SQLITE_BUSY_TIMEOUT_MS, masked
from deskapp.store.handlers import _os_display_name, check_username

# The demo's colleagues: (username, display name, role).
DEMO_HANDLERS = (
    ("sam", "Sam Okafor", "handler"),
    ("jo", "Jo Lindqvist", "handler"),
    ("priya", "Priya Natarajan", "supervisor"),
    ("admin", "Desk Admin", "admin"),
)
# Generated cases are numbered after the stories, leaving room for more stories.
FIRST_GENERATED_REF = 1101
BATCH = 20_000
# Above this many generated cases, indexes are dropped during the load and rebuilt after.
BIG_LOAD = 20_000

# Case indexes whose keys the generator produces in ascending order (refs follow arrival): they stay
# live during a big load; the others are rebuilt once at the end. (Measured: keeping the received-time
# indexes live as well made the load slower, not faster.)
IN_ORDER_INDEXES = ("ix_cases_ref", "ix_cases_ref_natural", "ix_cases_open_ref", "ix_cases_external_ref")

CASE_COLS = ("id", "ref", "kind", "category", "title", "stage", "status", "priority", "vulnerable",
             "received_at", "acknowledged_at", "responded_at", "closed_at", "status_changed_at", "stage2_at",
             "extension_days", "due_at", "assigned_to_id", "stage1_handler_id", "version", "created_at",
             "updated_at")
PARTY_COLS = ("id", "case_id", "role", "name", "designated", "authorised", "organisation", "email", "phone",
              "address", "notes", "created_at")
CONTACT_COLS = ("id", "case_id", "at", "channel", "direction", "party_id", "handler_id", "outcome", "summary",
                "body", "call_id", "created_at")
APPOINTMENT_COLS = ("id", "case_id", "party_id", "at", "purpose", "status", "created_at")
LOADED_TABLES = ("cases", "parties", "contacts", "appointments")

# Working days allowed, as a placeholder until the policy pack's calendar is wired in (see _due_at).
ACK_DAYS = 5
RESPONSE_DAYS = {1: 10, 2: 20}
END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=200_000)
def _due_at(kind: str, stage: int, start: date, acknowledged: Optional[date], responded: Optional[date],
            closed: bool, extension_days: int = 0) -> Optional[datetime]:
    """The case's next deadline, for `Case.due_at` (end of that working day); None when nothing is due.

    PLACEHOLDER calendar (Mon-Fri, no bank holidays): the start day (received,
    or escalated to stage 2) is day 0; acknowledge within 5 working days, then
    respond within 10 (stage 1) or 20 (stage 2) working days of the
    acknowledgement, plus any extension. Compliments need only the
    acknowledgement. Swap this one function for the policy pack's deadline
    calculation to make demo deadlines match the desk's rules exactly.
    """
    if closed or responded is not None:
        return None
    if acknowledged is None:
        return datetime.combine(add_working_days(start, ACK_DAYS), END_OF_DAY)
    if kind == "compliment":
        return None
    days = RESPONSE_DAYS.get(stage, RESPONSE_DAYS[1]) + extension_days
    return datetime.combine(add_working_days(acknowledged, days), END_OF_DAY)


@dataclass
class DemoSummary:
    """What a demo fill did, for the command to report."""

    url: str
    stories: int = 0
    generated: int = 0
    wiped_cases: int = 0
    kept_cases: int = 0  # if_empty found this many cases and loaded nothing
    handlers_added: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def cases(self) -> int:
        return self.stories + self.generated


# --------------------------------------------------------------------------- entry point


def fill_demo(engine: Engine, cases: int = 200, seed: int = 1, today: date | None = None, *,
              replace: bool = False, if_empty: bool = False, me: str | None = None) -> DemoSummary:
    """Load the named stories plus `cases` generated cases, all in one transaction.

    Refuses (DeskError) when the database already holds cases unless `replace`,
    which first deletes every case and everything attached to it (parties,
    history, appointments, drafts, approvals); handlers stay. A desk whose
    audit log has records is never wiped. With `if_empty`, a desk that already
    has cases is left as it is (`kept_cases` says how many) - for "set up the
    demo if it is not there yet" scripts.
    `me` (default: the current user) becomes a handler and gets some of the
    named cases, so the person trying the demo sees them under "mine".
    """
    if not isinstance(cases, int) or cases < 0:
        raise DeskError(f"--cases must be a whole number of 0 or more, not {cases!r}")
    if cases > 10_000_000:
        raise DeskError(f"--cases {cases} is more than the demo supports (10,000,000)")
    today = today or date.today()
    if me is None:
        from deskapp.config import current_username

        me = current_username()
    try:
        check_username(me)
    except DeskError as exc:
        raise DeskError(f"cannot add you as a demo handler: {exc} (set DESKAPP_USER to a login name)") from exc

    summary = DemoSummary(url=masked(engine.url))
    started = clock.perf_counter()
    try:
        with engine.connect() as conn:
            with _one_transaction(conn):
                existing = conn.execute(text("SELECT COUNT(*) FROM cases")).scalar() or 0
                if existing and if_empty and not replace:
                    summary.kept_cases = existing
                    return summary
                summary.wiped_cases = _check_or_wipe(conn, existing, replace)
                ids = _ensure_handlers(conn, me, summary)
                _load(conn, ids, me, cases, seed, today, summary)
            _analyze(conn)
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise StorageError(f"demo load into {summary.url} failed, nothing was written: {reason}") from exc
    summary.seconds = clock.perf_counter() - started
    return summary


@contextmanager
def _one_transaction(conn: Connection) -> Iterator[None]:
    """Everything the demo writes, in one transaction: committed if the block ends, rolled back if it raises."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        _sqlite_fast_load(conn, on=True)
    try:
        if sqlite:
            # Take the write lock now: the "is it empty?" check and the fill must not interleave with a desk.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.begin()
        try:
            yield
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    finally:
        if sqlite:
            _sqlite_fast_load(conn, on=False)


def _sqlite_fast_load(conn: Connection, on: bool) -> None:
    """Bulk-load settings for this connection only; put back before it returns to the pool.

    During the load the database leaves WAL mode for a rollback journal when no
    other connection has it open: a load into a fresh file then writes each page
    once (WAL would write it to the log and copy it again at the checkpoint, and
    look every re-read page up in a log as big as the database). It is still one
    atomic transaction. If a desk has the file open, the load simply stays in WAL.
    """
    if on:
        conn.exec_driver_sql("PRAGMA synchronous = OFF")
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        conn.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MiB
        conn.exec_driver_sql("PRAGMA temp_store = MEMORY")
        conn.exec_driver_sql("PRAGMA busy_timeout = 0")
        try:
            conn.exec_driver_sql("PRAGMA journal_mode = DELETE")
        except SQLAlchemyError:
            pass  # another connection holds the database: stay in WAL
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    else:
        conn.exec_driver_sql("PRAGMA journal_mode = WAL")
        conn.exec_driver_sql("PRAGMA synchronous = NORMAL")
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.exec_driver_sql("PRAGMA cache_size = -2000")
        conn.exec_driver_sql("PRAGMA temp_store = DEFAULT")


def _analyze(conn: Connection) -> None:
    """Refresh the planner's statistics so the queue's queries pick their indexes."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA analysis_limit = 1000")  # sample, don't read every row
        conn.exec_driver_sql("ANALYZE")
    else:
        conn.exec_driver_sql("ANALYZE " + ", ".join(LOADED_TABLES))
    conn.commit()


def _tables_holding_cases(conn: Connection) -> list[str]:
    """`cases` and every table that refers to it (directly or through another), children first."""
    insp = inspect(conn)
    ordered = [name for name, _fks in insp.get_sorted_table_and_fkc_names() if name]
    refers: dict[str, set[str]] = {
        name: {fk["referred_table"] for fk in insp.get_foreign_keys(name)} for name in ordered
    }
    doomed = {"cases"}
    changed = True
    while changed:
        changed = False
        for name, parents in refers.items():
            if name not in doomed and parents & doomed:
                doomed.add(name)
                changed = True
    return [name for name in reversed(ordered) if name in doomed]


def _check_or_wipe(conn: Connection, existing: int, replace: bool) -> int:
    if existing and not replace:
        raise DeskError(
            f"{masked(conn.engine.url)} already holds {existing:,} cases: the demo only fills an empty desk "
            "(--force deletes every case with its parties, history, drafts and approvals first)"
        )
    if existing or replace:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            # Nobody may add an audit record between the check below and the wipe.
            conn.exec_driver_sql("LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE")
        audit = conn.execute(text("SELECT COUNT(*) FROM audit_events")).scalar() or 0
        if audit:
            raise DeskError(
                f"{masked(conn.engine.url)} has {audit:,} audit records, and the audit log is never deleted: "
                "load the demo into a new database instead (e.g. --db sqlite:///demo.db)"
            )
        doomed = _tables_holding_cases(conn)
        if postgres:
            # One TRUNCATE of the whole family: a row-by-row DELETE checks every foreign key per row.
            # PostgreSQL insists the (empty) audit table is truncated with the tables it refers to, and
            # its append-only trigger refuses any TRUNCATE, so that trigger is off for this statement
            # only, inside this transaction (the table was just shown to be empty, under lock).
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
            conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in doomed))
            conn.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER USER")
        else:
            # Foreign-key checks are off for the load (see _sqlite_fast_load), so SQLite truncates
            # quickly; the empty audit table is left alone (its triggers refuse deletes).
            for table in doomed:
                if table != "audit_events":
                    conn.exec_driver_sql(f'DELETE FROM "{table}"')
    return int(existing)


def _ensure_handlers(conn: Connection, me: str, summary: DemoSummary) -> dict[str, int]:
    wanted = [(me, _os_display_name(me) or me, "handler")]
    wanted += [h for h in DEMO_HANDLERS if h[0] != me]
    existing = dict(conn.execute(text("SELECT username, id FROM handlers")).all())
    now = datetime.now().replace(microsecond=0)
    for username, display, role in wanted:
        if username not in existing:
            conn.execute(
                text("INSERT INTO handlers (username, display_name, role, active, created_at) "
                     "VALUES (:u, :d, :r, :a, :c)"),
                {"u": username, "d": display, "r": role, "a": True, "c": now},
            )
            summary.handlers_added.append(username)
    ids = dict(conn.execute(text("SELECT username, id FROM handlers")).all())
    ids[ME] = ids[me]
    return ids


# --------------------------------------------------------------------------- loading


def _load(conn: Connection, ids: dict[str, int], me: str, cases: int, seed: int, today: date,
          summary: DemoSummary) -> None:
    writer = BulkWriter(conn)
    next_ids = {table: writer.next_id(table) for table in LOADED_TABLES}
    named = stories(today)
    _write_stories(writer, named, ids, next_ids)
    summary.stories = len(named)
    if cases:
        generator = _Generator(random.Random(seed), today, ids, me)
        if cases >= BIG_LOAD and conn.dialect.name == "postgresql":
            _pg_skip_fk_checks(conn)
        if cases >= BIG_LOAD:
            with indexes_suspended(conn, ("cases",), keep=IN_ORDER_INDEXES):
                _write_generated(writer, generator, cases, next_ids)
        else:
            _write_generated(writer, generator, cases, next_ids)
        summary.generated = cases
    writer.sync_sequences(LOADED_TABLES)
    summary.rows = dict(writer.counts)
    # The full-text index is filled in one pass over the loaded rows, in the same transaction.
    search.rebuild(conn)


def _pg_skip_fk_checks(conn: Connection) -> None:
    """Skip PostgreSQL's per-row foreign-key triggers for this transaction (rows are consistent by
    construction). Needs superuser; without it the load just runs with the checks."""
    conn.exec_driver_sql("SAVEPOINT demo_fk")
    try:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except SQLAlchemyError:
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT demo_fk")
    else:
        conn.exec_driver_sql("RELEASE SAVEPOINT demo_fk")


def _write_stories(writer: BulkWriter, named: list[Story], ids: dict[str, int], next_ids: dict[str, int]) -> None:
    case_rows, party_rows, contact_rows, appt_rows = [], [], [], []
    for story in named:
        case_id = next_ids["cases"]
        next_ids["cases"] += 1
        f = story.case_fields()
        start = (story.stage2_at or story.received_at).date()
        due = _due_at(story.kind, story.stage, start, _day(story.acknowledged_at), _day(story.responded_at),
                      story.status == "closed", story.extension_days)
        updated = max(t for t in (story.received_at, story.status_changed_at, story.closed_at) if t)
        case_rows.append((
            case_id, f["ref"], f["kind"], f["category"], f["title"], f["stage"], f["status"], f["priority"],
            f["vulnerable"], stamp(f["received_at"]), stamp(f["acknowledged_at"]), stamp(f["responded_at"]),
            stamp(f["closed_at"]), stamp(f["status_changed_at"]), stamp(f["stage2_at"]), f["extension_days"],
            stamp(due), ids.get(story.assigned_to) if story.assigned_to else None,
            ids.get(story.stage1_handler) if story.stage1_handler else None, 1,
            stamp(story.received_at), stamp(updated),
        ))
        party_ids: dict[str, int] = {}
        for p in story.parties:
            party_ids[p.key] = next_ids["parties"]
            next_ids["parties"] += 1
            party_rows.append((party_ids[p.key], case_id, p.role, p.name, p.designated, p.authorised,
                               p.organisation, p.email, p.phone, p.address, p.notes, stamp(story.received_at)))
        for c in sorted(story.contacts, key=lambda c: c.at):
            contact_rows.append((next_ids["contacts"], case_id, stamp(c.at), c.channel, c.direction,
                                 party_ids.get(c.party) if c.party else None,
                                 ids.get(c.handler) if c.handler else None, c.outcome, c.summary, c.body,
                                 c.call_id, stamp(c.at)))
            next_ids["contacts"] += 1
        for a in story.appointments:
            appt_rows.append((next_ids["appointments"], case_id, party_ids.get(a.party) if a.party else None,
                              stamp(a.at), a.purpose, a.status, stamp(story.received_at)))
            next_ids["appointments"] += 1
    writer.insert("cases", CASE_COLS, case_rows)
    writer.insert("parties", PARTY_COLS, party_rows)
    writer.insert("contacts", CONTACT_COLS, contact_rows)
    writer.insert("appointments", APPOINTMENT_COLS, appt_rows)


def _day(value: Optional[datetime]) -> Optional[date]:
    return value.date() if value else None


def _write_generated(writer: BulkWriter, generator: "_Generator", cases: int, next_ids: dict[str, int]) -> None:
    for batch in generator.batches(cases, next_ids):
        writer.insert("cases", CASE_COLS, batch.cases)
        writer.insert("parties", PARTY_COLS, batch.parties)
        writer.insert("contacts", CONTACT_COLS, batch.contacts)
        writer.insert("appointments", APPOINTMENT_COLS, batch.appointments)


# --------------------------------------------------------------------------- generated cases


@dataclass
class _Batch:
    cases: list[tuple] = field(default_factory=list)
    parties: list[tuple] = field(default_factory=list)
    contacts: list[tuple] = field(default_factory=list)
    appointments: list[tuple] = field(default_factory=list)


class _Stamps:
    """Datetime text built from cached day and minute strings: formatting millions of datetimes is slow."""

    def __init__(self) -> None:
        self._days: dict[date, str] = {}
        self._minutes = [f" {m // 60:02d}:{m % 60:02d}:00.000000" for m in range(24 * 60)]
        self._due: dict[datetime, str] = {}

    def at(self, day: date, minute: int) -> str:
        text_day = self._days.get(day)
        if text_day is None:
            text_day = self._days[day] = day.isoformat()
        return text_day + self._minutes[minute]

    def due(self, value: Optional[datetime]) -> Optional[str]:
        if value is None:
            return None
        found = self._due.get(value)
        if found is None:
            found = self._due[value] = stamp(value)
        return found


# Status mixes by how long ago (working days) the current stage started.
_FRESH = (("new", 50), ("acknowledged", 35), ("investigating", 15))
_RECENT = (("new", 4), ("acknowledged", 14), ("investigating", 36), ("awaiting_customer", 10),
           ("awaiting_third_party", 8), ("responded", 17), ("closed", 11))
_OLD = (("new", 1), ("investigating", 5), ("awaiting_customer", 2), ("awaiting_third_party", 2),
        ("responded", 8), ("closed", 82))
_COMPLIMENT = (("new", 20), ("acknowledged", 10), ("closed", 70))


def _cumulative(mix) -> tuple[list[float], list[str]]:
    """(upper edges, values) for picking a value with bisect from one random number in [0, 1)."""
    total = sum(w for _s, w in mix)
    running, edges, values = 0, [], []
    for value, weight in mix:
        running += weight
        edges.append(running / total)
        values.append(value)
    edges[-1] = 1.0 + 1e-9  # never fall off the end through rounding
    return edges, values


def _pick(table: tuple[list[float], list[str]], u: float) -> str:
    edges, values = table
    return values[bisect_right(edges, u)]


def _apportion(n: int, weights: list[float]) -> list[int]:
    """Split n into whole counts proportional to weights (largest remainder: exact total, deterministic)."""
    total = sum(weights)
    shares = [n * w / total for w in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    return counts


class _Generator:
    """Makes generated cases from one random stream; same seed and today, same rows."""

    def __init__(self, rng: random.Random, today: date, ids: dict[str, int], me: str):
        self.rng = rng
        self.today = today
        self.stamps = _Stamps()
        self.me_id = ids[me]
        # Who gets cases: the person running the demo and the two handlers most; the supervisor some.
        self.assignees = (self.me_id, self.me_id, ids["sam"], ids["sam"], ids["jo"], ids["jo"], ids["priya"])
        self.stage1_handlers = (ids["sam"], ids["jo"], self.me_id)
        self.kinds = _cumulative(tuple(pools.KIND_WEIGHTS.items()))
        self.fresh, self.recent, self.old = _cumulative(_FRESH), _cumulative(_RECENT), _cumulative(_OLD)
        self.compliment = _cumulative(_COMPLIMENT)
        self.today_work = roll_back(today)
        # Received dates: 0..364 calendar days ago, with their working-day age (for the status mix).
        self.days = [today - timedelta(days=age) for age in range(365)]
        self.wd_age = [self._working_days_to_today(d) for d in self.days]
        # Text that repeats across cases, made once: names with their email stems, phones, addresses.
        self.names = [(f"{f} {l}", f"{f.lower()}.{l.lower().replace(chr(39), '')}")
                      for f in pools.FIRST_NAMES for l in pools.LAST_NAMES]
        self.phones = [f"07700 900{n:03d}" for n in range(1000)]
        self.addresses = [f"{n} {street}, {pools.TOWN}" for n in range(1, 121) for street in pools.STREETS]
        self.first_summary = {(k, ch): f"{pools.FIRST_SUMMARIES[k]} by {pools.CHANNEL_WORDS[ch]}"
                              for k, chans in pools.FIRST_CHANNELS.items() for ch in chans}
        self.housing = {"housing repairs", "damp and mould", "rent and service charges", "anti-social behaviour"}

    def _working_days_to_today(self, day: date) -> int:
        count, current = 0, day
        while current < self.today:
            current += timedelta(days=1)
            if current.weekday() < 5:
                count += 1
        return count

    def _clip(self, day: date) -> date:
        return day if day <= self.today else self.today_work

    def batches(self, n: int, next_ids: dict[str, int]) -> Iterator[_Batch]:
        number = FIRST_GENERATED_REF
        batch = _Batch()
        for age, minute in self._arrivals(n):
            self._one(number, age, minute, batch, next_ids)
            number += 1
            if len(batch.cases) == BATCH:
                yield batch
                batch = _Batch()
        if batch.cases:
            yield batch

    def _arrivals(self, n: int) -> Iterator[tuple[int, int]]:
        """(days ago, minute of the day) for n cases, oldest first, so refs and ids follow the order cases
        came in - as on a real desk - and the received-date indexes grow at their end during the load.

        Most cases are recent: 45% in the last 30 days, 35% in the 90 before, the rest over the year;
        weekends get a quarter of a weekday's post.
        """
        def weight(age: int) -> float:
            base = 0.45 / 30 if age < 30 else 0.35 / 90 if age < 120 else 0.20 / 245
            return base if self.days[age].weekday() < 5 else base / 4

        counts = _apportion(n, [weight(age) for age in range(len(self.days))])
        rnd = self.rng.random
        for age in range(len(self.days) - 1, -1, -1):
            for minute in sorted(480 + int(rnd() * 600) for _ in range(counts[age])):
                yield age, minute

    def _one(self, number: int, age: int, received_min: int, batch: _Batch, next_ids: dict[str, int]) -> None:
        rnd = self.rng.random
        at = self.stamps.at
        case_id = next_ids["cases"]
        next_ids["cases"] += 1

        kind = _pick(self.kinds, rnd())
        categories = pools.KIND_CATEGORIES[kind]
        category = categories[int(rnd() * len(categories))]
        if kind == "compliment":
            title = pools.COMPLIMENT_TITLES[int(rnd() * len(pools.COMPLIMENT_TITLES))]
        else:
            titles = pools.TITLES[category]
            title = titles[int(rnd() * len(titles))]

        received_day = self.days[age]
        wd_age = self.wd_age[age]

        stage, stage2_day, stage1_handler = 1, None, None
        start_day, start_min, start_wd = received_day, received_min, wd_age
        if kind == "complaint" and wd_age > 25 and rnd() < 0.12:
            # Answered at stage 1, then escalated: the stage-2 clock starts on escalation.
            stage = 2
            stage1_handler = self.stage1_handlers[int(rnd() * 3)]
            back = 1 + int(rnd() * (wd_age - 15))
            stage2_day = add_working_days(self.today, -back)
            start_day, start_min, start_wd = stage2_day, 540 + int(rnd() * 420), back

        if kind == "compliment":
            status = _pick(self.compliment, rnd()) if start_wd > 2 else "new"
        elif start_wd <= 5:
            status = _pick(self.fresh, rnd())
        elif start_wd <= 25:
            status = _pick(self.recent, rnd())
        else:
            status = _pick(self.old, rnd())

        ack_day = resp_day = closed_day = None
        ack_min = resp_min = closed_min = 0
        if status != "new":
            lag = 1 + int(rnd() * rnd() * 7)  # mostly 1-2 working days, now and then late
            ack_day = self._clip(add_working_days(start_day, min(lag, start_wd)))
            ack_min = 540 + int(rnd() * 480)
            if ack_day == start_day:
                ack_min = min(start_min + 30 + int(rnd() * 90), 1439)
        if status in ("responded", "closed") and kind != "compliment":
            limit = RESPONSE_DAYS[stage]
            lag = 2 + int(rnd() * (limit + 4))  # most in time, some late
            resp_day = self._clip(add_working_days(ack_day, lag))
            resp_min = 570 + int(rnd() * 450)
            if resp_day == ack_day:
                resp_min = min(ack_min + 60, 1439)
        if status == "closed":
            if kind == "compliment":
                closed_day, closed_min = ack_day, min(ack_min + 5, 1439)
            else:
                closed_day = self._clip(add_working_days(resp_day, int(rnd() * 6)))
                closed_min = min(resp_min + 15, 1439) if closed_day == resp_day else 540 + int(rnd() * 480)

        extension = 5 if status in ("investigating", "awaiting_third_party") and rnd() < 0.05 else 0
        due = _due_at(kind, stage, start_day, ack_day, resp_day, status == "closed", extension)

        if status == "closed":
            changed_day, changed_min = closed_day, closed_min
        elif status == "responded":
            changed_day, changed_min = resp_day, resp_min
        elif status == "new":
            changed_day, changed_min = start_day, start_min
        elif status in ("awaiting_customer", "awaiting_third_party", "investigating"):
            changed_day = self._clip(add_working_days(ack_day, int(rnd() * 4)))
            changed_min = max(540 + int(rnd() * 480), ack_min) if changed_day == ack_day else 540 + int(rnd() * 480)
        else:
            changed_day, changed_min = ack_day, ack_min

        if status == "new" and rnd() < 0.5:
            assigned = None
        else:
            assigned = self.assignees[int(rnd() * len(self.assignees))]
        if stage == 2 and assigned == stage1_handler:
            assigned = self.assignees[6]  # stage 2 usually goes to someone fresh: the supervisor
        pr = rnd()
        priority = 1 if pr < 0.05 else 2 if pr < 0.2 else 3 if pr < 0.85 else 4

        received = at(received_day, received_min)
        changed = at(changed_day, changed_min)
        ack = at(ack_day, ack_min) if ack_day else None
        resp = at(resp_day, resp_min) if resp_day else None

        # Parties: the customer, and now and then someone acting for them or a third party.
        name, stem = self.names[int(rnd() * len(self.names))]
        customer_id = next_ids["parties"]
        next_ids["parties"] += 1
        email = f"{stem}{number % 97}@example.org" if rnd() < 0.75 else None
        phone = self.phones[int(rnd() * 1000)] if rnd() < 0.8 else None
        address = None
        if category in self.housing:
            address = self.addresses[int(rnd() * len(self.addresses))]
        role = "resident" if category in self.housing and kind != "compliment" else "customer"
        vulnerable = rnd() < 0.05
        batch.parties.append((customer_id, case_id, role, name, False, False, None, email, phone,
                              address, None, received))
        rep_id = None
        if kind != "compliment" and rnd() < 0.08:
            p_role, org, label, designated, authorised = pools.SECOND_PARTIES[int(rnd() * len(pools.SECOND_PARTIES))]
            name2, stem2 = self.names[int(rnd() * len(self.names))]
            rep_id = next_ids["parties"]
            next_ids["parties"] += 1
            vulnerable = vulnerable or designated
            batch.parties.append((rep_id, case_id, p_role, name2, designated, authorised, org,
                                  f"{stem2}@example.com", None, None,
                                  f"{label.capitalize()} for {name}" if p_role == "representative" else None,
                                  received))
        talk_to = rep_id if rep_id is not None and designated else customer_id

        # History: what came in, the acknowledgement, then a follow-up or the response. At most three.
        contacts = batch.contacts
        cid = next_ids["contacts"]
        handler = assigned or self.me_id
        if rnd() < 0.9:
            channels = pools.FIRST_CHANNELS[kind]
            channel = channels[int(rnd() * len(channels))]
            body = None
            if rnd() < 0.5:  # the customer's own words, for some; the rest are summarised only
                if kind == "compliment":
                    body = pools.COMPLIMENT_OPENINGS[int(rnd() * len(pools.COMPLIMENT_OPENINGS))]
                else:
                    openings = pools.OPENINGS[category]
                    body = openings[int(rnd() * len(openings))]
            contacts.append((cid, case_id, received, channel, "in", talk_to,
                             handler if channel == "phone" else None, "reached" if channel == "phone" else None,
                             self.first_summary[kind, channel], body, None, received))
            cid += 1
        if ack is not None and rnd() < 0.85:
            summary = "Thanked the customer and passed on the praise" if kind == "compliment" else "Acknowledgement sent"
            contacts.append((cid, case_id, ack, "email" if email else "letter", "out", talk_to, handler, None,
                             summary, None, None, ack))
            cid += 1
        if resp is not None:
            summary = "Stage 2 final response sent" if stage == 2 else "Final response sent"
            contacts.append((cid, case_id, resp, "email" if email else "letter", "out", talk_to, handler, None,
                             summary, None, None, resp))
            cid += 1
        elif ack is not None and status != "acknowledged" and rnd() < 0.35:
            channel, direction, outcome, summary = pools.FOLLOW_UPS[int(rnd() * len(pools.FOLLOW_UPS))]
            when = changed if changed_day != ack_day or changed_min > ack_min else at(ack_day, min(ack_min + 45, 1439))
            contacts.append((cid, case_id, when, channel, direction, None if direction == "internal" else talk_to,
                             handler if channel in ("phone", "note") else None, outcome, summary, None, None, when))
            cid += 1
        next_ids["contacts"] = cid

        # Repairs get visits; some are missed.
        if ack_day is not None and category in ("housing repairs", "damp and mould") and rnd() < 0.3:
            visit_day = add_working_days(ack_day, 2 + int(rnd() * 7))
            if visit_day > self.today:
                visit_status = "booked"
            else:
                v = rnd()
                visit_status = "kept" if v < 0.7 else "missed" if v < 0.9 else "cancelled"
            batch.appointments.append((next_ids["appointments"], case_id, customer_id,
                                       at(visit_day, 480 + 240 * int(rnd() * 2)),
                                       "Repair visit" if category == "housing repairs" else "Damp and mould survey",
                                       visit_status, ack))
            next_ids["appointments"] += 1

        batch.cases.append((
            case_id, f"C-{number}", kind, category, title, stage, status, priority, vulnerable,
            received, ack, resp, at(closed_day, closed_min) if closed_day else None, changed,
            at(stage2_day, start_min) if stage2_day else None, extension, self.stamps.due(due), assigned,
            stage1_handler, 1, received, changed,
        ))


def story_refs() -> tuple[str, ...]:
    """The fixed refs of the named stories (C-1001 ...)."""
    return STORY_REFS
