"""Add an internal note to the case history (never sent to anyone)."""

from __future__ import annotations

from textual.app import ComposeResult

from deskapp.actions.validate import MAX_SUMMARY
from deskapp.core.views import ActionRequest
from deskapp.tui.forms.base import ActionForm, FieldError
from deskapp.tui.forms.fields import FieldRow
from deskapp.tui.forms.inputs import SafeInput, SafeTextArea


class NoteForm(ActionForm):
    FORM_TITLE = "Add an internal note"

    DEFAULT_CSS = """
    NoteForm FieldRow#row-body SafeTextArea.field-input {
        height: 10;
    }
    """

    def compose_fields(self) -> ComposeResult:
        yield FieldRow("summary", "Summary", SafeInput(paste_limit=MAX_SUMMARY, compact=True,
                                                       placeholder="Optional one-line summary"))
        yield FieldRow("body", "Note", SafeTextArea(compact=True, placeholder="Internal: not sent to anyone"))

    def build_request(self, strict: bool) -> ActionRequest | None:
        summary, body = self.text("summary"), self.text("body")
        if strict and not (body.strip() or summary.strip()):
            raise FieldError("body", "the note is empty")
        return ActionRequest(kind="note", case_id=self.case.id, version=self.case.version, channel="note",
                             direction="internal", summary=summary, body=body)
