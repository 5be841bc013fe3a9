"""The desk takes audit checkpoints in a worker; when it cannot, supervisors see it and everyone keeps working."""

from __future__ import annotations

from textual import events

from deskapp.actions import open_desk
from deskapp.tui.app import DeskApp
from deskapp.tui.checkpoint_keeper import HEADER_ALERT

from tui_support import fixed_now, pick_in_queue, screen_lines, settle, wait_until


def _keygen():
    from deskapp.actions.checkpoints import keygen

    chosen, _, _ = keygen()
    return chosen


async def _run(url: str, who: str, check) -> None:
    desk = open_desk(url, None, who, clock=fixed_now)
    try:
        app = DeskApp(desk, now=fixed_now, show_clock=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            await check(pilot, app)
    finally:
        desk.close()


async def test_desk_takes_a_checkpoint_in_the_background(demo_url):
    chosen = _keygen()

    async def check(pilot, app):
        await wait_until(pilot, lambda: chosen.witness.exists() and chosen.witness.read_text().count("\n") == 1)
        await settle(pilot, app)
        assert app.checkpoint_problem is None
        assert HEADER_ALERT not in screen_lines(app)[0]

    await _run(demo_url, "priya", check)


async def test_missing_key_shows_supervisors_a_warning_and_the_desk_keeps_working(demo_url):
    chosen = _keygen()
    chosen.key.unlink()

    async def check(pilot, app):
        await wait_until(pilot, lambda: HEADER_ALERT in screen_lines(app)[0])
        assert any("Audit checkpoints are failing" in n.message and str(chosen.key) in n.message
                   for n in app._notifications)
        assert not chosen.witness.exists(), "nothing was written"
        await pilot.press("j")  # the desk still answers keys
        await settle(pilot, app)
        assert app.return_code is None

    await _run(demo_url, "priya", check)


async def test_handlers_are_not_shown_the_checkpoint_warning(demo_url):
    chosen = _keygen()
    chosen.key.unlink()

    async def check(pilot, app):
        await wait_until(pilot, lambda: app.checkpoint_problem is not None)
        await settle(pilot, app)
        assert HEADER_ALERT not in screen_lines(app)[0]
        assert not any("checkpoints" in n.message for n in app._notifications)

    await _run(demo_url, "sam", check)


async def test_no_checkpoints_set_up_means_no_worker_noise(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert app.checkpoint_problem is None and HEADER_ALERT not in screen_lines(app)[0]


async def test_a_saved_action_takes_a_due_checkpoint(demo_desk):
    from deskapp.tui.forms.note import NoteForm

    chosen = _keygen()
    chosen.source.write_text(chosen.source.read_text().replace("every_events = 200", "every_events = 1"))
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick_in_queue(pilot, app, demo_desk, "C-1001")
        await wait_until(pilot, lambda: chosen.witness.exists() and chosen.witness.read_text().count("\n") == 1)
        await settle(pilot, app)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NoteForm))
        await pilot.pause(0.2)
        app.post_message(events.Paste("Rang the contractor about parts"))
        await pilot.pause(0.3)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        await wait_until(pilot, lambda: chosen.witness.read_text().count("\n") == 2)
        assert app.checkpoint_problem is None
