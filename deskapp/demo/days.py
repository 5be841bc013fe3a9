"""Working-day arithmetic for the demo data (Monday to Friday; no bank holidays).

Only the demo uses this, to place events relative to the chosen "today";
deadlines (Case.due_at) come from the policy pack's calendar (deskapp.demo.deadlines).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

# Typical response times (working days) by stage, for placing generated responses in time; the
# deadlines themselves come from the policy pack (deskapp.demo.deadlines).
RESPONSE_DAYS = {1: 10, 2: 20}


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
