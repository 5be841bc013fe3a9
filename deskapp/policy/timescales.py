"""Complaint-handling timescales and the deadlines they give a case.

A timescale (e.g. the Housing Ombudsman Complaint Handling Code, or the FCA's
DISP rules) says, per stage, by when a case must be acknowledged and answered.
policies.yaml chooses one per case kind/category; `deadlines()` turns it into
dates for one case.

Why duck typing: `deadlines()` is called for up to a million cases by the demo
loader, with whatever row objects the store has; it only reads the attributes
kind, category, stage, status, received_at, acknowledged_at, responded_at,
stage2_at and extension_days (all optional except received_at).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Optional

from deskapp.policy.calendar import WorkingCalendar, end_of_day

# Units a period may be counted in.
UNITS = ("working_days", "calendar_days", "weeks")
# What a period is counted from.
ANCHORS = ("received", "stage_start", "acknowledged")

# Statuses that mean "acknowledged" / "answered" even when the timestamp is missing.
_ACKNOWLEDGED_STATUSES = frozenset(
    {"acknowledged", "investigating", "awaiting_customer", "awaiting_third_party", "responded", "closed"}
)
_RESPONDED_STATUSES = frozenset({"responded", "closed"})


@dataclass(frozen=True)
class Period:
    """`amount` units counted from `anchor` (received | stage_start | acknowledged)."""

    amount: int
    unit: str = "working_days"
    anchor: str = "stage_start"

    def due_date(self, calendar: WorkingCalendar, start: date) -> date:
        if self.unit == "working_days":
            return calendar.add_working_days(start, self.amount)
        days = self.amount * 7 if self.unit == "weeks" else self.amount
        try:
            return start + timedelta(days=days)
        except OverflowError:
            return date.max

    def describe(self) -> str:
        unit = self.unit.replace("_", " ")
        if self.amount == 1:
            unit = unit[:-1]
        anchor = {"received": "receipt", "stage_start": "the start of the stage", "acknowledged": "acknowledgement"}[self.anchor]
        return f"{self.amount} {unit} from {anchor}"


@dataclass(frozen=True)
class StageTimescale:
    acknowledge: Optional[Period] = None
    respond: Optional[Period] = None
    summary_resolution: Optional[Period] = None
    extension_max: Optional[int] = None  # working days; None = no limit set


@dataclass(frozen=True)
class Timescale:
    """A named set of deadlines per stage, and which cases it applies to."""

    name: str
    title: str
    stages: dict[int, StageTimescale]
    kinds: Optional[frozenset[str]] = None  # None = any kind
    categories: Optional[frozenset[str]] = None  # lower-case; None = any category

    def applies(self, kind: str, category: str) -> bool:
        if self.kinds is not None and kind not in self.kinds:
            return False
        if self.categories is not None and (category or "").lower() not in self.categories:
            return False
        return True

    def stage(self, stage: int) -> Optional[StageTimescale]:
        """The stage's rules; a stage not listed uses the highest listed stage below it."""
        found = self.stages.get(stage)
        if found is not None:
            return found
        lower = [s for s in self.stages if s <= stage]
        return self.stages[max(lower)] if lower else None


@dataclass(frozen=True)
class Deadlines:
    """Where a case stands against its timescale on a given day.

    Dates are end-of-day datetimes (23:59:59). `*_days_left` are working days
    from `now` (0 = due today, negative = overdue) or None when there is no such
    deadline or it has been met. `next_due` is the next unmet deadline (None when
    closed or all met): the store copies it into Case.due_at for the queue sort.
    """

    timescale: Optional[str] = None
    title: str = ""
    stage: int = 1
    acknowledge_by: Optional[datetime] = None
    acknowledged: bool = False
    acknowledge_days_left: Optional[int] = None
    respond_by: Optional[datetime] = None
    responded: bool = False
    respond_days_left: Optional[int] = None
    respond_by_provisional: bool = False  # counted from the acknowledgement deadline: not acknowledged yet
    summary_by: Optional[datetime] = None
    summary_days_left: Optional[int] = None
    extension_max: Optional[int] = None
    extension_days: int = 0
    next_due: Optional[datetime] = None
    next_due_what: Optional[str] = None  # "acknowledgement" | "response"
    next_due_days_left: Optional[int] = None
    closed: bool = False

    @property
    def acknowledge_overdue(self) -> bool:
        return self.acknowledge_days_left is not None and self.acknowledge_days_left < 0

    @property
    def respond_overdue(self) -> bool:
        return self.respond_days_left is not None and self.respond_days_left < 0

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["acknowledge_overdue"] = self.acknowledge_overdue
        out["respond_overdue"] = self.respond_overdue
        return out


