"""Keeping cases.person_vulnerable in step, from inside an action's transaction (deskapp.store.person_flags).

`keep_in_step` re-derives the flag on the given cases and on every case of the
given persons, and adds a change-feed line for each case whose flag changed
(other than those the action already announces), so open desks repaint the
queue's V column and re-read the case if it is the one on show. No version bump: the handlers working those cases changed
nothing on them, and their edits must not conflict.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from deskapp.store.changes import record as record_change
from deskapp.store.person_flags import sync_person_vulnerable


def keep_in_step(desk: Any, session: Any, *, kind: str, at: datetime, case_ids: Iterable[int] = (),
                 person_ids: Iterable[int] = (), announced: Iterable[int] = ()) -> list[int]:
    """Re-derive person_vulnerable (see the module docstring); the ids of the cases whose flag changed."""
    changed = sync_person_vulnerable(session, case_ids=case_ids, person_ids=person_ids)
    quiet = set(announced)
    tell = [c for c in changed if c not in quiet]
    for case_id in tell:
        # No version: the case's own version did not change, yet a desk showing it must re-read it (its
        # VULNERABLE badge) - deskapp.tui.live re-reads the shown case for a line without one.
        record_change(session, kind=kind, actor=desk.me.username, at=at, case_id=case_id, version=None)
    return changed
