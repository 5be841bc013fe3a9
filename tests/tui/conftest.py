"""Fixtures for the desk UI tests: a fake desk, and a demo database (built once, copied per test)."""

from __future__ import annotations

import shutil

import pytest
from tui_support import DEMO_CASES, DEMO_USER, TODAY, FakeDesk, fixed_now


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


@pytest.fixture(autouse=True)
def _fresh_calls():
    """The calls in progress are kept per desk process (deskapp.tui.forms.calls): one test's call on
    a case must not be "in progress" in the next test's forms."""
    from deskapp.tui.forms import calls

    calls.registry.clear()
    yield
    calls.registry.clear()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo stories plus 30 generated cases, built once per test session."""
    from deskapp.demo.load import fill_demo
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
