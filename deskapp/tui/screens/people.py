"""People: find a person across cases, see their cases (open first), jump to one; supervisors merge two.

`u` opens this screen; `o` on a case opens it for the persons on that case.
Type a name, a phone number in any format, an email, a postcode or a case ref
and press enter: the persons found are listed best first (how each was found,
their open and total cases). Enter on a person lists their cases, open ones
first; enter (or `o`) on a case opens it on the desk. `m` on one person, then
`m` on another, asks for a reason and merges the second into the first
(supervisors and admins; deskapp.actions.person_merge): every case re-linked,
audited, and an admin can undo it with `deskapp people unmerge`.

All reads and the merge run in thread workers through deskapp.actions; names,
phones and addresses are customer text, shown literally.
"""

from __future__ import annotations

from typing import Any, Optional

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from deskapp.tui.text import line, one_line, safe_text
from deskapp.tui.widgets.footer import DeskFooter
from deskapp.tui.widgets.inputs import CleanInput


def person_content(hit: Any, marked: bool = False) -> Content:
    """'#12  Arthur Penrose  07700 900412 · a@b.org   2 open / 3 cases  (phone)'."""
    reach = " · ".join(v for v in (hit.phone, hit.email) if v) or "no phone or email"
    parts: list = [("» " if marked else "  ", "bold $text-warning"), (f"#{hit.id}", "$text-muted"), "  ",
                   (hit.name, "bold"), "  ", reach]
    if hit.vulnerable:
        parts += ["  ", ("VULNERABLE", "bold $text-error")]
    parts += [(f"   {hit.open_cases} open / {hit.cases} case{'s' if hit.cases != 1 else ''}", "$text-accent"),
              (f"  ({hit.matched})", "$text-muted")]
    return line(*parts)


def case_content(row: Any) -> Content:
    """'C-1001  open  investigating  Damp and mould  (resident) received Mon 02 Mar 2026'."""
    return line((row.ref, "$text-accent"), "  ", ("open  " if row.open else "closed", "bold" if row.open else "dim"),
                "  ", (f"{row.status.replace('_', ' '):<20}", ""), row.title, (f"  ({row.role})", "$text-muted"),
                (f"  received {row.received_at:%a %d %b %Y}", "$text-muted"))


