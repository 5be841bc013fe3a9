"""A time a handler types (`10:30`, `2026-03-12 10:00`, `12/03/2026`): one parser for forms and scripts.

The desk keeps naive local time (the desk's time zone), so what is typed is
read as local time; an ISO 8601 time with an offset (`2026-03-12T10:00+01:00`,
`...Z`) is converted to local time, as imports are. Errors are one line that
the caller prefixes with the field's name.
"""

from __future__ import annotations

from datetime import datetime

WHEN_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y")
HINT = "use HH:MM, YYYY-MM-DD or YYYY-MM-DD HH:MM"


def _shown(text: str) -> str:
    """The typed text, printable characters only and cut short, to quote back in an error."""
    return "".join(ch for ch in text if ch.isprintable())[:40]


def _with_offset(text: str) -> datetime | None:
    """An ISO 8601 time carrying an offset, as local time; None for anything else."""
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    try:
        return value.astimezone().replace(tzinfo=None, second=0, microsecond=0)
    except (OverflowError, OSError, ValueError):
        return None


def parse_when(text: str, now: datetime, *, future: bool = False) -> datetime | None:
    """'' -> None (now); 'HH:MM' -> today at that time; or a date / date and time. Not in the future
    unless `future` (an appointment being booked).

    Raises ValueError with a one-line message (the caller names the field).
    """
    text = (text or "").strip()
    if not text:
        return None
    value = None
    try:
        clock = datetime.strptime(text, "%H:%M")
        value = now.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
    except ValueError:
        for fmt in WHEN_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if value is None:
        value = _with_offset(text)
    if value is None:
        raise ValueError(f"{_shown(text)!r} is not a time; {HINT}")
    if value > now and not future:
        raise ValueError(f"{value:%Y-%m-%d %H:%M} is in the future")
    return value
