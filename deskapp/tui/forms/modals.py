"""The two questions a submit can raise: "why are you going ahead?" and "ask a supervisor?".

ReasonModal answers a `warn`: the handler writes a reason (stored with the
action) or presses Esc to go back to the form with nothing written.
BlockedModal answers a `block`: nothing was written; the handler can go back
and change the action, or store it as a pending request for supervisor
approval with a note saying why it is needed.

Both dismiss with the text typed (stripped), or None when the handler backs out.
Finding messages come from rule templates filled with case data, so they are
shown through FindingsList (literal text, control characters removed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from deskapp.policy.reasons import ReasonSettings
from deskapp.tui.forms.inputs import SafeTextArea
from deskapp.tui.text import line
from deskapp.tui.widgets.findings import FindingsList

MAX_REASON = 4_000  # the action layer's limit; checked here too so the handler is told before a round trip


def check_reason(text: str, what: str, reasons: ReasonSettings | None = None) -> str | None:
    """A one-line problem with the reason typed, or None if it will do.

    The same check the action layer makes (the pack's `reasons:`), shown before submit.
    """
    if len(text.strip()) > MAX_REASON:
        return f"{what}: too long ({len(text.strip()):,} characters; the limit is {MAX_REASON:,})"
    problem = (reasons or ReasonSettings()).problem(text)
    return f"{what}: {problem}" if problem else None


class _QuestionModal(ModalScreen[str | None]):
    """Shared frame: a title, the findings, a text box and a one-line error."""

    DEFAULT_CSS = """
    _QuestionModal {
        align: center middle;
    }
    _QuestionModal > #dialog {
        width: 90%;
        max-width: 100;
        height: auto;
        max-height: 100%;
        border: round $border;
        background: $panel;
        padding: 0 1;
    }
    _QuestionModal #dialog-title {
        text-style: bold;
        height: auto;
    }
    _QuestionModal #dialog-findings {
        height: auto;
        max-height: 8;
        margin: 1 0;
    }
    _QuestionModal .dialog-text {
        height: auto;
    }
    _QuestionModal SafeTextArea {
        height: 5;
    }
    _QuestionModal #dialog-error {
        height: auto;
        color: $text-error;
        text-style: bold;
    }
    _QuestionModal #dialog-buttons {
        height: auto;
        margin-top: 1;
    }
    _QuestionModal #dialog-buttons Button {
        margin-right: 2;
    }
    """

    def __init__(self, findings: Iterable[Any], *, action_title: str = "", text: str = "",
                 reasons: ReasonSettings | None = None) -> None:
        super().__init__()
        self.reasons = reasons  # the desk's policies.yaml `reasons:` (None: the defaults)
        self.findings = list(findings)
        self.action_title = action_title
        self.initial_text = text
        self.typed = text  # what is in the text box when the modal closes, even when backing out

    def _findings_widget(self) -> ComposeResult:
        with VerticalScroll(id="dialog-findings"):
            findings = FindingsList("", id="modal-findings")
            yield findings

    def on_mount(self) -> None:
        self.query_one("#modal-findings", FindingsList).show(self.findings)

    def show_error(self, message: str | None) -> None:
        self.query_one("#dialog-error", Static).update(line((message or "", "bold $text-error")))

    @property
    def error(self) -> str:
        content = self.query_one("#dialog-error", Static).content
        return content.plain if isinstance(content, Content) else str(content)


class ReasonModal(_QuestionModal):
    """A rule warns: go ahead only with a reason (ctrl+s), or Esc back to the form (nothing written)."""

    DEFAULT_CSS = """
    ReasonModal > #dialog {
        border: round $warning;
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "go_ahead", "Go ahead with this reason", id="reason.go_ahead", priority=True),
        Binding("escape", "back", "Back to the form", id="reason.back"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            what = f"{self.action_title}: " if self.action_title else ""
            yield Static(line((f"{what}a rule warns about this", "bold $text-warning")), id="dialog-title")
            yield from self._findings_widget()
            yield Static(
                Content("You can go ahead, but you must say why. Your reason is stored with the action."),
                classes="dialog-text",
            )
            yield SafeTextArea(self.initial_text, id="reason", placeholder="Why are you going ahead?")
            yield Static(Content(""), id="dialog-error")
        yield Footer()  # ctrl+s go ahead / esc back to the form

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#reason", SafeTextArea).focus()

    def on_text_area_changed(self, event) -> None:
        self.typed = event.text_area.text
        self.show_error(None)

    def action_go_ahead(self) -> None:
        text = self.query_one("#reason", SafeTextArea).text
        problem = check_reason(text, "reason", self.reasons)
        if problem:
            self.show_error(problem)
            return
        self.dismiss(text.strip())

    def action_back(self) -> None:
        self.dismiss(None)


class BlockedModal(_QuestionModal):
    """A rule blocks: back to edit (Esc), or request supervisor approval with a note (ctrl+s to send)."""

    DEFAULT_CSS = """
    BlockedModal > #dialog {
        border: round $error;
    }
    BlockedModal #approval-note {
        height: auto;
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "send", "Request approval", id="blocked.send", priority=True),
        Binding("escape", "back", "Back to edit", id="blocked.back"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            what = f"{self.action_title}: " if self.action_title else ""
            yield Static(line((f"{what}blocked by a rule", "bold $text-error")), id="dialog-title")
            yield from self._findings_widget()
            yield Static(
                Content("Nothing was saved. This can only go ahead if a supervisor approves it. "
                        "Change the action, or ask for approval: the request is stored for a "
                        "supervisor to decide."),
                classes="dialog-text",
            )
            with Horizontal(id="dialog-buttons"):
                yield Button("Request supervisor approval", id="request", variant="warning", compact=True)
                yield Button("Back to edit", id="back", compact=True)
            with Vertical(id="approval-note"):
                yield Static(Content("Note for the supervisor: why does this need to go ahead?"),
                             classes="dialog-text")
                yield SafeTextArea(self.initial_text, id="note", placeholder="Why should a supervisor approve this?")
            yield Static(Content(""), id="dialog-error")
        yield Footer()  # ctrl+s request approval / send it, esc back to edit

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#approval-note").display = False
        self.query_one("#back", Button).focus()

    @property
    def asking(self) -> bool:
        """True once the handler chose to request approval (the note box is showing)."""
        return bool(self.query_one("#approval-note").display)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "back":
            self.dismiss(None)
        elif event.button.id == "request":
            self.action_request()

    def action_request(self) -> None:
        """Show the note box; the request is sent with ctrl+s once a note is written."""
        self.query_one("#approval-note").display = True
        self.query_one("#note", SafeTextArea).focus()

    def on_text_area_changed(self, event) -> None:
        self.typed = event.text_area.text
        self.show_error(None)

    def action_send(self) -> None:
        if not self.asking:
            self.action_request()
            return
        text = self.query_one("#note", SafeTextArea).text
        problem = check_reason(text, "note", self.reasons)
        if problem:
            self.show_error(problem)
            return
        self.dismiss(text.strip())

    def action_back(self) -> None:
        self.dismiss(None)
