"""What a handler records on a PERSON from the case they are working: a representative arrangement
(record one, or end one in force) and vulnerability (mark, with why and when to review it; or unmark).

Both hold on every case of the person (the rules read them as `person.*` facts);
the forms go through deskapp.actions.people (roles, the case's version, audit).
The representative is chosen with the person picker: one of this case's
parties, or anyone found across cases (they need not be a party here; nothing
is added to the case for them). Evidence is a contact or an attachment of the
case, or a note. Not policy actions: the panel says what saving will mean.
"""

from __future__ import annotations

from typing import Any, Optional

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Select

from deskapp import actions
from deskapp.actions.validate import MAX_BODY
from deskapp.core.people import ARRANGEMENT_KINDS, ARRANGEMENT_LIMITS
from deskapp.core.when import parse_when
from deskapp.tui.forms.base import ActionForm, FieldError
from deskapp.tui.forms.fields import FieldRow, label, set_options_keeping
from deskapp.tui.forms.hints import Hint
from deskapp.tui.forms.inputs import SafeInput
from deskapp.tui.text import safe_text
from deskapp.tui.widgets.person_picker import PersonPick, PersonPicker

NOTE = "note"
KIND_WORDS = {"designated": "designated (all contact goes through them)",
              "authorised": "authorised (we may talk to them)"}


def _one(text: object) -> str:
    return safe_text(text, single_line=True)


def person_options(case: Any) -> list[tuple[Text, int]]:
    """The persons behind this case's parties: 'Arthur Penrose - resident (vulnerable)'."""
    out = []
    for person in case.persons:
        roles = sorted({p.role.replace("_", " ") for p in case.parties if p.id in person.party_ids})
        tags = ", ".join(roles)
        if person.vulnerable:
            tags += ", vulnerable"
        out.append((label(f"{_one(person.name)} - {tags}"), person.id))
    return out


def subject_person(case: Any) -> Optional[int]:
    """Whom an arrangement is usually for: the first customer or resident's person."""
    for role in ("customer", "resident"):
        for party in case.parties:
            if party.role == role:
                person = case.person_of(party.id)
                if person is not None:
                    return person.id
    return case.persons[0].id if case.persons else None


def arrangements_in_force(case: Any) -> list[tuple[Text, int]]:
    out = []
    for person in case.persons:
        for a in person.arrangements:
            where = f", recorded on {a.case_ref}" if a.case_ref else ""
            out.append((label(f"{_one(person.name)}: {a.kind} - {_one(a.representative_name)}{where}"), a.id))
    return out


def evidence_options(case: Any) -> list[tuple[Text, Any]]:
    """A note (the default), the case's contacts (newest first) and its attachments."""
    out: list[tuple[Text, Any]] = [(Text("A note (type it below)", end=""), NOTE)]
    for a in sorted(getattr(case, "attachments", ()) or (), key=lambda a: a.at, reverse=True)[:20]:
        out.append((label(f"Attachment {a.at:%d %b}: {_one(a.name)}"), ("attachment", a.id)))
    for c in sorted(case.history, key=lambda c: c.at, reverse=True)[:30]:
        out.append((label(f"{c.at:%d %b %H:%M} {c.channel} {c.direction}: {_one(c.summary)[:50]}"),
                    ("contact", c.id)))
    return out


