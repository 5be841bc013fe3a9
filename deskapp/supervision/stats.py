"""The team dashboard's figures, each one SQL aggregate over an index.

A desk may hold a million cases and several million audit events, so nothing
here loads rows to count them in Python: every figure is a COUNT/SUM ... GROUP
BY that the database answers from an index range (cases by due date, by
received date, by status; audit events by time). Only short "worst N" lists
come back as rows. The dashboard screen calls `dashboard()` in a worker thread
and never runs SQL itself.

What counts as an *override*: going ahead against a `warn` rule with a recorded
reason (an action's audit event with a reason and warn findings), or asking a
supervisor to allow a `block`ed action (an `approval.request` event with block
findings). Counted per handler per rule over the chosen period. A handler
stands out for a rule when their count is more than OUTLIER_FACTOR times the
median of the rest of the team for that rule and at least OUTLIER_MIN — a
colleague who keeps reaching for the card-number rule shows up even when
everyone else is at 0 or 1.

Days are working days on the desk's calendar (deskapp.policy.calendar), as
everywhere else on the desk: "3 working days late", "waiting 11 working days".
A count of calendar days would call a case due on Friday three days late on
Monday, where the case pane says one.
"""

from __future__ import annotations

import statistics
import time as clock
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Optional, Sequence

from sqlalchemy import Connection, DateTime, Integer, String, bindparam, text

from deskapp import vocab
from deskapp.policy.calendar import WorkingCalendar
from deskapp.store.models import OPEN_CASES_WHERE
from deskapp.supervision.trends import DEFAULT_RULE, SpikeRule, spikes

PERIODS = (7, 30, 90)
SHOW_WEEKS = 12
OUTLIER_FACTOR = 2.0
OUTLIER_MIN = 3
DUE_SOON_WORKING_DAYS = 2
WAITING_LONG_DAYS = 10  # working days
WORST = 8
# Spelled exactly as the open-cases partial indexes' predicate, so the planner can use them.
OPEN = OPEN_CASES_WHERE


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CaseLine:
    """One case in a "worst N" list."""

    id: int
    ref: str
    title: str
    assigned_to: Optional[str]
    status: str
    when: Optional[datetime]  # due date, or when it started waiting
    other: Optional[str] = None  # e.g. the third party it waits on
    working_days: Optional[int] = None  # working days late (overdue) or waiting (third parties), up to now


@dataclass(frozen=True)
class DeadlineStats:
    now: datetime
    soon_until: datetime
    overdue: int
    overdue_acknowledgement: int
    overdue_response: int
    due_today: int
    due_soon: int  # after today, up to soon_until
    overdue_by_handler: tuple[tuple[Optional[str], int], ...]
    most_overdue: tuple[CaseLine, ...]


@dataclass(frozen=True)
class OverrideRow:
    handler: str
    rule: str
    reasons: int  # went ahead against a warn with a reason
    approvals: int  # asked to override a block
    actions: int  # everything the handler did in the period, for scale
    team_median: float
    outlier: bool

    @property
    def total(self) -> int:
        return self.reasons + self.approvals


@dataclass(frozen=True)
class OverrideStats:
    days: int
    since: datetime
    until: datetime
    rows: tuple[OverrideRow, ...]  # outliers first, then by total
    team: tuple[str, ...]

    @property
    def outliers(self) -> tuple[OverrideRow, ...]:
        return tuple(r for r in self.rows if r.outlier)


