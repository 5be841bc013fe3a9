"""The demo's deadlines, worked out as the desk works them out: by the policy pack.

Its own module because both the loader (deskapp.demo.load) and the worker
processes of a parallel load (deskapp.demo.parallel) need it, and the loader
uses the workers: here, neither has to import the other.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from types import SimpleNamespace
from typing import Optional

from deskapp.demo.generator import DueAt


def due_dates(pack) -> DueAt:
    """`Case.due_at` worked out as the desk works it out: the policy pack's timescales and calendar.

    The pack chooses the timescale by kind and category (e.g. FCA rules for
    billing complaints), counts working days on its calendar (bank holidays
    off) and gives the next unmet deadline. Cached on the few facts it depends
    on, so a million cases cost a few thousand calls.
    """

    @lru_cache(maxsize=200_000)
    def _due_at(kind: str, category: str, stage: int, status: str, received: date,
                acknowledged: Optional[date], stage2: Optional[date], extension_days: int) -> Optional[datetime]:
        case = SimpleNamespace(
            kind=kind, category=category, stage=stage, status=status, received_at=_noon(received),
            acknowledged_at=_noon(acknowledged), responded_at=None, stage2_at=_noon(stage2),
            extension_days=extension_days,
        )
        return pack.deadlines(case, _noon(received)).next_due

    def due(kind: str, category: str, stage: int, status: str, received: date, acknowledged: Optional[date],
            responded: Optional[date], stage2: Optional[date], extension_days: int) -> Optional[datetime]:
        if status == "closed" or responded is not None:
            return None  # nothing is due once the response has gone or the case is closed
        return _due_at(kind, category, stage, status, received, acknowledged, stage2, extension_days)

    return due


def _noon(day: Optional[date]) -> Optional[datetime]:
    return datetime.combine(day, time(12)) if day is not None else None
