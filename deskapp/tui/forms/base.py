"""What every action form shares: layout, live policy preview, and the submit conversation.

A form is a full-screen modal over the desk. The handler fills fields (Tab
moves between them), the panel beside them shows what the rules say about the
action as it stands (re-checked ~300 ms after the last change, off the event
loop), and ctrl+s (or Enter in a one-line field) submits:

  Done / ApprovalRequested  -> the form closes with that outcome
  NeedsReason               -> ReasonModal; with a reason, submit again; Esc: back, nothing written
  Blocked                   -> BlockedModal; back to edit, or request supervisor approval with a note
  Conflict                  -> the message (who changed what) is shown, the form takes the fresh
                               case so the next submit can go through; the handler's input stays
  DeskError                 -> one line naming the field, beside the field

Esc closes the form with None: nothing written. The handler's input is never
cleared by anything but a successful submit. All database work (submit,
loading lists) runs in @work thread workers that post messages, never on the
event loop; the submit conversation is one message per answer of the action
layer, each carrying the round it answers.

Subclasses define `compose_fields()` (FieldRows) and `build_request(strict)`;
forms that are not policy actions (new case, party) override `perform()`.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Checkbox, Footer, Input, RadioSet, Select, Static, TextArea
from textual.worker import Worker, get_current_worker

from deskapp import actions
from deskapp.actions.outcomes import (
    ApprovalRequested,
    Blocked,
    Conflict,
    Done,
    NeedsReason,
)
from deskapp.actions.validate import MAX_BODY, MAX_SUMMARY, InvalidInput
from deskapp.errors import DeskError
from deskapp.tui.forms.fields import FieldRow, select_value
from deskapp.tui.forms.inputs import SafeInput
from deskapp.tui.forms.modals import BlockedModal, ReasonModal
from deskapp.tui.forms.panel import LivePanel
from deskapp.tui.text import line, one_line, safe_text
from deskapp.tui.widgets.person_picker import PersonPicker

log = logging.getLogger(__name__)


class FieldError(Exception):
    """A field the form itself can tell is wrong before asking the action layer."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message



@dataclass
class Submitted(Message):
    """The action layer answered a submit (outcome), or failed (error; unexpected: not a DeskError)."""

    request: Any
    round: int
    outcome: Any = None
    error: BaseException | None = None


@dataclass
class Previewed(Message):
    """What the rules say about the form as it stood (findings), or why they could not say (error)."""

    worker: Worker
    findings: list[Any]
    error: BaseException | None = None


@dataclass
class PartyJoined(Message):
    """Persons picked in the form were added to the case as parties (just before its action): the case
    as it now stands, and which stand-in party id became which party."""

    case: Any
    added: dict[int, int]


@dataclass
class FreshCase(Message):
    """The case as it is now, read after a conflict (None if it could not be read), and what changed."""

    case: Any
    notice: str


# Answers of the action layer a submit follows before it gives up (rules changing under the handler).
SUBMIT_ROUNDS = 4


