"""Local advice for forms no policy rule watches (new case, parties).

Shaped like policy findings (rule, severity, message) so the same panel shows
them the same way; they never stop a submit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from deskapp.tui.widgets.sidebar import days_left_text, deadline_rows, format_when

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hint:
    rule: str
    severity: str
    message: str


def deadline_hints(desk, kind: str, received: datetime, now: datetime) -> list[Hint]:
    """The deadlines a new case of `kind` received at `received` starts with, per the desk's policy pack."""
    try:
        from deskapp.policy.snapshot import CaseSnap

        snap = CaseSnap(ref="(new)", kind=kind or "complaint", status="new", received_at=received)
        rows = deadline_rows(desk.policies.deadlines(snap, now))
    except Exception as exc:  # the panel is a convenience; the case opens without it
        log.debug("no deadline preview: %s", exc)
        return []
    hints = []
    for row in rows:
        label, when, left = row[:3]  # (label, when, working days left, [note])
        words, _style = days_left_text(left)
        hints.append(Hint("deadline", "advice", f"{label}: {format_when(when)}" + (f" ({words})" if words else "")))
    return hints
