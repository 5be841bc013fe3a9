"""Extend the current stage's response deadline by some working days, with the reason the customer is given.

The live panel shows the extension-limit block as soon as the days typed take
the case past the stage's maximum (10 working days in the default pack).
"""

from __future__ import annotations

from textual.app import ComposeResult

from deskapp.core.views import ActionRequest
from deskapp.tui.forms.base import ActionForm, FieldError
from deskapp.tui.forms.fields import FieldRow
from deskapp.tui.forms.inputs import SafeInput, SafeTextArea


class ExtendForm(ActionForm):
    FORM_TITLE = "Extend the deadline"

    def compose_fields(self) -> ComposeResult:
        already = self.case.extension_days
        hint = f"Already extended by {already} working day{'s' if already != 1 else ''} at this stage" if already else None
        yield FieldRow("working_days", "Working days", SafeInput(compact=True, placeholder="e.g. 5", paste_limit=12),
                       hint=hint)
        yield FieldRow("reason", "Reason", SafeTextArea(compact=True, placeholder="Why more time is needed "
                                                        "(the customer is told this)"))

    def _days(self, strict: bool) -> int | None:
        text = self.text("working_days").strip()
        if not text:
            if strict:
                raise FieldError("working_days", "how many working days?")
            return None
        try:
            days = int(text)
        except ValueError:
            if strict:
                raise FieldError("working_days", "give a whole number of working days, e.g. 5") from None
            return None
        if strict and days < 1:
            raise FieldError("working_days", "give a whole number of working days, 1 or more")
        return days

    def build_request(self, strict: bool) -> ActionRequest | None:
        days = self._days(strict)
        reason = self.text("reason")
        if strict and not reason.strip():
            raise FieldError("reason", "say why the deadline is extended (the customer will be told)")
        if days is None:
            return None
        return ActionRequest(kind="extend", case_id=self.case.id, version=self.case.version, working_days=days,
                             body=reason)
