"""Status, assign, escalate, extend and internal notes, each through its form."""

from __future__ import annotations

from forms_support import (
    UNSET,
    FormApp,
    approvals,
    case_row,
    counts,
    last_audit,
    last_contact,
    party_named,
    rules,
    settle,
    submit_form,
    type_text,
)

from deskapp.actions.outcomes import ApprovalRequested, Done
from deskapp.tui.forms import BlockedModal, ReasonModal, open_form


async def test_status_change_proceeds(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("status", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        options = [value for _label, value in form.widget("status")._options]
        assert case.status not in options, "the current status is not offered"
        form.widget("status").value = "awaiting_customer"
        form.widget("body").load_text("Waiting for Nadia to confirm access")
        await settle(pilot)
        await submit_form(pilot)
        assert isinstance(app.result, Done)
        assert app.result.case.status == "awaiting_customer"
    assert case_row(desk, case.id).status == "awaiting_customer"


async def test_closing_a_complaint_without_a_response_is_blocked_live(desk, case_of):
    case = case_of("C-1001")
    before = counts(desk)
    app = FormApp(open_form("status", desk, case, to="closed"))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert form.value("status") == "closed"
        assert ("close-without-response", "block") in rules(form.live_findings)
        await submit_form(pilot)
        assert isinstance(app.screen, BlockedModal)
        await pilot.press("escape")
        await settle(pilot)
        assert app.result is UNSET
    assert counts(desk) == before
    assert case_row(desk, case.id).status == case.status


async def test_status_without_a_choice_names_the_field(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("status", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        await submit_form(pilot)
        assert app.form.row("status").error == "status: choose the new status"


async def test_assign_on_customer_request_warns_and_records_who_asked(desk, case_of):
    """C-1002: the customer keeps asking for Jo."""
    case = case_of("C-1002")
    customer = party_named(case, "Graham Whitlock")
    app = FormApp(open_form("assign", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert "jo" in [value for _label, value in form.widget("to")._options]
        assert form.row("at_request_of").has_class("-hidden")
        form.widget("to").value = "jo"
        form.widget("on_request").focus()
        await pilot.press("space")  # tick "the customer asked for this handler"
        await settle(pilot)
        assert not form.row("at_request_of").has_class("-hidden")
        assert form.value("at_request_of") == customer.id
        assert ("reassign-on-request", "warn") in rules(form.live_findings)
        await submit_form(pilot)
        assert isinstance(app.screen, ReasonModal)
        await type_text(pilot, "Team leader agreed Jo takes it")
        await submit_form(pilot)
        assert isinstance(app.result, Done)
        assert app.result.case.assigned_to == "jo"
    event = last_audit(desk)
    assert event.action == "assign" and event.reason == "Team leader agreed Jo takes it"
    assert event.detail["at_request_of"] == customer.id


async def test_assign_plainly_goes_straight_through(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("assign", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        form.widget("to").value = "priya"
        await settle(pilot)
        assert form.live_findings == [] or all(f.severity == "advice" for f in form.live_findings)
        await submit_form(pilot)
        assert isinstance(app.result, Done)
        assert app.result.case.assigned_to == "priya"
    assert last_audit(desk).reason is None


async def test_the_action_layers_refusal_is_one_line_and_keeps_the_form(desk, case_of):
    """C-1004 belongs to Sam: a plain handler may not take it off him (the action layer says so)."""
    case = case_of("C-1004")
    before = counts(desk)
    app = FormApp(open_form("assign", desk, case, to="jo"))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert form.value("to") == "jo"
        await submit_form(pilot)
        assert app.result is UNSET and app.screen is form
        assert form.status.startswith("Not saved: ") and "\n" not in form.status
        assert form.value("to") == "jo"
    assert counts(desk) == before


async def test_escalate_to_the_stage_one_handler_warns(desk, case_of):
    """C-1001 is handled at stage 1 by the tester; giving stage 2 to the same person warns."""
    case = case_of("C-1001")
    app = FormApp(open_form("escalate", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        form.widget("to").value = "tester"
        form.widget("why").load_text("Resident unhappy with the stage 1 answer")
        await settle(pilot)
        assert ("stage2-same-handler", "warn") in rules(form.live_findings)
        form.widget("to").value = "priya"
        await settle(pilot)
        assert "stage2-same-handler" not in [r for r, _ in rules(form.live_findings)]
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    row = case_row(desk, case.id)
    assert row.stage == 2
    assert last_contact(desk, case.id).body == "Resident unhappy with the stage 1 answer"


async def test_escalating_a_stage_two_case_shows_the_action_layers_one_line_error(desk, case_of):
    case = case_of("C-1008")  # already at stage 2
    before = counts(desk)
    app = FormApp(open_form("escalate", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("why").load_text("again")
        await submit_form(pilot)
        assert app.result is UNSET and app.screen is form
        assert "already at stage 2" in form.status
        assert "\n" not in form.status
    assert counts(desk) == before


async def test_escalate_needs_a_why(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("escalate", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await submit_form(pilot)
        assert app.form.row("why").error == "why: say why the complaint goes to stage 2"


async def test_extend_within_the_limit(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("extend", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("working_days").focus()
        await type_text(pilot, "5")
        form.widget("reason").load_text("Waiting for a specialist damp survey")
        await settle(pilot)
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    assert case_row(desk, case.id).extension_days == case.extension_days + 5


async def test_extend_beyond_the_limit_is_blocked_and_can_go_to_a_supervisor(desk, case_of):
    case = case_of("C-1001")
    before = counts(desk)
    app = FormApp(open_form("extend", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("working_days").value = "15"
        form.widget("reason").load_text("Contractor shortage")
        await settle(pilot)
        assert ("extension-limit", "block") in rules(form.live_findings)
        await submit_form(pilot)
        modal = app.screen
        assert isinstance(modal, BlockedModal)
        modal.action_request()
        await pilot.pause()
        await type_text(pilot, "Ombudsman agreed more time")
        await submit_form(pilot)
        assert isinstance(app.result, ApprovalRequested)
    assert case_row(desk, case.id).extension_days == case.extension_days
    assert approvals(desk)[-1].action["working_days"] == 15
    assert counts(desk)["approval_requests"] == before["approval_requests"] + 1


async def test_extend_validation(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("extend", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("working_days").value = "five"
        await submit_form(pilot)
        assert form.row("working_days").error.startswith("working_days: give a whole number")
        form.widget("working_days").value = "3"
        await submit_form(pilot)
        assert form.row("reason").error.startswith("reason: say why")
        form.widget("working_days").value = "99"
        form.widget("reason").load_text("typo check")
        await submit_form(pilot)
        assert "working_days" in form.status and "99" in form.status  # the action layer's check
        assert app.result is UNSET


async def test_internal_note(desk, case_of):
    case = case_of("C-1004")
    app = FormApp(open_form("note", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await submit_form(pilot)
        assert form.row("body").error == "body: the note is empty"
        form.widget("body").focus()
        await type_text(pilot, "Chased the depot again")
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    contact = last_contact(desk, case.id)
    assert (contact.channel, contact.direction, contact.body) == ("note", "internal", "Chased the depot again")
