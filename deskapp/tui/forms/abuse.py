"""An abusive caller: give a warning, or end the call.

A warning is logged as a contact with outcome `warning_given` on the call in
progress (one is started if there is none). Ending the call is the `end_call`
action on the same call; if no warning was given earlier in that call, the
end-call-without-warning rule warns (live, and again on submit). The call is
tracked per case by calls.py, so warning first and ending later, in two
separate visits to this form, counts as one call.

Which call, and which way it went, is asked, never assumed: with a call in
progress the form offers it (ticked) and takes its direction and caller from
it; unticked, this is a new call, inbound from the customer by default. An
inbound call from the resident ten minutes after ringing their social worker
is not that outbound call, and must not read as contacting the resident
behind the designated representative's back.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import RadioSet, Select, Static

from deskapp.actions.validate import MAX_SUMMARY
from deskapp.core.views import ActionRequest
from deskapp.tui.forms import calls as call_registry
from deskapp.tui.forms.base import ActionForm
from deskapp.tui.forms.fields import (
    FieldRow,
    default_party,
    word_options,
)
from deskapp.tui.forms.inputs import SafeInput
from deskapp.tui.text import line
from deskapp.tui.widgets.person_picker import PersonPicker
from deskapp.tui.widgets.toggles import RadioChoice, TickBox

MODES = {"warning": "Give a warning", "end_call": "End the call"}
DIRECTIONS = [("inbound (they called us)", "in"), ("outbound (we called them)", "out")]
# Abusive callers ring in: a new call is inbound unless the handler says otherwise.
NEW_CALL_DIRECTION = "in"
DEFAULT_SUMMARY = {"warning": "Warned the caller about abusive behaviour",
                   "end_call": "Call ended for abusive behaviour"}


class ModeSet(RadioSet):
    """A radio set whose keyboard highlight starts on the chosen option, not past the end."""

    def on_focus(self) -> None:
        if self.pressed_index >= 0:
            self._selected = self.pressed_index


class AbuseForm(ActionForm):
    FORM_TITLE = "Abusive caller"

    def __init__(self, desk, case, **kwargs) -> None:
        super().__init__(desk, case, **kwargs)
        self.calls = kwargs.get("calls") or call_registry.registry
        mode = kwargs.get("mode") or "warning"
        self.initial_mode = mode if mode in MODES else "warning"

    @property
    def subject(self) -> str:
        return MODES.get(self.mode, self.FORM_TITLE)

    @property
    def mode(self) -> str:
        return self.value("mode") or self.initial_mode

    def compose_fields(self) -> ComposeResult:
        yield Static(Content(""), id="call-state", markup=False)
        with_call = self._call()
        yield FieldRow("mode", "Do", ModeSet(
            RadioChoice(MODES["warning"], value=self.initial_mode == "warning", name="warning", compact=True),
            RadioChoice(MODES["end_call"], value=self.initial_mode == "end_call", name="end_call", compact=True),
            compact=True,
        ))
        same_call = FieldRow("same_call", "Call", TickBox(self._call_label(with_call), value=True, compact=True))
        same_call.set_class(with_call is None, "-hidden")
        yield same_call
        party, channel, direction = self._call_defaults(with_call)
        yield FieldRow("party", "Caller", PersonPicker(self.desk, self.case, value=party))
        yield FieldRow("channel", "On", Select(word_options(call_registry.CALL_CHANNELS), allow_blank=False,
                                               value=channel, compact=True))
        yield FieldRow("direction", "Call was", Select(DIRECTIONS, allow_blank=False, value=direction,
                                                       compact=True))
        yield FieldRow("summary", "Summary", SafeInput(paste_limit=MAX_SUMMARY, compact=True,
                                                       placeholder="What was said (blank: a standard line)"))

    def _call_label(self, call: call_registry.Call | None) -> str:
        """'Same call: 11:00 outbound, Nadia Kowalski': which call ticking it joins (short: it must fit
        beside the fields at 120 columns)."""
        if call is None:
            return "Same call"
        way = {"in": "inbound", "out": "outbound"}.get(call.direction, call.direction)
        party = self.case.party(call.party_id)
        who = f", {party.name}" if party is not None else ""
        return f"Same call: {call.started_at:%H:%M} {way}{who}"

    def _call_defaults(self, call: call_registry.Call | None) -> tuple:
        """Caller, channel and direction: the call's own when joining it, else a new inbound call."""
        if call is None:
            return self._default_party(), "phone", NEW_CALL_DIRECTION
        party = call.party_id if self.case.party(call.party_id) else self._default_party()
        direction = call.direction if call.direction in ("in", "out") else NEW_CALL_DIRECTION
        return party, call.channel, direction

    def _joining(self) -> call_registry.Call | None:
        """The call in progress if this warning or ending belongs to it (the handler's choice)."""
        call = self.calls.current(self.case.id, self.now())
        if call is None or self.row("same_call").has_class("-hidden") or not self.value("same_call"):
            return None
        return call

    def fields_changed(self, name: str | None) -> None:
        if name != "same_call":
            return
        party, channel, direction = self._call_defaults(self._joining())
        self.widget("party").value = party
        self.widget("channel").value = channel
        self.widget("direction").value = direction
        self._show_call_state()

    def _default_party(self):
        """The caller is usually the customer or resident, not their representative."""
        for role in ("customer", "resident"):
            for party in self.case.parties:
                if party.role == role:
                    return party.id
        return default_party(self.case) if self.case.parties else Select.NULL

    def _call(self) -> call_registry.Call | None:
        self.calls.recover(self.case, self.desk.me.username, self.now())
        return self.calls.current(self.case.id, self.now())

    def on_mount(self) -> None:
        super().on_mount()
        self._show_call_state()

    def _show_call_state(self) -> None:
        call = self._joining()
        if call is None:
            starts = "No call in progress" if self.calls.current(self.case.id, self.now()) is None else "A new call"
            text = line((f"{starts}: this starts one.", "$text-muted"))
        else:
            warnings = sum(1 for c in self.case.history if c.call_id == call.id and c.outcome == "warning_given")
            said = f"{warnings} warning{'s' if warnings != 1 else ''} given" if warnings else "no warning given yet"
            text = line((f"Call in progress since {call.started_at:%H:%M}: {said}.", "bold"))
        self.query_one("#call-state", Static).update(text)

    def case_changed(self) -> None:
        self.widget("party").set_case(self.case)
        self._show_call_state()

    def build_request(self, strict: bool) -> ActionRequest | None:
        mode = self.mode
        party = self.party_id("party")
        channel, direction = self.value("channel"), self.value("direction")
        call = self.calls.plan(self.case.id, self.now(), party_id=party, channel=channel, direction=direction,
                               new=self._joining() is None)
        summary = self.text("summary").strip() or DEFAULT_SUMMARY[mode]
        if mode == "warning":
            return ActionRequest(kind="contact", case_id=self.case.id, version=self.case.version, channel=channel,
                                 direction=direction, party_id=party, outcome="warning_given", summary=summary,
                                 call_id=call.id)
        return ActionRequest(kind="end_call", case_id=self.case.id, version=self.case.version, channel=channel,
                             direction=direction, party_id=party, summary=summary, call_id=call.id)

    def after_success(self, request, outcome) -> None:
        if request.kind == "end_call":
            self.calls.end(self.case.id)
        else:
            self.calls.remember(self.case.id, request.call_id, self.now(), party_id=request.party_id,
                                channel=request.channel, direction=request.direction)
