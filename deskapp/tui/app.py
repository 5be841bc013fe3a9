"""DeskApp: the full-screen desk a handler works in all day.

The app owns what is per-handler rather than per-screen: themes (data files,
choice persisted in config.yaml), the keymap (binding ids remapped in
config.yaml), the command palette, the help screen and the injectable clock
(tests and snapshots pin "now"). The main screen does the desk work.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.message import Message

from deskapp.tui.checkpoint_keeper import CheckpointKeeping
from deskapp.tui.bindings import NAVIGATION, action_bindings, app_bindings
from deskapp.tui.commands import DeskCommands
from deskapp.tui.text import safe_text
from deskapp.tui.textual_compat import CrashHook, app_driver, declared_bindings, normalize_keys
from deskapp.tui.themes import DEFAULT_THEME, SIXTEEN_COLOUR_THEME, ThemeSet, load_themes, terminal_colours
from deskapp.tui.userconfig import UserConfig, config_path, load_user_config, save_theme

log = logging.getLogger(__name__)


def write_crash_log(error: Optional[BaseException]) -> Optional[Path]:
    """Write the traceback to <data dir>/crash-<time>.log; None if it cannot be written.

    0600 in folders made 0700 (config.write_whole): a traceback can quote customer text.
    """
    import traceback

    from deskapp.config import data_dir, write_whole
    from deskapp.core.cards import redact_cards

    try:
        path = data_dir() / f"crash-{datetime.now():%Y%m%d-%H%M%S}.log"
        text = "".join(traceback.format_exception(error)) if error is not None else "unknown error\n"
        write_whole(path, redact_cards(text).encode("utf-8"))  # a traceback can quote a card number
        return path
    except OSError:
        return None


def other_screens() -> list[type]:
    """Screens and widgets beyond the main screen whose bindings a handler may remap."""
    from deskapp.tui.screens.filters import FilterScreen
    from deskapp.tui.screens.help import HelpScreen
    from deskapp.tui.screens.pick import PickScreen
    from deskapp.tui.screens.views import ViewNameModal, ViewsScreen

    from deskapp.tui.screens.approvals import ApprovalsScreen
    from deskapp.tui.screens.dashboard import DashboardScreen

    found: list[type] = [FilterScreen, PickScreen, HelpScreen, ApprovalsScreen, DashboardScreen, ViewsScreen,
                         ViewNameModal]
    try:
        from deskapp.tui.forms import ActionForm, BlockedModal, ReasonModal

        found += [ActionForm, ReasonModal, BlockedModal]
    except ImportError:
        pass
    try:
        from deskapp.tui.widgets.queue_view import QueueView

        found.append(QueueView)
    except ImportError:
        pass
    return found


def binding_defaults() -> dict[str, str]:
    """Every binding id a handler may remap (desk screen, panes, forms, app) -> its default keys."""
    from deskapp.tui.bindings import scroll_bindings

    defaults: dict[str, list[str]] = {}
    bindings = [*action_bindings(), *NAVIGATION, *app_bindings(), *scroll_bindings("case"),
                *scroll_bindings("sidebar")]
    for cls in other_screens():
        for group in declared_bindings(cls).key_to_bindings.values():
            bindings += group
    for binding in bindings:
        if binding.id:
            for key in binding.key.split(","):
                defaults.setdefault(binding.id, [])
                if key.strip() not in defaults[binding.id]:
                    defaults[binding.id].append(key.strip())
    return {binding_id: ",".join(keys) for binding_id, keys in defaults.items()}


def known_binding_ids() -> list[str]:
    return list(binding_defaults())


# Bindings active at the same time: the main screen's with whichever pane has focus; each modal alone.
_SCOPES = (("desk", "app", "queue"), ("desk", "app", "case"), ("desk", "app", "sidebar"))


def keymap_clashes(keymap: dict[str, str], defaults: dict[str, str]) -> list[tuple[str, str, str]]:
    """(remapped id, key, id it collides with) for keys that would end up on two bindings at once.

    Textual would silently take the key away from the other binding, so the desk refuses the
    remapping instead and says why.
    """
    final = {bid: normalize_keys(keymap.get(bid, keys)).split(",") for bid, keys in defaults.items()}
    prefixes = {bid.split(".")[0] for bid in defaults}
    scopes = list(_SCOPES) + [(p,) for p in sorted(prefixes) if not any(p in scope for scope in _SCOPES)]
    clashes = []
    for remapped in keymap:
        scope = [sc for sc in scopes if remapped.split(".")[0] in sc]
        for key in final.get(remapped, []):
            for other, keys in final.items():
                if other == remapped or key not in keys:
                    continue
                if any(other.split(".")[0] in sc for sc in scope):
                    clashes.append((remapped, key, other))
    return clashes


def choose_theme(explicit: Optional[str], configured: Optional[str], available: Iterable[str],
                 environ: Optional[Mapping[str, str]] = None) -> tuple[str, Optional[str]]:
    """(theme to use, a notice or None). --theme beats config.yaml beats the terminal's colours."""
    names = list(available)
    if explicit:
        if explicit in names:
            return explicit, None
        fallback = SIXTEEN_COLOUR_THEME if terminal_colours(environ) < 256 else DEFAULT_THEME
        return fallback, f"theme {explicit!r} not found; using {fallback} (themes: {', '.join(names)})"
    if configured:
        if configured in names:
            return configured, None
        fallback = SIXTEEN_COLOUR_THEME if terminal_colours(environ) < 256 else DEFAULT_THEME
        return fallback, f"theme {configured!r} from config.yaml not found; using {fallback}"
    if terminal_colours(environ) < 256 and SIXTEEN_COLOUR_THEME in names:
        return SIXTEEN_COLOUR_THEME, None
    return (DEFAULT_THEME if DEFAULT_THEME in names else "textual-dark"), None


