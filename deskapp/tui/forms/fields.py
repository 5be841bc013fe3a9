"""One labelled field of a form, and the pick-lists forms share.

A field is one row: the label on the left, the input on the right, and an
error line beneath that appears only when something is wrong with it, naming
the field ("summary: too long ..."). Labels are our own words; everything in a
pick-list that came from the database (party names, handler names) is
untrusted and is shown literally with control characters removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Select, Static

from deskapp import vocab
from deskapp.tui.text import safe_text
from deskapp.tui.widgets.person_picker import party_choice_label as party_label


class FieldRow(Vertical):
    """Label + input + (hidden until needed) one-line error. `name` is the form's field name."""

    DEFAULT_CSS = """
    FieldRow {
        height: auto;
        margin-bottom: 1;
    }
    FieldRow > Horizontal {
        height: auto;
    }
    FieldRow .field-label {
        width: 16;
        padding-right: 1;
        text-align: right;
        color: $text-muted;
    }
    FieldRow:focus-within .field-label {
        color: $text-accent;
        text-style: bold;
    }
    FieldRow .field-input {
        width: 1fr;
    }
    FieldRow SafeTextArea.field-input {
        height: 6;
        background: $boost;
    }
    FieldRow SafeInput.field-input {
        background: $boost;
    }
    FieldRow .field-error {
        display: none;
        padding-left: 17;
        color: $text-error;
        text-style: bold;
        height: auto;
    }
    FieldRow.-error .field-error {
        display: block;
    }
    FieldRow .field-hint {
        padding-left: 17;
        color: $text-muted;
        height: auto;
    }
    FieldRow.-hidden {
        display: none;
    }
    """

    def __init__(self, name: str, label: str, widget: Widget, *, hint: str | None = None,
                 tall: bool = False) -> None:
        super().__init__(id=f"row-{name}")
        self.field_name = name
        self.label = label
        self.widget = widget
        self.hint = hint
        self.tall = tall
        widget.add_class("field-input")

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(Content(self.label), classes="field-label")
            yield self.widget
        if self.hint:
            yield Static(Content(safe_text(self.hint)), classes="field-hint")
        yield Static(Content(""), classes="field-error", markup=False)

    def show_error(self, message: str | None) -> None:
        """Show (or with None, clear) the one-line error under this field."""
        self.set_class(bool(message), "-error")
        self.query_one(".field-error", Static).update(Content(safe_text(message or "", single_line=True)))

    @property
    def error(self) -> str:
        content = self.query_one(".field-error", Static).content
        return content.plain if isinstance(content, Content) else str(content)


def label(text: object) -> Text:
    """A pick-list label from untrusted text: literal, one line, no control characters."""
    return Text(safe_text(text, single_line=True) or "(no name)", end="")


def party_options(case) -> list[tuple[Text, int]]:
    """The case's parties, designated representative first."""
    parties = sorted(case.parties, key=lambda p: (not p.designated, p.id)) if case is not None else []
    return [(party_label(p), p.id) for p in parties]


def default_party(case) -> int | None:
    """Who an outbound contact goes to unless the handler says otherwise: the designated
    representative if there is one, else the first customer/resident, else the first party."""
    if case is None or not case.parties:
        return None
    rep = case.designated_representative
    if rep is not None:
        return rep.id
    for role in ("customer", "resident"):
        for party in case.parties:
            if party.role == role:
                return party.id
    return case.parties[0].id


def handler_options(handlers: Iterable) -> list[tuple[Text, str]]:
    """'Sam Patel (sam, supervisor)' -> username."""
    out = []
    for h in handlers:
        extra = h.username if h.role == "handler" else f"{h.username}, {h.role}"
        out.append((label(f"{h.display_name} ({extra})"), h.username))
    return out


def word_options(words: Iterable[str]) -> list[tuple[str, str]]:
    """Options for a fixed vocabulary word set: 'awaiting third party' -> 'awaiting_third_party'."""
    return [(w.replace("_", " "), w) for w in words]


def priority_options() -> list[tuple[str, int]]:
    return [(f"{n} - {name}", n) for n, name in vocab.PRIORITIES.items()]


def select_value(select: Select):
    """The selected value, or None when nothing is selected."""
    value = select.value
    return None if value is Select.NULL or value == Select.NULL else value


def set_options_keeping(select: Select, options: list, fallback=None) -> None:
    """Replace a Select's options, keeping the current choice if it is still offered."""
    current = select_value(select)
    select.set_options(options)
    values = {value for _label, value in options}
    if current in values:
        select.value = current
    elif fallback in values:
        select.value = fallback


def final_label(case: Any) -> str:
    """The final-response tick box says which stage it answers (the fact `responded` requires)."""
    stage = getattr(case, "stage", 1) if case is not None else 1
    return f"This is the final response to stage {stage}"
