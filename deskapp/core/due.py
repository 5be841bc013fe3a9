"""When a case counts as "due soon": shared by the queue's SQL and the queue view's colours.

Plain date arithmetic, no database: the desk's first screen colours its rows
with it before SQLAlchemy is even imported.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Callable, Optional

# "Due soon": due before the end of this many working days after today.
DUE_SOON_WORKING_DAYS = 2


def due_soon_until(now: datetime, working_days: int = DUE_SOON_WORKING_DAYS,
                   is_working_day: Optional[Callable[[date], bool]] = None) -> datetime:
    """The end of the `working_days`-th working day after today (exclusive bound, i.e. midnight after it).

    Without a calendar, Monday to Friday are working days; the desk can pass
    its policy calendar's `is_working_day` to skip bank holidays too.
    """
    working = is_working_day or (lambda d: d.weekday() < 5)
    day = now.date()
    counted = 0
    for _ in range(366):
        if counted >= working_days:
            break
        day += timedelta(days=1)
        if working(day):
            counted += 1
    return datetime.combine(day + timedelta(days=1), time.min)
