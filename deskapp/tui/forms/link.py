"""Link the case to another (duplicate, related, parent, child) or remove a link; merge a duplicate case.

Linking and unlinking are handler actions through deskapp.actions.submit, like a note: the rules
run (live panel), a warning asks for a reason, a block for approval. The merge form is a
supervisor's (deskapp.actions.case_merge): the duplicate is closed as merged into the case that
stays, both histories are kept, and the desk then opens the case that stays.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Select

from deskapp import actions
from deskapp.actions.outcomes import Done
from deskapp.core.views import ActionRequest
from deskapp.tui.forms.base import ActionForm, FieldError
from deskapp.tui.forms.fields import FieldRow
from deskapp.tui.forms.hints import Hint
from deskapp.tui.forms.inputs import SafeInput, SafeTextArea
from deskapp.tui.text import safe_text
from deskapp.vocab import LINK_KINDS

UNLINK = "unlink"
_AS = {"duplicate": "a duplicate of this case", "related": "related to this case",
       "parent": "this case's parent", "child": "a child of this case"}


class LinkForm(ActionForm):
    FORM_TITLE = "Link to another case"
    FIELD_ALIASES = {"link": "kind"}

    def compose_fields(self) -> ComposeResult:
        options = [(f"{kind}: the other case is {_AS[kind]}", kind) for kind in LINK_KINDS]
        if any(link.link_id is not None for link in self.case.links):
            options.append(("remove the link to it", UNLINK))
        yield FieldRow("other", "Other case", SafeInput(compact=True, placeholder="its reference, e.g. C-1002",
                                                        paste_limit=64, value=self.options.get("other", "")))
        yield FieldRow("kind", "Link as", Select(options, prompt="Choose how", compact=True,
                                                 value=self.options.get("kind") or Select.NULL))
        yield FieldRow("body", "Note", SafeTextArea(compact=True, placeholder="Optional: why (kept in the history)"))

    def build_request(self, strict: bool) -> ActionRequest | None:
        other, kind = self.text("other").strip(), self.value("kind")
        if not other:
            if strict:
                raise FieldError("other", "give the other case's reference, e.g. C-1002")
            return None
        if kind is None:
            if strict:
                raise FieldError("kind", "choose how the cases are linked")
            return None
        if kind == UNLINK:
            link = next((link for link in self.case.links
                         if link.link_id is not None and link.ref.casefold() == other.casefold()), None)
            if link is None:
                if strict:
                    listed = ", ".join(link.ref for link in self.case.links if link.link_id is not None)
                    raise FieldError("other", f"{self.case.ref} is not linked to {safe_text(other, single_line=True)}"
                                              f" (linked: {listed or 'none'})")
                return None
            return ActionRequest(kind="unlink", case_id=self.case.id, version=self.case.version,
                                 body=self.text("body"), extra={"link_id": link.link_id})
        return ActionRequest(kind="link", case_id=self.case.id, version=self.case.version, to=kind,
                             body=self.text("body"), extra={"other_ref": other})


class MergeForm(ActionForm):
    """Merge a duplicate case into the case that stays (supervisors): a reason, then the kept case opens."""

    FORM_TITLE = "Merge a duplicate case"
    USES_POLICY = False

    def compose_fields(self) -> ComposeResult:
        duplicate = next((link.ref for link in self.case.links if link.kind == "duplicate"), "")
        yield FieldRow("keep", "Case that stays", SafeInput(compact=True, paste_limit=64,
                                                            value=self.options.get("keep", self.case.ref)),
                       hint="keeps its history and gains the duplicate's")
        yield FieldRow("dup", "Duplicate", SafeInput(compact=True, paste_limit=64, placeholder="e.g. C-1002",
                                                     value=self.options.get("dup", duplicate)),
                       hint="closed as merged; its contacts show on the case that stays")
        yield FieldRow("reason", "Reason", SafeTextArea(compact=True, placeholder="Why they are one case "
                                                        "(recorded in the audit trail)"))

    def build_request(self, strict: bool) -> dict[str, str] | None:
        keep, dup, reason = self.text("keep").strip(), self.text("dup").strip(), self.text("reason").strip()
        if strict:
            for name, value, what in (("keep", keep, "give the reference of the case that stays"),
                                      ("dup", dup, "give the reference of the duplicate"),
                                      ("reason", reason, "say why they are one case")):
                if not value:
                    raise FieldError(name, what)
        return {"keep": keep, "dup": dup, "reason": reason}

    def hints(self) -> list[Hint]:
        keep = safe_text(self.text("keep").strip(), single_line=True) or "the case that stays"
        dup = safe_text(self.text("dup").strip(), single_line=True) or "the duplicate"
        return [Hint("merge", "advice", f"{dup} will be closed as merged into {keep}; its contacts show in "
                                        f"{keep}'s history, labelled {dup}, and its persons join {keep}."),
                Hint("merge", "advice", f"{keep} keeps the earlier received date of the two (the statutory "
                                        f"clock runs from the first report)."),
                Hint("merge", "advice", "Nothing is rewritten: an admin can undo it for 30 days.")]

    def fields_changed(self, name: str | None) -> None:
        self.schedule_preview()

    def perform(self, request: Any, reason: str | None, request_approval: bool) -> Done:
        from deskapp.actions.case_merge import merge_cases

        done = merge_cases(self.desk, request["keep"], request["dup"], request["reason"])
        return Done(case=actions.load_case(self.desk, done.keep_id), audit_id=done.audit_id)
