"""The live policy panel of an untouched form says one thing: still checking, or what the rules found."""

from __future__ import annotations

import pytest
from forms_support import FormApp, rules, settle

from deskapp.tui.forms import open_form

CHECKING, NONE_APPLIES = "Checking the rules...", "No rule applies"


@pytest.mark.parametrize("kind", ["note", "status", "message", "contact", "escalate"])
async def test_an_untouched_form_is_checked_once_and_never_says_both(desk, case_of, kind):
    app = FormApp(open_form(kind, desk, case_of("C-1002")))
    async with app.run_test(size=(120, 40)) as pilot:
        at_start = app.form.panel.text
        assert not (CHECKING in at_start and NONE_APPLIES in at_start), at_start
        await settle(pilot)
        settled = app.form.panel.text
        assert CHECKING not in settled, f"{kind}: the first check never ran: {settled!r}"
        assert NONE_APPLIES in settled or app.form.live_findings, settled


async def test_escalating_shows_the_stage_2_warning_before_anything_is_typed(desk, case_of):
    app = FormApp(open_form("escalate", desk, case_of("C-1002")))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "stage2-same-handler" in [r for r, _ in rules(app.form.live_findings)]
        assert "Submitting will ask you for a reason." in app.form.panel.text


async def test_a_form_that_cannot_be_checked_does_not_claim_no_rule_applies(desk, case_of):
    app = FormApp(open_form("note", desk, case_of("C-1002")))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.form.panel.show([])
        app.form.panel.show_problem("Not checked yet: summary: required")
        await pilot.pause()
        assert "Not checked yet" in app.form.panel.text and NONE_APPLIES not in app.form.panel.text
