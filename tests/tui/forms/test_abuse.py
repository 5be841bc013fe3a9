"""The abusive caller: warn, then end the call; the desk remembers the call between the two."""

from __future__ import annotations

from datetime import timedelta

from forms_support import (
    FormApp,
    contacts_of,
    counts,
    last_audit,
    rules,
    settle,
    submit_form,
    type_text,
)

from deskapp.actions import load_case
from deskapp.actions.outcomes import Done
from deskapp.tui.forms import ReasonModal, open_form
from deskapp.tui.forms.calls import CallRegistry, registry


async def _warn(desk, case, summary="Asked him to stop swearing"):
    app = FormApp(open_form("abuse", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert form.mode == "warning"
        assert "No call in progress" in str(form.query_one("#call-state").content)
        form.widget("summary").value = summary
        await submit_form(pilot)
        assert isinstance(app.result, Done)
        return app.result


async def test_warning_then_end_call_in_the_same_call_needs_no_reason(desk, case_of):
    case = case_of("C-1003")
    warned = await _warn(desk, case)
    warning = contacts_of(desk, case.id)[-1]
    assert warning.outcome == "warning_given" and warning.call_id
    assert registry.current_call_id(case.id, desk.now()) == warning.call_id

    app = FormApp(open_form("end_call", desk, warned.case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert form.mode == "end_call"
        assert "1 warning given" in str(form.query_one("#call-state").content)
        assert "end-call-without-warning" not in [r for r, _ in rules(form.live_findings)]
        await submit_form(pilot)
        assert isinstance(app.result, Done), "a warning earlier in the call: no reason needed"
    ended = contacts_of(desk, case.id)[-1]
    assert ended.outcome == "ended_for_abuse" and ended.call_id == warning.call_id
    assert ended.summary == "Call ended for abusive behaviour"
    assert registry.current(case.id, desk.now()) is None, "ending the call ends it at this desk"


async def test_ending_a_call_without_a_warning_asks_for_a_reason(desk, case_of):
    case = case_of("C-1003")
    before = counts(desk)
    app = FormApp(open_form("abuse", desk, case, mode="end_call"))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert ("end-call-without-warning", "warn") in rules(form.live_findings)
        # Switching to "give a warning" (keyboard: the radio set) clears it live.
        form.widget("mode").focus()
        await pilot.press("up", "enter")
        await settle(pilot)
        assert form.mode == "warning"
        assert "end-call-without-warning" not in [r for r, _ in rules(form.live_findings)]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert form.mode == "end_call"
        await submit_form(pilot)
        assert isinstance(app.screen, ReasonModal)
        assert counts(desk) == before
        await type_text(pilot, "Threats against staff; no chance to warn")
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    assert last_audit(desk).reason == "Threats against staff; no chance to warn"
    assert contacts_of(desk, case.id)[-1].outcome == "ended_for_abuse"


async def test_the_call_is_recovered_from_history_after_a_restart(desk, case_of):
    case = case_of("C-1003")
    await _warn(desk, case)
    registry.clear()  # the desk restarted (or the SSH link dropped) mid-call
    fresh = load_case(desk, case.id)
    app = FormApp(open_form("end_call", desk, fresh))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert "end-call-without-warning" not in [r for r, _ in rules(form.live_findings)]


def test_call_registry_goes_quiet_and_starts_new_calls():
    from datetime import datetime

    calls = CallRegistry(idle_limit=timedelta(minutes=30))
    t0 = datetime(2026, 3, 10, 10, 0)
    first = calls.plan(7, t0)
    assert calls.current(7, t0) is None, "planning a call records nothing"
    calls.remember(7, first.id, t0)
    assert calls.plan(7, t0 + timedelta(minutes=10)).id == first.id
    assert calls.plan(7, t0 + timedelta(minutes=10), new=True).id != first.id
    calls.remember(7, first.id, t0 + timedelta(minutes=20))
    assert calls.current_call_id(7, t0 + timedelta(minutes=49)) == first.id, "idle time counts from the last contact"
    assert calls.current_call_id(7, t0 + timedelta(minutes=51)) is None
    assert calls.current_call_id(8, t0) is None
    calls.remember(7, "call-x", t0)
    calls.end(7)
    assert calls.current(7, t0) is None


async def test_contact_form_joins_the_call_in_progress_unless_told_otherwise(desk, case_of):
    case = case_of("C-1003")
    warned = await _warn(desk, case)
    call_id = registry.current_call_id(case.id, desk.now())
    app = FormApp(open_form("contact", desk, warned.case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert not form.row("same_call").has_class("-hidden")
        form.widget("party").value = case.parties[0].id
        form.widget("direction").value = "in"
        form.widget("summary").value = "He calmed down; agreed to a written reply"
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    assert contacts_of(desk, case.id)[-1].call_id == call_id
    app = FormApp(open_form("contact", desk, app.result.case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        form.widget("same_call").value = False
        form.widget("direction").value = "in"
        form.widget("summary").value = "Rang back later"
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    newer = contacts_of(desk, case.id)[-1].call_id
    assert newer and newer != call_id
    assert registry.current_call_id(case.id, desk.now()) == newer


async def test_an_inbound_caller_after_an_outbound_call_is_asked_about_not_assumed(desk, case_of):
    """C-1001: sam rang Nadia (the designated representative); then Mr Penrose rang in, abusive.

    The form offers the call to Nadia with its direction, and lets the handler say this is a new
    call: inbound, from Mr Penrose, which the designated-representative rule does not cover.
    """
    case = case_of("C-1001")
    nadia = next(p for p in case.parties if p.designated)
    arthur = next(p for p in case.parties if p.role == "resident")
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert (form.value("direction"), form.value("party")) == ("out", nadia.id)
        form.widget("summary").value = "Rang Nadia about the visit dates"
        await submit_form(pilot)
        assert isinstance(app.result, Done)
        case = app.result.case
    to_nadia = registry.current(case.id, desk.now())
    assert to_nadia is not None and to_nadia.direction == "out"

    app = FormApp(open_form("abuse", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        await settle(pilot)
        row = form.row("same_call")
        assert not row.has_class("-hidden")
        assert str(row.widget.label) == "Same call: 11:00 outbound, Nadia Kowalski"
        assert (form.value("same_call"), form.value("direction"), form.value("party")) == (True, "out", nadia.id)
        row.widget.focus()
        await pilot.press("space")  # not that call: Mr Penrose rang in
        await settle(pilot)
        assert (form.value("direction"), form.value("party")) == ("in", arthur.id)
        assert "A new call: this starts one." in str(form.query_one("#call-state").content)
        assert "designated-representative" not in [r for r, _ in rules(form.live_findings)]
        await submit_form(pilot)
        assert isinstance(app.result, Done), "an inbound caller needs no reason"
    warning = contacts_of(desk, case.id)[-1]
    assert (warning.direction, warning.party_id, warning.outcome) == ("in", arthur.id, "warning_given")
    assert warning.call_id != to_nadia.id
    assert registry.current_call_id(case.id, desk.now()) == warning.call_id