class DeskApp(CrashHook, CheckpointKeeping, App):
    """The desk. `desk` comes from deskapp.actions.open_desk; everything else is optional.

    theme:      a theme name that overrides the saved choice (the --theme option)
    now:        clock for the desk (tests and snapshots pin it)
    show_clock: False hides the clock in the header (snapshots)
    database_label: what the header says about the database (default: from the URL, password hidden)
    """

    TITLE = "deskapp"
    BINDINGS = app_bindings()
    COMMANDS = App.COMMANDS | {DeskCommands}
    CSS = """
    Screen { background: $background; }
    Toast { max-width: 70; }
    """

    def __init__(self, desk: Any, *, theme: Optional[str] = None,
                 now: Optional[Callable[[], datetime]] = None, show_clock: bool = True,
                 database_label: Optional[str] = None,
                 config_file: Optional[Path] = None, theme_folders: Optional[list[Path]] = None,
                 environ: Optional[Mapping[str, str]] = None, live: Optional[bool] = None) -> None:
        super().__init__()
        # Thin clients over SSH: no animation, so a keystroke sends one small redraw.
        self.animation_level = "none"
        self.desk = desk
        if now is not None:
            desk.clock = now
        self.show_clock = show_clock
        self.live = live  # change feed + presence (deskapp.tui.live); None: on unless headless (tests)
        self.database_label = database_label
        self.notices: list[tuple[str, str]] = []  # (severity, one-line message) shown once mounted
        # Set when a desk that was still opening (deskapp.actions.opening) could not open: the app
        # closes and the `deskapp` command prints this as its one-line error.
        self.open_error: Optional[Exception] = None
        self._persist_theme = False
        self._opening: Any = None  # the desk-opening worker, once started (open_pending_desk)
        self._clashes_reported: set[frozenset[str]] = set()

        self.config_file = config_file or config_path()
        self.theme_set: ThemeSet = load_themes(theme_folders)
        for warning in self.theme_set.warnings:
            self.notices.append(("warning", warning))
        for desk_theme in self.theme_set.themes:
            self.register_theme(desk_theme)

        self.user_config: UserConfig = load_user_config(self.config_file)
        keymap: dict[str, str] = {}
        if self.user_config.keys:
            # Only a keymap needs every screen's and form's bindings: collecting them imports all
            # the forms (~40 ms of start-up CPU), which a desk without a `keys:` section skips.
            defaults = binding_defaults()
            keymap = self.user_config.check_binding_ids(defaults)
            for remapped, key, other in keymap_clashes(keymap, defaults):
                if remapped in keymap:
                    del keymap[remapped]
                    self.user_config.problem(self.user_config.key_lines.get(remapped),
                                             f"keys: {remapped}: {key} is already the key for {other}; "
                                             f"{remapped} keeps {defaults[remapped]}")
        for problem in self.user_config.problems:
            self.notices.append(("error", problem))
        if keymap:
            self.set_keymap(keymap)

        # Desk themes first; Textual's own (offered by the palette's theme picker) are valid choices too.
        available = [*self.theme_set.names, *(n for n in self.available_themes if n not in self.theme_set.names)]
        chosen, notice = choose_theme(theme, self.user_config.theme, available, environ)
        if notice:
            self.notices.append(("warning", notice))
        self.theme = chosen

    def get_driver_class(self):
        """Textual's driver for this terminal, sending only style changes (deskapp.tui.terminal.lean_driver)."""
        driver = super().get_driver_class()
        from textual.drivers.linux_driver import LinuxDriver

        from deskapp.tui.terminal.lean_driver import lean, wants_lean_output

        if isinstance(driver, type) and issubclass(driver, LinuxDriver) and wants_lean_output():
            return lean(driver)
        return driver

    # --- lifecycle ---------------------------------------------------------

    class DeskOpened(Message):
        """The desk that was still opening has opened (desk) or could not (error)."""

        def __init__(self, desk: Any, error: Optional[BaseException]) -> None:
            super().__init__()
            self.desk = desk
            self.error = error

    @property
    def desk_pending(self) -> bool:
        """The desk is still opening (a deskapp.actions.opening.PendingDesk)."""
        from deskapp.actions.opening import PendingDesk

        return isinstance(self.desk, PendingDesk)

    def opened_desk(self) -> Any:
        """The opened desk, waiting for it if it is still opening (raises what stopped it)."""
        return self.desk.wait() if self.desk_pending else self.desk

    def on_mount(self) -> None:
        from deskapp.tui.screens.main import MainScreen

        self.push_screen(MainScreen(self.desk))
        if self.desk_pending:
            # Open the rest of the desk once the first screen is up (as soon as the queue is
            # painted: on_queue_view_counted; this timer is the fallback), then swap it in.
            self.set_timer(0.5, self.open_pending_desk)
        else:
            self._go_live()
            self.call_after_refresh(self.startup_done)
            self.call_after_refresh(self.start_checkpoints)
        for severity, message in self.notices:
            self.notify(message, severity=severity, timeout=12, markup=False)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._persist_theme = True
        self._watch_hangup()

    def on_queue_view_counted(self, message) -> None:
        """The first rows are on screen: now open the rest of the desk (it needs the CPU Textual just used)."""
        if self.desk_pending:
            self.call_after_refresh(self.open_pending_desk)

    def open_pending_desk(self) -> None:
        """Open the desk that is still opening, in the desk-opening worker (once)."""
        if self.desk_pending and self._opening is None:
            self._opening = self._open_desk(self.desk)

    def startup_done(self) -> None:
        """Start-up is over: its objects live as long as the desk, so they leave the garbage
        collector's sight (gc.freeze), and collection, held off while starting (run_desk), resumes."""
        import gc

        if not gc.isenabled():
            gc.freeze()
            gc.enable()

    def _go_live(self) -> None:
        if self.live or (self.live is None and not self.is_headless):
            from deskapp.tui.live import attach_live

            self.call_after_refresh(attach_live, self)

    @work(thread=True, exclusive=True, group="desk-opening", exit_on_error=False)
    def _open_desk(self, pending: Any) -> None:
        """Open the rest of the desk (imports, the ORM, the rules: ~0.5 s of CPU); post DeskOpened."""
        try:
            desk, error = pending.wait(), None
        except BaseException as exc:  # noqa: BLE001 - reported below as one line
            desk, error = None, exc
        self.post_message(self.DeskOpened(desk, error))

    def on_desk_app_desk_opened(self, message: "DeskApp.DeskOpened") -> None:
        from deskapp.errors import DeskError

        pending = self.desk
        if message.error is not None:
            error = message.error
            if not isinstance(error, DeskError):
                path = write_crash_log(error)
                first = str(error).splitlines()[0] if str(error) else ""
                error = DeskError(f"could not open the desk ({type(error).__name__}: {first[:200]})"
                                  + (f"; details in {path}" if path else ""))
            self.open_error = error
            self.startup_done()
            self.exit(return_code=error.exit_code)
            return
        self.desk = message.desk
        self.startup_done()
        for screen in self.screen_stack:
            if getattr(screen, "desk", None) is pending:
                screen.desk = message.desk
            desk_opened = getattr(screen, "desk_opened", None)
            if callable(desk_opened):
                desk_opened(message.desk)
        self._go_live()
        self.start_checkpoints()

    def _watch_hangup(self) -> None:
        """Leave cleanly when the terminal goes away (SSH drop, closed window) or on SIGTERM."""
        if not self.is_headless:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGHUP, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, self._terminal_gone, sig)
                except (NotImplementedError, RuntimeError, ValueError):
                    pass
            from deskapp.tui.hangup import TerminalWatch

            TerminalWatch(self).start()  # a hang-up whose SIGHUP a parent shell kept to itself

    def _terminal_gone(self, sig: int) -> None:
        from deskapp.tui.hangup import leave

        leave(self, sig)  # save drafts, sign off, exit (directly if the terminal is gone)

    # --- themes ------------------------------------------------------------

    def _theme_changed(self, theme) -> None:
        if not self._persist_theme:
            return
        problem = save_theme(theme.name, self.config_file)
        if problem:
            self.notify(problem, severity="warning", markup=False)

    def action_cycle_theme(self) -> None:
        names = self.theme_set.names or [self.theme]
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", timeout=3, markup=False)

    def action_redraw(self) -> None:
        """Draw every cell again: the desk's driver sends only changed cells, so a screen spoiled by
        something else (line noise, a message written to the terminal) is put right only by this."""
        forget = getattr(app_driver(self), "forget_screen", None)
        if forget is not None:
            forget()
        for screen in self.screen_stack:
            screen.refresh()

    def get_system_commands(self, screen):
        """Textual's own palette commands, minus its key panel (the desk's `?` help replaces it)."""
        for command in super().get_system_commands(screen):
            if command.title not in ("Keys", "Maximize"):
                yield command

    # --- help and keys -----------------------------------------------------

    def action_help(self) -> None:
        from deskapp.tui.screens.help import HelpScreen, binding_catalogue
        from deskapp.tui.screens.main import MainScreen

        base = self.screen
        for screen in reversed(self.screen_stack):
            if isinstance(screen, MainScreen):
                base = screen
                break
        extra = [cls for cls in other_screens() if cls is not HelpScreen and cls.__name__ != "QueueView"]
        sections = binding_catalogue(self, base, extra=extra)
        self.push_screen(HelpScreen(sections, str(self.config_file)))

    def handle_bindings_clash(self, clashed_bindings: set[Binding], node) -> None:
        """Two bindings on one key after the handler's keymap: say so once, naming the ids."""
        ids = frozenset(b.id or b.action for b in clashed_bindings)
        if ids in self._clashes_reported:
            return
        self._clashes_reported.add(ids)
        keys = ", ".join(sorted({b.key for b in clashed_bindings}))
        self.notify(f"{self.config_file}: key {keys} is used by more than one binding "
                    f"({', '.join(sorted(ids))}); check your keys: section",
                    severity="warning", timeout=12, markup=False)

    def action_approvals(self) -> None:
        from deskapp.tui.screens.approvals import ApprovalsScreen

        if not any(isinstance(screen, ApprovalsScreen) for screen in self.screen_stack):
            self.push_screen(ApprovalsScreen(self.opened_desk()))

    def action_dashboard(self) -> None:
        from deskapp.core.roles import allowed
        from deskapp.tui.screens.dashboard import DashboardScreen

        if not allowed(self.desk.me, "dashboard.view"):
            self.notify("The team dashboard is for supervisors and admins.", severity="warning", markup=False)
            return
        if not any(isinstance(screen, DashboardScreen) for screen in self.screen_stack):
            self.push_screen(DashboardScreen(self.opened_desk()))

    def action_people(self, text: str = "") -> None:
        """Find persons across cases; choosing one of their cases opens it on the desk. After a `/` search
        that matched persons, People opens with that search."""
        from deskapp.tui.screens.main import MainScreen
        from deskapp.tui.screens.people import PeopleScreen

        if not text and isinstance(self.screen, MainScreen):
            text = self.screen.people_hint

        self._push_case_chooser(PeopleScreen, lambda: PeopleScreen(self.opened_desk(), text))

    def action_today(self) -> None:
        """Today's appointments; choosing one opens its case on the desk."""
        from deskapp.tui.screens.today import TodayScreen

        self._push_case_chooser(TodayScreen, lambda: TodayScreen(self.opened_desk()))

    def _push_case_chooser(self, kind: type, make: Callable[[], Any]) -> None:
        """Show a screen that answers with a case id (once: not if one is already open); open that case."""
        from deskapp.tui.screens.main import MainScreen

        if any(isinstance(screen, kind) for screen in self.screen_stack):
            return

        def chosen(case_id: Any) -> None:
            main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
            if case_id is not None and main is not None:
                main.select_case(case_id, delay=0)
                main.action_show_pane("case")

        self.push_screen(make(), chosen)

    # --- a bug must not print a traceback over the handler's terminal --------

    def crashed(self, error: Optional[BaseException]) -> None:
        """An unexpected error: the traceback goes to a crash file, the terminal gets one line.

        (Instead of Textual's handler, which prints a full traceback with local
        variables - customer text included - on exit: textual_compat.CrashHook.)
        """
        path = write_crash_log(error)
        where = f"; details in {path}" if path else ""
        first = str(error).splitlines()[0] if error is not None and str(error) else ""
        message = f"deskapp: internal error ({type(error).__name__}: {first[:200]}){where}"
        from rich.text import Text

        self.bell()
        self.panic(Text(safe_text(message, single_line=True), style="bold red"))

    # --- helpers -----------------------------------------------------------

    def now(self) -> datetime:
        return self.desk.now()
