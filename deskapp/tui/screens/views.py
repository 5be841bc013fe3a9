"""The `v` saved-views picker: open a view by its number (v then 1-9) or Enter; save, rename, delete, publish.

Keys 1-3 on the desk already switch panes, so views are numbered inside this
picker: `v 2` opens the second view, a keystroke pair that works on every
terminal (alt+digit does not reliably reach Textual through tmux and ssh).
The list is read and changed through deskapp.actions.saved_views in thread
workers (this screen never runs SQL); a digit typed before the list is in is
kept and used when it arrives. View names are handler text, shown literally.
"""

from __future__ import annotations

from typing import Any, Optional

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from deskapp.core.saved_views import NAME_MAX, SavedView, ViewNameError, clean_view_name
from deskapp.tui.filters import QueueFilters
from deskapp.tui.text import clip, line, one_line
from deskapp.tui.widgets.inputs import CleanInput

NUMBERED = 9  # views 1-9 open with their digit


def view_words(view: SavedView, width: int = 40) -> str:
    """What a view narrows the queue to, in the queue title's words ('mine, overdue, by priority')."""
    if view.spec is None:
        return ""
    return QueueFilters.from_spec(view.spec).describe(width) or "all open cases"


def view_row(number: Optional[int], view: SavedView) -> Content:
    """' 1  My overdue            mine             mine, overdue, by priority' — broken views say so (the
    picker's note line gives the whole reason for the highlighted one)."""
    parts: list = [(f"{number:>2}" if number else "  ", "bold $text-accent"), "  ",
                   (f"{clip(view.name, 22):<22}", "bold"), "  ",
                   (f"{clip(view.scope, 16):<16}", "$text-warning" if view.team else "$text-muted"), "  "]
    if view.broken:
        parts.append((clip(f"broken: {view.problem}", 26), "$text-error"))
    else:
        parts.append(view_words(view, 26))
    return line(*parts)


