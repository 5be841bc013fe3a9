"""Issue #17.8 in the forms: every tick box and radio button shows its state in the text, not by colour."""

from __future__ import annotations

import pytest
from forms_support import FormApp, settle

from deskapp.tui.forms import open_form
from tui_support import screen_text


@pytest.mark.parametrize("kind, ref, marks", [
    ("abuse", "C-1003", ["(*) ", "( ) "]),
    ("new_case", None, ["[ ] The customer is vulnerable"]),
    ("assign", "C-1003", ["[ ] The customer asked"]),
    ("appointment", "C-1001", ["[ ] Write a calendar file"]),
])
async def test_form_toggles_read_without_colour(desk, case_of, kind, ref, marks):
    app = FormApp(open_form(kind, desk, case_of(ref) if ref else None))
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        text = screen_text(app)
    assert "▐" not in text and "▌" not in text, text
    for mark in marks:
        assert mark in text, (mark, text)