class ActionForm(ModalScreen):
    """Base class for the desk's action forms. Dismisses with an Outcome, or None when cancelled."""

    FORM_TITLE = "Action"
    # False for forms no rule watches (they may still show local hints via `hints()`).
    USES_POLICY = True
    SHOWS_PANEL = True
    PREVIEW_DELAY = 0.3
    # Action-layer field names (InvalidInput.field) -> this form's field names.
    FIELD_ALIASES: dict[str, str] = {}

    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit", id="form.submit", priority=True),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    DEFAULT_CSS = """
    ActionForm {
        align: center middle;
    }
    ActionForm > #form-frame {
        width: 100%;
        height: 1fr;
        background: $surface;
    }
    ActionForm #form-heading {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    ActionForm #form-notice {
        display: none;
        height: auto;
        padding: 0 1;
        color: $text-warning;
        text-style: bold;
    }
    ActionForm #form-notice.-show {
        display: block;
    }
    ActionForm #form-body {
        height: 1fr;
    }
    ActionForm #form-fields {
        width: 3fr;
        height: 1fr;
        padding: 1 1 0 0;
    }
    ActionForm #form-policy {
        width: 2fr;
        min-width: 28;
        border-left: vkey $border;
    }
    ActionForm.-narrow #form-body {
        layout: vertical;
    }
    ActionForm.-narrow #form-fields {
        width: 100%;
    }
    ActionForm.-narrow #form-policy {
        width: 100%;
        height: auto;
        max-height: 6;
        border-left: none;
        border-top: hkey $border;
    }
    ActionForm.-short FieldRow {
        margin-bottom: 0;
    }
    ActionForm #form-status {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, desk, case=None, **kwargs: Any) -> None:
        super().__init__()
        self.desk = desk
        self.case = case
        self.options = kwargs
        self.outcome: Any = None  # the last outcome the action layer returned (for callers and tests)
        self.live_findings: list[Any] = []
        self._busy = False
        self._preview_timer: Timer | None = None
        self._preview_worker: Worker | None = None  # the latest re-check: only its findings are shown
        self._preview_running = False
        self._preview_again = False
        self._last_reason = ""
        self._last_note = ""
        self.asking = False  # True while a reason / approval modal waits for the handler

    # --- what subclasses provide -------------------------------------------------

    def compose_fields(self) -> ComposeResult:
        """Yield FieldRows."""
        raise NotImplementedError

    def build_request(self, strict: bool) -> Any:
        """The request as the form stands. strict=True (submit) raises FieldError for a missing or bad
        field; strict=False (live preview) fills gaps leniently, or returns None when there is nothing
        to check yet."""
        raise NotImplementedError

    def perform(self, request: Any, reason: str | None, request_approval: bool):
        """Carry out the request (in a worker thread). Policy actions go through actions.submit."""
        return actions.submit(self.desk, request, reason=reason, request_approval=request_approval)

    def after_success(self, request: Any, outcome: Any) -> None:
        """Called on the UI thread after Done / ApprovalRequested, before the form closes."""

    def hints(self) -> list[Any]:
        """Local advice for forms no rule watches (same shape as findings: rule, severity, message)."""
        return []

    def fields_changed(self, name: str | None) -> None:
        """A field changed (enable/disable dependent fields here)."""

    def case_changed(self) -> None:
        """The form now holds a fresher case (after a conflict): refresh pick-lists here."""

    @property
    def subject(self) -> str:
        """Title shown on the modals: the form's title."""
        return self.FORM_TITLE

    # --- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="form-frame"):
            yield Static(self.heading(), id="form-heading", markup=False)
            yield Static(Content(""), id="form-notice", markup=False)
            with Horizontal(id="form-body"):
                with VerticalScroll(id="form-fields"):
                    yield from self.compose_fields()
                if self.SHOWS_PANEL:
                    yield LivePanel("Policy - live" if self.USES_POLICY else "Notes", id="form-policy")
            yield Static(Content(""), id="form-status", markup=False)
        yield Footer()

    def heading(self) -> Content:
        gap = Content("  ")  # a literal gap: plain strings given to `line` are trimmed as untrusted text
        parts: list = [(self.FORM_TITLE, "bold")]
        if self.case is not None:
            parts += [gap, (self.case.ref, "bold $text-accent"), gap, self.case.title]
        return line(*parts)

    def on_mount(self) -> None:
        self._fit(self.size.width, self.size.height)
        first = next(iter(self.query(FieldRow)), None)
        if first is not None:
            first.widget.focus()
        # The first check, so an untouched form says what the rules make of it. Not from here:
        # during on_mount the form is not mounted yet and schedule_preview would do nothing.
        self.call_later(self.schedule_preview, 0)

    def on_resize(self, event) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int | None = None) -> None:
        """Below 100 columns the policy panel goes under the fields instead of beside them;
        on short terminals the fields close up (no blank line between them)."""
        self.set_class(width < 100, "-narrow")
        self.set_class((height if height is not None else self.size.height) < 32, "-short")

    # --- field access ---------------------------------------------------------------

    def row(self, name: str) -> FieldRow:
        return self.query_one(f"#row-{name}", FieldRow)

    def has_field(self, name: str) -> bool:
        return bool(self.query(f"#row-{name}"))

    def widget(self, name: str) -> Widget:
        return self.row(name).widget

    def value(self, name: str) -> Any:
        """A field's value: text for inputs, the choice (or None) for pick-lists, bool for checkboxes."""
        widget = self.widget(name)
        if isinstance(widget, PersonPicker):
            return widget.value
        if isinstance(widget, Select):
            return select_value(widget)
        if isinstance(widget, Checkbox):
            return bool(widget.value)
        if isinstance(widget, TextArea):
            return widget.text
        if isinstance(widget, Input):
            return widget.value
        if isinstance(widget, RadioSet):
            button = widget.pressed_button
            return button.name if button is not None else None
        raise TypeError(f"no value for {type(widget).__name__}")

    def party_id(self, name: str) -> int | None:
        """The party a person-picker field names for the request: a party of the case, the stand-in id of
        a person picked from elsewhere (added as a party on submit), or None."""
        widget = self.widget(name)
        return widget.party_id if isinstance(widget, PersonPicker) else self.value(name)

    def picks(self) -> dict[int, tuple[int, str]]:
        """Persons picked who are not parties of the case yet: {stand-in party id: (person id, role)}."""
        out = {}
        for picker in self.query(PersonPicker):
            row = self._row_of(picker)
            if picker.adds_party and picker.pick is not None and not (row is not None and row.has_class("-hidden")):
                out[picker.stand_in] = (picker.pick.person_id, picker.role)
        return out

    def resolve_request(self, request: Any, added: dict[int, int], version: int) -> Any:
        """The request with stand-in party ids replaced by the parties just added, at the case's new version."""
        if not dataclasses.is_dataclass(request):
            return request
        changes: dict[str, Any] = {"version": version}
        for name in ("party_id", "at_request_of"):
            value = getattr(request, name, None)
            if value in added:
                changes[name] = added[value]
        return dataclasses.replace(request, **changes)

    def text(self, name: str) -> str:
        return (self.value(name) or "") if self.has_field(name) else ""

    def show_field_error(self, name: str, message: str) -> None:
        """Show a one-line error under the field (if the form has it) and in the status line."""
        name = self.FIELD_ALIASES.get(name, name)
        if self.has_field(name):
            row = self.row(name)
            row.show_error(message)
            if not row.has_class("-hidden"):
                row.widget.focus()
        self.show_status(message, "bold $text-error")

    def clear_errors(self) -> None:
        for row in self.query(FieldRow):
            row.show_error(None)
        self.show_status("")

    def show_status(self, message: str, style: str = "$text-muted") -> None:
        self.query_one("#form-status", Static).update(line((message, style)))

    @property
    def status(self) -> str:
        content = self.query_one("#form-status", Static).content
        return content.plain if isinstance(content, Content) else str(content)

    def show_notice(self, message: str | None) -> None:
        notice = self.query_one("#form-notice", Static)
        notice.update(Content(safe_text(message or "")))
        notice.set_class(bool(message), "-show")

    @property
    def notice(self) -> str:
        content = self.query_one("#form-notice", Static).content
        return content.plain if isinstance(content, Content) else str(content)

    # --- change tracking ----------------------------------------------------------------

    def _row_of(self, widget: Widget) -> FieldRow | None:
        for node in widget.ancestors_with_self:
            if isinstance(node, FieldRow):
                return node
        return None

    def _changed(self, widget: Widget) -> None:
        row = self._row_of(widget)
        if row is None:
            return
        row.show_error(None)
        if not self._busy:
            self.show_status("")
        self.fields_changed(row.field_name)
        self.schedule_preview()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._changed(event.input)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._changed(event.text_area)

    def on_select_changed(self, event: Select.Changed) -> None:
        self._changed(event.select)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._changed(event.checkbox)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._changed(event.radio_set)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_safe_input_clipped(self, event: SafeInput.Clipped) -> None:
        row = self._row_of(event.input)
        if row is not None:
            row.show_error(f"{row.field_name}: pasted text cut to {event.kept:,} characters "
                           f"(of {event.pasted:,}); the field holds {event.input.paste_limit:,}")

    # --- live policy ------------------------------------------------------------------

    @property
    def preview_pending(self) -> bool:
        """True while a re-check is scheduled or running (tests wait on this)."""
        return self._preview_timer is not None or self._preview_running or self._preview_again

    def schedule_preview(self, delay: float | None = None) -> None:
        """Re-check the rules `delay` seconds after the last change (debounced)."""
        if not self.SHOWS_PANEL or not self.is_mounted:
            return
        if self._preview_timer is not None:
            self._preview_timer.stop()
        delay = self.PREVIEW_DELAY if delay is None else max(delay, 0.01)  # Textual timers cannot be 0
        self._preview_timer = self.set_timer(delay, self._start_preview)

    @property
    def panel(self) -> LivePanel:
        return self.query_one("#form-policy", LivePanel)

    def _start_preview(self) -> None:
        self._preview_timer = None
        if not self.USES_POLICY or self.case is None:
            self.live_findings = list(self.hints())
            self.panel.show_hints(self.live_findings)
            return
        try:
            request = self.build_request(strict=False)
        except FieldError as exc:
            self.panel.show_problem(f"Not checked yet: {exc}")
            return
        if request is None:
            self._preview_worker = None
            self.live_findings = []
            self.panel.show([])
            return
        too_long = self._too_long(request)
        if too_long:
            # It cannot be submitted like this, and the rules' text checks grow with the text:
            # say what is wrong instead of keeping a CPU busy for nothing.
            self._preview_worker = None
            self.live_findings = []
            self.panel.show([])
            self.panel.show_problem(f"Not checked: {too_long}")
            return
        if self._preview_running:
            self._preview_again = True  # one re-check when the running one finishes, never a pile-up
            return
        self._preview_running = True
        self.panel.checking()
        self._preview_worker = self._run_preview(self.case, request, self.picks())

    @staticmethod
    def _too_long(request: Any) -> str | None:
        for name, limit in (("summary", MAX_SUMMARY), ("body", MAX_BODY)):
            text = getattr(request, name, "") or ""
            if len(text) > limit:
                return f"{name} too long ({len(text):,} characters; the limit is {limit:,})"
        return None

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _run_preview(self, case, request, picks: dict | None = None) -> None:
        worker = get_current_worker()
        try:
            if picks:  # a person picked from another case: the rules see them as a party of this one
                case = actions.prospective_case(self.desk, case, picks)
            self.post_message(Previewed(worker, list(actions.preview(self.desk, case, request))))
        except Exception as exc:  # a rule that cannot be evaluated must not break the form
            log.warning("preview failed: %s", exc, exc_info=True)
            self.post_message(Previewed(worker, [], exc))

    def on_previewed(self, message: Previewed) -> None:
        message.stop()
        self._preview_running = False
        if self._preview_again:
            self._preview_again = False
            self.schedule_preview(0)
        if message.worker is not self._preview_worker:
            return  # the form changed since: a newer re-check (or none) stands
        if message.error is not None:
            self.panel.show_problem(f"The rules could not be checked: {one_line(message.error)}")
            return
        self.live_findings = message.findings
        self.panel.show(self.live_findings)

    # --- submit ----------------------------------------------------------------------

    def action_submit(self) -> None:
        if self._busy:
            self.show_status("Still saving - please wait.", "bold $text-warning")
            return
        self.clear_errors()
        try:
            request = self.build_request(strict=True)
        except FieldError as exc:
            self.show_field_error(exc.field, str(exc))
            return
        self._busy = True
        self.show_status("Saving...", "bold")
        self._submit(request, None, False, 1, self.picks())

    def action_cancel(self) -> None:
        if self._busy:
            self.show_status("Still saving - please wait.", "bold $text-warning")
            return
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="submit", exit_on_error=False)
    def _submit(self, request: Any, reason: str | None, approval: bool, round: int,
                picks: dict | None = None) -> None:
        """One round of the submit conversation: ask the action layer, post its answer.

        Persons picked from other cases are added as parties first (deskapp.actions.person_pick says why
        before, not in, the action's transaction); the rounds after that carry the real party ids."""
        try:
            if picks:
                request = self._add_picked(request, picks)
                if isinstance(request, Conflict):
                    self.post_message(Submitted(None, round, outcome=request))
                    return
            self.post_message(Submitted(request, round, outcome=self.perform(request, reason, approval)))
        except Exception as exc:  # never let a database hiccup kill the form (or the input)
            if not isinstance(exc, DeskError):
                log.exception("submit failed")
            self.post_message(Submitted(request, round, error=exc))

    def _add_picked(self, request: Any, picks: dict) -> Any:
        """(worker) Add each picked person to the case; the request naming them, or the Conflict met."""
        added: dict[int, int] = {}
        case = self.case
        version = request.version if hasattr(request, "version") else case.version
        for stand_in, (person_id, role) in picks.items():
            outcome = actions.add_picked_party(self.desk, case.id, version, person_id=person_id, role=role)
            if isinstance(outcome, Conflict):
                return outcome
            case, version = outcome.case, outcome.case.version
            added[stand_in] = actions.party_of_person(case, person_id)
        self.post_message(PartyJoined(case, added))
        return self.resolve_request(request, added, version)

    def on_party_joined(self, message: PartyJoined) -> None:
        message.stop()
        self.case = message.case
        self.query_one("#form-heading", Static).update(self.heading())
        with self.prevent(Select.Changed, Checkbox.Changed, Input.Changed, TextArea.Changed, RadioSet.Changed):
            self.case_changed()
            for picker in self.query(PersonPicker):
                picker.set_case(self.case)
        names = [self.case.party(pid) for pid in message.added.values()]
        said = ", ".join(f"{p.name} ({p.role.replace('_', ' ')})" for p in names if p is not None)
        self.show_notice(f"Added to the case as a party: {said}.")

    def on_submitted(self, message: Submitted) -> None:
        """Answer what the action layer said: close, ask the handler, or say why nothing was saved."""
        message.stop()
        outcome, request = message.outcome, message.request
        if message.error is not None:
            error = message.error
            if isinstance(error, InvalidInput):
                self.show_field_error(error.field, one_line(error))
            elif isinstance(error, DeskError):
                self.show_status(f"Not saved: {one_line(error)}", "bold $text-error")
            else:
                self.show_status(f"Not saved: {one_line(error, kind=True)}", "bold $text-error")
            self._busy = False
            return
        self.outcome = outcome
        if isinstance(outcome, (Done, ApprovalRequested)):
            self.after_success(request, outcome)
            self._busy = False
            self.dismiss(outcome)
        elif isinstance(outcome, NeedsReason):
            self.show_status("A rule warns about this: give a reason to go ahead.", "bold $text-warning")
            modal = ReasonModal(outcome.findings, action_title=self.subject, text=self._last_reason,
                                reasons=self._reasons())

            def reason_given(answer: str | None) -> None:
                self._last_reason = modal.typed  # kept for the next try, even when backing out
                if answer is None:
                    self.show_status("Not saved: no reason given. Your input is kept.", "bold $text-warning")
                    self._busy = False
                else:
                    self._submit_again(request, answer, False, message.round)

            self._ask(modal, reason_given)
        elif isinstance(outcome, Blocked):
            self.show_status("Blocked by a rule.", "bold $text-error")
            modal = BlockedModal(outcome.findings, action_title=self.subject, text=self._last_note,
                                 reasons=self._reasons())

            def note_given(answer: str | None) -> None:
                self._last_note = modal.typed
                if answer is None:
                    self.show_status("Not saved: blocked. Change the action or request approval.",
                                     "bold $text-error")
                    self._busy = False
                else:
                    self._submit_again(request, answer, True, message.round)

            self._ask(modal, note_given)
        elif isinstance(outcome, Conflict):
            if outcome.case is None and self.case is not None:
                self._read_fresh_case(self.case.id, outcome.message)  # busy until it holds the case
            else:
                self._take_fresh_case(outcome.case, outcome.message)
        else:
            self.show_status(f"Not saved: unexpected answer {type(outcome).__name__}", "bold $text-error")
            self._busy = False

    def _reasons(self) -> Any:
        """The desk's rules for reasons (policies.yaml `reasons:`), so the modal refuses what submit would."""
        return self.desk.policies.reasons

    def _submit_again(self, request: Any, reason: str, approval: bool, round: int) -> None:
        """The handler answered round `round`: submit with the answer, unless the rounds are used up."""
        if round >= SUBMIT_ROUNDS:
            self.show_status("Not saved: the rules kept changing while you answered; submit again.",
                             "bold $text-error")
            self._busy = False
        else:
            self._submit(request, reason, approval, round + 1)

    def _ask(self, modal, answered) -> None:
        """Show `modal`; `answered` gets what the handler said (None: backed out)."""
        self.asking = True

        def done(answer: str | None) -> None:
            self.asking = False
            answered(answer)

        self.app.push_screen(modal, done)

    @work(thread=True, exclusive=True, group="fresh-case", exit_on_error=False)
    def _read_fresh_case(self, case_id: int, notice: str) -> None:
        try:
            self.post_message(FreshCase(actions.load_case(self.desk, case_id), notice))
        except Exception as exc:
            log.warning("reload after conflict failed: %s", exc)
            self.post_message(FreshCase(None, notice))

    def on_fresh_case(self, message: FreshCase) -> None:
        message.stop()
        self._take_fresh_case(message.case, message.notice)

    def _take_fresh_case(self, case, notice: str) -> None:
        """After a conflict: hold the case as it is now, so the next submit carries its version."""
        if case is not None:
            self.case = case
            self.query_one("#form-heading", Static).update(self.heading())
            # Refreshing pick-lists is not the handler changing a field: no "changed" handling.
            with self.prevent(Select.Changed, Checkbox.Changed, Input.Changed, TextArea.Changed, RadioSet.Changed):
                self.case_changed()
                for picker in self.query(PersonPicker):
                    picker.set_case(self.case)  # keeps the choice; forms give their fallback in case_changed
            self.schedule_preview(0)
        self.show_notice(notice)
        self.show_status("Not saved: the case changed. Check it, then submit again.", "bold $text-warning")
        self._busy = False

    def now(self) -> datetime:
        return self.desk.now()
