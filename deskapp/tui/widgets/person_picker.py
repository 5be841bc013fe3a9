"""One picker for every form field that names a person: the case's parties, or anyone found across cases.

    [Helen Marsh - resident                     v]   <- the choice: this case's parties (and a person picked)
    [Find: name, phone, email, postcode, case ref ]   <- typing searches persons across cases
     #41 Dana Hill  +447700900123  LS6 2AB  2 open cases        (hits: up/down, enter picks)
    [as resident v]                                   <- only for a person not on this case yet

The search (deskapp.actions.person_search.find_persons) runs in a thread worker
~0.3 s after the last key, never on the event loop; only the answer for the
text as it stands is shown. Keyboard only: type, Down into the hits, Enter picks
(Enter in the box picks the first hit); the choice then holds the person.

`value` is a party id of this case, a PersonPick (a person who is not a party
here yet: the form adds them in `role` just before its own action, see
deskapp.actions.person_pick), or None. With `parties=False` (the party and
new-case forms: "this is someone already known") the choice offers no parties,
every pick is a PersonPick, no role is asked and nothing is added by the form's
base (`adds_party`): the form links the person itself. Names, phones and addresses come from the
database: shown literally (rich Text), never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from rich.text import Text
from textual import work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList, Select
from textual.widgets.option_list import Option

from deskapp import vocab
from deskapp.tui.text import safe_text
from deskapp.tui.widgets.inputs import CleanInput

SEARCH_DELAY = 0.3
MIN_SEARCH = 2  # characters before a search runs
SHOWN_HITS = 6


@dataclass(frozen=True)
class PersonPick:
    """A person found across cases who is not a party of this case (yet), with how to reach them (to fill a
    form's blank fields; not part of what makes two picks equal)."""

    person_id: int
    name: str
    open_cases: int = 0
    vulnerable: bool = False
    phone: Optional[str] = field(default=None, compare=False)
    email: Optional[str] = field(default=None, compare=False)
    address: Optional[str] = field(default=None, compare=False)


def _one(text: object) -> str:
    return safe_text(text, single_line=True)


def party_choice_label(party) -> Text:
    """'Dana Hill - representative, designated (Social services)' (the case's own parties)."""
    tags = [party.role.replace("_", " ")]
    if party.designated:
        tags.append("designated")
    elif party.authorised:
        tags.append("authorised")
    text = f"{_one(party.name) or '(no name)'} - {', '.join(tags)}"
    if party.organisation:
        text += f" ({_one(party.organisation)})"
    return Text(text, end="")


def pick_label(pick: PersonPick) -> Text:
    extra = f", {pick.open_cases} open case{'s' if pick.open_cases != 1 else ''}" if pick.open_cases else ""
    return Text(f"{_one(pick.name) or '(no name)'} - #{pick.person_id}, not on this case yet{extra}", end="")


def hit_label(hit, on_case: bool) -> Text:
    """One line per person found: who, how to reach them, their cases (literal text)."""
    parts = [f"#{hit.id} {_one(hit.name) or '(no name)'}"]
    reach = hit.email if hit.matched == "email" and hit.email else (hit.phone or hit.email)
    if reach:
        parts.append(_one(reach)[:32])
    if hit.address:
        address = _one(hit.address)
        parts.append(address if len(address) <= 20 else address[:19] + "…")
    cases = f"{hit.open_cases} open/{hit.cases} case{'s' if hit.cases != 1 else ''}"
    parts.append("on this case" if on_case else cases)
    if hit.vulnerable:
        parts.append("vulnerable")
    return Text("  ".join(parts), end="", no_wrap=True, overflow="ellipsis")


class PersonsFound(Message):
    """The answer of a person search for `text` (hits, or the error that stopped it)."""

    def __init__(self, text: str, hits: list, error: Optional[BaseException] = None) -> None:
        super().__init__()
        self.text, self.hits, self.error = text, hits, error


class PersonPicker(Vertical):
    """The case's parties plus a search across cases. See the module docstring."""

    # Esc with a search open closes the search (the form stays); with none, the form's own Esc applies.
    BINDINGS = [Binding("escape", "close_search", "Close search", id="picker.close_search")]

    DEFAULT_CSS = """
    PersonPicker {
        height: auto;
    }
    PersonPicker > Select {
        width: 1fr;
    }
    PersonPicker > .pick-find {
        background: $boost;
        margin-top: 0;
    }
    PersonPicker > OptionList {
        display: none;
        height: auto;
        max-height: 6;
        border: none;
        padding: 0;
    }
    PersonPicker.-hits > OptionList {
        display: block;
    }
    PersonPicker > .pick-role {
        display: none;
    }
    PersonPicker.-new > .pick-role {
        display: block;
    }
    """

    def __init__(self, desk: Any, case: Any, *, value: Any = None, prompt: str = "Choose who",
                 stand_in: int = -1, role: str = "customer", parties: bool = True,
                 adds_party: Optional[bool] = None, id: Optional[str] = None) -> None:
        super().__init__(id=id)
        self.desk = desk
        self.case = case
        self.parties = parties  # offer the case's parties (False: persons only)
        self.adds_party = parties if adds_party is None else adds_party  # the form adds a picked person
        self.stand_in = stand_in  # the party id the live check uses for a picked person (never stored)
        self.hits: list = []
        self.searched: Optional[str] = None  # the text the hits answer
        self.search_error: Optional[str] = None
        self._timer: Optional[Timer] = None
        self._picked: list[PersonPick] = []
        start = Select.NULL if value is None or value == Select.NULL else value
        self.select = Select(self._options(), prompt=prompt, value=start, compact=True)
        self.find = CleanInput(placeholder="Find: name, phone, email, postcode or case ref", compact=True,
                               classes="pick-find")
        self.hit_list = OptionList()
        self.role_select = Select([(f"as {r.replace('_', ' ')}", r) for r in vocab.PARTY_ROLES], value=role,
                                  allow_blank=False, compact=True, classes="pick-role")

    def compose(self) -> ComposeResult:
        yield self.select
        yield self.find
        yield self.hit_list
        yield self.role_select

    def focus(self, scroll_visible: bool = True):  # the form focuses a field's widget: the choice (the search
        return (self.select if self.parties else self.find).focus(scroll_visible)  # when it offers no parties)

    # --- the value ---------------------------------------------------------------------

    def _options(self) -> list[tuple[Text, Any]]:
        parties = sorted(self.case.parties, key=lambda p: (not p.designated, p.id)) \
            if self.case and self.parties else []
        return [(party_choice_label(p), p.id) for p in parties] + [(pick_label(p), p) for p in self._picked]

    @property
    def value(self) -> Any:
        value = self.select.value
        return None if value is Select.NULL or value == Select.NULL else value

    @value.setter
    def value(self, value: Any) -> None:
        if isinstance(value, PersonPick) and value not in self._picked:
            self._picked.append(value)
            self.select.set_options(self._options())
        self.select.value = Select.NULL if value is None or value == Select.NULL else value
        self._show_role()

    @property
    def role(self) -> str:
        return self.role_select.value if self.role_select.value != Select.NULL else "customer"

    @property
    def pick(self) -> Optional[PersonPick]:
        value = self.value
        return value if isinstance(value, PersonPick) else None

    @property
    def party_id(self) -> Optional[int]:
        """The party the form's request names: a party id, the stand-in for a picked person, or None."""
        value = self.value
        return self.stand_in if isinstance(value, PersonPick) else value

    def _show_role(self) -> None:
        self.set_class(self.pick is not None and self.adds_party, "-new")

    def set_case(self, case: Any, fallback: Any = None) -> None:
        """The form holds a fresher case: offer its parties, keeping the choice (a picked person who is now a
        party becomes that party)."""
        current = self.value
        self.case = case
        if isinstance(current, PersonPick) and self.parties:
            person = next((p for p in case.persons if p.id == current.person_id), None)
            if person is not None and person.party_ids:
                self._picked = [p for p in self._picked if p != current]
                current = max(person.party_ids)
        options = self._options()
        self.select.set_options(options)
        values = {value for _label, value in options}
        if current in values:
            self.select.value = current
        elif fallback in values:
            self.select.value = fallback
        self._show_role()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select is self.select:
            self._show_role()  # the form hears the change too (it bubbles on)

    # --- search ------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is not self.find:
            return
        event.stop()  # typing a search is not a change to the form's request
        if self._timer is not None:
            self._timer.stop()
        text = event.value.strip()
        self.refresh_bindings()
        if len(text) < MIN_SEARCH:
            self._show_hits("", [])
            return
        self._timer = self.set_timer(SEARCH_DELAY, lambda: self._start(text))

    @property
    def searching(self) -> bool:
        """True while a search is waiting for its debounce or running (tests wait on this)."""
        return self._timer is not None or self.searched != self.find.value.strip() and \
            len(self.find.value.strip()) >= MIN_SEARCH

    def _start(self, text: str) -> None:
        self._timer = None
        if text == self.find.value.strip():
            self._search(text)

    @work(thread=True, exclusive=True, group="person-find", exit_on_error=False)
    def _search(self, text: str) -> None:
        from deskapp.actions import find_persons

        try:
            self.post_message(PersonsFound(text, find_persons(self.desk, text)))
        except Exception as exc:  # noqa: BLE001 - a failed search says so; the form goes on
            self.post_message(PersonsFound(text, [], exc))

    def on_persons_found(self, message: PersonsFound) -> None:
        message.stop()
        if message.text != self.find.value.strip():
            return  # typed on since: a newer search is on its way
        self.search_error = None if message.error is None else _one(message.error)
        self._show_hits(message.text, message.hits)

    def _on_case(self, person_id: int) -> Optional[int]:
        if not self.case:
            return None
        person = next((p for p in (self.case.persons if self.case else ()) if p.id == person_id), None)
        return max(person.party_ids) if person is not None and person.party_ids else None

    def _show_hits(self, text: str, hits: list) -> None:
        self.searched, self.hits = text, list(hits)
        self.hit_list.clear_options()
        shown = self.hits[:SHOWN_HITS]
        if self.search_error:
            self.hit_list.add_option(Option(Text(f"Search failed: {self.search_error}", end=""), disabled=True))
        elif text and not shown:
            self.hit_list.add_option(Option(Text("Nobody found", end=""), disabled=True))
        for index, hit in enumerate(shown):
            self.hit_list.add_option(Option(hit_label(hit, self._on_case(hit.id) is not None), id=str(index)))
        if shown:
            self.hit_list.highlighted = 0
        self.set_class(bool(text), "-hits")
        self.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is not self.find:
            return
        event.stop()  # Enter in the search box picks, it does not submit the form
        if self.hits:
            self.choose(self.hits[self.hit_list.highlighted or 0])

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "close_search":  # only while there is a search to close (the footer says so)
            return bool(self.find.value or self.has_class("-hits"))
        return True

    def action_close_search(self) -> None:
        if not (self.find.value or self.has_class("-hits")):
            raise SkipAction()
        self.find.value = ""
        self._show_hits("", [])
        self.find.focus()

    def on_key(self, event) -> None:
        if event.key == "down" and self.find.has_focus and self.hits:
            event.stop()
            self.hit_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.choose(self.hits[int(event.option.id)])

    def choose(self, hit) -> None:
        """Pick a person found: their party if they are on this case, else them as a person to add."""
        party_id = self._on_case(hit.id) if self.parties else None
        self.value = party_id if party_id is not None else PersonPick(
            hit.id, hit.name, hit.open_cases, hit.vulnerable, phone=hit.phone, email=hit.email, address=hit.address)
        self.find.value = ""
        self._show_hits("", [])
        self.select.focus()
