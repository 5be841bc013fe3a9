"""Set the case's status (acknowledged, investigating, ..., closed), with an optional note.

Closing a complaint that never had a final response shows the
close-without-response block before submit.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Select

from deskapp import vocab
from deskapp.core.views import ActionRequest
from deskapp.tui.forms.base import ActionForm, FieldError
from deskapp.tui.forms.fields import FieldRow, set_options_keeping, word_options
from deskapp.tui.forms.inputs import SafeTextArea


class StatusForm(ActionForm):
    FORM_TITLE = "Set status"

    def _choices(self) -> list[tuple[str, str]]:
        return word_options(s for s in vocab.CASE_STATUSES if s != self.case.status)

    def compose_fields(self) -> ComposeResult:
        yield FieldRow("status", "New status", Select(self._choices(), prompt="Choose a status", compact=True,
                                                      value=self.options.get("to") or Select.NULL),
                       hint=f"Now: {self.case.status.replace('_', ' ')}")
        yield FieldRow("body", "Note", SafeTextArea(compact=True, placeholder="Optional: why (kept in the history)"))

    def case_changed(self) -> None:
        set_options_keeping(self.widget("status"), self._choices())

    def build_request(self, strict: bool) -> ActionRequest | None:
        to = self.value("status")
        if to is None:
            if strict:
                raise FieldError("status", "choose the new status")
            return None
        return ActionRequest(kind="status", case_id=self.case.id, version=self.case.version, to=to,
                             body=self.text("body"))
