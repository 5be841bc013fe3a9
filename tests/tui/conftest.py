"""Fixtures for the desk UI: a pinned clock, a fake desk for UI-only tests, a demo database desk.

Snapshots and Pilot tests must not depend on the machine: the clock is fixed at
2026-03-10 11:00, the desk name is fixed, and the header clock is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

import pytest

NOW = datetime(2026, 3, 10, 11, 0)
TODAY = date(2026, 3, 10)


def fixed_now() -> datetime:
    return NOW


@dataclass(frozen=True)
class FakeHandler:
    id: int = 1
    username: str = "sam"
    display_name: str = "Sam Okafor"
    role: str = "handler"


@dataclass
class FakeDesk:
    """Just enough of deskapp.actions.Desk for screens that never reach the database."""

    me: FakeHandler = field(default_factory=FakeHandler)
    db_url: str = "sqlite:////srv/desk/deskapp.db"
    name: str = "desk-7"
    clock: Callable[[], datetime] = fixed_now
    queue: object = None

    def now(self) -> datetime:
        return self.clock()

    def close(self) -> None:
        pass


@pytest.fixture
def fake_desk() -> FakeDesk:
    return FakeDesk()


@pytest.fixture(autouse=True)
def _fixed_terminal(monkeypatch):
    """Truecolour terminal and a fixed desk name unless a test says otherwise."""
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("DESKAPP_DESK", "desk-7")
    monkeypatch.delenv("DESKAPP_THEMES", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
