"""Open a new case with its first party (the person who got in touch).

Not a policy action, so the panel shows what opening it means instead: the
deadlines the case starts with (from the policy pack's timescales), and a nudge
to add a representative when the customer is vulnerable.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Select, Static

from deskapp import actions, vocab
from deskapp.actions.outcomes import Done
from deskapp.actions.validate import MAX_NAME, MAX_TITLE
from deskapp.core.when import parse_when
from deskapp.tui.forms.base import ActionForm, FieldError
from deskapp.tui.forms.fields import (
    FieldRow,
    priority_options,
    word_options,
)
from deskapp.tui.forms.hints import Hint, deadline_hints
from deskapp.tui.forms.inputs import SafeInput
from deskapp.tui.widgets.toggles import TickBox


class NewCaseForm(ActionForm):
    FORM_TITLE = "New case"
    USES_POLICY = False
    FIELD_ALIASES = {"received_at": "received"}

    def compose_fields(self) -> ComposeResult:
        yield FieldRow("kind", "Kind", Select(word_options(vocab.CASE_KINDS), value="complaint", allow_blank=False,
                                              compact=True))
        yield FieldRow("title", "Title", SafeInput(paste_limit=MAX_TITLE, compact=True,
                                                   placeholder="A short description of the case"))
        yield FieldRow("category", "Category", SafeInput(paste_limit=64, compact=True,
                                                         placeholder="e.g. repairs, billing (blank: general)"))
        yield FieldRow("priority", "Priority", Select(priority_options(), value=3, allow_blank=False, compact=True))
        yield FieldRow("vulnerable", "Vulnerable", TickBox("The customer is vulnerable", compact=True))
        yield FieldRow("received", "Received", SafeInput(paste_limit=40, compact=True,
                                                         placeholder="blank = now; YYYY-MM-DD or YYYY-MM-DD HH:MM"))
        yield Static(Content("First party: who got in touch"), classes="form-section")
        yield FieldRow("name", "Name", SafeInput(paste_limit=MAX_NAME, compact=True))
        yield FieldRow("role", "Role", Select(word_options(vocab.PARTY_ROLES), value="customer", allow_blank=False,
                                              compact=True))
        yield FieldRow("email", "Email", SafeInput(paste_limit=254, compact=True))
        yield FieldRow("phone", "Phone", SafeInput(paste_limit=40, compact=True))
        yield FieldRow("address", "Address", SafeInput(paste_limit=2000, compact=True))

    def _received(self, strict: bool):
        try:
            return parse_when(self.text("received"), self.now())
        except ValueError as exc:
            if strict:
                raise FieldError("received", str(exc)) from None
            return None

    def build_request(self, strict: bool) -> dict[str, Any]:
        title = self.text("title").strip()
        name = self.text("name").strip()
        if strict:
            if not title:
                raise FieldError("title", "give the case a short title")
            if not name:
                raise FieldError("name", "who got in touch? (a name)")
        party = {"name": name, "role": self.value("role"), "email": self.text("email"),
                 "phone": self.text("phone"), "address": self.text("address")}
        return dict(kind=self.value("kind"), category=self.text("category"), title=title,
                    priority=self.value("priority"), vulnerable=self.value("vulnerable"),
                    received_at=self._received(strict), party=party)

    def perform(self, request, reason, request_approval):
        case = actions.new_case(self.desk, **request)
        return Done(case=case)

    def hints(self) -> list[Hint]:
        out: list[Hint] = []
        received = self._received(False) or self.now()
        out += deadline_hints(self.desk, self.value("kind"), received, self.now())
        if self.value("vulnerable"):
            out.append(Hint("vulnerable", "advice", "Vulnerable customer: if someone acts for them, add them as a "
                                                    "party and mark them designated once the case is open."))
        if not out:
            out.append(Hint("new-case", "advice", "The case will be assigned to you."))
        return out
