"""Compose and send a message (email, letter, SMS, portal) to a party on the case.

Addressed to the designated representative by default. The live panel checks
the text as it is typed: a card number in the subject or body shows the
card-number-disclosure block before the handler presses send, hostile wording
shows the tone warning.

ctrl+o inserts a template (deskapp.actions.templates), rendered in a worker for
this case and the chosen party; the rules then check the text like anything
typed. (Plain `t` is not free here: in the subject and message fields it is a
letter.) A template that fails to render says `file:line` in the status line.

The message is kept as a draft while it is written (saved a second
after the last keystroke, in a worker), restored when the form is opened again
for the case, and discarded once sent. A dropped SSH link loses nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Select

from deskapp import actions
from deskapp.actions.outcomes import ApprovalRequested, Done
from deskapp.actions.validate import FINAL_RESPONSE_CHANNELS, MAX_SUMMARY, MESSAGE_CHANNELS
from deskapp.core.views import ActionRequest
from deskapp.tui.forms.base import ActionForm, FieldError
from deskapp.tui.text import one_line
from deskapp.tui.forms.fields import (
    FieldRow,
    default_party,
    final_label,
)
from deskapp.tui.forms.inputs import SafeInput, SafeTextArea
from deskapp.tui.widgets.person_picker import PersonPicker
from deskapp.tui.widgets.toggles import TickBox

log = logging.getLogger(__name__)

DRAFT_KIND = "message"
# Pause after the last keystroke before saving: the draft must be stored within 2 s of it
# (issue 6), so 1 s of quiet plus the save itself, which takes milliseconds.
DRAFT_DELAY = 1.0
CHANNEL_LABELS = {"email": "email", "letter": "letter", "sms": "SMS", "portal": "portal message"}


@dataclass
class DraftLoaded(Message):
    """The draft kept for this case (fields, body), or None."""

    draft: tuple[dict[str, Any], str] | None


@dataclass
class DraftNotSaved(Message):
    error: Exception


@dataclass
class TemplateRendered(Message):
    """A template's text for the form (rendered), or the one line saying why not (problem)."""

    rendered: Any = None
    problem: str | None = None


@work(thread=True, group="draft-on-close", exit_on_error=False)
def _save_on_close(app: App, desk: Any, case_id: int, fields: dict[str, Any], body: str) -> None:
    """The form's draft, saved in a worker of the app: a worker of the closing form could be
    cancelled before its thread even started."""
    try:
        actions.save_draft(desk, case_id, DRAFT_KIND, fields, body)
    except Exception as exc:
        log.warning("could not save draft on close: %s", exc)


