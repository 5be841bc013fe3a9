"""Working-day arithmetic for the demo data (Monday to Friday; no bank holidays).

Only the demo uses this, to place events and a first `due_at` relative to the
chosen "today". The desk's real deadlines come from the policy pack's calendar.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def roll_forward(day: date) -> date:
    """The day itself if it is a working day, else the next working day (receipt on a Saturday counts from Monday)."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def roll_back(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


@lru_cache(maxsize=65536)
def add_working_days(day: date, n: int) -> date:
    """The Nth working day after `day` (day 0 = `day`, or the next working day if it is not one).

    Negative `n` counts back from `day` (rolled back to a working day first).
    """
    if n >= 0:
        current = roll_forward(day)
        step = 1
    else:
        current = roll_back(day)
        step = -1
    remaining = abs(n)
    # Whole weeks first: five working days are seven calendar days.
    weeks, remaining = divmod(remaining, 5)
    current += timedelta(days=7 * weeks * step)
    while remaining:
        current += timedelta(days=step)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 if end <= start)."""
    if end <= start:
        return 0
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
