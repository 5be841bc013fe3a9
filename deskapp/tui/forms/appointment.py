"""Book an appointment, or move, cancel or mark one kept or missed: one form, one keyboard flow.

The first pick-list says which appointment (a new one, or one on the case);
the second what to do with it, offering only what its status allows. When,
with whom and what for are asked only where they matter (book, move); the
live panel shows the rules as for any action (a weekend booking warns).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Select

from deskapp.actions.validate import APPOINTMENT_FROM, MAX_PURPOSE
from deskapp.actions.outcomes import Done
from deskapp.core.views import ActionRequest
from deskapp.core.when import parse_when
from deskapp.policy.expressions import format_day_time
from deskapp.tui.forms.base import ActionForm, FieldError
from deskapp.tui.forms.fields import FieldRow, default_party, label, set_options_keeping
from deskapp.tui.widgets.person_picker import PersonPicker
from deskapp.tui.forms.inputs import SafeInput, SafeTextArea
from deskapp.tui.text import one_line
from deskapp.tui.widgets.toggles import TickBox

NEW = 0  # the "which appointment" choice for booking a new one
OP_WORDS = {"book": "book it", "move": "move it (new time, party or purpose)", "cancel": "cancel it",
            "kept": "mark it kept", "missed": "mark it missed"}
DETAILS = ("at", "party", "purpose")  # the rows book and move use
SENT = ("book", "move", "cancel")  # what the party is told about: a calendar file can go with it


def appointment_label(case, appt):
    """'Thu 12 Mar 2026 10:00 · Lee Price · Boiler repair visit (booked)' as literal text."""
    party = case.party(appt.party_id)
    parts = [format_day_time(appt.at), party.name if party else "", appt.purpose]
    return label(" · ".join(p for p in parts if p) + f" ({appt.status})")


class AppointmentForm(ActionForm):
    FORM_TITLE = "Appointment"

    def _appointments(self) -> list:
        return [(label("A new appointment"), NEW)] + [
            (appointment_label(self.case, a), a.id) for a in self.case.appointments if a.status != "cancelled"]

    def _ops(self) -> list[tuple[str, str]]:
        chosen = self._chosen()
        if chosen is None:
            return [(OP_WORDS["book"], "book")]
        return [(OP_WORDS[op], op) for op, allowed in APPOINTMENT_FROM.items() if chosen.status in allowed]

    def _chosen(self):
        wanted = self.value("appointment") if self.has_field("appointment") else self.options.get("appointment_id")
        return next((a for a in self.case.appointments if a.id == wanted), None)

    def compose_fields(self) -> ComposeResult:
        wanted = self.options.get("appointment_id")
        start = wanted if any(a.id == wanted for a in self.case.appointments) else NEW
        yield FieldRow("appointment", "Which", Select(self._appointments(), value=start, allow_blank=False,
                                                      compact=True))
        yield FieldRow("op", "Do", Select(self._ops(), allow_blank=False, compact=True,
                                          value=self.options.get("op") or self._ops()[0][1]))
        yield FieldRow("at", "When", SafeInput(compact=True, paste_limit=40,
                                               placeholder="YYYY-MM-DD HH:MM, or HH:MM today"))
        yield FieldRow("party", "With", PersonPicker(self.desk, self.case, value=default_party(self.case)))
        yield FieldRow("purpose", "Purpose", SafeInput(compact=True, paste_limit=MAX_PURPOSE,
                                                       placeholder="e.g. Repair visit: boiler"))
        yield FieldRow("body", "Note", SafeTextArea(compact=True, placeholder="Optional: kept in the history"))
        yield FieldRow("ics", "File", TickBox("Write a calendar file (.ics) for the confirmation email",
                                               value=False, compact=True))

    def on_mount(self) -> None:
        super().on_mount()
        self._show_rows()

    def _show_rows(self) -> None:
        op = self.value("op")
        for name in DETAILS:
            self.row(name).set_class(op not in ("book", "move"), "-hidden")
        self.row("ics").set_class(op not in SENT, "-hidden")
        chosen = self._chosen()
        if op == "move" and chosen is not None:  # a move starts from the appointment as it is
            self.widget("at").placeholder = f"now {chosen.at:%Y-%m-%d %H:%M}"
            self.widget("purpose").placeholder = chosen.purpose or "unchanged"
            if chosen.party_id is not None and self.case.party(chosen.party_id) is not None:
                self.widget("party").value = chosen.party_id

    def fields_changed(self, name: str | None) -> None:
        if name == "appointment":
            set_options_keeping(self.widget("op"), self._ops(), self._ops()[0][1])
        if name in ("appointment", "op"):
            self._show_rows()

    def case_changed(self) -> None:
        set_options_keeping(self.widget("appointment"), self._appointments(), NEW)
        set_options_keeping(self.widget("op"), self._ops(), self._ops()[0][1])
        self.widget("party").set_case(self.case, default_party(self.case))

    def _when(self, strict: bool):
        try:
            return parse_when(self.text("at"), self.now(), future=True)
        except ValueError as exc:
            if strict:
                raise FieldError("at", str(exc)) from None
            return None

    def build_request(self, strict: bool) -> ActionRequest | None:
        op = self.value("op")
        # Read here, on the UI thread: perform() runs in a worker and never touches widgets.
        self.calendar_file = bool(self.value("ics")) and op in SENT
        chosen = self._chosen()
        fields: dict = {"to": op, "body": self.text("body")}
        if chosen is not None:
            fields["extra"] = {"appointment_id": chosen.id}
        if op in ("book", "move"):
            at = self._when(strict)
            if at is None and op == "move" and not strict and chosen is not None:
                at = chosen.at  # nothing typed yet: check the rules on the time it has now
            if strict and at is None:
                raise FieldError("at", "say when: YYYY-MM-DD HH:MM")
            if strict and op == "book" and self.value("party") is None:
                raise FieldError("party", "choose who the appointment is with")
            if strict and op == "book" and not self.text("purpose").strip():
                raise FieldError("purpose", "say what the appointment is for")
            fields.update(at=at, party_id=self.party_id("party"), summary=self.text("purpose"))
            if at is None:
                return None
        return ActionRequest(kind="appointment", case_id=self.case.id, version=self.case.version, **fields)

    calendar_file = False
    written: str | None = None  # what became of the calendar file, said after the form closes

    def perform(self, request, reason, request_approval):
        """Submit; once done, write the calendar file (in the same worker) if the handler asked for one."""
        outcome = super().perform(request, reason, request_approval)
        self.written = None
        if self.calendar_file and isinstance(outcome, Done):
            from deskapp.supervision.appointment_ics import export_to_folder

            appt_id = request.extra.get("appointment_id") or max(a.id for a in outcome.case.appointments)
            try:
                self.written = f"Calendar file written: {export_to_folder(self.desk, appt_id)}"
            except Exception as exc:  # noqa: BLE001 - the appointment is saved; say why the file is not
                self.written = f"Saved, but the calendar file was not written: {one_line(exc, kind=True)}"
        return outcome

    def after_success(self, request, outcome) -> None:
        if self.written:
            self.app.notify(self.written, title="Appointment", markup=False,
                            severity="warning" if "not written" in self.written else "information")
