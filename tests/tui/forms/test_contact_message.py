"""Logging a contact and sending a message: advice proceeds, warn asks for a reason, block offers approval."""

from __future__ import annotations

import pytest
from forms_support import (
    UNSET,
    FormApp,
    approvals,
    counts,
    last_audit,
    last_contact,
    party_named,
    rules,
    screen_text,
    settle,
    submit_form,
    type_text,
)

from deskapp.actions.outcomes import ApprovalRequested, Done
from deskapp.core.cards import redact_cards
from deskapp.tui.forms import BlockedModal, ReasonModal, open_form

CARD = "4242 4242 4242 4242"


async def test_contact_with_designated_representative_goes_straight_through(desk, case_of):
    case = case_of("C-1001")
    rep = case.designated_representative
    before = counts(desk)
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert form.value("party") == rep.id, "outbound contact defaults to the designated representative"
        assert "designated-representative" not in [r for r, _ in rules(form.live_findings)]
        form.widget("summary").focus()
        await type_text(pilot, "Agreed new repair date")
        await pilot.press("enter")  # Enter in a one-line field submits
        await settle(pilot)
        assert isinstance(app.result, Done)
    after = counts(desk)
    assert after["contacts"] == before["contacts"] + 1
    contact = last_contact(desk, case.id)
    assert contact.party_id == rep.id and contact.summary == "Agreed new repair date"
    assert contact.channel == "phone" and contact.direction == "out"
    assert last_audit(desk).reason is None


async def test_contact_with_resident_warns_live_then_stores_the_reason(desk, case_of):
    """Keyboard only: Tab to the party list, pick the resident, see the warning, give a reason."""
    case = case_of("C-1001")
    resident = party_named(case, "Arthur Penrose")
    before = counts(desk)
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert app.focused is form.widget("channel")
        await pilot.press("tab", "tab")  # channel -> direction -> party
        assert app.focused is form.widget("party").select
        await pilot.press("enter", "down", "enter")  # open the list, second entry (the resident), choose
        assert form.value("party") == resident.id
        await settle(pilot)
        assert ("designated-representative", "warn") in rules(form.live_findings)
        assert "WARN" in screen_text(app) and "reason" in form.panel.text
        await pilot.press("tab", "tab", "tab")  # -> the person search -> outcome -> summary
        assert app.focused is form.widget("summary")
        await type_text(pilot, "Rang Arthur about access")
        await submit_form(pilot)
        assert isinstance(app.screen, ReasonModal)
        assert counts(desk) == before, "a warning without a reason writes nothing"
        await type_text(pilot, "Nadia asked me to ring him directly today")
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    contact = last_contact(desk, case.id)
    assert contact.party_id == resident.id and contact.summary == "Rang Arthur about access"
    event = last_audit(desk)
    assert event.contact_id == contact.id
    assert event.reason == "Nadia asked me to ring him directly today"
    assert any(f["rule"] == "designated-representative" for f in event.findings)


async def test_contact_warning_cancelled_writes_nothing_and_keeps_the_input(desk, case_of):
    case = case_of("C-1001")
    resident = party_named(case, "Arthur Penrose")
    before = counts(desk)
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("party").value = resident.id
        form.widget("summary").value = "Left a voicemail"
        form.widget("body").load_text("Second line\nthird line")
        await settle(pilot)
        await submit_form(pilot)
        assert isinstance(app.screen, ReasonModal)
        await type_text(pilot, "half a reason")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is form, "Esc at the reason modal goes back to the form"
        assert app.result is UNSET
        assert form.value("summary") == "Left a voicemail"
        assert form.value("body") == "Second line\nthird line"
        assert form.value("party") == resident.id
        assert "Not saved" in form.status
        assert counts(desk) == before
        # A second try offers the reason typed before, so it is not lost either.
        await submit_form(pilot)
        assert isinstance(app.screen, ReasonModal)
        assert app.screen.query_one("#reason").text == "half a reason"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")  # and Esc on the form cancels it: nothing written
        await settle(pilot)
        assert app.result is None
    assert counts(desk) == before