@dataclass(frozen=True)
class Series:
    label: str
    counts: tuple[int, ...]  # one per week, oldest first (the last is the current, partial week)
    spikes: tuple[bool, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def spiking(self) -> bool:
        return any(self.spikes)

    @property
    def latest_spike(self) -> Optional[int]:
        """Index of the most recent spike week, if any."""
        return max((i for i, s in enumerate(self.spikes) if s), default=None)


@dataclass(frozen=True)
class VolumeStats:
    weeks: tuple[date, ...]  # Monday of each shown week
    categories: tuple[Series, ...]  # spiking first, then busiest
    kinds: tuple[Series, ...]  # complaint, compliment, enquiry, service_request


@dataclass(frozen=True)
class KindTotals:
    days: int
    counts: dict[str, int]

    @property
    def complaints(self) -> int:
        return self.counts.get("complaint", 0)

    @property
    def compliments(self) -> int:
        return self.counts.get("compliment", 0)


@dataclass(frozen=True)
class WaitingStats:
    count: int
    long_days: int
    waiting_long: int
    longest: tuple[CaseLine, ...]


@dataclass(frozen=True)
class MailStats:
    """Outbound email that has not gone: failed, unknown (a sender died mid-delivery), queued over an hour."""

    failed: int = 0
    unknown: int = 0
    late: int = 0
    worst: tuple[tuple[str, str, str], ...] = ()  # (case ref, status, the relay's last answer), newest first

    @property
    def any(self) -> bool:
        return bool(self.failed or self.unknown or self.late)


@dataclass(frozen=True)
class Dashboard:
    generated_at: datetime
    period_days: int
    deadlines: DeadlineStats
    overrides: OverrideStats
    volume: VolumeStats
    kinds: KindTotals
    waiting: WaitingStats
    pending_approvals: int
    mail: MailStats = MailStats()
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


# ----------------------------------------------------------------------------- helpers


def _q(sql: str, **types: Any):
    """A text query whose datetime parameters are bound as the store's DateTime (same text format on SQLite)."""
    stmt = text(sql)
    if types:
        stmt = stmt.bindparams(*(bindparam(name, type_=kind) for name, kind in types.items()))
    return stmt


def _names(conn: Connection) -> dict[int, str]:
    return dict(conn.execute(text("SELECT id, username FROM handlers")).all())


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59))


# ----------------------------------------------------------------------------- deadlines


def deadline_stats(conn: Connection, now: datetime, soon_until: datetime) -> DeadlineStats:
    """Open cases past their next deadline, due today, and due by `soon_until` (from cases.due_at).

    Each figure is its own COUNT over one index range (the open-cases partial
    indexes and status+due), so none of them visits a case row.
    """
    today_end = _end_of(now.date())

    def count(where: str, **params: datetime) -> int:
        stmt = _q(f"SELECT COUNT(*) FROM cases WHERE {where}", **{k: DateTime() for k in params})
        return int(conn.execute(stmt, params).scalar_one())

    overdue = count(f"{OPEN} AND due_at < :now", now=now)
    # Not acknowledged yet: still `new` (the status a case has until someone acknowledges it).
    overdue_ack = count("status = 'new' AND due_at < :now", now=now)
    due_today = count(f"{OPEN} AND due_at >= :now AND due_at <= :today_end", now=now, today_end=today_end)
    due_soon = count(f"{OPEN} AND due_at > :today_end AND due_at <= :soon", today_end=today_end, soon=soon_until)
    names = _names(conn)
    # One index seek per handler (a team is tens of people), plus the unassigned.
    by_handler = []
    for hid, name in names.items():
        stmt = _q(f"SELECT COUNT(*) FROM cases WHERE {OPEN} AND assigned_to_id = :h AND due_at < :now",
                  now=DateTime())
        n = int(conn.execute(stmt, {"h": hid, "now": now}).scalar_one())
        if n:
            by_handler.append((name, n))
    unassigned = count(f"{OPEN} AND assigned_to_id IS NULL AND due_at < :now", now=now)
    if unassigned:
        by_handler.append((None, unassigned))
    by_handler.sort(key=lambda item: (-item[1], item[0] or ""))
    worst = conn.execute(
        _q(f"""
        SELECT id, ref, title, assigned_to_id, status, due_at FROM cases
        WHERE {OPEN} AND due_at < :now
        ORDER BY due_at, id LIMIT {WORST}
        """, now=DateTime()),
        {"now": now},
    ).all()
    return DeadlineStats(
        now=now,
        soon_until=soon_until,
        overdue=overdue,
        overdue_acknowledgement=overdue_ack,
        overdue_response=max(overdue - overdue_ack, 0),
        due_today=due_today,
        due_soon=due_soon,
        overdue_by_handler=tuple(by_handler),
        most_overdue=tuple(
            CaseLine(id=r[0], ref=r[1], title=r[2], assigned_to=names.get(r[3]), status=r[4], when=_dt(r[5]))
            for r in worst
        ),
    )


def _dt(value: Any) -> Optional[datetime]:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


# ----------------------------------------------------------------------------- overrides

