"""A restored message draft carries on where it was left: new typing lands after the old text."""

from __future__ import annotations

from forms_support import FormApp, settle

from deskapp import actions
from deskapp.tui.forms import open_form


async def test_a_restored_draft_puts_the_cursor_after_the_text(desk, case_of):
    case = case_of("C-1002")
    actions.save_draft(desk, case.id, "message", {"channel": "email", "party_id": case.parties[0].id,
                                                  "subject": "About your refund"}, "Dear Mr Whitlock,\nThe refund")
    app = FormApp(open_form("message", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = app.form
        assert "Draft restored" in form.notice
        form.widget("body").focus()
        await pilot.press("space", "i", "s")
        form.widget("subject").focus()
        await pilot.press("space", "1")
        await pilot.pause()
        assert form.value("body") == "Dear Mr Whitlock,\nThe refund is"
        assert form.value("subject") == "About your refund 1"