class PeopleScreen(Screen):
    """Dismisses with the case id to open on the desk, or None."""

    BINDING_GROUP_TITLE = "People"
    BINDINGS = [
        Binding("escape", "back", "Back", id="people.back"),
        Binding("o", "open_case", "Open case", id="people.open_case",
                tooltip="Open the highlighted case on the desk"),
        Binding("m", "mark_merge", "Merge", id="people.merge",
                tooltip="Mark a person, then another, to merge the second into the first (supervisors)"),
        Binding("slash", "focus_search", "Search", id="people.search", show=False),
        Binding("j", "cursor_down", "Down", id="people.down", show=False),
        Binding("k", "cursor_up", "Up", id="people.up", show=False),
    ]

    DEFAULT_CSS = """
    PeopleScreen #people-head { height: 1; padding: 0 1; background: $panel; }
    PeopleScreen #people-search { height: 1; border: none; padding: 0 1; }
    PeopleScreen #people-list { height: 1fr; border: none; }
    PeopleScreen #people-reason { height: 1; border: none; padding: 0 1; display: none; }
    PeopleScreen #people-reason.-open { display: block; }
    PeopleScreen #people-note { height: auto; padding: 0 1; color: $text-muted; }
    """

    class Found(Message):
        def __init__(self, text: str, hits: list, error: Optional[str]) -> None:
            super().__init__()
            self.text, self.hits, self.error = text, hits, error

    class Cases(Message):
        def __init__(self, person: Any, rows: list, error: Optional[str]) -> None:
            super().__init__()
            self.person, self.rows, self.error = person, rows, error

    class Merged(Message):
        def __init__(self, text: str, error: bool) -> None:
            super().__init__()
            self.text, self.error = text, error

    def __init__(self, desk: Any, text: str = "") -> None:
        super().__init__()
        self.desk = desk
        self.text = text
        self.hits: list = []
        self.rows: list = []
        self.person: Any = None  # the person whose cases are listed, or None while persons are listed
        self.marked: Any = None  # the person `m` marked to keep
        self.other: Any = None  # the person to merge into `marked`, while the reason is asked for
        self.told: Optional[str] = None  # a merge's outcome, kept in the note over the list read after it

    def compose(self) -> ComposeResult:
        yield Static(self._head("type and press enter"), id="people-head")
        yield CleanInput(self.text, placeholder="name, phone, email, postcode or case ref; enter to find",
                         id="people-search", max_length=200)
        yield OptionList(id="people-list")
        yield CleanInput(placeholder="why merge them? enter to merge, esc to cancel", id="people-reason",
                         max_length=400)
        yield Static(Content(""), id="people-note")
        yield DeskFooter()

    def on_mount(self) -> None:
        if self.text:
            self.query_one(OptionList).focus()
            self._find(self.text)
        else:
            self.query_one("#people-search", Input).focus()

    def _head(self, state: str) -> Content:
        what = f"Cases of #{self.person.id} {self.person.name}" if self.person is not None else "People"
        return line((what, "bold"), "   ", (state, "dim"))

    def _note(self, text: str) -> None:
        self.query_one("#people-note", Static).update(Content(text))

    # --- finding -----------------------------------------------------------------------------

    @on(Input.Submitted, "#people-search")
    def _search(self, event: Input.Submitted) -> None:
        event.stop()
        self.text = safe_text(event.value, single_line=True)
        self.person = None
        self.query_one("#people-head", Static).update(self._head("finding…"))
        self.query_one(OptionList).focus()
        self._find(self.text)

    @work(thread=True, exclusive=True, group="people")
    def _find(self, text: str) -> None:
        from deskapp.actions.person_search import find_persons

        worker = get_current_worker()
        try:
            hits, error = find_persons(self.desk, text), None
        except Exception as exc:  # noqa: BLE001 - a worker must report, not crash the desk
            hits, error = [], one_line(exc, kind=True)
        if not worker.is_cancelled:
            self.post_message(self.Found(text, hits, error))

    def on_people_screen_found(self, message: Found) -> None:
        if message.text != self.text or self.person is not None:
            return  # an answer to an earlier search: a newer one is on its way
        self.hits = message.hits
        self._show_persons(message.error)

    def _show_persons(self, error: Optional[str] = None) -> None:
        listing = self.query_one(OptionList)
        listing.clear_options()
        if error is not None:
            self.query_one("#people-head", Static).update(self._head("could not search"))
            self._note(error)
            return
        marked = self.marked.id if self.marked is not None else None
        listing.add_options([Option(person_content(h, h.id == marked), id=str(i)) for i, h in enumerate(self.hits)])
        count = len(self.hits)
        self.query_one("#people-head", Static).update(
            self._head(f"{count} person{'s' if count != 1 else ''}" if count else "nobody found"))
        told, self.told = self.told, None
        self._note(told or ("Enter lists the person's cases · m marks two persons to merge · / searches again"
                            if count else "Nobody found. Try a phone number, an email, a surname or a case ref."))
        if count:
            listing.highlighted = 0

    # --- a person's cases --------------------------------------------------------------------

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = int(event.option.id)
        if self.person is None:
            if 0 <= index < len(self.hits):
                self.person = self.hits[index]
                self.query_one("#people-head", Static).update(self._head("loading…"))
                self._cases(self.person)
        elif 0 <= index < len(self.rows):
            self.dismiss(self.rows[index].case_id)

    @work(thread=True, exclusive=True, group="people")
    def _cases(self, person: Any) -> None:
        from deskapp.actions.person_search import cases_of_person

        worker = get_current_worker()
        try:
            rows, error = cases_of_person(self.desk, person.id), None
        except Exception as exc:  # noqa: BLE001
            rows, error = [], one_line(exc, kind=True)
        if not worker.is_cancelled:
            self.post_message(self.Cases(person, rows, error))

    def on_people_screen_cases(self, message: Cases) -> None:
        if self.person is None or message.person.id != self.person.id:
            return
        listing = self.query_one(OptionList)
        listing.clear_options()
        self.rows = message.rows
        if message.error is not None:
            self._note(message.error)
            return
        listing.add_options([Option(case_content(r), id=str(i)) for i, r in enumerate(self.rows)])
        open_ = sum(1 for r in self.rows if r.open)
        self.query_one("#people-head", Static).update(self._head(f"{open_} open, {len(self.rows)} in all"))
        self._note("Enter or o opens the case on the desk · esc back to the persons")
        if self.rows:
            listing.highlighted = 0

    def action_open_case(self) -> None:
        index = self.query_one(OptionList).highlighted
        if self.person is not None and index is not None and 0 <= index < len(self.rows):
            self.dismiss(self.rows[index].case_id)

    # --- merging -----------------------------------------------------------------------------

    def action_mark_merge(self) -> None:
        from deskapp.core.roles import allowed

        if not allowed(self.desk.me, "person.merge"):
            self.notify("Merging persons is for supervisors and admins.", severity="warning", markup=False)
            return
        index = self.query_one(OptionList).highlighted
        if self.person is not None or index is None or not 0 <= index < len(self.hits):
            self.notify("Choose a person in the list first.", severity="warning", markup=False)
            return
        hit = self.hits[index]
        if self.marked is None or self.marked.id == hit.id:
            self.marked = None if self.marked is not None else hit
            self._show_persons()
            if self.marked is not None:
                self._note(f"#{hit.id} will be kept: m on the person to merge into them")
            return
        self.other = hit
        reason = self.query_one("#people-reason", Input)
        reason.add_class("-open")
        reason.value = ""
        reason.focus()
        self._note(f"Merge #{hit.id} {safe_text(hit.name, single_line=True)} into #{self.marked.id} "
                   f"{safe_text(self.marked.name, single_line=True)}: every case moves. Why?")

    @on(Input.Submitted, "#people-reason")
    def _merge_reason(self, event: Input.Submitted) -> None:
        event.stop()
        event.input.remove_class("-open")
        self.query_one(OptionList).focus()
        self._merge(self.marked.id, self.other.id, event.value)

    @work(thread=True, exclusive=True, group="people-merge")
    def _merge(self, keep: int, other: int, reason: str) -> None:
        from deskapp.actions.person_merge import merge_persons

        try:
            done = merge_persons(self.desk, keep, other, reason)
            self.post_message(self.Merged(
                f"Merged #{other} into #{keep}: {done.parties} case link{'s' if done.parties != 1 else ''} moved "
                f"(merge {done.merge_id}; an admin can undo it until {done.undo_until:%a %d %b %Y})", False))
        except Exception as exc:  # noqa: BLE001 - one line, nothing written
            self.post_message(self.Merged(one_line(exc), True))

    def on_people_screen_merged(self, message: Merged) -> None:
        self._note(message.text)
        self.notify(message.text, severity="error" if message.error else "information", markup=False)
        if not message.error:
            self.marked, self.told = None, message.text
            self._find(self.text)

    # --- keys --------------------------------------------------------------------------------

    def action_back(self) -> None:
        reason = self.query_one("#people-reason", Input)
        if reason.has_class("-open"):
            reason.remove_class("-open")
            self.query_one(OptionList).focus()
            self._note("Merge cancelled; nothing written.")
        elif self.person is not None:
            self.person = None
            self._show_persons()
            self.query_one(OptionList).focus()
        else:
            self.dismiss(None)

    def action_focus_search(self) -> None:
        self.query_one("#people-search", Input).focus()

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()
