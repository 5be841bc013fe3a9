"""Open a new case with its first party (the person who got in touch).

Not a policy action, so the panel shows what opening it means instead: the
deadlines the case starts with (from the policy pack's timescales), a nudge
to add a representative when the customer is vulnerable, and — as the caller's
details are typed — whether they are likely someone already known
(deskapp.actions.person_search.likely_persons, in a thread worker). Linking the
case to that person is the default: their other cases, representative and
vulnerability then carry to this one; ticking "New person" records someone new
instead, and the panel says who they look like. "Known as" (the person picker)
links the case to someone the handler finds by name, phone, email, postcode or
case ref instead, and fills the blank details from what is known of them.
"""

from __future__ import annotations

from typing import Any, Optional

from textual import work
from textual.app import ComposeResult
from textual.content import Content
from textual.message import Message
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
from deskapp.tui.text import safe_text
from deskapp.tui.widgets.person_picker import PersonPicker
from deskapp.tui.widgets.toggles import TickBox


class LikelyFound(Message):
    """The persons already known who look like the caller typed in (an answer for `details`)."""

    def __init__(self, details: tuple, likely: list) -> None:
        super().__init__()
        self.details, self.likely = details, likely


class NewCaseForm(ActionForm):
    FORM_TITLE = "New case"
    USES_POLICY = False
    FIELD_ALIASES = {"received_at": "received"}

    likely: list = []  # [(PersonHit, reasons)] for `looked_up`
    looked_up: Optional[tuple] = None

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
        yield FieldRow("person", "Known as", PersonPicker(self.desk, None, parties=False,
                                                         prompt="Found as it is typed (below), or search"))
        yield FieldRow("name", "Name", SafeInput(paste_limit=MAX_NAME, compact=True))
        yield FieldRow("role", "Role", Select(word_options(vocab.PARTY_ROLES), value="customer", allow_blank=False,
                                              compact=True))
        yield FieldRow("email", "Email", SafeInput(paste_limit=254, compact=True))
        yield FieldRow("phone", "Phone", SafeInput(paste_limit=40, compact=True))
        yield FieldRow("address", "Address", SafeInput(paste_limit=2000, compact=True))
        yield FieldRow("new_person", "New person", TickBox("Not someone we know: record a new person", compact=True))

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
        request = dict(kind=self.value("kind"), category=self.text("category"), title=title,
                       priority=self.value("priority"), vulnerable=self.value("vulnerable"),
                       received_at=self._received(strict), party=party)
        chosen = None if self.value("new_person") else self.value("person")
        known = self._known()
        if chosen is not None:
            request["person_id"] = chosen.person_id  # the handler found and chose them
        elif known is not None:
            request["person_id"] = known.id  # the default: the caller is the person already known
        return request

    def fields_changed(self, name: str | None) -> None:
        chosen = self.value("person")
        if name == "person" and chosen is not None:  # fill what is blank from what is known of them
            for field, value in (("name", chosen.name), ("email", chosen.email), ("phone", chosen.phone),
                                 ("address", chosen.address)):
                if value and not self.text(field).strip():
                    self.widget(field).value = value

    # --- is the caller someone already known? -------------------------------------------

    def _details(self) -> tuple:
        return tuple(self.text(name).strip() for name in ("name", "phone", "email", "address"))

    def _known(self) -> Any:
        """The person this case will be linked to: the likeliest match for what is typed now, unless ticked new."""
        if self.value("new_person") or not self.likely or self.looked_up != self._details():
            return None
        return self.likely[0][0]

    @work(thread=True, exclusive=True, group="likely-person", exit_on_error=False)
    def _look_up(self, details: tuple) -> None:
        from deskapp.actions.person_search import likely_persons

        try:
            likely = likely_persons(self.desk, *details)
        except Exception:  # noqa: BLE001 - a failed look-up means a new person, as before
            likely = []
        self.post_message(LikelyFound(details, likely))

    def on_likely_found(self, message: LikelyFound) -> None:
        message.stop()
        if message.details != self._details():
            return  # typed on since: a newer look-up is on its way
        self.likely, self.looked_up = message.likely, message.details
        self.schedule_preview(0)

    def perform(self, request, reason, request_approval):
        case = actions.new_case(self.desk, **request)
        return Done(case=case)

    def _person_hints(self) -> list[Hint]:
        chosen = None if self.value("new_person") else self.value("person")
        if chosen is not None:
            return [Hint("known-person", "advice", f"Linked to #{chosen.person_id} "
                                                   f"{safe_text(chosen.name, single_line=True)}, as chosen: their "
                                                   f"other cases and arrangements carry over.")]
        details = self._details()
        if details != self.looked_up:
            self.likely = []
            if details[0]:
                self._look_up(details)  # the panel is shown again when the answer is in
            return []
        if not self.likely:
            return []
        hit, reasons = self.likely[0]
        who = f"#{hit.id} {hit.name}"
        why = "; ".join(reasons)
        if self.value("new_person"):
            return [Hint("likely-duplicate", "warn", f"Likely already known as {who} ({why}): a new person will "
                                                     f"be recorded; untick New person to link the case to them.")]
        more = f" (also like {', '.join(f'#{h.id}' for h, _r in self.likely[1:])})" if len(self.likely) > 1 else ""
        return [Hint("known-person", "advice", f"Linked to {who}, already known ({why}){more}: their other "
                                               f"cases and arrangements carry over. Tick New person if not them.")]

    def hints(self) -> list[Hint]:
        out: list[Hint] = self._person_hints()
        received = self._received(False) or self.now()
        out += deadline_hints(self.desk, self.value("kind"), received, self.now())
        if self.value("vulnerable"):
            out.append(Hint("vulnerable", "advice", "Vulnerable customer: if someone acts for them, add them as a "
                                                    "party and mark them designated once the case is open."))
        if not out:
            out.append(Hint("new-case", "advice", "The case will be assigned to you."))
        return out
