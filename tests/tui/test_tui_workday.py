"""A day at the desk (issue #17): what moving from case to case must not carry over."""

from __future__ import annotations

from textual import events

from deskapp.tui.app import DeskApp
from deskapp.tui.widgets.case_pane import CasePane
from deskapp.tui.widgets.sidebar import PolicySidebar

from tui_support import fixed_now, pick_in_queue, screen_text, settle, wait_until

REASON = "Nadia is on leave and asked us to warn him directly"


async def save_on_desk(pilot, app, key: str, form_type, fields: dict, reason: str | None = None) -> None:
    """Press `key` on the desk, fill in `fields` of the form it opens, save (giving `reason` when
    the rules ask for one) and wait until the desk is back."""
    from deskapp.tui.forms import ReasonModal

    desk_screen = app.screen
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, form_type))
    for name, value in fields.items():
        app.screen.widget(name).value = value
    await pilot.pause(0.2)
    await pilot.press("ctrl+s")
    if reason is not None:
        await wait_until(pilot, lambda: isinstance(app.screen, ReasonModal))
        app.post_message(events.Paste(reason))
        await pilot.pause()
        await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: app.screen is desk_screen)


async def test_a_newly_opened_case_starts_at_its_header_at_80x24(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await pick_in_queue(pilot, app, demo_desk, "C-1001")
        await pilot.press("2", "G")
        await pilot.pause()
        pane = screen.query_one(CasePane)
        assert pane.scroll_y > 0
        await pilot.press("1", "slash", *"C-1002", "enter")
        await wait_until(pilot, lambda: screen.case is not None and screen.case.ref == "C-1002")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        text = screen_text(app)
        assert pane.scroll_y == 0
        assert "C-1002  normal priority" in text.splitlines()[3]


async def test_a_new_case_opens_on_the_desk_with_the_queue_on_it(demo_desk):
    from deskapp.tui.forms.new_case import NewCaseForm

    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick_in_queue(pilot, app, demo_desk, "C-1001")
        await save_on_desk(pilot, app, "N", NewCaseForm, {"title": "Streetlight out on Mill Lane",
                                                          "name": "Rosa Pike"})
        await wait_until(pilot, lambda: screen.case.title == "Streetlight out on Mill Lane")
        await pilot.pause(1.0)  # the change feed reports the write: the desk re-reads, and stays
        await settle(pilot, app)
        assert screen.case.title == "Streetlight out on Mill Lane"
        assert screen.query_one("#queue").highlighted_id == screen.case.id
        assert "Streetlight out on Mill Lane" in screen.query_one(CasePane).text


async def test_the_last_action_shown_in_the_advice_pane_stays_with_its_case(demo_desk):
    from deskapp.tui.forms.abuse import AbuseForm

    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick_in_queue(pilot, app, demo_desk, "C-1001")
        # We rang Mr Penrose, not his social worker: the designated-representative warning.
        await save_on_desk(pilot, app, "w", AbuseForm, {"direction": "out"}, reason=REASON)
        await settle(pilot, app)
        sidebar = screen.query_one(PolicySidebar)
        await wait_until(pilot, lambda: "designated-representative" in {f.rule for f in
                                                                         sidebar.live_findings.findings})
        assert "(last action)" in sidebar.text
        await pick_in_queue(pilot, app, demo_desk, "C-1003")
        assert not list(sidebar.live_findings.findings)
        assert "(last action)" not in sidebar.text and "Nadia Kowalski" not in sidebar.text
        await pick_in_queue(pilot, app, demo_desk, "C-1001")  # and it is not brought back either
        assert "(last action)" not in sidebar.text


async def test_a_save_shows_the_case_from_its_header_at_80x24(demo_desk):
    from deskapp.tui.forms.note import NoteForm

    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await pick_in_queue(pilot, app, demo_desk, "C-1001")
        before = len(screen.case.history)
        await pilot.press("2", "G")
        await pilot.pause()
        pane = screen.query_one(CasePane)
        assert pane.scroll_y > 0
        await save_on_desk(pilot, app, "n", NoteForm, {"summary": "Spoke to the repairs team lead"})
        await wait_until(pilot, lambda: len(screen.case.history) == before + 1)
        await settle(pilot, app)
        assert pane.scroll_y == 0
        assert screen_text(app).splitlines()[3].startswith("│ C-1001  high priority")
