"""C-1004 at the keyboard: no status says "responded" or "closed" until a final response is recorded.

The report (issue 15): `s` responded, then `s` closed, went through with no
finding and the export claimed a response never sent. Now both are blocked
live; the message form's "final response" tick records the fact, after which
both statuses go through. Empty reasons are refused in the modal before submit.
"""

from __future__ import annotations

from forms_support import (
    UNSET,
    FormApp,
    case_row,
    counts,
    last_contact,
    party_named,
    rules,
    settle,
    submit_form,
    type_text,
)

from deskapp.actions import load_case
from deskapp.actions.outcomes import Done
from deskapp.tui.forms import BlockedModal, ReasonModal, open_form


async def _status_is_blocked(desk, case, to: str, rule: str) -> None:
    app = FormApp(open_form("status", desk, case, to=to))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert (rule, "block") in rules(app.form.live_findings), "shown live, before submit"
        await submit_form(pilot)
        assert isinstance(app.screen, BlockedModal)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.result is None


async def _set_status(desk, case, to: str):
    app = FormApp(open_form("status", desk, case, to=to))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not [r for r, sev in rules(app.form.live_findings) if sev == "block"]
        await submit_form(pilot)
        assert isinstance(app.result, Done), app.result
        return app.result.case


async def test_c1004_responded_and_closed_need_the_final_response(desk, case_of):
    case = case_of("C-1004")
    before = counts(desk)
    await _status_is_blocked(desk, case, "responded", "respond-without-final-response")
    await _status_is_blocked(desk, case, "closed", "close-without-response")
    assert counts(desk) == before, "nothing written by either blocked status"

    app = FormApp(open_form("message", desk, case, drafts=False))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("channel").value = "letter"
        form.widget("party").value = party_named(case, "Helen Marsh").id
        form.widget("subject").value = "Our final response to your complaint"
        form.widget("body").load_text("Dear Ms Marsh, the contractor's tracking records confirm the missed "
                                      "collections. We have upheld your complaint and changed the round.")
        assert str(form.row("final").widget.label) == "This is the final response to stage 1"
        form.widget("final").focus()
        await pilot.press("space")
        await settle(pilot)
        assert form.value("final") is True
        await submit_form(pilot)
        assert isinstance(app.result, Done), app.result
    sent = last_contact(desk, case.id)
    assert (sent.channel, sent.direction, sent.response_stage) == ("letter", "out", 1)
    assert case_row(desk, case.id).responded_at == sent.at

    case = await _set_status(desk, load_case(desk, case.id), "responded")
    case = await _set_status(desk, case, "closed")
    assert case_row(desk, case.id).status == "closed"


async def test_the_contact_form_offers_the_tick_only_for_a_letter_or_email_we_sent(desk, case_of):
    case = case_of("C-1004")
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert form.row("final").has_class("-hidden"), "a phone call is never the final response"
        form.widget("channel").value = "letter"
        await settle(pilot)
        assert not form.row("final").has_class("-hidden")
        form.widget("direction").value = "in"
        await settle(pilot)
        assert form.row("final").has_class("-hidden")
        await pilot.press("escape")


async def test_an_empty_reason_is_refused_in_the_modal(desk, case_of):
    case = case_of("C-1001")
    before = counts(desk)
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("party").value = party_named(case, "Arthur Penrose").id
        form.widget("summary").value = "Rang Arthur about the visit"
        await submit_form(pilot)
        modal = app.screen
        assert isinstance(modal, ReasonModal)
        for empty in ("ok", "As discussed.", "short one"):
            modal.query_one("#reason").load_text(empty)
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is modal, f"{empty!r} must not go through"
            assert modal.error.startswith("reason:") and ("say" in modal.error or "short" in modal.error)
        assert counts(desk) == before
        modal.query_one("#reason").load_text("")
        await type_text(pilot, "Nadia asked me to ring him directly today")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.result, Done)
    assert app.result is not UNSET
