"""Give the case to a handler: assign it, or escalate it to stage 2 with who takes it and why.

The handler list is loaded in a worker when the form opens. Ticking "the
customer asked for this handler" records who asked (at_request_of), which the
reassign-on-request rule warns about; giving stage 2 to whoever handled stage 1
shows the stage2-same-handler warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Select

from deskapp import actions
from deskapp.core.views import ActionRequest
from deskapp.tui.forms.base import ActionForm, FieldError
from deskapp.tui.text import one_line
from deskapp.tui.forms.fields import (
    FieldRow,
    handler_options,
    set_options_keeping,
)
from deskapp.tui.forms.inputs import SafeTextArea
from deskapp.tui.widgets.person_picker import PersonPicker
from deskapp.tui.widgets.toggles import TickBox

log = logging.getLogger(__name__)


@dataclass
class HandlersLoaded(Message):
    """The desk's handlers for the pick-list, or why they could not be read."""

    handlers: list[Any]
    error: Exception | None = None


class _HandlerPicker(ActionForm):
    """Loads the desk's handlers into the `to` pick-list once the form is up."""

    PICK_PROMPT = "Choose a handler"

    def __init__(self, desk, case, **kwargs) -> None:
        super().__init__(desk, case, **kwargs)
        self.handlers: list = []

    def on_mount(self) -> None:
        super().on_mount()
        self._load_handlers()

    @work(thread=True, exclusive=True, group="handlers", exit_on_error=False)
    def _load_handlers(self) -> None:
        try:
            self.post_message(HandlersLoaded(actions.list_handlers(self.desk)))
        except Exception as exc:
            log.warning("could not list handlers: %s", exc)
            self.post_message(HandlersLoaded([], exc))

    def on_handlers_loaded(self, message: HandlersLoaded) -> None:
        message.stop()
        if message.error is not None:
            self.show_field_error("to", f"to: could not load the handlers ({one_line(message.error)})")
            return
        self.handlers = message.handlers
        handlers = message.handlers
        select = self.widget("to")
        set_options_keeping(select, handler_options(handlers), self.options.get("to"))
        select.prompt = self.PICK_PROMPT
        self.handlers_loaded()

    def handlers_loaded(self) -> None:
        """Hook: the pick-list is filled."""


class AssignForm(_HandlerPicker):
    FORM_TITLE = "Assign the case"

    def compose_fields(self) -> ComposeResult:
        yield FieldRow("to", "Handler", Select([], prompt="Loading handlers...", compact=True),
                       hint=f"Now: {self.case.assigned_to or 'unassigned'}")
        yield FieldRow("on_request", "Requested", TickBox("The customer asked for this handler", compact=True))
        yield FieldRow("at_request_of", "Asked by", PersonPicker(self.desk, self.case, value=self._requester(),
                                                                 prompt="Who asked"))
        yield FieldRow("body", "Note", SafeTextArea(compact=True, placeholder="Optional: why (kept in the history)"))

    def _requester(self):
        """Who most likely asked: the first customer or resident, else the first party."""
        for role in ("customer", "resident"):
            for party in self.case.parties:
                if party.role == role:
                    return party.id
        return self.case.parties[0].id if self.case.parties else Select.NULL

    def on_mount(self) -> None:
        super().on_mount()
        self.row("at_request_of").add_class("-hidden")

    def fields_changed(self, name: str | None) -> None:
        if name == "on_request":
            self.row("at_request_of").set_class(not self.value("on_request"), "-hidden")

    def case_changed(self) -> None:
        self.widget("at_request_of").set_case(self.case)

    def build_request(self, strict: bool) -> ActionRequest | None:
        to = self.value("to")
        asked = self.value("on_request")
        by = self.party_id("at_request_of") if asked else None
        if strict:
            if to is None:
                raise FieldError("to", "choose a handler")
            if asked and by is None:
                raise FieldError("at_request_of", "choose who asked for this handler")
        if to is None:
            return None
        return ActionRequest(kind="assign", case_id=self.case.id, version=self.case.version, to=to,
                             at_request_of=by, body=self.text("body"))


class EscalateForm(_HandlerPicker):
    FORM_TITLE = "Escalate to stage 2"
    FIELD_ALIASES = {"summary": "why", "body": "why"}
    PICK_PROMPT = "Nobody yet (leave unassigned)"

    def compose_fields(self) -> ComposeResult:
        yield FieldRow("to", "Stage 2 by", Select([], prompt="Loading handlers...", compact=True),
                       hint=f"Stage 1 handled by: {self.case.stage1_handler or self.case.assigned_to or 'unknown'}")
        yield FieldRow("why", "Why", SafeTextArea(compact=True, placeholder="Why the complaint goes to stage 2"))

    def build_request(self, strict: bool) -> ActionRequest | None:
        why = self.text("why")
        if strict and not why.strip():
            raise FieldError("why", "say why the complaint goes to stage 2")
        return ActionRequest(kind="escalate", case_id=self.case.id, version=self.case.version,
                             to=self.value("to"), body=why)
