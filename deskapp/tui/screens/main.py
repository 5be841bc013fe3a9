"""The main desk screen: queue, selected case, policy sidebar.

Layout by width (HORIZONTAL_BREAKPOINTS), chosen from what each pane needs:
the queue 62 columns (ref, due, status, the customer's name and a 12-cell
title, beside its border and scrollbar), the case about 40 (its header's
first line), the advice 36 (a badge and a whole rule id beside it);
docs/user-guide.md says the same for handlers.
  >= 140 columns  three panes side by side (queue 45%, at least 62 | case | advice 36)
  100-139         the queue (62) above the advice, beside them the case, the whole height
  <  100          one pane at a time (80x24 thin clients): a tab strip shows
                  1 Queue / 2 Case / 3 Advice with the count of standing findings,
                  Tab / Shift-Tab / 1-3 switch panes.
Nothing here touches the database directly: case loads run in thread workers
that post messages back; actions open the forms, which go through deskapp.actions.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from deskapp.errors import DeskError
from deskapp.tui import queue_columns, queue_query
from deskapp.tui.bindings import NAVIGATION, action_bindings, desk_action
from deskapp.tui.filters import QueueFilters
from deskapp.tui.text import clip, line, safe_text
from deskapp.tui.textual_compat import breakpoint_classes
from deskapp.tui.widgets.case_pane import CasePane
from deskapp.tui.widgets.findings import finding_parts
from deskapp.tui.widgets.footer import DeskFooter
from deskapp.tui.widgets.header import DeskHeader, display_db
from deskapp.tui.widgets.inputs import CleanInput
from deskapp.tui.widgets.queue_view import QueueView
from deskapp.tui.widgets.sidebar import PolicySidebar

log = logging.getLogger(__name__)

PANES = ("queue", "case", "sidebar")
PANE_TITLES = {"queue": "Queue", "case": "Case", "sidebar": "Advice"}


def _friendly_error(exc: BaseException) -> str:
    """One line for a handler: DeskError as is, anything else as its type and first line."""
    if isinstance(exc, DeskError):
        return safe_text(str(exc), single_line=True)
    first = safe_text(str(exc).splitlines()[0] if str(exc) else "", single_line=True)
    return f"{type(exc).__name__}: {first[:160]}"


class MainScreen(Screen):
    BINDING_GROUP_TITLE = "Desk"
    BINDINGS = [*action_bindings(), *NAVIGATION]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (140, "-wide")]
    # The queue has the focus from the start (not the first focusable widget, the hidden search box):
    # one focus change, so one restyle, before the first frame.
    AUTO_FOCUS = "#queue"
    # Moving quickly through the queue should not load every case passed over.
    CASE_LOAD_DELAY = 0.12

    DEFAULT_CSS = """
    MainScreen #panes { height: 1fr; }
    MainScreen .pane {
        height: 1fr;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        border-title-style: bold;
    }
    MainScreen .pane:focus-within { border: round $primary; border-title-color: $text-accent; }
    MainScreen #queue-pane { width: 45%; min-width: 62; }
    MainScreen #case-pane { width: 1fr; padding: 0 1; }
    MainScreen #sidebar-pane { width: 36; }
    /* 100-139: the queue above the advice on the left, the case the whole height on the right (so its
       history stays in view); a grid places the panes in that order without moving a widget. */
    MainScreen.-medium #panes { layout: grid; grid-size: 2 2; grid-columns: 62 1fr; grid-rows: 3fr 2fr; }
    MainScreen.-medium #queue-pane, MainScreen.-medium #sidebar-pane { width: 1fr; height: 1fr; }
    MainScreen.-medium #case-pane { row-span: 2; height: 1fr; }
    MainScreen.-narrow .pane, MainScreen.-narrow #queue-pane, MainScreen.-narrow #sidebar-pane {
        display: none; width: 1fr;
    }
    MainScreen.-narrow .pane.-active, MainScreen.-narrow #queue-pane.-active,
    MainScreen.-narrow #sidebar-pane.-active { display: block; }
    /* One pane at a time: the advice pane is not painted while the queue moves, so it need not keep
       its scrollbar's columns (PolicySidebar) and gets the whole width. */
    MainScreen.-narrow #sidebar-pane { scrollbar-gutter: auto; }
    MainScreen #pane-tabs { display: none; height: 1; background: $panel; }
    MainScreen.-narrow #pane-tabs { display: block; }
    MainScreen #queue-title { height: 1; color: $text-muted; padding: 0 1; }
    MainScreen #search { display: none; border: none; height: 1; padding: 0 1; }
    MainScreen #search.-open { display: block; }
    MainScreen #queue { height: 1fr; }
    """

    class CaseLoaded(Message):
        def __init__(self, case_id: int, case: Any, standing: Any) -> None:
            super().__init__()
            self.case_id = case_id
            self.case = case
            self.standing = standing

    class CaseFailed(Message):
        def __init__(self, case_id: int, error: str) -> None:
            super().__init__()
            self.case_id = case_id
            self.error = error

    active_pane: reactive[str] = reactive("queue")

    def __init__(self, desk: Any) -> None:
        super().__init__()
        self.desk = desk
        self.filters = QueueFilters()
        self.view_name: Optional[str] = None  # the saved view on show, named in the queue title
        self.queue: Any = None  # the deskapp.store.queue.Queue on show
        self._count_text = ""
        # The search text that matched persons (`u` opens People with it), and the one last said so.
        self.people_hint = ""
        self._persons_told = ""
        self.case: Any = None
        self.standing: Any = None
        self.wanted_case_id: Optional[int] = None
        self._pinned_case_id: Optional[int] = None  # see on_queue_view_highlighted
        self._home_case_id: Optional[int] = None  # its next load shows the header (after a save)
        self._load_timer: Optional[Timer] = None
        self._search_closing = False  # a search was started: close its box when its rows are in
        # The width's layout class from the start: Textual would add it on the first resize, after
        # the panes are styled, and restyle every widget on the screen a second time for it.
        width = self.app.size.width if self.app is not None else 0
        if width:
            self.add_class(*breakpoint_classes(self, width, self.HORIZONTAL_BREAKPOINTS), update=False)

    # --- layout ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        me = self.desk.me
        clock = self.desk.now if self.app.show_clock else None
        database = self.app.database_label or display_db(self.desk.db_url)
        via = self.desk.via  # an admin helping this handler (--as): both names show
        role = f"{me.role}, via {via}" if via else me.role
        yield DeskHeader(me.display_name or me.username, role, self.desk.name, database, clock, id="header",
                         trial=self.desk.trial_rules)
        yield Static(Content(""), id="pane-tabs", markup=False)
        with Horizontal(id="panes"):
            with Vertical(id="queue-pane", classes="pane -active") as queue_pane:
                queue_pane.border_title = "1 Queue"
                yield Static(Content(""), id="queue-title", markup=False)
                yield CleanInput(placeholder="search ref, name or contact text; enter to search, esc to close",
                                 id="search", max_length=200)
                yield QueueView(id="queue", classes="pane-body")
            case_pane = CasePane(id="case-pane", classes="pane pane-body")
            case_pane.border_title = "2 Case"
            yield case_pane
            sidebar = PolicySidebar(id="sidebar-pane", classes="pane pane-body")
            sidebar.border_title = "3 Advice"
            yield sidebar
        yield DeskFooter(id="footer")

    def on_mount(self) -> None:
        user_config = getattr(self.app, "user_config", None)
        if user_config is not None:
            queue_columns.apply_saved(self.query_one("#queue", QueueView), user_config)
        self._apply_filters(self.filters)
        self._render_pane_tabs()
        # Focused now, not after the first refresh: the queue's border and cursor colours are then
        # right in the first frame instead of a second full repaint of the pane.
        self._focus_pane("queue")

    # --- panes -------------------------------------------------------------

    def _pane_target(self, name: str):
        if name == "queue":
            return self.query_one("#queue")
        if name == "case":
            return self.query_one("#case-pane")
        return self.query_one("#sidebar-pane")

    def _pane_of_focus(self) -> str:
        focused = self.focused
        if focused is None:
            return self.active_pane
        for node in focused.ancestors_with_self:
            node_id = node.id
            if node_id == "queue-pane":
                return "queue"
            if node_id == "case-pane":
                return "case"
            if node_id == "sidebar-pane":
                return "sidebar"
        return self.active_pane

    def _focus_pane(self, name: str) -> None:
        self.active_pane = name
        target = self._pane_target(name)
        if target.focusable:
            target.focus()

    def watch_active_pane(self, name: str) -> None:
        for pane in PANES:
            container = self.query_one(f"#{pane}-pane")
            container.set_class(pane == name, "-active")
        self._render_pane_tabs()

    def on_descendant_focus(self) -> None:
        pane = self._pane_of_focus()
        if pane != self.active_pane:
            self.active_pane = pane

    def action_next_pane(self) -> None:
        index = PANES.index(self._pane_of_focus())
        self._focus_pane(PANES[(index + 1) % len(PANES)])

    def action_previous_pane(self) -> None:
        index = PANES.index(self._pane_of_focus())
        self._focus_pane(PANES[(index - 1) % len(PANES)])

    def action_show_pane(self, name: str) -> None:
        if name in PANES:
            self._focus_pane(name)

    def _render_pane_tabs(self) -> None:
        """The one-line pane switcher shown at narrow widths, with the worst advice counted."""
        parts: list = []
        for number, pane in enumerate(PANES, 1):
            label = f" {number} {PANE_TITLES[pane]}"
            if pane == "sidebar" and self.standing is not None:
                severities = [finding_parts(f)[1] for f in (self.standing.findings or [])]
                for severity in ("block", "warn", "advice"):
                    if severity in severities:
                        label += f" ({severities.count(severity)} {severity})"
                        break
            label += " "
            style = "bold reverse $primary" if pane == self.active_pane else ""
            parts += [(label, style), " "]
        if self.case is not None:
            parts += [("  ", ""), (self.case.ref, "bold")]
        # One line whatever it says (CSS height: 1): no screen layout, which would re-send every scrollbar.
        self.query_one("#pane-tabs", Static).update(line(*parts), layout=False)

    # --- queue, search, filters -------------------------------------------

    def _apply_filters(self, filters: QueueFilters, view_name: Optional[str] = None) -> None:
        """Show the queue for `filters`; `view_name` when they are a saved view's (any other change leaves it)."""
        self.filters = filters
        self.view_name = view_name
        self._count_text = ""
        try:
            self.queue = queue_query.build_query(self.desk, filters)
        except Exception as exc:  # noqa: BLE001 - a bad filter value must not take the desk down
            log.exception("building the queue failed")
            self.queue = None
            self.notify(_friendly_error(exc), title="Queue", severity="error", markup=False)
        if not queue_query.apply(self.query_one("#queue"), self.queue):
            self._render_queue_title()
        # Else the title changes with the rows, when the view has counted them (on_queue_view_counted):
        # one repaint, and never the new filter's words over the old filter's rows and count.

    def on_queue_view_counted(self, message) -> None:
        """The queue view knows how many cases the filters match: show it in the queue title."""
        self._count_text = queue_query.count_words(message.total, message.truncated,
                                                   searching=bool(self.filters.search))
        self._render_queue_title()
        self._tell_persons(len(getattr(message, "persons", ()) or ()), getattr(message, "more_persons", False))
        if self._search_closing:
            # The search's result is in: close its box now, in the frame that paints the new rows.
            self._search_closing = False
            if not self.query_one("#search", Input).has_focus:  # unless the handler went back to it
                self._close_search()

    def _tell_persons(self, found: int, more: bool = False) -> None:
        """A search that read as persons says so, once per search: "2 persons match '…': u to see them"."""
        search = self.filters.search
        self.people_hint = search if found and search else ""
        if not self.people_hint:
            self._persons_told = ""
            return
        if search == self._persons_told:
            return  # the same search re-read (after a save, a change elsewhere): said already
        self._persons_told = search
        who = f"{found}{'+' if more else ''} person{'s' if found != 1 else ''} match{'es' if found == 1 else ''}"
        self.notify(f"{who} “{clip(search, 40)}”: u to see them", timeout=8, markup=False)

    def _render_queue_title(self) -> None:
        width = max(self.query_one("#queue-pane").content_region.width - 2, 20)
        named = f"“{clip(self.view_name, 30)}” " if self.view_name else ""
        taken = len(named) + (len(self._count_text) + 3 if self._count_text else 0)
        described = self.filters.describe(max(width - taken, 10))  # the whole title fits its one line
        parts: list = []
        if named:
            parts.append((named, "bold $text-accent"))
        if self._count_text:
            parts.append((self._count_text, "bold"))
        if described:
            parts += [(" · " if self._count_text else "", "$text-muted"), (described, "$text-accent")]
        if not parts:
            parts = [("all cases", "$text-muted")]
        # Height 1, as wide as its pane: the text never changes its size, so no layout pass (a reflow of
        # the whole screen) for each new count.
        self.query_one("#queue-title", Static).update(line(*parts), layout=False)

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.value = self.filters.search
        search.add_class("-open")
        self._focus_pane("queue")
        search.focus()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply_filters(self.filters.with_search(safe_text(event.value, single_line=True)))
        self._focus_pane("queue")  # keys go to the queue at once
        # The box stays on screen until the result is in (on_queue_view_counted): closing it
        # reflows the screen, and doing that with the new rows paints once instead of twice,
        # leaving the search's worker the CPU meanwhile.
        if self.queue is None:
            self._close_search()
        else:
            self._search_closing = True

    def _close_search(self) -> None:
        self._search_closing = False
        self.query_one("#search", Input).remove_class("-open")

    def action_other_cases(self) -> None:
        """`o`: the other cases of the persons on the selected case (the case pane lists them). Just one:
        it opens; more: the persons on the case, and from there their cases (open first)."""
        if self.case is None:
            self.notify("Choose a case first.", severity="warning", markup=False)
            return
        persons = getattr(self.case, "persons", ())
        others = getattr(self.case, "other_cases", ())
        if not any(p.other_total for p in persons):
            self.notify(f"Nobody on {self.case.ref} has another case.", markup=False)
            return
        if len(others) == 1 and all(p.other_total == len(p.other_cases) for p in persons):
            self.select_case(others[0].id, delay=0)
            self.action_show_pane("case")
            return
        self.app.action_people(self.case.ref)

    def action_linked_cases(self) -> None:
        """`L`: the cases linked to or merged with the selected case (kind, ref, status): open one."""
        from deskapp.tui.screens.pick import PickScreen

        if self.case is None:
            self.notify("Choose a case first.", severity="warning", markup=False)
            return
        links = getattr(self.case, "links", ())
        if not links:
            self.notify(f"{self.case.ref} has no linked cases: l links one.", severity="information", markup=False)
            return
        choices = [(line((f"{link.kind:<12}", "$text-muted"), (f"{link.ref:<10}", "bold"), ("  ", ""),
                         (f"{link.status.replace('_', ' '):<14}", ""), ("  ", ""), link.title), link.case_id)
                   for link in links]

        def chosen(case_id: Any) -> None:
            if case_id is not None:
                self.select_case(case_id, delay=0)
                self.action_show_pane("case")

        self.app.push_screen(PickScreen(f"Cases linked to {self.case.ref}", choices), chosen)

    def action_attachments(self) -> None:
        """`F`: the selected case's attachments, to save or open (deskapp.tui.screens.attachments)."""
        from deskapp.tui.screens.attachments import AttachmentsScreen

        if self.case is None:
            self.notify("Choose a case first.", severity="warning", markup=False)
            return
        if not getattr(self.case, "attachments", ()):
            self.notify(f"{self.case.ref} has no attachments.", severity="information", markup=False)
            return
        self.app.push_screen(AttachmentsScreen(self.desk, self.case))

    def action_filters(self) -> None:
        from deskapp.tui.screens.filters import FilterScreen

        def chosen(result: QueueFilters | None) -> None:
            if result is not None:
                self._apply_filters(result)
            self._focus_pane("queue")

        self.app.push_screen(FilterScreen(self.filters), chosen)

    def action_views(self, save_first: bool = False) -> None:
        """The saved-views picker (v, then 1-9 opens a view); the chosen view's filters and sort apply."""
        from deskapp.tui.screens.views import ViewsScreen

        if any(isinstance(screen, ViewsScreen) for screen in self.app.screen_stack):
            return
        self.app.push_screen(ViewsScreen(self.app.opened_desk(), self.filters, save_first=save_first),
                             self.open_view)

    def action_save_view(self) -> None:
        self.action_views(save_first=True)

    def open_view(self, view: Any) -> None:
        """Show the queue as saved view `view` (a deskapp.core.saved_views.SavedView; None: nothing chosen)."""
        if view is not None and view.spec is not None:
            self._apply_filters(QueueFilters.from_spec(view.spec), view_name=view.name)
            self._focus_pane("queue")

    def _search_open(self) -> bool:
        return self.query_one("#search", Input).has_class("-open")

    def action_clear_search(self) -> None:
        """Esc: close the search box if open (keeping the current search), else clear search and filters."""
        if self._search_open():
            self._close_search()
            self._focus_pane("queue")
        elif self.filters.active:
            self._apply_filters(self.filters.cleared())
            self.notify("Search and filters cleared.", markup=False)

    def in_footer(self, action: str) -> bool:
        """Keys the footer lists only where they apply: N always, P with a case that has parties,
        D for those who may see the dashboard, A for approvers or while an approval is pending."""
        if action == "open_action('new_case')":
            return True
        if action == "open_action('edit_party')":
            return bool(getattr(self.case, "parties", None))
        me = getattr(self.desk, "me", None)
        if action == "dashboard":
            from deskapp.core.roles import allowed

            return me is not None and allowed(me, "dashboard.view")
        if action == "approvals":
            header = self.query("#header")
            waiting = bool(header) and bool(getattr(header.first(), "waiting", ""))
            return bool(getattr(me, "can_approve", False)) or waiting
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_search":
            return self.filters.active or self._search_open()
        return True

    def action_hide_column(self) -> None:
        queue_columns.hide(self.app, self.query_one("#queue", QueueView))

    def action_show_column(self) -> None:
        queue_columns.show(self.app, self.query_one("#queue", QueueView))

    def action_resize_column(self, step: int) -> None:
        queue_columns.resize(self.app, self.query_one("#queue", QueueView), step)

    def action_refresh(self) -> None:
        queue_query.reload(self.query_one("#queue"))
        if self.wanted_case_id is not None:
            self._start_case_load(self.wanted_case_id)

    # --- the selected case ------------------------------------------------

    def on_queue_view_highlighted(self, message: QueueView.Highlighted) -> None:
        case_id = message.case_id
        pinned, self._pinned_case_id = self._pinned_case_id, None
        if pinned is not None and case_id != pinned:
            # The queue was re-read after an action and its cursor landed elsewhere (the case may
            # have left this filter, e.g. closed): keep showing the case just worked on.
            return
        self.select_case(case_id)

    def on_queue_view_selected(self, message: QueueView.Selected) -> None:
        case_id = message.case_id
        if case_id != self.wanted_case_id:
            self.select_case(case_id, delay=0)
        self._focus_pane("case")

    def select_case(self, case_id: int, delay: float | None = None) -> None:
        """Show `case_id` (loaded in a worker after a short pause, so fast scrolling stays cheap)."""
        self.wanted_case_id = case_id
        if self._load_timer is not None:
            self._load_timer.stop()
        delay = self.CASE_LOAD_DELAY if delay is None else delay
        if delay <= 0:
            self._start_case_load(case_id)
        else:
            self._load_timer = self.set_timer(delay, lambda: self._start_case_load(case_id))

    def _start_case_load(self, case_id: int) -> None:
        if case_id != self.wanted_case_id:
            return
        self.query_one(CasePane).show_loading(case_id)
        self._load_case(case_id)

    @work(thread=True, exclusive=True, group="case-load", exit_on_error=False)
    def _load_case(self, case_id: int) -> None:
        worker = get_current_worker()
        try:
            desk = self.app.opened_desk()  # the first screen may come up before the rest of the desk
            from deskapp.actions import load_case, standing

            case = load_case(desk, case_id)
            advice = standing(desk, case)
        except Exception as exc:  # noqa: BLE001 - shown to the handler as one line, never a traceback
            log.exception("loading case %s failed", case_id)
            if not worker.is_cancelled:
                self.post_message(self.CaseFailed(case_id, _friendly_error(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.CaseLoaded(case_id, case, advice))

    def on_main_screen_case_loaded(self, message: "MainScreen.CaseLoaded") -> None:
        if message.case_id != self.wanted_case_id:
            return  # the handler has moved on
        home, self._home_case_id = message.case_id == self._home_case_id, None
        self.case = message.case
        self.standing = message.standing
        self.query_one(CasePane).show_case(message.case, home=home)
        self.query_one(PolicySidebar).show_standing(message.standing, message.case)
        self._render_pane_tabs()
        self.refresh_bindings()  # the footer lists P (edit party) only for a case with parties

    def on_main_screen_case_failed(self, message: "MainScreen.CaseFailed") -> None:
        if message.case_id != self.wanted_case_id:
            return
        self.case = None
        self.standing = None
        self.query_one(CasePane).show_message(f"Could not load the case: {message.error}")
        self.query_one(PolicySidebar).clear()
        self._render_pane_tabs()
        self.notify(message.error, title="Could not load the case", severity="error", markup=False)

    # --- actions -----------------------------------------------------------

    def action_open_action(self, form: str) -> None:
        """Open the form for a desk action; its result (an Outcome or None) comes back to `_action_done`."""
        action = desk_action(form)
        if action is None:
            return
        if action.needs_case and self.case is None:
            waiting = self.wanted_case_id is not None
            self.notify("The case is still loading: try again in a moment." if waiting
                        else "Select a case in the queue first.", severity="warning", markup=False)
            return
        if form == "edit_party":
            self._pick_party_to_edit(action.title)
            return
        try:
            from deskapp.tui.forms import open_form
        except ImportError:
            self.notify(f"{action.title}: the action forms are not installed in this build.",
                        severity="error", markup=False)
            return
        from deskapp.actions import why_not  # loaded with the forms, never before the first screen

        refused = why_not(self.desk, form, self.case) if action.needs_case else None
        if refused:  # said before the form opens, not after the handler has filled it in
            self.notify(safe_text(refused, single_line=True), title=f"{action.label}: not now",
                        severity="warning", markup=False)
            return
        try:
            screen = open_form(form, self.desk, self.case if action.needs_case else None)
        except DeskError as exc:
            self.notify(_friendly_error(exc), severity="error", markup=False)
            return
        self.app.push_screen(screen, lambda result: self._action_done(action.title, result))

    def _pick_party_to_edit(self, title: str) -> None:
        from deskapp.tui.screens.pick import PickScreen

        case = self.case
        if not case.parties:
            self.notify("This case has no parties yet: press p to add one.", severity="warning", markup=False)
            return
        choices = []
        for party in case.parties:
            label = line((party.name, "bold"), ("  ", ""), (party.role.replace("_", " "), "$text-muted"),
                         ("  designated" if party.designated else "", "$text-warning"))
            choices.append((label, party.id))

        def chosen(party_id: Any) -> None:
            if party_id is None:
                return
            try:
                from deskapp.tui.forms import open_party_form
            except ImportError:
                self.notify(f"{title}: the action forms are not installed in this build.", severity="error",
                            markup=False)
                return
            try:
                screen = open_party_form(self.desk, case, party_id=party_id)
            except DeskError as exc:
                self.notify(_friendly_error(exc), severity="error", markup=False)
                return
            self.app.push_screen(screen, lambda result: self._action_done(title, result))

        self.app.push_screen(PickScreen("Edit which party?", choices), chosen)

    def _action_done(self, title: str, result: Any) -> None:
        from deskapp.actions import ApprovalRequested, Done

        if result is None:
            return  # cancelled: nothing written, nothing to say
        if isinstance(result, ApprovalRequested):
            self.notify(f"Blocked by policy: approval request #{result.approval_id} sent to a supervisor.",
                        title=title, severity="warning", markup=False)
        elif isinstance(result, Done):
            case = result.case or self.case
            self.notify(f"Saved on {case.ref}." if case is not None else "Saved.", title=title, markup=False)
            self.app.keep_checkpoints()  # a checkpoint if one is now due
        else:
            self.notify(safe_text(str(result), single_line=True)[:200], title=title, markup=False)
        # A new case (N) is opened on the desk, with the queue's cursor on it; any other action
        # stays on its case, which reloads showing its header.
        new_case = getattr(result, "case", None)
        opened = None
        if new_case is not None and getattr(new_case, "id", None) is not None:
            opened = new_case.id if new_case.id != self.wanted_case_id else None
            self.wanted_case_id = new_case.id
        # The forms show live findings while the handler types; afterwards the sidebar keeps what
        # the rules said about the action just taken, for as long as its case is on the desk.
        findings = list(getattr(result, "findings", ()) or ())
        self.query_one(PolicySidebar).show_live(findings, action=f"{title} (last action)",
                                                case_id=self.wanted_case_id)
        self._pinned_case_id = self._home_case_id = self.wanted_case_id
        queue_query.reload(self.query_one("#queue"), keep_id=opened)
        if self.wanted_case_id is not None:
            self._start_case_load(self.wanted_case_id)
