"""The desk's quick start: the queue shows before the rest of the desk has opened, and nothing is lost.

deskapp.actions.opening reads the first screen with plain sqlite3 and opens the
real desk behind it. These tests hold the real desk back (open_desk waits on an
event) to look at the screen in between, then let it open, or fail.
"""

from __future__ import annotations

import threading

import pytest
from tui_support import DEMO_USER, fixed_now, screen_text, wait_until

from deskapp.actions import opening
from deskapp.actions.desk import Desk
from deskapp.errors import DeskError
from deskapp.tui.app import DeskApp


@pytest.fixture
def user(demo_url, desk_setting):
    """The desk is a demo desk, so the tests may open it `--as` the demo's handler (DEMO_USER)."""
    desk_setting(demo_url, "demo", "1")
    return DEMO_USER


def _in_force(url: str) -> str:
    """The sha256 of the pack the desk at `url` runs on."""
    from deskapp.actions.policies import rules_in_force
    from deskapp.store.engine import connect

    engine = connect(url)
    try:
        return rules_in_force(engine).sha256
    finally:
        engine.dispose()


def _publish(url: str, text: str) -> None:
    """Publish `text` as the desk's rules, as the demo's admin."""
    from deskapp.actions.policies import publish_as
    from deskapp.store.engine import connect

    engine = connect(url)
    try:
        publish_as(engine, "admin", text, source="edited.yaml")
    finally:
        engine.dispose()


def test_a_published_pack_is_trusted_only_after_it_passed(demo_url, user, tmp_path):
    assert opening.start(demo_url, None, as_name=DEMO_USER).result() is None, "never checked by this deskapp: the careful way"
    desk = opening.open_carefully(demo_url, None, as_name=DEMO_USER)
    desk.close()
    pending = opening.start(demo_url, None, as_name=DEMO_USER).result()
    assert pending is not None and pending.me.username == DEMO_USER
    assert pending.queue.count() > 0
    opened = pending.wait(timeout=60)
    assert isinstance(opened, Desk) and opened.me == pending.me
    assert opened.policy_hash == _in_force(demo_url)
    pending.close()
    _publish(demo_url, opening.config.policies_path(None).read_text(encoding="utf-8") + "\n# edited\n")
    assert opening.start(demo_url, None, as_name=DEMO_USER).result() is None, "a newly published pack: checked again"
    trial = tmp_path / "trial.yaml"
    trial.write_text("version: 1\nrules: []\n", encoding="utf-8")
    assert opening.start(demo_url, str(trial), as_name=DEMO_USER).result() is None, "a trial pack is always checked first"


def test_the_note_of_a_checked_pack_holds_its_whole_key():
    """The note is named by a checksum, but trusted only if it holds the very key: another pack whose
    key's checksum happens to match is checked again."""
    good, other = "a" * 64, "b" * 64
    assert not opening.policies_known_good(good)
    opening.remember_policies(good)
    assert opening.policies_known_good(good)
    assert not opening.policies_known_good(other)
    assert not opening.policies_known_good(None)
    # A note under the right name with other content (a checksum collision) is not trusted.
    stamp = opening._stamp(opening._rules_key(good))
    stamp.write_bytes(b"something else")
    assert not opening.policies_known_good(good)
    assert not list(stamp.parent.glob("*.tmp")), "notes are written aside and renamed"


def test_a_trusted_pack_that_fails_after_all_still_stops_the_desk(demo_url, user):
    """As if a library upgrade had changed the verdict on a pack published (and checked) before."""
    import hashlib
    import sqlite3

    broken = ("version: 1\nrules:\n  - id: broken\n    on: [note]\n    severity: advice\n    say: hi\n"
              "    when: 'case.no_such_fact'\n")
    sha = hashlib.sha256(broken.encode()).hexdigest()
    with sqlite3.connect(demo_url.removeprefix("sqlite:///")) as conn:
        conn.execute("INSERT INTO policy_packs (version, sha256, text, source, published_by, published_at) "
                     "VALUES (2, ?, ?, 'old.yaml', 'admin', '2026-03-09 09:00:00')", (sha, broken))
    opening.remember_policies(sha)
    pending = opening.start(demo_url, None, as_name=DEMO_USER).result()
    assert pending is not None
    with pytest.raises(DeskError) as caught:
        pending.wait(timeout=60)
    message = str(caught.value)
    assert "\n" not in message and "version 2" in message and "old.yaml:7:" in message, message


