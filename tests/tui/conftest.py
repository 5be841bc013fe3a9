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


# --- a demo database (the foundations' demo stories + 30 generated cases) ----------------------

DEMO_CASES = 30
DEMO_USER = "sam"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """Build the demo database once per test session; each test gets a copy."""
    from deskapp.store.demo import fill_demo
    from deskapp.store.engine import connect
    from deskapp.store.migrate import upgrade

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = connect(f"sqlite:///{path}")
    try:
        upgrade(engine)
        fill_demo(engine, cases=DEMO_CASES, seed=1, today=TODAY, me=DEMO_USER)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def demo_url(tmp_path, demo_template) -> str:
    import shutil

    target = tmp_path / "desk.db"
    shutil.copyfile(demo_template, target)
    for suffix in ("-wal", "-shm"):
        side = demo_template.with_name(demo_template.name + suffix)
        if side.exists():
            shutil.copyfile(side, target.with_name(target.name + suffix))
    return f"sqlite:///{target}"


@pytest.fixture
def demo_desk(demo_url):
    from deskapp.actions import open_desk

    desk = open_desk(demo_url, None, DEMO_USER, clock=fixed_now)
    yield desk
    desk.close()


def case_id(desk, ref: str) -> int:
    """Test-side lookup of a case id by ref (the UI itself never runs SQL)."""
    from sqlalchemy import select

    from deskapp.store.models import Case

    with desk.session() as session:
        return session.execute(select(Case.id).where(Case.ref == ref)).scalar_one()


async def settle(pilot, app) -> None:
    """Wait until workers are done and their messages handled."""
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()
