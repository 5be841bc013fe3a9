"""Templates in the message form: ctrl+o picks one, its text goes in, the rules check it; a broken one says file:line."""

from __future__ import annotations

import os
from pathlib import Path

from forms_support import FormApp, rules, settle, until

from deskapp.tui.forms import open_form
from deskapp.tui.screens.pick import PickScreen


def team_template(name: str, text: str) -> Path:
    folder = Path(os.environ["DESKAPP_CONFIG_DIR"]) / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


async def _insert(pilot, app, name: str) -> None:
    await pilot.press("ctrl+o")
    await until(pilot, lambda: isinstance(app.screen, PickScreen))
    picker = app.screen
    index = [value for _label, value in picker.choices].index(name)
    for _ in range(index):
        await pilot.press("down")
    await pilot.press("enter")
    await until(pilot, lambda: app.form.text("body").strip() or "Template" in app.form.status or
                "templates" in app.form.status)


async def test_a_shipped_template_fills_subject_and_body_for_this_case(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("message", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _insert(pilot, app, "acknowledgement")
        form = app.form
        party = case.party(form.value("party"))
        assert form.text("subject") == f"We have received your {case.kind.replace('_', ' ')} ({case.ref})"
        assert form.text("body").startswith(f"Dear {party.name},")
        assert case.ref in form.text("body") and "{{" not in form.text("body")


async def test_the_rules_check_the_rendered_text(desk, case_of):
    team_template("refund.txt", "Subject: Refund\nWe will refund card 4242 4242 4242 4242 today.\n")
    case = case_of("C-1001")
    app = FormApp(open_form("message", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _insert(pilot, app, "refund")
        await until(pilot, lambda: ("card-number-disclosure", "block") in rules(app.form.live_findings))


async def test_a_template_that_fails_to_render_names_file_and_line(desk, case_of):
    path = team_template("broken.txt", "Dear {{ party.name }},\n\nYour case {{ case.nonesuch }} is open.\n")
    case = case_of("C-1001")
    app = FormApp(open_form("message", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _insert(pilot, app, "broken")
        await until(pilot, lambda: str(path) in app.form.status)
        assert app.form.status.startswith(f"{path}:3: ")
        assert app.form.text("body") == ""


async def test_letters_are_offered_for_a_letter_only_and_go_in_as_text(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("message", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        assert "letter-stage-1-response" not in [value for _label, value in app.screen.choices]
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, PickScreen))
        app.form.widget("channel").value = "letter"
        await settle(pilot)
        await _insert(pilot, app, "letter-stage-1-response")
        body = app.form.text("body")
        assert "What we found" in body and "<" not in body and "@page" not in body
        assert app.form.text("subject") == f"Our response to your complaint ({case.ref})"