def _held_back(monkeypatch, demo_url):
    """A PendingDesk whose real desk opens only when the returned event is set."""
    from deskapp.actions import desk as desk_module

    release = threading.Event()
    real_open = desk_module.open_desk

    def slow_open(*args, **kwargs):
        assert release.wait(60), "test never released the desk"
        return real_open(*args, **kwargs)

    monkeypatch.setattr(desk_module, "open_desk", slow_open)
    opening.remember_policies(_in_force(demo_url))
    pending = opening.start(demo_url, None, as_name=DEMO_USER).result()
    assert pending is not None
    pending.clock = fixed_now
    return pending, release


async def test_queue_shows_before_the_desk_opens_then_the_case_loads(demo_url, user, monkeypatch):
    pending, release = _held_back(monkeypatch, demo_url)
    first_ref = pending.queue.rows(0, 1)[0].ref
    from deskapp.tui.live import LiveDesk

    app = DeskApp(pending, show_clock=False, live=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_until(pilot, lambda: first_ref in screen_text(app))
        assert not app.screen.query(LiveDesk), "live updates need the opened desk"
        assert app.desk_pending, "the queue is on screen while the desk is still opening"
        assert f"{pending.queue.count():,} cases" in screen_text(app)
        assert f"(handler, via {opening.config.os_username()})" in screen_text(app), "both names, from the start"
        await pilot.press("down")  # keys work on the rows already read
        await pilot.pause(0.3)
        assert app.desk_pending
        release.set()
        await wait_until(pilot, lambda: not app.desk_pending)
        assert isinstance(app.desk, Desk) and app.screen.desk is app.desk
        await wait_until(pilot, lambda: bool(app.screen.query(LiveDesk)))  # change feed and presence
        second = pending.queue.rows(1, 2)[0].ref
        await wait_until(pilot, lambda: app.screen.case is not None and app.screen.case.ref == second)
        await pilot.press("end")  # beyond the first page: the real queue answers
        await wait_until(pilot, lambda: app.screen.query_one("#queue").cursor == pending.queue.count() - 1)
    pending.close()


async def test_a_desk_that_cannot_open_closes_the_app_with_one_line(demo_url, user, monkeypatch):
    from deskapp.actions import desk as desk_module

    opening.remember_policies(_in_force(demo_url))
    pending = opening.start(demo_url, None, as_name=DEMO_USER).result()

    def refuse(*args, **kwargs):
        raise DeskError("database is locked by a backup: try again in a minute")

    monkeypatch.setattr(desk_module, "open_desk", refuse)
    app = DeskApp(pending, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_pending_desk()
        await wait_until(pilot, lambda: app.open_error is not None)
        await pilot.pause(0.2)
    assert app.return_code == 2
    assert "locked by a backup" in str(app.open_error)


def test_start_up_holds_garbage_collection_only_until_it_is_done(fake_desk):
    """run_desk turns the collector off while the desk starts; the app turns it back on, once."""
    import gc

    app = DeskApp(fake_desk, show_clock=False)
    frozen = gc.get_freeze_count()
    app.startup_done()  # collector on (tests): nothing to do, nothing frozen
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    gc.disable()
    try:
        app.startup_done()
        assert gc.isenabled(), "collection resumes after start-up"
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.enable()
        gc.unfreeze()


def test_the_first_screen_loads_only_what_it_shows():
    """What the desk imports before its first frame: no YAML parser, no argparse or hashlib, no ORM,
    and not the case's views (each frozen dataclass costs ~1 ms to make)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "import deskapp.cli, deskapp.actions.opening, deskapp.store.first_page\n"
            "import deskapp.tui.app, deskapp.tui.screens.main, deskapp.tui.widgets.queue_view\n"
            "from deskapp.core.views import HandlerView, QueueRow\n"
            "late = ('yaml', 'argparse', 'hashlib', 'sqlalchemy', 'deskapp.core.case_views', 'deskapp.policy')\n"
            "print(sorted(m for m in sys.modules if m.startswith(late)))\n"
            "from deskapp.core.views import CaseView\n"
            "print(CaseView.__module__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[]", "deskapp.core.case_views"]


def test_the_queues_end_is_read_before_the_desk_starts_opening(monkeypatch):
    """End pressed while the ORM and the rules load (a busy GIL) must not have to read the end itself."""
    order = []

    class Queue:
        def read_tail(self):
            order.append("read the end")

    pending = opening.PendingDesk(me=None, db_url="sqlite:///unused.db", queue=Queue())
    monkeypatch.setattr(opening.PendingDesk, "_open_desk", lambda self: order.append("open the desk"))
    pending._open()
    assert order == ["read the end", "open the desk"]
