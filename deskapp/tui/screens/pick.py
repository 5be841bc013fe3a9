"""A small keyboard picker: choose one item from a short list (e.g. which party to edit).

Labels are built by the caller as Content (untrusted names via deskapp.tui.text),
so nothing here parses markup.
"""

from __future__ import annotations

from typing import Any, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class PickScreen(ModalScreen[Any]):
    """Dismisses with the chosen value, or None on Esc."""

    BINDING_GROUP_TITLE = "Picker"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="pick.cancel"),
        Binding("j", "cursor_down", "Down", id="pick.down", show=False),
        Binding("k", "cursor_up", "Up", id="pick.up", show=False),
    ]

    DEFAULT_CSS = """
    PickScreen { align: center middle; }
    PickScreen > OptionList {
        width: 64; max-width: 100%;
        height: auto; max-height: 80%;
        border: round $primary;
        border-title-color: $text-accent;
        background: $surface;
    }
    """

    def __init__(self, title: str, choices: Sequence[tuple[Content, Any]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        options = OptionList(*[Option(label, id=str(index)) for index, (label, _v) in enumerate(self.choices)])
        options.border_title = self.title_text
        options.border_subtitle = "enter choose · esc cancel"
        yield options

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[int(event.option.id)][1])

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()
