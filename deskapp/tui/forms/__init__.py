"""The desk's action forms: one keyboard flow per thing a handler does.

Entry points for the main screen:

    open_form(kind, desk, case, **options) -> Screen
    open_party_form(desk, case, party_id=None) -> Screen

Push the screen; it dismisses with an Outcome (Done, or ApprovalRequested when
a blocked action was sent to a supervisor) when something was written or
requested, or None when the handler cancelled (nothing written).

Kinds: contact, message, status, assign, escalate, extend, abuse (options:
mode="warning" | "end_call"; aliases "warning" and "end_call"), note,
new_case (case may be None), party (option party_id to edit one), appointment (options:
appointment_id, op to preselect), link (options: other, kind; kind "unlink" removes a link),
merge (options: keep, dup), arrangement (a person's representative arrangement: op="record" | "end"),
vulnerable (mark / unmark a person vulnerable).
Other options: status accepts to="closed" to preselect; assign accepts to=username.
"""

from __future__ import annotations

from typing import Any

from deskapp.errors import DeskError
from deskapp.tui.forms.abuse import AbuseForm
from deskapp.tui.forms.appointment import AppointmentForm
from deskapp.tui.forms.assign import AssignForm, EscalateForm
from deskapp.tui.forms.base import ActionForm, FieldError
from deskapp.tui.forms.calls import CallRegistry, current_call_id
from deskapp.tui.forms.contact import ContactForm
from deskapp.tui.forms.extend import ExtendForm
from deskapp.tui.forms.link import LinkForm, MergeForm
from deskapp.tui.forms.message import MessageForm
from deskapp.tui.forms.modals import BlockedModal, ReasonModal
from deskapp.tui.forms.new_case import NewCaseForm
from deskapp.tui.forms.note import NoteForm
from deskapp.tui.forms.party import PartyForm
from deskapp.tui.forms.person import ArrangementForm, VulnerabilityForm
from deskapp.tui.forms.status import StatusForm

FORMS: dict[str, type[ActionForm]] = {
    "contact": ContactForm,
    "message": MessageForm,
    "status": StatusForm,
    "assign": AssignForm,
    "escalate": EscalateForm,
    "extend": ExtendForm,
    "abuse": AbuseForm,
    "note": NoteForm,
    "new_case": NewCaseForm,
    "party": PartyForm,
    "appointment": AppointmentForm,
    "link": LinkForm,
    "merge": MergeForm,
    "arrangement": ArrangementForm,
    "vulnerable": VulnerabilityForm,
}
ALIASES = {"warning": ("abuse", {"mode": "warning"}), "end_call": ("abuse", {"mode": "end_call"})}
FORM_KINDS = tuple(FORMS) + tuple(ALIASES)


def open_form(kind: str, desk, case=None, **options: Any) -> ActionForm:
    """The form screen for `kind` on `case` (a CaseView; None only for new_case)."""
    if kind in ALIASES:
        kind, preset = ALIASES[kind]
        options = {**preset, **options}
    form = FORMS.get(kind)
    if form is None:
        raise DeskError(f"no form called {kind!r}; forms: {', '.join(FORM_KINDS)}")
    if case is None and form is not NewCaseForm:
        raise DeskError("choose a case first")
    return form(desk, case, **options)


def open_party_form(desk, case, party_id: int | None = None) -> PartyForm:
    """Add a party to `case` (party_id None) or edit one."""
    if case is None:
        raise DeskError("choose a case first")
    return PartyForm(desk, case, party_id=party_id)


__all__ = [
    "FORM_KINDS",
    "ActionForm",
    "BlockedModal",
    "CallRegistry",
    "FieldError",
    "ReasonModal",
    "current_call_id",
    "open_form",
    "open_party_form",
]