NO_DEADLINES = Deadlines()


@dataclass
class TimescaleSet:
    """The pack's timescales in file order; the first that applies to a case wins."""

    calendar: WorkingCalendar
    timescales: list[Timescale] = field(default_factory=list)
    _choice: dict[tuple[str, str], Optional[Timescale]] = field(default_factory=dict)

    def choose(self, kind: str, category: str) -> Optional[Timescale]:
        key = (kind, category)
        try:
            return self._choice[key]
        except KeyError:
            pass
        found = next((t for t in self.timescales if t.applies(kind, category)), None)
        if len(self._choice) < 10_000:
            self._choice[key] = found
        return found

    def deadlines(self, case: Any, now: datetime) -> Deadlines:
        """Deadlines for one case (a CaseSnap or any object with the same attribute names)."""
        g = getattr
        kind = g(case, "kind", "complaint") or ""
        category = g(case, "category", "") or ""
        timescale = self.choose(kind, category)
        if timescale is None:
            return NO_DEADLINES
        stage = g(case, "stage", 1) or 1
        spec = timescale.stage(stage)
        received = g(case, "received_at", None)
        if spec is None or received is None:
            return Deadlines(timescale=timescale.name, title=timescale.title, stage=stage)
        cal = self.calendar
        status = g(case, "status", "") or ""
        closed = status == "closed"
        stage2_at = g(case, "stage2_at", None) if stage >= 2 else None
        stage_start = stage2_at or received
        acknowledged_at = g(case, "acknowledged_at", None)
        responded_at = g(case, "responded_at", None)
        if stage2_at is not None:
            # At stage 2 only an acknowledgement/response given after escalation counts.
            if acknowledged_at is not None and acknowledged_at < stage2_at:
                acknowledged_at = None
            if responded_at is not None and responded_at < stage2_at:
                responded_at = None
        acknowledged = acknowledged_at is not None or status in _ACKNOWLEDGED_STATUSES
        responded = responded_at is not None or status in _RESPONDED_STATUSES
        extension = g(case, "extension_days", 0) or 0
        today = now.date() if isinstance(now, datetime) else now

        def anchor_day(anchor: str, ack_due: Optional[date]) -> tuple[date, bool]:
            if anchor == "received":
                return received.date(), False
            if anchor == "stage_start":
                return stage_start.date(), False
            # acknowledged: the real acknowledgement, else its deadline (provisional), else stage start.
            if acknowledged_at is not None:
                return acknowledged_at.date(), False
            if ack_due is not None:
                return ack_due, True
            return stage_start.date(), True

        ack_due: Optional[date] = None
        if spec.acknowledge is not None:
            start, _ = anchor_day(spec.acknowledge.anchor, None)
            ack_due = spec.acknowledge.due_date(cal, start)
        resp_due: Optional[date] = None
        provisional = False
        if spec.respond is not None:
            start, provisional = anchor_day(spec.respond.anchor, ack_due)
            resp_due = spec.respond.due_date(cal, start)
            if extension:
                resp_due = cal.add_working_days(resp_due, extension)
        summary_due: Optional[date] = None
        if spec.summary_resolution is not None:
            start, _ = anchor_day(spec.summary_resolution.anchor, ack_due)
            summary_due = spec.summary_resolution.due_date(cal, start)

        left = cal.working_days_left
        ack_left = left(today, ack_due) if ack_due is not None and not acknowledged and not closed else None
        resp_left = left(today, resp_due) if resp_due is not None and not responded and not closed else None
        summary_left = left(today, summary_due) if summary_due is not None and not responded and not closed else None
        if ack_left is not None:
            next_due, next_what, next_left = ack_due, "acknowledgement", ack_left
        elif resp_left is not None:
            next_due, next_what, next_left = resp_due, "response", resp_left
        else:
            next_due, next_what, next_left = None, None, None
        return Deadlines(
            timescale=timescale.name,
            title=timescale.title,
            stage=stage,
            acknowledge_by=end_of_day(ack_due) if ack_due is not None else None,
            acknowledged=acknowledged,
            acknowledge_days_left=ack_left,
            respond_by=end_of_day(resp_due) if resp_due is not None else None,
            responded=responded,
            respond_days_left=resp_left,
            respond_by_provisional=provisional and not acknowledged,
            summary_by=end_of_day(summary_due) if summary_due is not None else None,
            summary_days_left=summary_left,
            extension_max=spec.extension_max,
            extension_days=extension,
            next_due=end_of_day(next_due) if next_due is not None else None,
            next_due_what=next_what,
            next_due_days_left=next_left,
            closed=closed,
        )
