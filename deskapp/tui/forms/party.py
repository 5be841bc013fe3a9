"""Add a party to the case, or change one: who they are, how to reach them, and whether they are
the designated representative (all contact goes through them) or authorised to discuss the case.

Marking someone designated un-designates whoever was before; the panel says
so before the handler saves, by name. A new party can be someone already known
(the person picker, searching across cases): the case is then linked to that
person, and the blank details are filled from what is known of them.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Select

from deskapp import actions, vocab
from deskapp.actions.validate import MAX_NAME
from deskapp.core.parties import PARTY_LIMITS
from deskapp.errors import DeskError
from deskapp.tui.forms.base import ActionForm, FieldError
from deskapp.tui.forms.fields import FieldRow, word_options
from deskapp.tui.forms.hints import Hint
from deskapp.tui.forms.inputs import SafeInput, SafeTextArea
from deskapp.tui.text import safe_text
from deskapp.tui.widgets.person_picker import PersonPick, PersonPicker
from deskapp.tui.widgets.toggles import TickBox

TEXT_FIELDS = ("name", "organisation", "email", "phone", "address", "notes")
LIMITS = {**PARTY_LIMITS, "address": 2000}  # what a paste may put in each box


class PartyForm(ActionForm):
    USES_POLICY = False

    def __init__(self, desk, case, party_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(desk, case, **kwargs)
        self.party_id = party_id
        self.original = case.party(party_id) if party_id is not None else None
        if party_id is not None and self.original is None:
            raise DeskError(f"party {party_id} is not on case {case.ref}")

    @property
    def FORM_TITLE(self) -> str:  # type: ignore[override]
        return "Edit party" if self.party_id is not None else "Add a party"

    def compose_fields(self) -> ComposeResult:
        p = self.original
        if p is None:
            yield FieldRow("person", "Known as", PersonPicker(self.desk, self.case, parties=False,
                                                             prompt="Someone new (the details below)"))
        yield FieldRow("role", "Role", Select(word_options(vocab.PARTY_ROLES), allow_blank=False, compact=True,
                                              value=p.role if p and p.role in vocab.PARTY_ROLES else
                                              self.options.get("role", "customer")))
        yield FieldRow("name", "Name", SafeInput(p.name if p else "", paste_limit=MAX_NAME, compact=True))
        yield FieldRow("organisation", "Organisation", SafeInput((p.organisation or "") if p else "",
                                                                 paste_limit=MAX_NAME, compact=True,
                                                                 placeholder="e.g. Social services"))
        yield FieldRow("designated", "Designated", TickBox("All contact must go through this person",
                                                            value=bool(p and p.designated), compact=True))
        yield FieldRow("authorised", "Authorised", TickBox("The customer has authorised us to talk to them",
                                                            value=bool(p and p.authorised), compact=True))
        yield FieldRow("email", "Email", SafeInput((p.email or "") if p else "", paste_limit=254, compact=True))
        yield FieldRow("phone", "Phone", SafeInput((p.phone or "") if p else "", paste_limit=40, compact=True))
        yield FieldRow("address", "Address", SafeInput((p.address or "") if p else "", paste_limit=2000, compact=True))
        yield FieldRow("notes", "Notes", SafeTextArea((p.notes or "") if p else "", compact=True))

    def _values(self, strict: bool) -> dict[str, Any]:
        values: dict[str, Any] = {"role": self.value("role"), "designated": self.value("designated"),
                                  "authorised": self.value("authorised")}
        for name in TEXT_FIELDS:
            values[name] = self.text(name)
        if strict and not values["name"].strip():
            raise FieldError("name", "a party needs a name")
        return values

    def _known(self) -> PersonPick | None:
        return self.value("person") if self.has_field("person") else None

    def fields_changed(self, name: str | None) -> None:
        known = self._known()
        if name == "person" and known is not None:  # fill what is blank from what is known of them
            for field, value in (("name", known.name), ("email", known.email), ("phone", known.phone),
                                 ("address", known.address)):
                if value and not self.text(field).strip():
                    self.widget(field).value = value

    def build_request(self, strict: bool) -> dict[str, Any]:
        values = self._values(strict)
        known = self._known()
        if known is not None:
            values["person_id"] = known.person_id
        return values

    def perform(self, request, reason, request_approval):
        return actions.save_party(self.desk, self.case.id, self.case.version, party_id=self.party_id, **request)

    def case_changed(self) -> None:
        if self.party_id is not None and self.case.party(self.party_id) is None:
            self.show_notice("This party has been removed from the case by someone else; saving will fail.")

    def hints(self) -> list[Hint]:
        out: list[Hint] = []
        known = self._known()
        if known is not None:
            here = next((p for p in self.case.persons if p.id == known.person_id), None)
            if here is not None:
                out.append(Hint("known-person", "warn", f"#{known.person_id} {safe_text(known.name, single_line=True)}"
                                                        f" is a party on this case already: edit them with P."))
            else:
                out.append(Hint("known-person", "advice",
                                f"Linked to #{known.person_id} {safe_text(known.name, single_line=True)}, already "
                                f"known: their other cases, representative and vulnerability carry over."))
        if self.value("designated"):
            current = self.case.designated_representative
            if current is not None and current.id != self.party_id:
                out.append(Hint("designated", "warn",
                                f"{safe_text(current.name, single_line=True)} is the designated representative "
                                f"now; saving makes this person designated instead."))
            if self.value("role") != "representative":
                out.append(Hint("designated", "advice",
                                "The designated party is usually a representative acting for the customer."))
        elif self.original is not None and self.original.designated:
            out.append(Hint("designated", "warn", "Saving removes the designated representative: contact will "
                                                  "no longer have to go through anyone."))
        if self.value("role") == "representative" and not (self.value("designated") or self.value("authorised")):
            out.append(Hint("authorised", "advice",
                            "A representative who is neither designated nor authorised cannot be told about the case."))
        if not (self.text("email").strip() or self.text("phone").strip() or self.text("address").strip()):
            out.append(Hint("contact-details", "advice", "No email, phone or address: nobody can reach them."))
        return out
