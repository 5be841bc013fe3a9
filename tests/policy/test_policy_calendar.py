"""Working-day arithmetic: day 0 = receipt, non-working receipt moves to the next working day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from deskapp.policy.calendar import WorkingCalendar

CAL = WorkingCalendar("GB", "ENG")


def test_design_example_saturday_receipt():
    assert CAL.add_working_days(date(2026, 3, 7), 5) == date(2026, 3, 16)


@pytest.mark.parametrize("day, working", [
    (date(2026, 4, 3), False),   # Good Friday
    (date(2026, 4, 6), False),   # Easter Monday
    (date(2026, 4, 7), True),
    (date(2026, 12, 25), False),  # Christmas Day (Friday)
    (date(2026, 12, 28), False),  # Boxing Day substitute (Monday)
    (date(2026, 12, 29), True),
    (date(2027, 1, 1), False),
    (date(2026, 3, 7), False),   # Saturday
])
def test_bank_holidays(day, working):
    assert CAL.is_working_day(day) is working


def test_easter_2026():
    # Tue 31 Mar: Wed 1, Thu 2, (Fri 3, Mon 6 off) Tue 7, Wed 8, Thu 9.
    assert CAL.add_working_days(date(2026, 3, 31), 5) == date(2026, 4, 9)
    assert CAL.add_working_days(date(2026, 4, 3), 0) == date(2026, 4, 7)
    assert CAL.working_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1


def test_christmas_2026():
    assert CAL.add_working_days(date(2026, 12, 23), 5) == date(2027, 1, 4)
    assert CAL.add_working_days(date(2026, 12, 14), 10) == date(2026, 12, 30)
    assert CAL.working_days_between(date(2026, 12, 24), date(2026, 12, 29)) == 1
    assert CAL.holiday_name(date(2026, 12, 28)) == "Boxing Day (observed)"


def test_days_left_signs():
    due = date(2026, 3, 13)  # Friday
    assert CAL.working_days_left(date(2026, 3, 13), due) == 0
    assert CAL.working_days_left(date(2026, 3, 12), due) == 1
    assert CAL.working_days_left(date(2026, 3, 14), due) == -1  # Saturday after: still overdue
    assert CAL.working_days_left(date(2026, 3, 16), due) == -1
    assert CAL.working_days_left(date(2026, 3, 17), due) == -2


def test_closures_and_working_week():
    cal = WorkingCalendar("GB", "ENG", closures=[date(2026, 12, 24)], working_week=range(6))
    assert not cal.is_working_day(date(2026, 12, 24))
    assert cal.is_working_day(date(2026, 3, 7))  # Saturday worked
    assert not cal.is_working_day(date(2026, 3, 8))
    assert cal.holiday_name(date(2026, 12, 24)) == "office closed"


def test_no_country_means_weekends_only():
    cal = WorkingCalendar(None, None)
    assert cal.is_working_day(date(2026, 4, 3))


def test_far_dates_do_not_fail():
    assert CAL.add_working_days(date(1850, 1, 1), 3) == date(1850, 1, 4)
    assert CAL.add_working_days(date(9999, 12, 30), 10) == date(9999, 12, 31)
    assert CAL.add_working_days(date(2150, 6, 1), 1).year == 2150


def _naive_add(cal, d, n):
    while not cal.is_working_day(d):
        d += timedelta(days=1)
    while n:
        d += timedelta(days=1)
        if cal.is_working_day(d):
            n -= 1
    return d


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)), st.integers(0, 300))
def test_add_matches_walking_and_between_inverts(d, n):
    result = CAL.add_working_days(d, n)
    assert result == _naive_add(CAL, d, n)
    assert CAL.is_working_day(result)
    start = CAL.add_working_days(d, 0)
    assert CAL.working_days_between(start, result) == n


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)),
       st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)))
def test_between_is_antisymmetric(a, b):
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)
