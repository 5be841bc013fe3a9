"""From the main screen through an action form and back: the case and sidebar show what was written."""

from __future__ import annotations

import pytest
from textual import events

from deskapp.tui.app import DeskApp
from deskapp.tui.screens.main import MainScreen
from deskapp.tui.widgets.case_pane import CasePane
from deskapp.tui.widgets.sidebar import PolicySidebar

from tui_support import fixed_now, pick_in_queue, settle, wait_until

async def type_text(pilot, text: str) -> None:
    """A few key presses, then the rest as a terminal paste (key by key is slow under Pilot)."""
    await pilot.press(*text[:3])
    pilot.app.post_message(events.Paste(text[3:]))
    await pilot.pause()


SUMMARY = "Rang Mr Penrose directly about access"
REASON = "Nadia is on leave and asked us to ring him today"


async def open_representative_case(pilot, app, desk) -> MainScreen:
    return await pick_in_queue(pilot, app, desk, "C-1001")


async def test_log_contact_with_reason_round_trip(demo_desk):
    from deskapp.tui.forms import ReasonModal
    from deskapp.tui.forms.contact import ContactForm

    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_representative_case(pilot, app, demo_desk)
        before = len(screen.case.history)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactForm))
        await pilot.pause(0.2)
        await pilot.press("tab", "tab", "enter", "down", "enter")  # With: the resident, not the representative
        await pilot.press("tab", "tab", "tab")  # the person search -> outcome -> summary
        await type_text(pilot, SUMMARY)
        await pilot.pause(0.5)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonModal))
        await type_text(pilot, REASON)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        await settle(pilot, app)
        await wait_until(pilot, lambda: screen.case is not None and len(screen.case.history) == before + 1)
        await pilot.pause(0.3)  # the queue's re-read after the write must not move the desk off the case
        await settle(pilot, app)
        assert screen.case.ref == "C-1001"
        assert any("Saved on C-1001" in n.message for n in app._notifications)
        text = screen.query_one(CasePane).text
        assert SUMMARY in text and f"Reason: {REASON}" in text
        live = screen.query_one(PolicySidebar).live_findings
        assert "designated-representative" in {f.rule for f in live.findings}


async def test_cancelled_form_changes_nothing(demo_desk):
    from deskapp.tui.forms.note import NoteForm

    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_representative_case(pilot, app, demo_desk)
        before = screen.case
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NoteForm))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await settle(pilot, app)
        assert screen.case is before  # not even reloaded
        assert not any("Saved" in n.message for n in app._notifications)


@pytest.mark.slow
async def test_every_action_key_opens_its_form(demo_desk):
    from deskapp.tui.bindings import DESK_ACTIONS
    from deskapp.tui.screens.pick import PickScreen

    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_representative_case(pilot, app, demo_desk)
        for action in DESK_ACTIONS:
            if action.form == "merge":  # a supervisor's form: the demo's handler is refused before it opens
                await pilot.press(action.key)
                await pilot.pause(0.1)
                assert app.screen is screen and any("supervisor" in n.message for n in app._notifications)
                continue
            await pilot.press(action.key)
            await wait_until(pilot, lambda: app.screen is not screen)
            opened = app.screen
            if action.form == "edit_party":
                assert isinstance(opened, PickScreen)
            else:
                assert type(opened).__module__.startswith("deskapp.tui.forms"), (action, opened)
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is screen)


async def test_queue_reload_keeps_the_cursor_on_the_case(demo_desk):
    """After a write (here or at another desk) the queue is re-read; the handler stays on their case."""
    from deskapp.tui import queue_query

    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_representative_case(pilot, app, demo_desk)
        view = screen.query_one("#queue")
        cursor = view.cursor
        assert cursor > 0  # C-1001 is not the first row, so losing it would show
        old = view.queue
        queue_query.reload(view)
        await wait_until(pilot, lambda: view.queue is not old and view.total is not None)
        await pilot.pause(0.3)
        await settle(pilot, app)
        assert view.cursor == cursor and view.highlighted_id == screen.case.id
        assert screen.case.ref == "C-1001"
