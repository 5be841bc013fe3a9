"""The `f` filter screen: narrow the queue to mine / overdue / due soon / statuses / kinds.

A modal rather than a row of toggles on the main screen, so the queue keeps
every line it can at 80x24. Enter on a field toggles it; ctrl+s applies,
Esc leaves the filters as they were.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label, SelectionList

from deskapp.tui.filters import QueueFilters
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
    FilterScreen Checkbox { border: none; padding: 0; height: 1; background: $surface; }
    FilterScreen SelectionList { height: auto; max-height: 9; border: round $panel; padding: 0; }
    FilterScreen SelectionList:focus { border: round $primary; }
    FilterScreen Label.heading { text-style: bold; margin-top: 1; }
    FilterScreen #filter-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    FilterScreen Button { min-width: 10; margin-left: 1; }
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
                    yield Checkbox("Mine (assigned to me)", f.mine, id="filter-mine")
                    yield Checkbox("Overdue", f.overdue, id="filter-overdue")
                    yield Checkbox("Due soon", f.due_soon, id="filter-due-soon")
                    yield Label("Kind", classes="heading")
                    yield SelectionList[str](*[(_label(k), k, k in f.kinds) for k in CASE_KINDS],
                                             id="filter-kinds")
                with Vertical(id="filter-right"):
                    yield Label("Status", classes="heading")
                    yield SelectionList[str](*[(_label(s), s, s in f.statuses) for s in CASE_STATUSES],
                                             id="filter-statuses")
            with Horizontal(id="filter-buttons"):
                yield Button("Clear all", id="filter-clear")
                yield Button("Cancel", id="filter-cancel")
                yield Button("Apply", id="filter-apply", variant="primary")

    def chosen(self) -> QueueFilters:
        return QueueFilters(
            mine=self.query_one("#filter-mine", Checkbox).value,
            overdue=self.query_one("#filter-overdue", Checkbox).value,
            due_soon=self.query_one("#filter-due-soon", Checkbox).value,
            statuses=frozenset(self.query_one("#filter-statuses", SelectionList).selected),
            kinds=frozenset(self.query_one("#filter-kinds", SelectionList).selected),
            search=self.current.search,
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

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "filter-apply":
            self.action_apply()
        elif event.button.id == "filter-cancel":
            self.action_cancel()
        else:
            self.action_clear()
