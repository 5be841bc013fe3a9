"""Nothing the handler typed is lost: conflicts, huge pastes, and hostile text shown literally."""

from __future__ import annotations

import time

from forms_support import (
    UNSET,
    FormApp,
    counts,
    last_contact,
    party_named,
    paste,
    rules,
    screen_text,
    settle,
    submit_form,
    type_text,
)

from deskapp.actions import ActionRequest, save_party, submit
from deskapp.actions.outcomes import Done
from deskapp.tui.forms import ReasonModal, open_form, open_party_form

HOSTILE = "[@click=app.quit]Quit[/] [/] [$accent @click=app.quit]x \x1b[2Jwipe \x1b]52;c;SGVsbG8=\x07clip \x07bell"
SHOWN = "[@click=app.quit]Quit[/] [/] [$accent @click=app.quit]x wipe clip bell"


async def test_conflict_keeps_the_input_and_the_second_submit_goes_through(desk, other_desk, case_of):
    case = case_of("C-1004")
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("party").value = party_named(case, "Helen Marsh").id
        form.widget("summary").value = "Told Helen the depot report is late"
        form.widget("body").load_text("She will call back on Friday.")
        await settle(pilot)
        # Meanwhile Jo, at another desk, adds a note to the same case.
        jo_note = submit(other_desk, ActionRequest(kind="note", case_id=case.id, version=case.version,
                                                   body="Depot phoned: report due Thursday"))
        assert isinstance(jo_note, Done)
        before = counts(desk)
        await submit_form(pilot)
        assert app.result is UNSET and app.screen is form
        assert "jo" in form.notice and case.ref in form.notice
        assert "changed" in form.status
        assert counts(desk) == before, "a conflict writes nothing"
        assert form.value("summary") == "Told Helen the depot report is late"
        assert form.value("body") == "She will call back on Friday."
        assert form.case.version == jo_note.case.version, "the form now holds the fresh case"
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    assert last_contact(desk, case.id).summary == "Told Helen the depot report is late"


async def test_a_megabyte_paste_into_the_body_does_not_hang_and_is_refused_in_one_line(desk, case_of):
    case = case_of("C-1002")
    before = counts(desk)
    huge = ("Lorem ipsum [b]dolor[/b] \x1b[2J sit amet 4242 4242 4242 4242.\n" * 17_000)[:1_000_000]
    app = FormApp(open_form("message", desk, case, drafts=False))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("body").focus()
        started = time.monotonic()
        await paste(pilot, huge)
        await type_text(pilot, "x")
        await settle(pilot, timeout=30)
        elapsed = time.monotonic() - started
        assert len(form.value("body")) == len(huge) + 1
        assert elapsed < 20, f"paste + preview took {elapsed:.1f}s"
        # Too long to send, so the rules are not run over a megabyte; the panel says why.
        assert "Not checked: body too long (1,000,001 characters; the limit is 100,000)" in form.panel.text
        assert form.live_findings == []
        started = time.monotonic()
        await type_text(pilot, "yz")
        assert time.monotonic() - started < 5, "typing after a huge paste stays usable"
        await submit_form(pilot, timeout=30)
        assert app.result is UNSET
        error = form.row("body").error
        assert error.startswith("body: too long (1,000,003 characters"), error
        assert "\n" not in error
        assert "\x1b" not in screen_text(app)
    assert counts(desk) == before


async def test_a_megabyte_paste_into_a_one_line_field_is_cut_to_the_field_and_said_so(desk, case_of):
    case = case_of("C-1002")
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("summary").focus()
        started = time.monotonic()
        await paste(pilot, "y" * 1_000_000)
        await settle(pilot)
        assert form.row("summary").error == ("summary: pasted text cut to 300 characters (of 1,000,000); "
                                             "the field holds 300")
        await type_text(pilot, "abc")
        await settle(pilot)
        assert time.monotonic() - started < 10
        assert form.value("summary") == "y" * 300 + "abc", "the paste is cut; typing goes on as normal"
        await submit_form(pilot)
        assert form.row("summary").error == "summary: too long (303 characters; the limit is 300)"
        assert app.result is UNSET


