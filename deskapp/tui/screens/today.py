"""Today's appointments across the handler's cases (a supervisor can switch to the team's).

A day at the desk starts from who is expected when: the list is read by
deskapp.actions.appointments in a thread worker (this screen never runs SQL).
Enter opens the case on the desk; `i` writes the appointment's calendar file
into the export folder for the confirmation email; `[` / `]` go a day back
or on. Names and purposes are customer text, shown literally.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Optional

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from deskapp.tui.text import line, one_line
from deskapp.tui.widgets.footer import DeskFooter

STATUS_STYLE = {"missed": "bold $text-error", "cancelled": "$text-muted", "kept": "$text-success"}


def row_content(row: Any, team: bool) -> Content:
    """'10:00  booked   C-1001  Nadia Kowalski · Plumber (#12)' — the handler too in the team's list."""
    parts: list = [(f"{row.at:%H:%M}", "bold"), "  ", (f"{row.status:<9}", STATUS_STYLE.get(row.status, "")),
                   "  ", (row.case_ref, "$text-accent"), "  ", row.party_name or "-", (" · ", "$text-muted"),
                   row.purpose, (f"  #{row.id}", "$text-muted")]
    if team:
        parts += [("  ", ""), (row.assigned_to or "unassigned", "$text-muted")]
    return line(*parts)


class TodayScreen(Screen):
    """Dismisses with the case id to open on the desk, or None."""

    BINDING_GROUP_TITLE = "Today"
    BINDINGS = [
        Binding("escape", "close", "Back", id="today.close"),
        Binding("i", "calendar_file", "Calendar file", id="today.ics",
                tooltip="Write the appointment as an .ics file to attach to the confirmation email"),
        Binding("left_square_bracket", "day(-1)", "Day before", id="today.previous_day"),
        Binding("right_square_bracket", "day(1)", "Day after", id="today.next_day"),
        Binding("T", "team", "Team", id="today.team", show=False,
                tooltip="Switch between your cases and the whole team's (supervisors)"),
        Binding("j", "cursor_down", "Down", id="today.down", show=False),
        Binding("k", "cursor_up", "Up", id="today.up", show=False),
    ]

    DEFAULT_CSS = """
    TodayScreen #today-head { height: 1; padding: 0 1; background: $panel; }
    TodayScreen #today-list { height: 1fr; border: none; }
    TodayScreen #today-note { height: auto; padding: 0 1; color: $text-muted; }
    """

    class Loaded(Message):
        def __init__(self, day: date, team: bool, rows: list, error: Optional[str]) -> None:
            super().__init__()
            self.day, self.team, self.rows, self.error = day, team, rows, error

    class Written(Message):
        def __init__(self, text: str, error: bool) -> None:
            super().__init__()
            self.text, self.error = text, error

    def __init__(self, desk: Any, day: Optional[date] = None, team: bool = False) -> None:
        super().__init__()
        self.desk = desk
        self.day = day or desk.now().date()
        self.team = team
        self.rows: list = []

    def compose(self) -> ComposeResult:
        yield Static(self._head("loading…"), id="today-head")
        yield OptionList(id="today-list")
        yield Static(Content(""), id="today-note")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self._reload()

    def _head(self, state: str) -> Content:
        whose = "the team's cases" if self.team else "your cases"
        return line((f"Appointments {self.day:%a %d %b %Y}", "bold"), "  ", (whose, "$text-accent"), "   ",
                    (state, "dim"))

    def _reload(self) -> None:
        self.query_one("#today-head", Static).update(self._head("loading…"))
        self._load(self.day, self.team)

    @work(thread=True, exclusive=True, group="today")
    def _load(self, day: date, team: bool) -> None:
        from deskapp.actions.appointments import appointments_on

        worker = get_current_worker()
        try:
            rows, error = appointments_on(self.desk, day, team=team), None
        except Exception as exc:  # noqa: BLE001 - a worker must report, not crash the desk
            rows, error = [], one_line(exc, kind=True)
        if not worker.is_cancelled:
            self.post_message(self.Loaded(day, team, rows, error))

    def on_today_screen_loaded(self, message: Loaded) -> None:
        if (message.day, message.team) != (self.day, self.team):
            return  # an answer to an earlier day or list: a newer one is on its way
        listing = self.query_one(OptionList)
        listing.clear_options()
        self.rows = message.rows
        if message.error is not None:
            self.query_one("#today-head", Static).update(self._head("could not load"))
            self.query_one("#today-note", Static).update(Content(message.error))
            return
        listing.add_options([Option(row_content(row, self.team), id=str(i)) for i, row in enumerate(self.rows)])
        count = len(self.rows)
        self.query_one("#today-head", Static).update(
            self._head(f"{count} appointment{'s' if count != 1 else ''}" if count else "none"))
        self.query_one("#today-note", Static).update(Content(
            "Enter opens the case · b on the case books, moves or marks one · i writes a calendar file"
            if count else "No appointments on this day. [ and ] go a day back or on."))
        if count:
            listing.highlighted = 0

    def _current(self) -> Any:
        index = self.query_one(OptionList).highlighted
        return self.rows[index] if index is not None and 0 <= index < len(self.rows) else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.rows[int(event.option.id)].case_id)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_day(self, step: int) -> None:
        self.day += timedelta(days=step)
        self._reload()

    def action_team(self) -> None:
        from deskapp.core.roles import allowed

        if not allowed(self.desk.me, "dashboard.view"):
            self.notify("The team's appointments are for supervisors and admins.", severity="warning",
                        markup=False)
            return
        self.team = not self.team
        self._reload()

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_calendar_file(self) -> None:
        row = self._current()
        if row is None:
            self.notify("Choose an appointment first.", severity="warning", markup=False)
            return
        self._write(row.id)

    @work(thread=True, exclusive=False, group="today-ics")
    def _write(self, appointment_id: int) -> None:
        from deskapp.supervision.appointment_ics import export_to_folder

        try:
            path = export_to_folder(self.desk, appointment_id)
            self.post_message(self.Written(f"Calendar file written: {path}", False))
        except Exception as exc:  # noqa: BLE001 - say why in one line
            self.post_message(self.Written(one_line(exc, kind=True), True))

    def on_today_screen_written(self, message: Written) -> None:
        self.query_one("#today-note", Static).update(Content(message.text))
        self.notify(message.text, severity="error" if message.error else "information", markup=False)
