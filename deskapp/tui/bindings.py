"""Every desk key binding in one table: id, default key, label, and what it does.

One table feeds the footer, the `?` help screen, the command palette and the
user's keymap (config.yaml `keys:` by binding id), so they can never disagree.
Binding ids are stable names handlers put in their config file: never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from textual.binding import Binding


@dataclass(frozen=True)
class DeskAction:
    """A handler action on the selected case (or a new case), opened as a form."""

    id: str  # binding id, e.g. "desk.log_contact"
    key: str
    label: str  # footer word
    title: str  # palette / help wording
    form: str  # kind passed to deskapp.tui.forms.open_form
    needs_case: bool = True
    show: bool = True  # in the footer (all are in help and the palette)


# The forms helper's open_form kinds: contact, message, status, assign, escalate, extend,
# abuse, note, new_case, party, appointment, link, merge.
DESK_ACTIONS: tuple[DeskAction, ...] = (
    DeskAction("desk.log_contact", "c", "Contact", "Log a contact (call, visit, letter received...)", "contact"),
    DeskAction("desk.send_message", "m", "Message", "Compose and send a message (email, letter, SMS)", "message"),
    DeskAction("desk.set_status", "s", "Status", "Set the case status", "status"),
    DeskAction("desk.assign", "a", "Assign", "Assign the case to a handler", "assign"),
    DeskAction("desk.escalate", "e", "Escalate", "Escalate the complaint to stage 2", "escalate"),
    DeskAction("desk.extend", "x", "Extend", "Extend a deadline (with a reason)", "extend"),
    DeskAction("desk.abuse", "w", "Abuse", "Give an abuse warning or end a call", "abuse"),
    DeskAction("desk.note", "n", "Note", "Add an internal note", "note"),
    DeskAction("desk.party", "p", "Party", "Add a party (mark designated / authorised)", "party"),
    DeskAction("desk.edit_party", "P", "Edit party", "Edit a party (designated, authorised, contact details)",
               "edit_party", show=False),
    DeskAction("desk.new_case", "N", "New", "Open a new case", "new_case", needs_case=False, show=False),
    # Appointments (issue #17): booked on the case, listed for the day by `app.today`.
    DeskAction("desk.appointment", "b", "Appointment", "Appointments: book, move, cancel, mark kept or missed",
               "appointment", show=False),
    DeskAction("desk.link", "l", "Link", "Link this case to another (duplicate, related, parent, child) or unlink",
               "link", show=False),
    DeskAction("desk.merge_case", "M", "Merge", "Merge a duplicate case into the case that stays (supervisors)",
               "merge", show=False),
    # People across cases (issue #18): recorded on the PERSON, so they hold on every case of theirs.
    DeskAction("desk.arrangement", "R", "Representative",
               "Record or end a person's representative arrangement (all their cases)",
               "arrangement", show=False),
    DeskAction("desk.vulnerable", "U", "Vulnerable", "Mark or unmark a person vulnerable (reason, review date)",
               "vulnerable", show=False),
)


def action_bindings() -> list[Binding]:
    """Footer/keymap bindings for the desk actions; each runs `screen.open_action('<form>')`."""
    return [
        Binding(a.key, f"open_action('{a.form}')", a.label, show=a.show, id=a.id, tooltip=a.title)
        for a in DESK_ACTIONS
    ]


# Navigation on the main screen. (Lists bring their own j/k/arrows; see QueueView and CasePane.)
NAVIGATION: tuple[Binding, ...] = (
    Binding("slash", "search", "Search", id="desk.search", tooltip="Search cases by ref, name or contact text"),
    Binding("o", "other_cases", "Other cases", id="desk.other_cases", show=False,
            tooltip="The other cases of the selected case's persons, open first: open one"),
    Binding("L", "linked_cases", "Linked cases", id="desk.linked_cases", show=False,
            tooltip="The cases linked to or merged with the selected case: open one"),
    # Attachments (issue #19): the case's received files, saved to a path or opened with the OS viewer.
    Binding("F", "attachments", "Files", id="desk.attachments", show=False,
            tooltip="The case's attachments: save one to a path, or open it"),
    Binding("f", "filters", "Filters", id="desk.filters", tooltip="Filter the queue: mine, overdue, due soon, status, kind"),
    # Saved views (issue #17): 1-3 already go to the panes, so views are numbered in the `v` picker: v then 1-9.
    Binding("v", "views", "Views", id="desk.views", show=False,
            tooltip="Saved views: v then 1-9 opens one; save, rename, publish"),
    Binding("V", "save_view", "Save view", id="desk.save_view", show=False,
            tooltip="Save the queue's filter and sort as a named view"),
    Binding("escape", "clear_search", "Clear", id="desk.clear_search", show=False,
            tooltip="Clear the search and filters"),
    Binding("r", "refresh", "Refresh", id="desk.refresh", show=False, tooltip="Reload the queue and the case"),
    Binding("tab", "next_pane", "Next pane", id="desk.next_pane", show=False, tooltip="Move to the next pane"),
    Binding("shift+tab", "previous_pane", "Previous pane", id="desk.previous_pane", show=False,
            tooltip="Move to the previous pane"),
    Binding("1", "show_pane('queue')", "Queue", id="desk.pane_queue", show=False, tooltip="Go to the queue"),
    Binding("2", "show_pane('case')", "Case", id="desk.pane_case", show=False, tooltip="Go to the case"),
    Binding("3", "show_pane('sidebar')", "Advice", id="desk.pane_sidebar", show=False,
            tooltip="Go to the policy sidebar"),
    Binding("minus", "hide_column", "Hide column", id="desk.hide_column", show=False,
            tooltip="Hide a queue column (saved for next time)"),
    Binding("plus", "show_column", "Show column", id="desk.show_column", show=False,
            tooltip="Show a hidden queue column again"),
    Binding("less_than_sign", "resize_column(-1)", "Narrow column", id="desk.narrow_column", show=False,
            tooltip="Make a queue column narrower (saved for next time)"),
    Binding("greater_than_sign", "resize_column(1)", "Widen column", id="desk.widen_column", show=False,
            tooltip="Make a queue column wider (saved for next time)"),
)


def app_bindings() -> list[Binding]:
    return [
        Binding("question_mark", "help", "Help", id="app.help", tooltip="Every key binding, its id and key"),
        Binding("ctrl+p", "command_palette", "Palette", id="app.command_palette", priority=True,
                tooltip="Search every action by name"),
        Binding("ctrl+t", "cycle_theme", "Theme", id="app.cycle_theme", show=False,
                tooltip="Switch to the next theme (saved for next time)"),
        Binding("ctrl+l", "redraw", "Redraw", id="app.redraw", show=False,
                tooltip="Draw the whole screen again (after line noise or a message over SSH)"),
        Binding("A", "approvals", "Approvals", id="app.approvals", show=False,
                tooltip="Approval requests: decide them (supervisors), carry out or drop your own"),
        Binding("D", "dashboard", "Dashboard", id="app.dashboard", show=False,
                tooltip="Team dashboard: deadlines, overrides per handler, weekly volumes (supervisors, admins)"),
        Binding("u", "people", "People", id="app.people", show=False,
            tooltip="Find a person by name, phone, email, postcode or case ref; their cases; merge (supervisors)"),
    Binding("t", "today", "Today", id="app.today", show=False,
                tooltip="Today's appointments on your cases (the team's for supervisors: T)"),
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave the desk"),
    ]


def scroll_bindings(prefix: str) -> list[Binding]:
    """vim keys for a scrolling pane (arrows, PageUp/Down, Home/End come with Textual)."""
    return [
        Binding("j", "scroll_down", "Down", id=f"{prefix}.down", show=False, tooltip="Scroll down"),
        Binding("k", "scroll_up", "Up", id=f"{prefix}.up", show=False, tooltip="Scroll up"),
        Binding("g", "scroll_home", "Top", id=f"{prefix}.top", show=False, tooltip="Go to the top"),
        Binding("G", "scroll_end", "Bottom", id=f"{prefix}.bottom", show=False, tooltip="Go to the bottom"),
        Binding("ctrl+d", "page_down", "Page down", id=f"{prefix}.page_down", show=False, tooltip="Page down"),
        Binding("ctrl+u", "page_up", "Page up", id=f"{prefix}.page_up", show=False, tooltip="Page up"),
    ]


def desk_action(form: str) -> Optional[DeskAction]:
    return next((a for a in DESK_ACTIONS if a.form == form), None)
