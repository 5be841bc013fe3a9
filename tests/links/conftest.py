"""Linked and merged cases: the supervision team and a few cases opened through the actions."""

from __future__ import annotations

from datetime import datetime

import pytest

from supervision.conftest import NOW, run_cli, team  # noqa: F401 (fixtures and helpers shared)


def open_case(desk, title, name, received_at, **kwargs):
    """A complaint opened through the desk's own action (audited), with one resident party."""
    from deskapp.actions import new_case

    return new_case(desk, kind="complaint", category="repairs", title=title, received_at=received_at,
                    party={"role": "resident", "name": name, **kwargs})


def note(desk, case, text, at=None):
    from deskapp.actions import ActionRequest, Done, submit

    done = submit(desk, ActionRequest(kind="note", case_id=case.id, version=case.version, channel="note",
                                      direction="internal", body=text, at=at))
    assert isinstance(done, Done), done
    return done.case


@pytest.fixture
def pair(team):
    """C1: a leak reported by phone on Tue 3 Mar; C2: the same leak by email, received a day EARLIER
    (Mon 2 Mar), each with its own history."""
    sam = team["sam"]
    keep = open_case(sam, "Leak from the flat above", "Lee Price", datetime(2026, 3, 3, 9, 0), phone="07700 900412")
    dup = open_case(sam, "Water coming through ceiling", "Dana Hill", datetime(2026, 3, 2, 15, 0))
    keep = note(sam, keep, "Called Lee: water in the kitchen", at=datetime(2026, 3, 3, 10, 0))
    dup = note(sam, dup, "Email from Dana about the same leak", at=datetime(2026, 3, 2, 16, 0))
    return keep, dup
