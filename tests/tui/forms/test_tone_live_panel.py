"""The tone model in the message form's live panel: one hostile line in a 10,000-character body, found while typing."""

from __future__ import annotations

import time

from forms_support import FormApp, rules, settle, type_text

from deskapp.tui.forms import open_form

POLITE = ("Sentence {i}: the contractor has confirmed the visit and will bring the parts for the repair. ")
HOSTILE = "Not sure what you expected, to be honest. "


def long_body(hostile: bool) -> str:
    parts = [POLITE.format(i=i) for i in range(110)]
    if hostile:
        parts.insert(60, HOSTILE)
    return "".join(parts)


async def test_one_hostile_line_in_a_long_body_is_named_and_typing_stays_quick(desk, case_of):
    app = FormApp(open_form("message", desk, case_of("C-1002"), drafts=False))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("subject").value = "Your repair"
        body = long_body(hostile=False)
        assert len(body) > 10_000
        form.widget("body").load_text(body)
        await settle(pilot)
        assert "hostile-tone" not in [r for r, _ in rules(form.live_findings)], form.panel.text
        form.widget("body").load_text(long_body(hostile=True))
        await settle(pilot)
        assert "hostile-tone" in [r for r, _ in rules(form.live_findings)]
        assert "contempt (model): 'Not sure what you expected, to be honest.'" in form.panel.text
        form.widget("body").focus()
        started = time.monotonic()
        await type_text(pilot, "ok")
        await settle(pilot)
        elapsed = time.monotonic() - started
        assert "hostile-tone" in [r for r, _ in rules(form.live_findings)]
        assert elapsed < 3, f"two keystrokes and a re-check of 10,000 characters took {elapsed:.2f}s"