async def test_reason_modal_requires_a_reason(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("party").value = party_named(case, "Arthur Penrose").id
        form.widget("summary").value = "Call"
        await submit_form(pilot)
        modal = app.screen
        assert isinstance(modal, ReasonModal)
        await type_text(pilot, "   ")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is modal
        assert modal.error.startswith("reason:")


async def test_contact_validation_names_the_field(desk, case_of):
    case = case_of("C-1001")
    before = counts(desk)
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        await submit_form(pilot)
        assert form.row("summary").error == "summary: say what was discussed"
        assert app.focused is form.widget("summary")
        form.widget("summary").value = "ok"
        form.widget("at").value = "tomorrow-ish"
        await submit_form(pilot)
        assert form.row("at").error.startswith("at: 'tomorrow-ish' is not a time")
        form.widget("at").value = "2026-03-11 09:00"
        await submit_form(pilot)
        assert form.row("at").error == "at: 2026-03-11 09:00 is in the future"
        assert "\n" not in form.status
    assert counts(desk) == before


async def test_contact_logged_earlier_today_keeps_its_time(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("summary").value = "Spoke to Nadia"
        form.widget("at").value = "09:15"
        form.widget("direction").value = "in"
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    contact = last_contact(desk, case.id)
    assert (contact.at.hour, contact.at.minute, contact.direction) == (9, 15, "in")


async def test_message_defaults_to_representative_and_sends(desk, case_of):
    case = case_of("C-1001")
    before = counts(desk)
    app = FormApp(open_form("message", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert form.value("party") == case.designated_representative.id
        assert form.value("channel") == "email"
        form.widget("subject").value = "Repair visit"
        form.widget("body").focus()
        await type_text(pilot, "Dear Nadia, the contractor can visit on Thursday morning.")
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    contact = last_contact(desk, case.id)
    assert contact.channel == "email" and contact.summary == "Repair visit"
    assert contact.body.startswith("Dear Nadia")
    assert counts(desk)["contacts"] == before["contacts"] + 1


async def test_card_number_blocks_live_and_back_to_edit_writes_nothing(desk, case_of):
    """C-1002: the customer wants card numbers from old invoices; typing one shows the block before send."""
    case = case_of("C-1002")
    before = counts(desk)
    app = FormApp(open_form("message", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("subject").value = "Your invoices"
        form.widget("body").focus()
        await type_text(pilot, f"The card used was {CARD}.")
        await settle(pilot)
        assert ("card-number-disclosure", "block") in rules(form.live_findings)
        assert "BLOCK" in screen_text(app)
        await submit_form(pilot)
        assert isinstance(app.screen, BlockedModal)
        await pilot.press("escape")  # back to edit
        await settle(pilot)
        assert app.screen is form and app.result is UNSET
        assert CARD in form.value("body")
        # Edit it out: the block goes away live and the message can be sent.
        form.widget("body").load_text("I'm sorry, we can't share card details from past invoices.")
        await settle(pilot)
        assert "card-number-disclosure" not in [r for r, _ in rules(form.live_findings)]
    assert counts(desk)["contacts"] == before["contacts"]
    assert counts(desk)["approval_requests"] == before["approval_requests"]


async def test_card_number_request_supervisor_approval_stores_a_pending_request(desk, case_of):
    case = case_of("C-1002")
    before = counts(desk)
    app = FormApp(open_form("message", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("body").load_text(f"Card on file: {CARD}")
        await submit_form(pilot)
        modal = app.screen
        assert isinstance(modal, BlockedModal)
        assert app.focused is modal.query_one("#back"), "the safe choice has the focus"
        await pilot.press("shift+tab", "enter")  # -> "Request supervisor approval"
        assert modal.asking
        await pilot.press("ctrl+s")  # an empty note is refused
        assert modal.error.startswith("note:")
        await type_text(pilot, "Customer verified; fraud team asked for it")
        await submit_form(pilot)
        assert isinstance(app.result, ApprovalRequested)
    rows = approvals(desk)
    assert len(rows) == before["approval_requests"] + 1
    request = rows[-1]
    assert request.status == "pending" and request.case_id == case.id
    assert request.reason == "Customer verified; fraud team asked for it"
    # Stored masked (first six, last four: PCI DSS 3.4), never as typed.
    assert request.action["kind"] == "message" and CARD not in request.action["body"]
    assert redact_cards(CARD) in request.action["body"]
    assert counts(desk)["contacts"] == before["contacts"], "the blocked message itself is not sent"


async def test_message_without_a_body_names_the_field(desk, case_of):
    case = case_of("C-1002")
    app = FormApp(open_form("message", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await submit_form(pilot)
        assert form.row("body").error == "body: the message is empty"


async def test_message_draft_survives_closing_the_form(desk, case_of):
    case = case_of("C-1002")
    app = FormApp(open_form("message", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("subject").value = "About your refund"
        form.widget("body").load_text("Half-written reply")
        await pilot.pause(0.1)
        await pilot.press("escape")
        await pilot.pause(0.2)
        await app.workers.wait_for_complete()
        assert app.result is None
    app = FormApp(open_form("message", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = app.form
        assert form.value("body") == "Half-written reply"
        assert form.value("subject") == "About your refund"
        assert "Draft restored" in form.notice


async def test_escape_in_an_open_pick_list_closes_the_list_not_the_form(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        form.widget("party").focus()
        await pilot.press("enter")
        assert form.widget("party").select.expanded
        await pilot.press("escape")
        await pilot.pause()
        assert not form.widget("party").select.expanded
        assert app.screen is form and app.result is UNSET
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None


@pytest.mark.postgres
async def test_warn_with_reason_on_postgresql(pg_url):
    """The same flow against PostgreSQL (skipped unless DESKAPP_TEST_POSTGRES_URL is set)."""
    from forms_support import ME, NOW, TODAY, case_id

    from deskapp.actions import load_case, open_desk
    from deskapp.demo.load import fill_demo
    from deskapp.store.engine import connect
    from deskapp.store.migrate import upgrade

    engine = connect(pg_url)
    try:
        upgrade(engine)
        fill_demo(engine, cases=0, seed=1, today=TODAY, me=ME)
    finally:
        engine.dispose()
    pg_desk = open_desk(pg_url, None, ME, clock=lambda: NOW)
    try:
        case = load_case(pg_desk, case_id(pg_desk, "C-1001"))
        resident = party_named(case, "Arthur Penrose")
        app = FormApp(open_form("contact", pg_desk, case))
        async with app.run_test(size=(120, 40)) as pilot:
            form = app.form
            form.widget("party").value = resident.id
            form.widget("summary").value = "Rang Arthur"
            await submit_form(pilot)
            assert isinstance(app.screen, ReasonModal)
            await type_text(pilot, "Nadia asked me to")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.result, Done)
        assert last_contact(pg_desk, case.id).party_id == resident.id
        assert last_audit(pg_desk).reason == "Nadia asked me to"
    finally:
        pg_desk.close()


@pytest.mark.real_debounce
async def test_typing_is_checked_once_it_pauses_not_on_every_key(desk, case_of, monkeypatch):
    from deskapp import actions

    calls = []
    real_preview = actions.preview

    def counting_preview(*args, **kwargs):
        calls.append(args[2].body)
        return real_preview(*args, **kwargs)

    monkeypatch.setattr(actions, "preview", counting_preview)
    case = case_of("C-1002")
    app = FormApp(open_form("message", desk, case, drafts=False))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        assert form.PREVIEW_DELAY == 0.3
        await settle(pilot)
        calls.clear()
        form.widget("body").focus()
        await pilot.press(*"4242 4242 4242 4242")  # 19 keys, each well inside the 300 ms debounce
        await settle(pilot)
        assert calls[-1] == "4242 4242 4242 4242"
        assert len(calls) <= 3, f"re-checked {len(calls)} times for 19 keys"
        assert ("card-number-disclosure", "block") in rules(form.live_findings)


async def test_a_check_overtaken_by_an_edit_never_shows_its_findings(desk, case_of, monkeypatch):
    """The rules are still checking a card number when the text becomes too long to check: the late
    answer about the old text must not appear beside the new one."""
    import asyncio
    import threading

    from deskapp import actions
    from deskapp.actions.validate import MAX_BODY

    app = FormApp(open_form("message", desk, case_of("C-1002")))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        gate, started = threading.Event(), threading.Event()
        real_preview = actions.preview

        def held_preview(*args, **kwargs):
            started.set()
            assert gate.wait(10), "test never released the check"
            return real_preview(*args, **kwargs)

        monkeypatch.setattr(actions, "preview", held_preview)
        form.widget("body").load_text(f"Card on file: {CARD}")
        assert await asyncio.to_thread(started.wait, 10)
        form.widget("body").load_text("x" * (MAX_BODY + 1))
        for _ in range(200):
            await pilot.pause(0.02)
            if form._preview_timer is None:
                break
        gate.set()
        await settle(pilot)
        assert form.live_findings == [], "the held check's card-number block stays unseen"
        assert "Not checked: body too long" in screen_text(app)