async def test_hostile_party_names_and_typed_markup_are_shown_and_stored_literally(desk, case_of):
    case = case_of("C-1001")
    rep = case.designated_representative
    done = save_party(desk, case.id, case.version, party_id=rep.id, name=f"Nadia {HOSTILE}")
    assert isinstance(done, Done)
    case = done.case
    app = FormApp(open_form("contact", desk, case))
    async with app.run_test(size=(160, 40)) as pilot:
        form = app.form
        await settle(pilot)
        text = screen_text(app)
        assert f"Nadia {SHOWN}"[:60] in text, "the name in the party list is literal"
        assert "\x1b" not in text and "\x07" not in text
        # Choosing the resident brings a finding that quotes the representative's name.
        form.widget("party").value = party_named(case, "Arthur Penrose").id
        form.widget("summary").focus()
        await type_text(pilot, "[b]not bold[/b] [@click=app.quit]q[/]")
        form.widget("body").load_text(HOSTILE)
        await settle(pilot)
        assert ("designated-representative", "warn") in rules(form.live_findings)
        text = screen_text(app)
        assert "[b]not bold[/b] [@click=app.quit]q[/]" in text
        assert "\x1b" not in text and "\x07" not in text
        await submit_form(pilot)
        assert isinstance(app.screen, ReasonModal)
        modal_text = screen_text(app)
        assert "\x1b" not in modal_text and "[@click=app.quit]" in modal_text
        await type_text(pilot, "[red]because[/red]")
        await submit_form(pilot)
        assert isinstance(app.result, Done)
        assert app.is_running, "no markup action ran (app.quit)"
    contact = last_contact(desk, case.id)
    assert contact.summary == "[b]not bold[/b] [@click=app.quit]q[/]"
    assert contact.body == HOSTILE, "what was typed is stored as typed; only the display is cleaned"


async def test_hostile_case_title_in_the_form_heading(desk, case_of):
    from dataclasses import replace

    case = replace(case_of("C-1004"), title=HOSTILE)
    app = FormApp(open_form("note", desk, case))
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert SHOWN[:50] in text
        assert "\x1b" not in text


async def test_editing_a_party_with_a_hostile_name_shows_it_literally_and_saves_it_unchanged(desk, case_of):
    case = case_of("C-1004")
    customer = party_named(case, "Helen Marsh")
    done = save_party(desk, case.id, case.version, party_id=customer.id, name=HOSTILE)
    case = done.case
    app = FormApp(open_party_form(desk, case, party_id=customer.id))
    async with app.run_test(size=(160, 40)) as pilot:
        form = app.form
        await settle(pilot)
        assert form.value("name") == HOSTILE, "the input holds exactly what is stored"
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text
        assert "[@click=app.quit]Quit[/]" in text
        form.widget("phone").value = "01632 960999"
        await submit_form(pilot)
        assert isinstance(app.result, Done)
        assert app.is_running
    saved = app.result.case.party(customer.id)
    assert saved.name == HOSTILE and saved.phone == "01632 960999"


def test_pick_list_labels_are_literal_text_without_controls():
    from rich.text import Text

    from deskapp.core.views import HandlerView, PartyView
    from deskapp.tui.forms.fields import handler_options, party_label

    label = party_label(PartyView(id=1, role="representative", name=HOSTILE, designated=True,
                                  organisation="[b]Org[/b]\x1b]52;c;eA==\x07"))
    assert isinstance(label, Text) and not label.spans, "no markup was interpreted"
    assert label.plain == f"{SHOWN} - representative, designated ([b]Org[/b])"
    (text, value), = handler_options([HandlerView(id=1, username="sam", display_name=HOSTILE, role="supervisor")])
    assert isinstance(text, Text) and value == "sam"
    assert text.plain == f"{SHOWN} (sam, supervisor)"