_OVERRIDES_SQLITE = """
SELECT e.actor, json_extract(f.value, '$.rule') AS rule,
       SUM(CASE WHEN e.action = 'approval.request' THEN 0 ELSE 1 END) AS reasons,
       SUM(CASE WHEN e.action = 'approval.request' THEN 1 ELSE 0 END) AS approvals
FROM (
    SELECT actor, action, findings FROM audit_events
    WHERE at >= :since AND at < :until
      AND (action = 'approval.request' OR (reason IS NOT NULL AND approval_id IS NULL))
) AS e, json_each(e.findings) AS f
WHERE json_valid(e.findings)
  AND ((e.action = 'approval.request' AND json_extract(f.value, '$.severity') = 'block')
    OR (e.action NOT LIKE 'approval.%' AND json_extract(f.value, '$.severity') = 'warn'))
GROUP BY e.actor, rule
"""

_OVERRIDES_PG = """
SELECT e.actor, f.value ->> 'rule' AS rule,
       SUM(CASE WHEN e.action = 'approval.request' THEN 0 ELSE 1 END) AS reasons,
       SUM(CASE WHEN e.action = 'approval.request' THEN 1 ELSE 0 END) AS approvals
FROM (
    SELECT actor, action, findings FROM audit_events
    WHERE at >= :since AND at < :until
      AND (action = 'approval.request' OR (reason IS NOT NULL AND approval_id IS NULL))
      AND json_typeof(findings) = 'array'
) AS e CROSS JOIN LATERAL json_array_elements(e.findings) AS f(value)
WHERE json_typeof(f.value) = 'object'
  AND ((e.action = 'approval.request' AND f.value ->> 'severity' = 'block')
    OR (e.action NOT LIKE 'approval.%%' AND f.value ->> 'severity' = 'warn'))
GROUP BY e.actor, f.value ->> 'rule'
"""


def override_stats(conn: Connection, now: datetime, days: int) -> OverrideStats:
    """Overrides per handler per rule in the `days` before now, with outliers marked."""
    since = now - timedelta(days=days)
    sql = _OVERRIDES_PG if conn.dialect.name == "postgresql" else _OVERRIDES_SQLITE
    found = conn.execute(_q(sql, since=DateTime(), until=DateTime()), {"since": since, "until": now}).all()
    kinds = ", ".join(f"'{k}'" for k in vocab.ACTION_KINDS)
    activity = dict(
        conn.execute(
            _q(f"""SELECT actor, COUNT(*) FROM audit_events
                   WHERE at >= :since AND at < :until AND action IN ({kinds}) GROUP BY actor""",
               since=DateTime(), until=DateTime()),
            {"since": since, "until": now},
        ).all()
    )
    workers = [name for (name,) in conn.execute(
        text("SELECT username FROM handlers WHERE active = :yes AND role = 'handler'"), {"yes": True}).all()]
    counts = [(str(actor), str(rule), int(reasons), int(approvals)) for actor, rule, reasons, approvals in found
              if rule is not None]
    team = sorted(set(workers) | set(activity) | {c[0] for c in counts})
    return OverrideStats(days=days, since=since, until=now, rows=rank_overrides(counts, team, activity), team=tuple(team))


def rank_overrides(counts: Sequence[tuple[str, str, int, int]], team: Sequence[str],
                   activity: dict[str, int]) -> tuple[OverrideRow, ...]:
    """Mark outliers per rule. Pure.

    A handler's count for a rule is compared with the median of the *rest* of
    the team for that rule (members with none count as 0): in a team of two,
    including the handler themself would let one heavy overrider drag the
    median up to half their own count.
    """
    by_rule: dict[str, dict[str, int]] = {}
    for handler, rule, reasons, approvals in counts:
        per = by_rule.setdefault(rule, {})
        per[handler] = per.get(handler, 0) + reasons + approvals
    members = set(team) | {c[0] for c in counts}
    rows = []
    for handler, rule, reasons, approvals in counts:
        per = by_rule[rule]
        others = [per.get(h, 0) for h in members if h != handler]
        median = float(statistics.median(others)) if others else 0.0
        total = reasons + approvals
        rows.append(OverrideRow(
            handler=handler, rule=rule, reasons=reasons, approvals=approvals,
            actions=int(activity.get(handler, 0)), team_median=median,
            outlier=total >= OUTLIER_MIN and total > OUTLIER_FACTOR * median,
        ))
    rows.sort(key=lambda r: (not r.outlier, -r.total, r.handler, r.rule))
    return tuple(rows)


