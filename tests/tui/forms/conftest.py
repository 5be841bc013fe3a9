"""Fixtures for the action-form tests: a demo database per test and a desk with a fixed clock.

The demo (deskapp.demo.load) is built once per session at a fixed "today"
and copied for each test, so every test starts from the same named stories
(C-1001 housing repairs via a social worker, C-1002 card details, C-1003
abusive caller, ...) without paying for migrations again.
"""

from __future__ import annotations

import shutil

import pytest
from forms_support import ME, NOW, TODAY, case_id


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    from deskapp.demo.load import fill_demo
    from deskapp.store.engine import connect
    from deskapp.store.migrate import upgrade

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = connect(f"sqlite:///{path}")
    upgrade(engine)
    fill_demo(engine, cases=20, seed=1, today=TODAY, me=ME)
    engine.dispose()
    return path


@pytest.fixture
def demo_url(demo_template, tmp_path):
    path = tmp_path / "desk.db"
    shutil.copy(demo_template, path)
    for suffix in ("-wal", "-shm"):
        side = demo_template.with_name(demo_template.name + suffix)
        if side.exists():
            shutil.copy(side, path.with_name(path.name + suffix))
    return f"sqlite:///{path}"


@pytest.fixture
def desk(demo_url):
    from deskapp.actions import open_desk

    opened = open_desk(demo_url, None, ME, clock=lambda: NOW)
    yield opened
    opened.close()


@pytest.fixture
def other_desk(demo_url):
    """Jo at another desk, on the same database."""
    from deskapp.actions import open_desk

    opened = open_desk(demo_url, None, "jo", clock=lambda: NOW)
    yield opened
    opened.close()


@pytest.fixture
def case_of(desk):
    from deskapp.actions import load_case

    return lambda ref: load_case(desk, case_id(desk, ref))


@pytest.fixture(autouse=True)
def _quick_debounce(request, monkeypatch):
    """Tests wait for every re-check; a shorter debounce keeps the suite quick. Tests that are about
    the debounce itself are marked `real_debounce`."""
    if request.node.get_closest_marker("real_debounce") is None:
        from deskapp.tui.forms.base import ActionForm

        monkeypatch.setattr(ActionForm, "PREVIEW_DELAY", 0.05)


def pytest_configure(config):
    config.addinivalue_line("markers", "real_debounce: run the action forms with their real 300 ms debounce")
