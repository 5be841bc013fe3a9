"""The case pane and the policy sidebar on real demo data, and with hostile text in every field."""

from __future__ import annotations

from datetime import datetime

from deskapp.tui.app import DeskApp
from deskapp.tui.screens.main import MainScreen
from deskapp.tui.widgets.case_pane import CasePane
from deskapp.tui.widgets.sidebar import PolicySidebar

from tui_support import fixed_now, pick_in_queue, settle, wait_until
from tui_support import screen_text

HOSTILE = "[@click=app.quit]x[/] [$accent @click=app.quit]y [/] \x1b[2J\x1b]52;c;SGVsbG8=\x07\x07 \x9b31m"
LITERAL = "[@click=app.quit]x[/] [$accent @click=app.quit]y [/]"


async def open_case(pilot, app, desk, ref: str) -> MainScreen:
    return await pick_in_queue(pilot, app, desk, ref)


async def test_representative_case_shows_parties_history_and_advice(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_case(pilot, app, demo_desk, "C-1001")
        assert screen.case.ref == "C-1001"
        pane = screen.query_one(CasePane)
        text = pane.text
        assert "C-1001" in text and "VULNERABLE" in text
        assert "» Nadia Kowalski" in text and "designated: all contact via them" in text
        assert "Arthur Penrose" in text
        assert "missed" in text  # the two missed repair appointments
        for appt in screen.case.appointments:  # numbered as the today view and `appointment ics ID` name them
            assert f"#{appt.id} {appt.at:%a %d %b %Y %H:%M}" in text
        history = screen.case.history
        newest, oldest = history[-1], history[0]
        body = text[text.index("History ("):]
        assert body.index(newest.summary) < body.index(oldest.summary)  # newest first
        sidebar = screen.query_one(PolicySidebar)
        facts = sidebar.facts.plain
        assert "All contact via Nadia Kowalski (Northvale Adult Social Care)" in facts
        assert "Vulnerable" in facts
        deadlines = sidebar.deadlines.plain
        assert "Respond by" in deadlines
        rules = {f.rule for f in sidebar.standing_findings.findings}
        assert {"response-due", "unanswered-contacts"} <= rules, rules


async def test_narrow_tab_strip_counts_advice(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_case(pilot, app, demo_desk, "C-1001")
        strip = screen.query_one("#pane-tabs").content.plain
        assert "3 Advice (2 advice)" in strip and "C-1001" in strip
        await pilot.press("2")
        await pilot.pause()
        assert "Nadia Kowalski" in screen_text(app)


async def test_missing_case_is_one_line_notice(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: screen.case is not None)
        screen.select_case(987654, delay=0)
        await settle(pilot, app)
        assert screen.case is None
        assert "Could not load the case" in screen.query_one(CasePane).text
        assert app.is_running


def hostile_case():
    from deskapp.core.views import AppointmentView, ApprovalView, CaseView, ContactView, PartyView

    at = datetime(2026, 3, 2, 9, 0)
    return CaseView(
        id=1, ref=HOSTILE, kind="complaint", category=HOSTILE, title=HOSTILE, stage=1, status="new",
        priority=1, vulnerable=True, received_at=at, acknowledged_at=None, responded_at=None, closed_at=None,
        status_changed_at=None, stage2_at=None, extension_days=0, due_at=None, assigned_to=HOSTILE,
        stage1_handler=None, version=1,
        parties=(PartyView(id=1, role="representative", name=HOSTILE, designated=True, authorised=True,
                           organisation=HOSTILE, email=HOSTILE, phone=HOSTILE, address=HOSTILE, notes=HOSTILE),),
        history=(ContactView(id=1, at=at, channel="phone", direction="out", party_id=1, party_name=HOSTILE,
                             handler=HOSTILE, outcome="reached", summary=HOSTILE, body=HOSTILE + "\nmore " + HOSTILE,
                             reason=HOSTILE),),
        appointments=(AppointmentView(id=1, at=at, party_id=1, purpose=HOSTILE, status="missed"),),
        pending_approvals=(ApprovalView(id=3, case_id=1, case_ref=HOSTILE, requested_by=HOSTILE, action={},
                                        findings=[], reason=HOSTILE, status="pending", created_at=at),),
    )


async def test_hostile_text_everywhere_in_case_pane_and_sidebar(fake_desk):
    from dataclasses import dataclass

    @dataclass
    class Finding:
        rule: str
        severity: str
        message: str

    @dataclass
    class Standing:
        findings: list
        deadlines: object = None

    app = DeskApp(fake_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(200, 60)) as pilot:
        screen = app.screen
        case = hostile_case()
        screen.wanted_case_id = case.id
        screen.post_message(MainScreen.CaseLoaded(case.id, case, Standing([Finding(HOSTILE, "warn", HOSTILE)])))
        await pilot.pause()
        screen.query_one(PolicySidebar).show_live([Finding("x", "block", HOSTILE)], action=HOSTILE)
        await pilot.pause()
        pane_text = screen.query_one(CasePane).text
        assert pane_text.count(LITERAL) >= 10  # ref, title, category, assigned, party, org, contact ...
        for widget in [screen.query_one(CasePane), screen.query_one(PolicySidebar)]:
            assert widget.text.count(LITERAL) >= 2
            assert "\x1b" not in widget.text and "\x07" not in widget.text and "\x9b" not in widget.text
            for y in range(widget.size.height):  # and what is painted, line by line
                painted = widget.render_line(y).text
                assert "\x1b" not in painted and "\x07" not in painted and "\x9b" not in painted
        shown = screen_text(app)
        assert LITERAL[:40] in shown
        assert "\x1b" not in shown and "\x07" not in shown
        # Click over the text: nothing in it is a link.
        for y in range(2, 20, 3):
            await pilot.click(offset=(70, y))
        await pilot.pause()
        assert app.is_running


async def test_edit_party_picker_shows_names_literally(fake_desk):
    from textual.widgets import OptionList

    from deskapp.tui.screens.pick import PickScreen

    app = DeskApp(fake_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        case = hostile_case()
        screen.wanted_case_id = case.id
        screen.post_message(MainScreen.CaseLoaded(case.id, case, None))
        await pilot.pause()
        await pilot.press("P")
        await pilot.pause()
        assert isinstance(app.screen, PickScreen)
        prompt = app.screen.query_one(OptionList).get_option_at_index(0).prompt
        assert LITERAL in prompt.plain and "\x1b" not in prompt.plain
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and app.is_running


async def test_search_finds_the_case_and_opens_it(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: screen.case is not None)
        # Kowalski, not Penrose: Mr Penrose has a second case in the demo (C-1009).
        await pilot.press("slash", *"Kowalski", "enter")
        await wait_until(pilot, lambda: screen.case is not None and screen.case.ref == "C-1001")
        await settle(pilot, app)
        title = screen.query_one("#queue-title").content.plain
        assert title.startswith("1 match") and "search “Kowalski”" in title
        await pilot.press("escape")  # back to every open case
        await wait_until(pilot, lambda: screen.query_one("#queue-title").content.plain.endswith("cases"))
        assert screen.case.ref == "C-1001"  # the queue keeps the case under the cursor


async def test_search_finds_a_closed_case_by_ref_and_by_name(demo_desk):
    """Issue #17.4: C-1005 is closed; its ref and its customer's name still find it, shown as closed."""
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        view = screen.query_one("#queue")
        await wait_until(pilot, lambda: screen.case is not None)
        for typed in ("C-1005", "Amira"):
            await pilot.press("slash", "ctrl+a", "ctrl+k", *typed, "enter")
            await wait_until(pilot, lambda: screen.case is not None and screen.case.ref == "C-1005")
            await settle(pilot, app)
            assert view.queue.row(0).status == "closed"
            assert "No cases match." not in screen_text(app)
            first_row = view.render_line(0).text
            assert "C-1005" in first_row and "closed" in first_row  # shown as closed in the queue


async def test_mine_filter_counts_fewer_cases(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        view = screen.query_one("#queue")
        await wait_until(pilot, lambda: view.total is not None)
        everyone = view.total
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("enter", "ctrl+s")  # "Mine"
        await wait_until(pilot, lambda: screen.query_one("#queue-title").content.plain.count("mine") == 1
                         and view.queue is screen.queue and view.total is not None)
        assert 0 < view.total < everyone


async def test_hostile_text_stored_in_the_database_is_shown_literally(demo_desk):
    """Customer text through the real write path, then the whole desk: queue, case pane, sidebar."""
    from deskapp.actions import ActionRequest, load_case, save_party, submit

    from tui_support import case_id

    cid = case_id(demo_desk, "C-1002")
    case = load_case(demo_desk, cid)
    save_party(demo_desk, cid, case.version, role="third_party", name=LITERAL, designated=False,
               authorised=False, organisation="\x1b]52;c;SGVsbG8=\x07Org", email=None, phone=None,
               address=None, notes=None)
    case = load_case(demo_desk, cid)
    done = submit(demo_desk, ActionRequest(kind="note", case_id=cid, version=case.version,
                                           body=HOSTILE, summary=HOSTILE))
    assert type(done).__name__ == "Done", done
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(200, 50)) as pilot:
        screen = await pick_in_queue(pilot, app, demo_desk, "C-1002")
        shown = screen_text(app)
        assert LITERAL in shown
        assert "\x1b" not in shown and "\x07" not in shown
        pane = screen.query_one(CasePane).text
        assert pane.count(LITERAL) >= 2 and "Org" in pane and "52;c" not in pane
        for y in range(3, 45, 5):
            await pilot.click(offset=(110, y))
        await pilot.pause()
        assert app.is_running


async def test_party_address_and_notes_show_in_the_case_pane(demo_desk):
    """Issue #17 item 11: the resident's notes ("... through his social worker") and address are on the desk."""
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_case(pilot, app, demo_desk, "C-1001")
        text = " ".join(screen.query_one(CasePane).text.split())
        assert "Address Flat 4, Linden Court, Canal Street, Northvale NV3 2LP" in text
        assert "arrange everything through his social worker." in text
        assert "Notes Designated representative. All contact about this case" in text



async def test_the_same_residents_second_case_carries_his_representative_and_vulnerability(demo_desk):
    """C-1009: nobody is designated on it and the case is not flagged, yet Arthur Penrose's arrangement
    (recorded on him, on C-1001) and his vulnerability show, and phoning him raises the warning."""
    from deskapp.actions import ActionRequest, preview

    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_case(pilot, app, demo_desk, "C-1009")
        case = screen.case
        assert case.designated_representative is None and not case.vulnerable
        assert "VULNERABLE" in screen.query_one(CasePane).text
        sidebar = screen.query_one(PolicySidebar)
        assert "Vulnerable" in sidebar.facts.plain
        advice = {f.rule: f.message for f in sidebar.standing_findings.findings}
        assert "designated by Arthur Penrose on C-1001" in advice["person-arrangements"]
        assert "Nadia Kowalski (Northvale Adult Social Care)" in advice["person-arrangements"]
        assert "Arthur Penrose is vulnerable" in advice["person-vulnerable"]
    arthur = case.parties[0]
    findings = preview(demo_desk, case, ActionRequest(kind="contact", case_id=case.id, version=case.version,
                                                      channel="phone", direction="out", party_id=arthur.id))
    assert "person-designated-representative" in [f.rule for f in findings]