class MessageForm(ActionForm):
    FORM_TITLE = "Send a message"
    FIELD_ALIASES = {"summary": "subject", "final_response": "final"}
    BINDINGS = [Binding("ctrl+o", "template", "Template", id="message.template")]

    DEFAULT_CSS = """
    MessageForm FieldRow#row-body SafeTextArea.field-input {
        height: 10;
    }
    """

    def __init__(self, desk, case, **kwargs) -> None:
        super().__init__(desk, case, **kwargs)
        self._draft_timer: Timer | None = None
        self._draft_ready = False  # no saving until the stored draft (if any) has been loaded
        self.drafts = kwargs.get("drafts", True)

    def compose_fields(self) -> ComposeResult:
        yield FieldRow("channel", "Send by", Select([(CHANNEL_LABELS[c], c) for c in MESSAGE_CHANNELS],
                                                    value="email", allow_blank=False, compact=True))
        yield FieldRow("party", "To", PersonPicker(self.desk, self.case, value=default_party(self.case)))
        yield FieldRow("subject", "Subject", SafeInput(paste_limit=MAX_SUMMARY, compact=True,
                                                       placeholder="Subject or one-line summary"))
        yield FieldRow("body", "Message", SafeTextArea(compact=True, placeholder="The message as it will be sent"))
        yield FieldRow("final", "Final", TickBox(final_label(self.case), value=False, compact=True))

    def on_mount(self) -> None:
        super().on_mount()
        if self.drafts:
            self._load_draft()
        else:
            self._draft_ready = True

    def case_changed(self) -> None:
        self.widget("party").set_case(self.case, default_party(self.case))

    def _case_party(self) -> Any:
        """The chosen party if it is one of this case's (a person picked from elsewhere is not, yet)."""
        value = self.value("party")
        return value if isinstance(value, int) else None

    def build_request(self, strict: bool) -> ActionRequest | None:
        party = self.party_id("party")
        subject = self.text("subject")
        body = self.text("body")
        if strict:
            if party is None:
                raise FieldError("party", "choose who the message is to")
            if not body.strip():
                raise FieldError("body", "the message is empty")
        final = self.value("final")
        if strict and final and self.value("channel") not in FINAL_RESPONSE_CHANNELS:
            raise FieldError("final", f"a final response is written: send it by "
                                      f"{', '.join(FINAL_RESPONSE_CHANNELS)}")
        return ActionRequest(kind="message", case_id=self.case.id, version=self.case.version,
                             channel=self.value("channel"), direction="out", party_id=party,
                             summary=subject, body=body, final_response=final)

    def action_submit(self) -> None:
        # The submit itself settles the draft (see perform); a pending save would race it.
        if self._draft_timer is not None and not self._busy:
            self._draft_timer.stop()
            self._draft_timer = None
        super().action_submit()

    def perform(self, request, reason, request_approval):
        """Send; then drop the draft if the message went (or waits for approval), else keep it saved."""
        outcome = super().perform(request, reason, request_approval)
        if self.drafts:
            try:
                if isinstance(outcome, (Done, ApprovalRequested)):
                    actions.discard_draft(self.desk, self.case.id, DRAFT_KIND)
                elif request.body.strip() or request.summary.strip():
                    actions.save_draft(self.desk, self.case.id, DRAFT_KIND,
                                       {"channel": request.channel, "party_id": request.party_id,
                                        "subject": request.summary}, request.body)
            except Exception as exc:  # a draft is a convenience: never fail the send over it
                log.warning("could not settle draft: %s", exc)
        return outcome

    # --- templates ---------------------------------------------------------------------

    def action_template(self) -> None:
        """Pick a template; its text goes in at the cursor (the subject too, if that is empty)."""
        if self._busy:
            return
        self._list_templates(self.value("channel"))

    @work(thread=True, exclusive=True, group="template", exit_on_error=False)
    def _list_templates(self, channel: Any) -> None:
        from deskapp.actions.templates import for_channel

        try:
            names = for_channel(channel)
        except OSError as exc:
            self.post_message(TemplateRendered(problem=f"templates: {exc}"))
            return
        self.app.call_from_thread(self._pick_template, names)

    def _pick_template(self, names: list[str]) -> None:
        from deskapp.tui.screens.pick import PickScreen

        if not names:
            self.show_status("No templates found (see docs/mail.md)", "$text-warning")
            return
        choices = [(Content(name.replace("-", " ")), name) for name in names]
        self.app.push_screen(PickScreen("Insert a template", choices),
                             lambda name: self._render_template(name, self._case_party()) if name else None)

    @work(thread=True, exclusive=True, group="template", exit_on_error=False)
    def _render_template(self, name: str, party_id: Any) -> None:
        from deskapp.actions.templates import TemplateProblem, render_for

        try:
            self.post_message(TemplateRendered(rendered=render_for(self.desk, self.case, name, party_id)))
        except TemplateProblem as exc:
            self.post_message(TemplateRendered(problem=str(exc)))

    def on_template_rendered(self, message: TemplateRendered) -> None:
        message.stop()
        if message.problem is not None:
            self.show_status(message.problem, "bold $text-error")
            return
        rendered = message.rendered
        if rendered.subject and not self.text("subject").strip():
            self.widget("subject").restore(rendered.subject)
        body = self.widget("body")
        if self.text("body").strip():
            body.insert(rendered.body)
        else:
            body.restore(rendered.body)
        body.focus()
        self.show_status(f"Template inserted: {rendered.name}. Check and finish it before you send.")

    # --- drafts ------------------------------------------------------------------------

    def _draft_fields(self) -> dict[str, Any]:
        return {"channel": self.value("channel"), "party_id": self._case_party(), "subject": self.text("subject")}

    @work(thread=True, exclusive=True, group="draft-load", exit_on_error=False)
    def _load_draft(self) -> None:
        try:
            draft = actions.load_draft(self.desk, self.case.id, DRAFT_KIND)
        except Exception as exc:
            log.warning("could not load draft: %s", exc)
            draft = None
        self.post_message(DraftLoaded(draft))

    def on_draft_loaded(self, message: DraftLoaded) -> None:
        message.stop()
        draft = message.draft
        if draft is not None and not (self.text("subject") or self.text("body")):
            fields, body = draft
            if fields.get("channel") in MESSAGE_CHANNELS:
                self.widget("channel").value = fields["channel"]
            if self.case.party(fields.get("party_id")) is not None:
                self.widget("party").value = fields["party_id"]
            self.widget("subject").restore(str(fields.get("subject") or ""))
            self.widget("body").restore(body)
            self.show_notice("Draft restored: this message was started earlier and not sent.")
        self._draft_ready = True

    def fields_changed(self, name: str | None) -> None:
        if not (self.drafts and self._draft_ready):
            return
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DELAY, self._save_draft)

    def _save_draft(self) -> None:
        self._draft_timer = None
        self._store_draft(self._draft_fields(), self.text("body"))

    @work(thread=True, exclusive=True, group="draft", exit_on_error=False)
    def _store_draft(self, fields: dict[str, Any], body: str) -> None:
        """Save what is typed (or drop the draft if nothing is)."""
        try:
            if body.strip() or fields.get("subject"):
                actions.save_draft(self.desk, self.case.id, DRAFT_KIND, fields, body)
            else:
                actions.discard_draft(self.desk, self.case.id, DRAFT_KIND)
        except Exception as exc:
            log.warning("could not save draft: %s", exc)
            self.post_message(DraftNotSaved(exc))

    def on_draft_not_saved(self, message: DraftNotSaved) -> None:
        message.stop()
        if not self._busy:
            self.show_status(f"Draft not saved: {one_line(message.error)}", "$text-warning")

    def save_before_exit(self) -> None:
        """The terminal is going away (SIGHUP): store what is typed now, without waiting for the timer."""
        if not (self.drafts and self._draft_ready) or self._busy:
            return
        fields, body = self._draft_fields(), self.text("body")
        if body.strip() or fields.get("subject"):
            actions.save_draft(self.desk, self.case.id, DRAFT_KIND, fields, body)

    def action_cancel(self) -> None:
        """Closing keeps the draft (saved now if a save was pending), so nothing typed is lost."""
        if self._draft_timer is not None and not self._busy:
            self._draft_timer.stop()
            self._draft_timer = None
            fields, body = self._draft_fields(), self.text("body")
            if body.strip() or fields.get("subject"):
                _save_on_close(self.app, self.desk, self.case.id, fields, body)
        super().action_cancel()