# ----------------------------------------------------------------------------- volume


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def volume_stats(conn: Connection, now: datetime, weeks: int = SHOW_WEEKS,
                 rule: SpikeRule = DEFAULT_RULE) -> VolumeStats:
    """Cases received per category and per kind per week; the last `weeks` shown, spikes judged on more history."""
    total_weeks = weeks + rule.window
    first = week_start(now.date()) - timedelta(weeks=total_weeks - 1)
    # One small GROUP BY per week over the covering index: each is a short index range with a
    # handful of groups, where one big query would have to sort every case in the window by an
    # expression the index does not order (PostgreSQL spilled that sort to disk).
    per_category: dict[str, list[int]] = {}
    per_kind: dict[str, list[int]] = {k: [0] * total_weeks for k in vocab.CASE_KINDS}
    week_query = _q("""SELECT kind, category, COUNT(*) FROM cases
                       WHERE received_at >= :start AND received_at < :end GROUP BY kind, category""",
                    start=DateTime(), end=DateTime())
    for week in range(total_weeks):
        start = datetime.combine(first + timedelta(weeks=week), time())
        for kind, category, n in conn.execute(week_query, {"start": start, "end": start + timedelta(weeks=1)}):
            per_category.setdefault(str(category), [0] * total_weeks)[week] += int(n)
            per_kind.setdefault(str(kind), [0] * total_weeks)[week] += int(n)

    def series(label: str, counts: list[int]) -> Series:
        flags = spikes(counts, rule)
        return Series(label=label, counts=tuple(counts[-weeks:]), spikes=tuple(flags[-weeks:]))

    categories = [series(name, counts) for name, counts in per_category.items()]
    categories.sort(key=lambda s: (not s.spiking, -(s.latest_spike or 0), -s.total, s.label))
    kinds = [series(kind, per_kind[kind]) for kind in per_kind]
    shown = tuple(first + timedelta(weeks=rule.window + i) for i in range(weeks))
    return VolumeStats(weeks=shown, categories=tuple(categories), kinds=tuple(kinds))


def kind_totals(conn: Connection, now: datetime, days: int) -> KindTotals:
    since = now - timedelta(days=days)
    found = conn.execute(
        _q("SELECT kind, COUNT(*) FROM cases WHERE received_at >= :since AND received_at <= :now GROUP BY kind",
           since=DateTime(), now=DateTime()),
        {"since": since, "now": now},
    ).all()
    return KindTotals(days=days, counts={str(k): int(n) for k, n in found})


# ----------------------------------------------------------------------------- third parties


def waiting_stats(conn: Connection, now: datetime, long_days: int = WAITING_LONG_DAYS,
                  calendar: Optional[WorkingCalendar] = None) -> WaitingStats:
    """Cases waiting on a third party: how many, how many for more than `long_days` working days,
    and the longest waits (with their working days)."""
    calendar = calendar or WorkingCalendar(None, None)
    cutoff = datetime.combine(working_days_back(calendar, now.date(), long_days), time())
    count, long_count = conn.execute(
        _q("""SELECT COUNT(*), COALESCE(SUM(CASE WHEN COALESCE(status_changed_at, received_at) < :cutoff
                                              THEN 1 ELSE 0 END), 0)
              FROM cases WHERE status = 'awaiting_third_party'""", cutoff=DateTime()),
        {"cutoff": cutoff},
    ).one()
    names = _names(conn)
    longest = conn.execute(
        text(f"""
        SELECT c.id, c.ref, c.title, c.assigned_to_id, c.status, COALESCE(c.status_changed_at, c.received_at),
               (SELECT COALESCE(p.organisation, p.name) FROM parties p
                WHERE p.case_id = c.id AND p.role = 'third_party' ORDER BY p.id LIMIT 1)
        FROM cases c WHERE c.status = 'awaiting_third_party'
        ORDER BY COALESCE(c.status_changed_at, c.received_at), c.id LIMIT {WORST}
        """)
    ).all()
    return WaitingStats(
        count=int(count), long_days=long_days, waiting_long=int(long_count),
        longest=tuple(with_working_days(CaseLine(id=r[0], ref=r[1], title=r[2], assigned_to=names.get(r[3]),
                                                 status=r[4], when=_dt(r[5]), other=r[6]), calendar, now)
                      for r in longest),
    )


