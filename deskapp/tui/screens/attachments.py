"""`F` on a case: its received files; Enter saves one to a path, `o` opens it with the OS viewer.

Saving and opening go through deskapp.mail.attachment_files, the same path as
`deskapp case attachments --save` (hash checked, 0600, never overwriting unless
the handler confirms, audited). The work runs in a thread worker; names are
the sender's text and are shown literally.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from deskapp.mail.attachment_files import (open_attachment, safe_file_name, save_attachment,
                                           viewer_command)
from deskapp.errors import DeskError
from deskapp.tui.text import line, safe_text
from deskapp.tui.widgets.case_pane import size_text

NO_DISPLAY = "Opening needs a local display (not over SSH): press Enter to save the file instead."


def default_path(name: str, home: Optional[Path] = None) -> str:
    """~/Downloads/<safe name> if that folder exists, else the current folder."""
    downloads = (home or Path.home()) / "Downloads"
    folder = downloads if downloads.is_dir() else Path.cwd()
    return str(folder / safe_file_name(name))


class AttachmentsScreen(ModalScreen[None]):
    """The case's attachments: pick one, then save it (Enter, path asked) or open it (o)."""

    BINDING_GROUP_TITLE = "Attachments"
    BINDINGS = [
        Binding("escape", "close", "Close", id="attachments.close"),
        Binding("o", "open_file", "Open", id="attachments.open", tooltip="Open with the OS viewer (local display)"),
        Binding("j", "cursor_down", "Down", id="attachments.down", show=False),
        Binding("k", "cursor_up", "Up", id="attachments.up", show=False),
    ]

    DEFAULT_CSS = """
    AttachmentsScreen { align: center middle; }
    AttachmentsScreen > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 80%;
        border: round $primary; border-title-color: $text-accent; background: $surface;
    }
    AttachmentsScreen OptionList { height: auto; max-height: 12; border: none; }
    AttachmentsScreen #path { display: none; }
    AttachmentsScreen #path.-open { display: block; }
    AttachmentsScreen #said { height: auto; color: $text-warning; }
    """

    def __init__(self, desk: Any, case: Any) -> None:
        super().__init__()
        self.desk = desk
        self.ref = case.ref
        self.items = tuple(case.attachments)
        self.confirm_path: Optional[str] = None  # an existing path the handler was warned about once
        self.said = ""

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"{self.ref}: attachments"
            box.border_subtitle = "enter save · o open · esc close"
            yield OptionList(*[Option(self._label(item), id=str(item.id)) for item in self.items])
            yield Input(id="path", placeholder="save to path")
            yield Static("", id="said", markup=False)

    @staticmethod
    def _label(item: Any) -> Content:
        return line((f"#{item.id:<5}", "$text-muted"), (f"{size_text(item.size):>9}  ", ""), item.name,
                    (f"  {item.content_type}", "$text-muted"))

    def on_mount(self) -> None:
        if not self.items:
            self.say(f"{self.ref} has no attachments.")
        self.query_one(OptionList).focus()

    def say(self, text: str) -> None:
        self.said = safe_text(text, single_line=True)
        self.query_one("#said", Static).update(Content(self.said))

    def _chosen(self) -> Optional[Any]:
        options = self.query_one(OptionList)
        if options.highlighted is None or not self.items:
            return None
        return self.items[options.highlighted]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        item = self._chosen()
        if item is None:
            return
        path = self.query_one("#path", Input)
        path.value = default_path(item.name)
        path.add_class("-open")
        path.focus()
        self.confirm_path = None
        self.say("Save to this path? Enter saves, Esc cancels.")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        item = self._chosen()
        target = os.path.expanduser(event.value.strip())
        if item is None or not target:
            self.say("Give a path to save to.")
            return
        overwrite = self.confirm_path == target
        if os.path.lexists(target) and not overwrite:
            self.confirm_path = target
            self.say(f"{target} already exists: Enter again replaces it, or change the path.")
            return
        self._save(item.id, target, overwrite)

    @work(thread=True, exclusive=True, group="attachment", exit_on_error=False)
    def _save(self, attachment_id: int, path: str, overwrite: bool) -> None:
        try:
            view = save_attachment(self.desk, self.ref, attachment_id, path, overwrite=overwrite)
            text = f"Saved {view.size:,} bytes (sha256 {view.sha256[:12]}…) to {path}"
        except DeskError as exc:
            text = str(exc)
        self.app.call_from_thread(self._saved, text)

    def _saved(self, text: str) -> None:
        self.confirm_path = None
        self.say(text)
        self.query_one("#path", Input).remove_class("-open")
        self.query_one(OptionList).focus()

    def action_open_file(self) -> None:
        item = self._chosen()
        if item is None:
            return
        command = viewer_command()
        if command is None:
            self.say(NO_DISPLAY)
            return
        self._open(item.id, command)

    @work(thread=True, exclusive=True, group="attachment", exit_on_error=False)
    def _open(self, attachment_id: int, command: str) -> None:
        try:
            path = open_attachment(self.desk, self.ref, attachment_id, command)
            text = f"Opened a private copy: {path}"
        except DeskError as exc:
            text = str(exc)
        self.app.call_from_thread(self.say, text)

    def action_close(self) -> None:
        path = self.query_one("#path", Input)
        if path.has_class("-open"):
            path.remove_class("-open")
            self.query_one(OptionList).focus()
            self.say("")
            return
        self.dismiss(None)

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()
