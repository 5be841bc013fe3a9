"""The one parser for times a handler types, in a form or after `--at` (deskapp.core.when)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskapp.core.when import WHEN_FORMATS, parse_when

NOW = datetime(2026, 3, 10, 11, 0)
minutes = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2099, 12, 30)).map(
    lambda d: d.replace(second=0, microsecond=0))


@given(minutes, st.sampled_from(WHEN_FORMATS))
def test_every_format_reads_back_what_it_wrote(value, fmt):
    expected = datetime.strptime(value.strftime(fmt), fmt)
    assert parse_when(value.strftime(fmt), NOW, future=True) == expected


@given(minutes, st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_an_offset_is_converted_to_the_desks_local_time(value, offset):
    zone = timezone(timedelta(minutes=offset))
    aware = value.replace(tzinfo=zone)
    assert parse_when(aware.isoformat(), NOW, future=True) == aware.astimezone().replace(tzinfo=None)
    utc = value.replace(tzinfo=timezone.utc)
    assert parse_when(value.isoformat() + "Z", NOW, future=True) == utc.astimezone().replace(tzinfo=None)


@given(st.text(max_size=60))
def test_any_text_is_a_time_or_one_printable_line(text):
    try:
        parse_when(text, NOW, future=True)
    except ValueError as exc:
        message = str(exc)
        assert message.isprintable() and len(message) < 160


def test_clock_time_is_today_and_the_past_is_the_default():
    assert parse_when("09:30", NOW) == NOW.replace(hour=9, minute=30)
    assert parse_when(" ", NOW) is None
    with pytest.raises(ValueError, match="2026-03-12 10:00 is in the future"):
        parse_when("2026-03-12 10:00", NOW)
    with pytest.raises(ValueError, match=r"^'next week' is not a time; use HH:MM"):
        parse_when("next week", NOW, future=True)