def working_days_back(calendar: WorkingCalendar, today: date, n: int) -> date:
    """The day D such that a wait that started before D has lasted more than `n` working days by today.

    A wait from day S has lasted working_days_between(S, today) days (working
    days after S up to today): more than n exactly when S is before the
    (n+1)th working day counting back from today.
    """
    day, seen = today, 0
    while True:
        if calendar.is_working_day(day):
            seen += 1
            if seen > n:
                return day
        day -= timedelta(days=1)


def with_working_days(line: CaseLine, calendar: WorkingCalendar, now: datetime) -> CaseLine:
    """The case line with the working days from its date (due or waiting since) up to now."""
    if line.when is None:
        return line
    return replace(line, working_days=max(0, calendar.working_days_between(line.when, now)))


def pending_approvals(conn: Connection) -> int:
    return int(conn.execute(text("SELECT COUNT(*) FROM approval_requests WHERE status = 'pending'")).scalar_one())


MAIL_LATE = timedelta(hours=1)


def mail_stats(conn: Connection, now: datetime) -> MailStats:
    """The outbox's trouble, if any (a desk without the outbox table, before mail1, has none)."""
    counts = dict(conn.execute(text(
        "SELECT status, COUNT(*) FROM outbox WHERE status IN ('failed', 'unknown') GROUP BY status")).all())
    late = conn.execute(text("SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending') "
                             "AND created_at < :t"), {"t": now - MAIL_LATE}).scalar_one()
    worst = conn.execute(text(
        "SELECT c.ref, o.status, COALESCE(o.last_error, '') FROM outbox o JOIN cases c ON c.id = o.case_id "
        "WHERE o.status IN ('failed', 'unknown') ORDER BY o.id DESC LIMIT :n"), {"n": WORST}).all()
    return MailStats(failed=int(counts.get("failed", 0)), unknown=int(counts.get("unknown", 0)), late=int(late),
                     worst=tuple((ref, status, error) for ref, status, error in worst))


# ----------------------------------------------------------------------------- all of it


def due_soon_until(desk: Any, now: datetime, working_days: int = DUE_SOON_WORKING_DAYS) -> datetime:
    """End of the working day `working_days` after today, on the desk's calendar."""
    return _end_of(desk_calendar(desk).add_working_days(now.date(), working_days))


def desk_calendar(desk: Any) -> WorkingCalendar:
    """The desk's working calendar (its policy pack's), or Monday to Friday with no holidays."""
    calendar = getattr(getattr(desk, "policies", None), "calendar", None)
    return calendar if calendar is not None else WorkingCalendar(None, None)


def dashboard(desk: Any, period_days: int = 30, now: Optional[datetime] = None) -> Dashboard:
    """Every dashboard figure, for supervisors and admins (roles.require). Call from a worker thread."""
    from deskapp.actions.permissions import require

    if period_days not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, not {period_days}")
    now = now or desk.now()
    timings: dict[str, float] = {}
    started = clock.perf_counter()
    with desk.engine.connect() as conn:
        from sqlmodel import Session

        with Session(bind=conn) as session:
            require(desk, "dashboard.view", session=session)

        def timed(name: str, fn, *args):
            t0 = clock.perf_counter()
            result = fn(*args)
            timings[name] = clock.perf_counter() - t0
            return result

        calendar = desk_calendar(desk)
        deadlines = timed("deadlines", deadline_stats, conn, now, due_soon_until(desk, now))
        deadlines = replace(deadlines, most_overdue=tuple(
            with_working_days(case, calendar, now) for case in deadlines.most_overdue))
        overrides = timed("overrides", override_stats, conn, now, period_days)
        volume = timed("volume", volume_stats, conn, now)
        kinds = timed("kinds", kind_totals, conn, now, period_days)
        waiting = timed("waiting", waiting_stats, conn, now, WAITING_LONG_DAYS, calendar)
        pending = timed("approvals", pending_approvals, conn)
        mail = timed("mail", mail_stats, conn, now)
    return Dashboard(generated_at=now, period_days=period_days, deadlines=deadlines, overrides=overrides,
                     volume=volume, kinds=kinds, waiting=waiting, pending_approvals=pending, mail=mail,
                     seconds=clock.perf_counter() - started, timings=timings)
