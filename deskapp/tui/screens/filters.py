"""The `f` filter screen: narrow the queue to mine / overdue / due soon / statuses / kinds.

A modal rather than a row of toggles on the main screen, so the queue keeps
every line it can at 80x24. Enter/space on a field toggles it; ctrl+s applies,
ctrl+r clears the filters (not the sort), Esc leaves everything as it was.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, RadioSet, SelectionList

from deskapp.tui.filters import SORT_WORDS, QueueFilters
from deskapp.tui.text import safe_text
from deskapp.tui.widgets.inputs import CleanInput
from deskapp.tui.widgets.toggles import RadioChoice, TickBox, TickList
from deskapp.vocab import CASE_KINDS, CASE_STATUSES


def _label(word: str) -> str:
    return word.replace("_", " ")


class FilterScreen(ModalScreen[QueueFilters | None]):
    BINDING_GROUP_TITLE = "Filters"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="filters.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="filters.apply", priority=True),
        Binding("ctrl+r", "clear", "Clear all", id="filters.clear", priority=True),
    ]

    DEFAULT_CSS = """
    FilterScreen { align: center middle; }
    FilterScreen > #filters {
        width: 72; max-width: 100%;
        height: auto; max-height: 100%;
        border: round $primary;
        border-title-color: $text-accent;
        background: $surface;
        padding: 0 1;
    }
    FilterScreen #filter-columns { height: auto; }
    FilterScreen #filter-left, FilterScreen #filter-right { width: 1fr; height: auto; }
    FilterScreen SelectionList { height: auto; max-height: 9; border: round $panel; padding: 0; }
    FilterScreen SelectionList:focus { border: round $primary; }
    FilterScreen RadioSet { height: auto; border: round $panel; padding: 0; width: 1fr; }
    FilterScreen RadioSet:focus-within { border: round $primary; }
    FilterScreen RadioChoice { padding: 0; }
    FilterScreen Input { width: 1fr; }
    FilterScreen Label.heading { text-style: bold; }
    FilterScreen Label.-gap { margin-top: 1; }
    FilterScreen #filter-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    FilterScreen Button { margin-left: 2; }
    """

    def __init__(self, current: QueueFilters) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        f = self.current
        with Vertical(id="filters") as box:
            box.border_title = "Filter the queue"
            box.border_subtitle = "ctrl+s apply · esc cancel"
            with Horizontal(id="filter-columns"):
                with Vertical(id="filter-left"):
                    yield TickBox("Mine (assigned to me)", f.mine, id="filter-mine", compact=True)
                    yield TickBox("Overdue", f.overdue, id="filter-overdue", compact=True)
                    yield TickBox("Due soon", f.due_soon, id="filter-due-soon", compact=True)
                    yield TickBox("Vulnerable", f.vulnerable, id="filter-vulnerable", compact=True)
                    yield Label("Kind", classes="heading -gap")
                    yield TickList[str](*[(_label(k), k, k in f.kinds) for k in CASE_KINDS],
                                             id="filter-kinds")
                    yield Label("Category", classes="heading")
                    yield CleanInput(f.category, placeholder="any (e.g. billing)", id="filter-category",
                                     compact=True, max_length=100)
                with Vertical(id="filter-right"):
                    yield Label("Status (none = open; a search: all)", classes="heading")
                    yield TickList[str](*[(_label(s), s, s in f.statuses) for s in CASE_STATUSES],
                                             id="filter-statuses")
                    yield Label("Sort by", classes="heading")
                    with RadioSet(id="filter-sort"):
                        for sort in self._sorts():
                            yield RadioChoice(SORT_WORDS[sort], value=sort == f.sort, id=f"sort-{sort}", compact=True)
            with Horizontal(id="filter-buttons"):
                yield Button("Clear all", id="filter-clear", compact=True)
                yield Button("Cancel", id="filter-cancel", compact=True)
                yield Button("Apply", id="filter-apply", variant="primary", compact=True)

    def _sorts(self) -> list[str]:
        sorts = ["due", "priority", "received", "ref"]
        return sorts + ["relevance"] if self.current.search else sorts

    def _chosen_sort(self) -> str:
        pressed = self.query_one("#filter-sort", RadioSet).pressed_button
        return pressed.id.removeprefix("sort-") if pressed is not None and pressed.id else "due"

    def chosen(self) -> QueueFilters:
        return QueueFilters(
            mine=self.query_one("#filter-mine", Checkbox).value,
            overdue=self.query_one("#filter-overdue", Checkbox).value,
            due_soon=self.query_one("#filter-due-soon", Checkbox).value,
            vulnerable=self.query_one("#filter-vulnerable", Checkbox).value,
            statuses=frozenset(self.query_one("#filter-statuses", SelectionList).selected),
            kinds=frozenset(self.query_one("#filter-kinds", SelectionList).selected),
            category=safe_text(self.query_one("#filter-category", Input).value, single_line=True).strip(),
            search=self.current.search,
            sort=self._chosen_sort(),
        )

    def action_apply(self) -> None:
        self.dismiss(self.chosen())

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_clear(self) -> None:
        for box in self.query(Checkbox):
            box.value = False
        for selection in self.query(SelectionList):
            selection.deselect_all()
        self.query_one("#filter-category", Input).value = ""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "filter-apply":
            self.action_apply()
        elif event.button.id == "filter-cancel":
            self.action_cancel()
        else:
            self.action_clear()
