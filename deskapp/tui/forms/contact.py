"""Log a contact: a call, visit, email or letter that happened, with whom and how it went.

Outbound contact goes to the designated representative by default; picking
anyone else shows the designated-representative warning live. Phone calls and
visits join the call in progress on the case (see calls.py) unless the
handler says this is a new call, so a later "end the call" knows whether a
warning was given in it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Select

from deskapp import vocab
from deskapp.actions.validate import FINAL_RESPONSE_CHANNELS, MAX_SUMMARY
from deskapp.core.views import ActionRequest
from deskapp.core.when import parse_when
from deskapp.tui.forms import calls as call_registry
from deskapp.tui.forms.base import ActionForm, FieldError
from deskapp.tui.forms.fields import (
    FieldRow,
    default_party,
    final_label,
    word_options,
)
from deskapp.tui.forms.inputs import SafeInput, SafeTextArea
from deskapp.tui.widgets.person_picker import PersonPicker
from deskapp.tui.widgets.toggles import TickBox

CONTACT_CHANNELS = tuple(c for c in vocab.CHANNELS if c != "note")  # internal notes have their own form
# Warnings and ending a call for abuse go through the abuse form, which keeps track of the call.
CONTACT_OUTCOMES = tuple(o for o in vocab.OUTCOMES if o not in ("warning_given", "ended_for_abuse"))
DIRECTIONS = [("outbound (we contacted them)", "out"), ("inbound (they contacted us)", "in"),
              ("internal", "internal")]


class ContactForm(ActionForm):
    FORM_TITLE = "Log a contact"
    FIELD_ALIASES = {"final_response": "final"}

    def __init__(self, desk, case, **kwargs) -> None:
        super().__init__(desk, case, **kwargs)
        self.calls = kwargs.get("calls") or call_registry.registry

    def compose_fields(self) -> ComposeResult:
        yield FieldRow("channel", "Channel", Select(word_options(CONTACT_CHANNELS), value="phone",
                                                    allow_blank=False, compact=True))
        yield FieldRow("direction", "Direction", Select(DIRECTIONS, value="out", allow_blank=False, compact=True))
        yield FieldRow("party", "With", PersonPicker(self.desk, self.case, value=self._party_default()))
        yield FieldRow("outcome", "Outcome", Select(word_options(CONTACT_OUTCOMES), value="reached",
                                                    prompt="No outcome", compact=True))
        yield FieldRow("same_call", "Call", TickBox("Part of the call in progress", value=True, compact=True))
        yield FieldRow("summary", "Summary", SafeInput(paste_limit=MAX_SUMMARY, compact=True,
                                                       placeholder="What was it about?"))
        yield FieldRow("body", "Details", SafeTextArea(compact=True, placeholder="Notes of what was said"))
        yield FieldRow("at", "When", SafeInput(compact=True, placeholder="blank = now; HH:MM or YYYY-MM-DD HH:MM",
                                              paste_limit=40))
        # A letter or email we sent can be the stage's final response (shown only for those).
        yield FieldRow("final", "Final", TickBox(final_label(self.case), value=False, compact=True))

    def _party_default(self):
        return default_party(self.case) if self.case.parties else Select.NULL

    def on_mount(self) -> None:
        super().on_mount()
        self.calls.recover(self.case, self.desk.me.username, self.now())
        self._show_call_row()
        self._show_final_row()

    def _call_in_progress(self) -> call_registry.Call | None:
        return self.calls.current(self.case.id, self.now())

    def _is_call(self) -> bool:
        return self.value("channel") in call_registry.CALL_CHANNELS and self.value("direction") != "internal"

    def _show_call_row(self) -> None:
        call = self._call_in_progress()
        row = self.row("same_call")
        row.set_class(not (call and self._is_call()), "-hidden")
        if call is not None:
            row.widget.label = f"Part of the call started {call.started_at:%H:%M}"

    def _can_be_final(self) -> bool:
        return self.value("direction") == "out" and self.value("channel") in FINAL_RESPONSE_CHANNELS

    def _show_final_row(self) -> None:
        self.row("final").set_class(not self._can_be_final(), "-hidden")

    def fields_changed(self, name: str | None) -> None:
        if name in ("channel", "direction"):
            self._show_call_row()
            self._show_final_row()

    def case_changed(self) -> None:
        self.widget("party").set_case(self.case, default_party(self.case))

    def build_request(self, strict: bool) -> ActionRequest | None:
        channel = self.value("channel")
        direction = self.value("direction")
        party = self.party_id("party")
        summary = self.text("summary")
        body = self.text("body")
        try:
            at = parse_when(self.text("at"), self.now())
        except ValueError as exc:
            if strict:
                raise FieldError("at", str(exc)) from None
            at = None
        if strict:
            if direction != "internal" and party is None:
                raise FieldError("party", "choose who the contact was with")
            if not (summary.strip() or body.strip()):
                raise FieldError("summary", "say what was discussed")
        call_id = None
        if channel in call_registry.CALL_CHANNELS and direction != "internal":
            same = self.value("same_call") and not self.row("same_call").has_class("-hidden")
            call_id = self.calls.plan(self.case.id, self.now(), party_id=party, channel=channel,
                                      direction=direction, new=not same).id
        final = bool(self.value("final")) and self._can_be_final()
        return ActionRequest(kind="contact", case_id=self.case.id, version=self.case.version, channel=channel,
                             direction=direction, party_id=party,
                             outcome=self.value("outcome"), summary=summary, body=body, call_id=call_id, at=at,
                             final_response=final)

    def after_success(self, request, outcome) -> None:
        if request.call_id:
            self.calls.remember(self.case.id, request.call_id, self.now(), party_id=request.party_id,
                                channel=request.channel, direction=request.direction)