class ArrangementForm(ActionForm):
    """Record a representative arrangement on a person, or end one."""

    FORM_TITLE = "Representative arrangement"
    USES_POLICY = False
    FIELD_ALIASES = {"evidence_note": "note", "ends_at": "until", "starts_at": "from", "kind": "arr_kind"}

    def compose_fields(self) -> ComposeResult:
        ops = [("record an arrangement", "record"), ("end one in force", "end")]
        start = self.options.get("op") if self.options.get("op") in ("record", "end") else "record"
        yield FieldRow("op", "Do", Select(ops, value=start, allow_blank=False, compact=True))
        yield FieldRow("person", "For", Select(person_options(self.case), value=subject_person(self.case)
                                               or Select.NULL, prompt="Whose arrangement", compact=True))
        yield FieldRow("representative", "Represented by",
                       PersonPicker(self.desk, self.case, value=self._default_rep(), prompt="Who represents them",
                                    adds_party=False))
        yield FieldRow("arr_kind", "Kind", Select([(KIND_WORDS[k], k) for k in ARRANGEMENT_KINDS],
                                                   value="designated", allow_blank=False, compact=True))
        yield FieldRow("authorised_by", "Authorised by", SafeInput(
            paste_limit=ARRANGEMENT_LIMITS["authorised_by"], compact=True,
            placeholder="the person, a court, an attorney..."))
        yield FieldRow("from", "From", SafeInput(compact=True, paste_limit=40, placeholder="blank = now"))
        yield FieldRow("until", "Until", SafeInput(compact=True, paste_limit=40,
                                                   placeholder="blank = until withdrawn; YYYY-MM-DD"))
        yield FieldRow("evidence", "Evidence", Select(evidence_options(self.case), value=NOTE, allow_blank=False,
                                                      compact=True))
        yield FieldRow("note", "Note", SafeInput(compact=True, paste_limit=MAX_BODY,
                                                 placeholder="e.g. signed consent form, scanned 3 March"))
        yield FieldRow("arrangement", "Arrangement", Select(arrangements_in_force(self.case), compact=True,
                                                            prompt="None in force on this case's persons"))

    def _default_rep(self) -> Optional[int]:
        rep = self.case.designated_representative
        return rep.id if rep is not None else None

    def on_mount(self) -> None:
        super().on_mount()
        self._show_rows()

    def _show_rows(self) -> None:
        ending = self.value("op") == "end"
        for name in ("person", "representative", "arr_kind", "authorised_by", "from", "until", "evidence", "note"):
            self.row(name).set_class(ending, "-hidden")
        self.row("arrangement").set_class(not ending, "-hidden")

    def fields_changed(self, name: str | None) -> None:
        if name == "op":
            self._show_rows()

    def case_changed(self) -> None:
        set_options_keeping(self.widget("person"), person_options(self.case), subject_person(self.case))
        set_options_keeping(self.widget("evidence"), evidence_options(self.case), NOTE)
        set_options_keeping(self.widget("arrangement"), arrangements_in_force(self.case))

    def _representative(self) -> Optional[int]:
        value = self.value("representative")
        if isinstance(value, PersonPick):
            return value.person_id
        person = self.case.person_of(value) if value is not None else None
        return person.id if person is not None else None

    def _when(self, name: str, strict: bool) -> Any:
        try:
            return parse_when(self.text(name), self.now(), future=True)
        except ValueError as exc:
            if strict:
                raise FieldError(name, str(exc)) from None
            return None

    def build_request(self, strict: bool) -> dict[str, Any]:
        if self.value("op") == "end":
            arrangement = self.value("arrangement")
            if strict and arrangement is None:
                raise FieldError("arrangement", "choose the arrangement to end")
            return {"op": "end", "arrangement_id": arrangement}
        person, rep = self.value("person"), self._representative()
        if strict:
            if person is None:
                raise FieldError("person", "choose whose arrangement it is")
            if rep is None:
                raise FieldError("representative", "choose who represents them (type to find someone)")
            if not self.text("authorised_by").strip():
                raise FieldError("authorised_by", "say who authorised it")
        evidence = self.value("evidence")
        note = self.text("note").strip()
        contact_id = None
        if isinstance(evidence, tuple) and evidence[0] == "contact":
            contact_id = evidence[1]
        elif isinstance(evidence, tuple) and evidence[0] == "attachment":
            attachment = next((a for a in self.case.attachments if a.id == evidence[1]), None)
            if attachment is not None:
                contact_id = attachment.contact_id
                note = f"{note} (attachment #{attachment.id} {attachment.name})".strip()
        if strict and contact_id is None and not note:
            raise FieldError("note", "give the evidence: choose a contact or attachment, or write a note")
        return {"op": "record", "person_id": person, "representative_id": rep, "kind": self.value("arr_kind"),
                "authorised_by": self.text("authorised_by"), "starts_at": self._when("from", strict),
                "ends_at": self._when("until", strict), "evidence_contact_id": contact_id,
                "evidence_note": note or None}

    def perform(self, request, reason, request_approval):
        fields = dict(request)
        if fields.pop("op") == "end":
            return actions.end_arrangement(self.desk, self.case.id, self.case.version, **fields)
        return actions.record_arrangement(self.desk, self.case.id, self.case.version, **fields)

    def hints(self) -> list[Hint]:
        if self.value("op") == "end":
            return [Hint("arrangement-end", "advice", "Ending it takes effect on every case of the person; "
                                                      "it stays on record as ended.")]
        out = [Hint("arrangement", "advice", "The arrangement holds on every case of the person, and the "
                                             "sidebar there says it was recorded on " + self.case.ref + ".")]
        person = next((p for p in self.case.persons if p.id == self.value("person")), None)
        if person is not None and self.value("arr_kind") == "designated":
            current = [a for a in person.arrangements if a.kind == "designated"]
            if current:
                out.append(Hint("arrangement-replaces", "warn",
                                f"{_one(person.name)} has a designated representative already "
                                f"({_one(current[0].representative_name)}): saving ends that one."))
        if person is not None and self._representative() == person.id:
            out.append(Hint("arrangement-self", "warn", "A person cannot be their own representative."))
        return out


