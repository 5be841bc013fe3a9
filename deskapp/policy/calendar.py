"""Working-day arithmetic for deadlines: weekends, bank holidays and office closures off.

Why a class with tables: the demo loader asks for deadlines of up to a million
cases, so every question ("is this a working day?", "what is 5 working days
after this?", "how many working days between these?") is answered from
precomputed per-day tables instead of walking the calendar day by day.

Conventions (DESIGN.md "Working days"):
- the day something is received is day 0; "within N working days" means by the
  end of the Nth working day after it;
- something received on a non-working day counts as received on the next
  working day (that day is day 0).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Iterable, Optional

import holidays as holidays_lib

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
END_OF_DAY = time(23, 59, 59)

# Tables grow by whole years; outside these years there are no holiday tables.
_MIN_YEAR = 1900
_MAX_YEAR = 2199


def as_date(value: date | datetime) -> date:
    """A datetime's calendar day (a date is returned unchanged)."""
    return value.date() if isinstance(value, datetime) else value


def end_of_day(day: date) -> datetime:
    """Deadlines fall due at the end of their day: 23:59:59 local time."""
    return datetime.combine(day, END_OF_DAY)


class WorkingCalendar:
    """Which days are working days, and arithmetic over them.

    country/subdivision pick the public holidays from the `holidays` package
    (e.g. "GB"/"ENG"); `closures` are extra days the office is shut;
    `working_week` lists the weekday numbers that are worked (0 = Monday).
    """

    def __init__(
        self,
        country: Optional[str] = "GB",
        subdivision: Optional[str] = "ENG",
        closures: Iterable[date] = (),
        closure_names: Optional[dict[date, str]] = None,
        working_week: Iterable[int] = (0, 1, 2, 3, 4),
    ):
        self.country = country
        self.subdivision = subdivision
        self.working_week = frozenset(working_week)
        self.closures = frozenset(closures)
        self._closure_names = dict(closure_names or {})
        self._holiday_names: dict[date, str] = {}
        if country:
            # Raises NotImplementedError for an unknown country/subdivision; the loader checks first.
            self._holidays = holidays_lib.country_holidays(country, subdiv=subdivision, years=[])
        else:
            self._holidays = None
        # Tables over the ordinals [self._lo, self._hi):
        #   _cum[i]   = working days in [lo, lo + i)          (len = hi - lo + 1)
        #   _days     = the working-day ordinals, ascending
        self._lo = 0
        self._hi = 0
        self._cum: list[int] = [0]
        self._days: list[int] = []

    # ----- tables -------------------------------------------------------------------------

    def _ensure(self, ordinal: int) -> None:
        """Make sure the tables cover `ordinal` with a margin of a year either side."""
        if self._lo + 366 <= ordinal < self._hi - 366:
            return
        year = date.fromordinal(max(1, min(ordinal, date.max.toordinal()))).year
        lo_year = max(_MIN_YEAR, year - 2)
        hi_year = min(_MAX_YEAR, year + 2)
        if self._hi:
            lo_year = min(lo_year, date.fromordinal(self._lo).year)
            hi_year = max(hi_year, date.fromordinal(self._hi - 1).year)
        self._build(lo_year, hi_year)

    def _build(self, lo_year: int, hi_year: int) -> None:
        if self._holidays is not None:
            for y in range(lo_year, hi_year + 1):
                # Touching a day of the year makes the `holidays` object load that year.
                date(y, 1, 1) in self._holidays  # noqa: B015
            self._holiday_names = {d: str(n) for d, n in self._holidays.items()}
        lo = date(lo_year, 1, 1).toordinal()
        hi = date(hi_year, 12, 31).toordinal() + 1
        holiday_ords = {d.toordinal() for d in self._holiday_names}
        closure_ords = {d.toordinal() for d in self.closures}
        cum = [0] * (hi - lo + 1)
        days: list[int] = []
        week = self.working_week
        count = 0
        for i, o in enumerate(range(lo, hi)):
            cum[i] = count
            # date.fromordinal(o).weekday() == (o + 6) % 7
            if (o + 6) % 7 in week and o not in holiday_ords and o not in closure_ords:
                days.append(o)
                count += 1
        cum[hi - lo] = count
        self._lo, self._hi, self._cum, self._days = lo, hi, cum, days

    def _count_before(self, ordinal: int) -> int:
        """Working days in [lo, ordinal)."""
        self._ensure(ordinal)
        i = ordinal - self._lo
        if i <= 0:
            return 0
        if i >= len(self._cum):
            return self._cum[-1]
        return self._cum[i]

    # ----- questions ----------------------------------------------------------------------

    def is_working_day(self, day: date | datetime) -> bool:
        o = as_date(day).toordinal()
        n = self._count_before(o)
        return self._count_before(o + 1) > n

    def holiday_name(self, day: date | datetime) -> Optional[str]:
        """Why a weekday is not worked: the bank holiday's or closure's name, else None."""
        d = as_date(day)
        self._ensure(d.toordinal())
        if d in self._closure_names:
            return self._closure_names[d]
        if d in self.closures:
            return "office closed"
        return self._holiday_names.get(d)

    def next_working_day(self, day: date | datetime) -> date:
        """The day itself if it is a working day, else the next working day (day 0 of a count)."""
        o = as_date(day).toordinal()
        idx = self._count_before(o)  # index of the first working day >= o
        if idx >= len(self._days) or self._days[idx] < o:
            # Outside the table (year bounds): fall back to walking.
            return self._walk(as_date(day), 0)
        return date.fromordinal(self._days[idx])

    def add_working_days(self, day: date | datetime, n: int) -> date:
        """The date n working days after `day`, which counts as day 0.

        A non-working `day` is first moved to the next working day. Negative n
        counts back from that day 0.
        """
        d = as_date(day)
        o = d.toordinal()
        # Make the tables reach the likely answer (7 calendar days hold at least 2 working days
        # in any sane calendar; the slow path covers the rest).
        self._ensure(o)
        self._ensure(max(1, min(date.max.toordinal(), o + n * 7 // 2 + (30 if n >= 0 else -30))))
        idx = self._count_before(o)
        target = idx + n
        inside = self._lo < o < self._hi and 0 <= target < len(self._days)
        if inside and idx < len(self._days):
            return date.fromordinal(self._days[target])
        return self._walk(d, n)

    def working_days_between(self, a: date | datetime, b: date | datetime) -> int:
        """Working days after `a` up to and including `b`; negative when b is before a.

        working_days_between(Mon, Tue) == 1; between a day and itself == 0.
        """
        oa, ob = as_date(a).toordinal(), as_date(b).toordinal()
        if ob >= oa:
            return self._count_before(ob + 1) - self._count_before(oa + 1)
        return -(self._count_before(oa + 1) - self._count_before(ob + 1))

    def working_days_left(self, today: date | datetime, due: date | datetime) -> int:
        """Working days from today until a deadline: 0 = due today, negative = overdue.

        Overdue is at least -1 even when the days since the deadline are not
        working days (a deadline missed on Friday reads -1 on Saturday).
        """
        t, d = as_date(today), as_date(due)
        if t <= d:
            return self.working_days_between(t, d)
        return min(-1, -self.working_days_between(d, t))

    def _walk(self, d: date, n: int) -> date:
        """Slow path for dates outside the tables: step day by day (no holidays known there)."""
        step = timedelta(days=1)
        try:
            while not self._plain_working(d):
                d += step
            sign = 1 if n >= 0 else -1
            left = abs(n)
            while left:
                d += sign * step
                if self._plain_working(d):
                    left -= 1
        except OverflowError:
            return date.max if n >= 0 else date.min
        return d

    def _plain_working(self, d: date) -> bool:
        return d.weekday() in self.working_week and d not in self.closures and d not in self._holiday_names

    def describe(self) -> str:
        where = self.country + (f"/{self.subdivision}" if self.subdivision else "") if self.country else "no public holidays"
        return where + (f", {len(self.closures)} closure day(s)" if self.closures else "")

    def holidays_between(self, a: date, b: date) -> list[tuple[date, str]]:
        """Non-working weekdays (holidays and closures) in [a, b], for explanations."""
        out = []
        d = a
        while d <= b:
            name = self.holiday_name(d)
            if name and d.weekday() in self.working_week:
                out.append((d, name))
            d += timedelta(days=1)
        return out


def parse_weekday(name: str) -> Optional[int]:
    """'mon' / 'Monday' -> 0 ... ; None if not a weekday name."""
    key = name.strip().lower()[:3]
    return WEEKDAY_NAMES.index(key) if key in WEEKDAY_NAMES else None


def supported_subdivisions(country: str) -> list[str]:
    return list(holidays_lib.list_supported_countries().get(country, []))


def supported_countries() -> list[str]:
    return sorted(holidays_lib.list_supported_countries())


__all__ = [
    "WorkingCalendar",
    "as_date",
    "end_of_day",
    "parse_weekday",
    "supported_countries",
    "supported_subdivisions",
]
