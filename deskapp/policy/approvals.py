"""How long a supervisor's approval stays usable (policies.yaml `approvals:`).

An approval is given for the case as it stood that day; left lying around it
becomes a licence to act on a case that has moved on. So it expires: by default
at the end of the next working day after the decision, counted on the pack's
calendar (weekends, bank holidays and closures do not count).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deskapp.policy.calendar import WorkingCalendar, as_date, end_of_day

DEFAULT_EXPIRE_AFTER_WORKING_DAYS = 1
MAX_EXPIRE_AFTER_WORKING_DAYS = 30


@dataclass(frozen=True)
class ApprovalSettings:
    expire_after_working_days: int = DEFAULT_EXPIRE_AFTER_WORKING_DAYS

    def expires_at(self, calendar: WorkingCalendar, at: datetime) -> datetime:
        """The end of the Nth working day after `at` (N = 0: the end of that working day).

        "After" means strictly after the day of `at`: decided on a Saturday with N = 1,
        the approval lasts until the end of Monday (the first working day after it).
        """
        n = self.expire_after_working_days
        day = as_date(at)
        if n > 0 and not calendar.is_working_day(day):
            n -= 1  # the next working day is already the first one after `at`
        return end_of_day(calendar.add_working_days(day, n))