class ViewNameModal(ModalScreen[Optional[str]]):
    """Ask a view's name: Enter saves, Esc cancels. Checked here (1-40 characters, not taken) and again by the action."""

    BINDING_GROUP_TITLE = "View name"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="view_name.cancel")]

    DEFAULT_CSS = """
    ViewNameModal { align: center middle; }
    ViewNameModal > #view-name-box {
        width: 60; max-width: 100%; height: auto;
        border: round $primary; border-title-color: $text-accent; background: $surface; padding: 0 1;
    }
    ViewNameModal #view-name-what { color: $text-muted; height: auto; }
    ViewNameModal #view-name-error { color: $text-error; height: auto; }
    """

    def __init__(self, title: str, what: str, taken: set[str], value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.what = what
        self.taken = taken  # casefolded names the owner already has
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="view-name-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "enter save · esc cancel"
            yield Static(Content(self.what), id="view-name-what")
            yield CleanInput(self.value, placeholder=f"a name, up to {NAME_MAX} characters", id="view-name",
                             max_length=NAME_MAX + 20, compact=True)
            yield Static(Content(""), id="view-name-error")

    def on_mount(self) -> None:
        self.query_one("#view-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            name = clean_view_name(event.value)
        except ViewNameError as exc:
            self.query_one("#view-name-error", Static).update(Content(f"name: {exc}"))
            return
        if name.casefold() in self.taken:
            self.query_one("#view-name-error", Static).update(
                Content(f"name: there is already a view called {name!r} here: choose another"))
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ViewsScreen(ModalScreen[Optional[SavedView]]):
    """Dismisses with the view to open (a SavedView whose spec is valid), or None."""

    BINDING_GROUP_TITLE = "Saved views"
    BINDINGS = [
        Binding("escape", "close", "Close", id="views.close"),
        Binding("s", "save", "Save queue", id="views.save", tooltip="Save the queue's filter and sort as a view"),
        Binding("r", "rename", "Rename", id="views.rename", tooltip="Rename the highlighted view"),
        Binding("d", "delete", "Delete", id="views.delete", tooltip="Delete the highlighted view (d twice)"),
        Binding("p", "publish", "Publish", id="views.publish",
                tooltip="Publish the highlighted view as a team view (supervisors, admins)"),
        Binding("j", "cursor_down", "Down", id="views.down", show=False),
        Binding("k", "cursor_up", "Up", id="views.up", show=False),
    ]

    DEFAULT_CSS = """
    ViewsScreen { align: center middle; }
    ViewsScreen > #views-box {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; border-title-color: $text-accent; background: $surface;
    }
    ViewsScreen #views-list { height: auto; max-height: 14; border: none; }
    ViewsScreen #views-note { height: auto; padding: 0 1; color: $text-muted; }
    ViewsScreen #views-keys { height: 1; padding: 0 1; color: $text-muted; }
    """

    class Loaded(Message):
        def __init__(self, views: list[SavedView], error: Optional[str]) -> None:
            super().__init__()
            self.views, self.error = views, error

    class Changed(Message):
        """A write finished: `text` to say, `opened` a just-saved view to open, `error` when it failed."""

        def __init__(self, text: str, error: bool, opened: Optional[SavedView] = None) -> None:
            super().__init__()
            self.text, self.error, self.opened = text, error, opened

    def __init__(self, desk: Any, current: QueueFilters, *, save_first: bool = False) -> None:
        super().__init__()
        self.desk = desk
        self.current = current
        self.save_first = save_first  # opened by "save the queue as a view": ask the name at once
        self.views: Optional[list[SavedView]] = None  # None until loaded
        self._wanted_number: Optional[int] = None  # a digit typed before the list was in
        self._confirm_delete: Optional[int] = None  # view id after the first d

    def compose(self) -> ComposeResult:
        with Vertical(id="views-box") as box:
            box.border_title = "Saved views"
            yield OptionList(id="views-list")
            yield Static(Content("loading…"), id="views-note")
            yield Static(Content("1-9 open · s save the queue · r rename · d delete · p publish · esc"),
                         id="views-keys")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self._load()
        if self.save_first:
            self.action_save()

    # --- reading ---------------------------------------------------------

    @work(thread=True, exclusive=True, group="views-load")
    def _load(self) -> None:
        from deskapp.actions.saved_views import list_views

        try:
            views, error = list_views(self.desk), None
        except Exception as exc:  # noqa: BLE001 - one line in the picker, never a traceback
            views, error = [], one_line(exc, kind=True)
        self.post_message(self.Loaded(views, error))

    def on_views_screen_loaded(self, message: Loaded) -> None:
        self.views = message.views
        listing = self.query_one(OptionList)
        keep = listing.highlighted
        listing.clear_options()
        listing.add_options([Option(view_row(i + 1 if i < NUMBERED else None, view), id=str(i))
                             for i, view in enumerate(self.views)])
        if message.error is not None:
            self._note(f"Could not read the views: {message.error}")
        elif not self.views:
            self._note("No saved views yet. Narrow the queue with f (filters) or / (search), then press s "
                       "here to save it.")
        else:
            self._note(f"The queue now: {self.current.describe(50) or 'all open cases'}")
        if self.views:
            listing.highlighted = min(keep or 0, len(self.views) - 1)
        if self._wanted_number is not None:
            number, self._wanted_number = self._wanted_number, None
            self._open_number(number)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """The highlighted view in full on the note line: its whole description, or why it is broken."""
        views = self.views or []
        index = int(event.option.id) if event.option.id is not None else -1
        if 0 <= index < len(views):
            view = views[index]
            self._note(f"{view.name} ({view.scope}): broken: {view.problem}" if view.broken
                       else f"{view.name} ({view.scope}): {view_words(view, 200)}")

    def _note(self, text: str) -> None:
        self.query_one("#views-note", Static).update(Content(text))

    def _current(self) -> Optional[SavedView]:
        index = self.query_one(OptionList).highlighted
        views = self.views or []
        return views[index] if index is not None and 0 <= index < len(views) else None

    # --- opening ---------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        if event.character and event.character in "123456789" and len(event.character) == 1:
            event.stop()
            event.prevent_default()
            if self.views is None:
                self._wanted_number = int(event.character)  # typed ahead of the list: used when it is in
            else:
                self._open_number(int(event.character))

    def _open_number(self, number: int) -> None:
        views = self.views or []
        if number > len(views):
            self._note(f"There is no view {number}: {len(views)} saved." if views else "No saved views yet.")
            return
        self._open(views[number - 1])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.views:
            self._open(self.views[int(event.option.id)])

    def _open(self, view: SavedView) -> None:
        if view.broken:
            self._note(f"{view.name!r} cannot be opened: {view.problem}. Delete it (d) and save it again.")
            return
        self.dismiss(view)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    # --- changing --------------------------------------------------------

    def _taken(self, team: bool) -> set[str]:
        return {v.name.casefold() for v in (self.views or []) if v.team == team}

    def action_save(self) -> None:
        what = f"The queue now: {self.current.describe(50) or 'all open cases'}"

        def named(name: Optional[str]) -> None:
            if name is None:
                if self.save_first:
                    self.dismiss(None)
                return
            self._save(name)

        self.app.push_screen(ViewNameModal("Save the queue as a view", what, self._taken(False)), named)

    @work(thread=True, exclusive=False, group="views-write")
    def _save(self, name: str) -> None:
        from deskapp.actions.saved_views import save_view

        try:
            saved = save_view(self.desk, name, self.current.spec())
            self.post_message(self.Changed(f"Saved view {saved.name!r}.", False, opened=saved))
        except Exception as exc:  # noqa: BLE001 - one line
            self.post_message(self.Changed(one_line(exc), True))

    def action_rename(self) -> None:
        view = self._current()
        if view is None:
            return
        taken = self._taken(view.team) - {view.name.casefold()}

        def named(name: Optional[str]) -> None:
            if name is not None:
                self._write("rename", view.id, name)

        self.app.push_screen(ViewNameModal(f"Rename {clip(view.name, 30)}", view.scope, taken, view.name), named)

    def action_delete(self) -> None:
        view = self._current()
        if view is None:
            return
        if self._confirm_delete != view.id:
            self._confirm_delete = view.id
            self._note(f"Press d again to delete {view.name!r} ({view.scope}).")
            return
        self._confirm_delete = None
        self._write("delete", view.id, "")

    def action_publish(self) -> None:
        from deskapp.core.roles import allowed

        view = self._current()
        if view is None:
            return
        if not allowed(self.desk.me, "views.publish"):
            self._note("Team views are published by supervisors and admins.")
            return
        if view.team or view.spec is None:
            self._note("Publish one of your own views (a working one) as a team view.")
            return
        if view.name.casefold() in self._taken(True):
            self._note(f"The team already has a view called {view.name!r}: rename yours first.")
            return
        self._write("publish", view.id, view.name)

    @work(thread=True, exclusive=False, group="views-write")
    def _write(self, what: str, view_id: int, name: str) -> None:
        from deskapp.actions.saved_views import delete_view, publish_view, rename_view

        try:
            if what == "rename":
                done = f"Renamed to {rename_view(self.desk, view_id, name).name!r}."
            elif what == "delete":
                done = f"Deleted view {delete_view(self.desk, view_id)!r}."
            else:
                spec = next(v.spec for v in (self.views or []) if v.id == view_id)
                done = f"Published {publish_view(self.desk, name, spec).name!r} for the team."
            self.post_message(self.Changed(done, False))
        except Exception as exc:  # noqa: BLE001 - one line
            self.post_message(self.Changed(one_line(exc), True))

    def on_views_screen_changed(self, message: Changed) -> None:
        self.notify(message.text, title="Saved views", severity="error" if message.error else "information",
                    markup=False)
        if message.opened is not None:
            self.dismiss(message.opened)  # a view just saved is the queue on show: its name goes in the title
            return
        self._note(message.text)
        self._load()