class VulnerabilityForm(ActionForm):
    """Mark a person vulnerable (why, when to review it) or not: shown on all their cases."""

    FORM_TITLE = "Vulnerability"
    USES_POLICY = False

    def compose_fields(self) -> ComposeResult:
        start = subject_person(self.case)
        yield FieldRow("person", "Person", Select(person_options(self.case), value=start or Select.NULL,
                                                  prompt="Who", compact=True))
        yield FieldRow("mark", "Mark", Select([("vulnerable", "mark"), ("not vulnerable", "clear")],
                                              value="mark", allow_blank=False, compact=True))
        yield FieldRow("reason", "Why", SafeInput(compact=True, paste_limit=MAX_BODY,
                                                  placeholder="e.g. recently bereaved; lives alone"))
        yield FieldRow("review", "Review on", SafeInput(compact=True, paste_limit=40,
                                                        placeholder="YYYY-MM-DD (blank: no review date)"))

    def on_mount(self) -> None:
        super().on_mount()
        self._fill_from_person()

    def _person(self) -> Any:
        return next((p for p in self.case.persons if p.id == self.value("person")), None)

    def _fill_from_person(self) -> None:
        person = self._person()
        if person is None:
            return
        self.widget("mark").value = "clear" if person.vulnerable and not self.options.get("mark") else "mark"
        if person.vulnerable:
            self.widget("reason").value = person.vulnerability_reason or ""
            review = person.vulnerability_review
            self.widget("review").value = f"{review:%Y-%m-%d}" if review is not None else ""

    def fields_changed(self, name: str | None) -> None:
        if name == "person":
            self._fill_from_person()
        if name in ("person", "mark"):
            clearing = self.value("mark") == "clear"
            for row in ("reason", "review"):
                self.row(row).set_class(clearing, "-hidden")

    def case_changed(self) -> None:
        set_options_keeping(self.widget("person"), person_options(self.case), subject_person(self.case))

    def build_request(self, strict: bool) -> dict[str, Any]:
        person = self.value("person")
        marking = self.value("mark") == "mark"
        if strict and person is None:
            raise FieldError("person", "choose the person")
        if strict and marking and not self.text("reason").strip():
            raise FieldError("reason", "say why they are vulnerable (it shows on all their cases)")
        review = None
        if marking:
            try:
                review = parse_when(self.text("review"), self.now(), future=True)
            except ValueError as exc:
                if strict:
                    raise FieldError("review", str(exc)) from None
        return {"person_id": person, "vulnerable": marking, "reason": self.text("reason") if marking else None,
                "review": review}

    def perform(self, request, reason, request_approval):
        return actions.set_vulnerability(self.desk, self.case.id, self.case.version, **request)

    def hints(self) -> list[Hint]:
        person = self._person()
        if person is None:
            return [Hint("vulnerable-none", "advice", "This case has no persons yet: add a party first (p).")]
        cases = f"their {person.open_cases} open case{'s' if person.open_cases != 1 else ''}"
        if self.value("mark") == "clear":
            if not person.vulnerable:
                return [Hint("vulnerable-not", "advice", f"{_one(person.name)} is not marked vulnerable.")]
            return [Hint("vulnerable-clear", "warn", f"Saving removes the vulnerable flag from {_one(person.name)} "
                                                     f"on {cases}.")]
        return [Hint("vulnerable-mark", "advice", f"{_one(person.name)} will show as vulnerable on {cases}, "
                                                  f"with the reason given.")]
