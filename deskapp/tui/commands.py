"""Command palette (ctrl+p): every desk action and navigation command, findable by name.

Built from the same binding table as the footer and help, and it shows each
command's current key, so the palette also teaches the keyboard.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any, Callable, Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from deskapp.tui.bindings import DESK_ACTIONS, NAVIGATION
from deskapp.tui.screens.help import current_keys


def _read_views(app: Any) -> list:
    """The handler's saved views and the team's, for the palette (a thread: this reads the database)."""
    from deskapp.actions.saved_views import list_views

    try:
        return [view for view in list_views(app.opened_desk()) if not view.broken]
    except Exception:  # noqa: BLE001 - no views in the palette is better than no palette
        return []


class DeskCommands(Provider):
    """Desk actions (log a contact, ...), navigation (search, filters, panes), app commands and saved views."""

    views: list = []

    async def startup(self) -> None:
        """Read the saved views once per palette opening, off the screen's thread."""
        from deskapp.tui.screens.main import MainScreen

        self.views = await asyncio.to_thread(_read_views, self.app) if isinstance(self.screen, MainScreen) else []

    def _view_commands(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        """'Open saved view: Overdue (team (by priya))' for each view; it opens on the desk."""
        for number, view in enumerate(self.views, 1):
            where = f"v {number}" if number <= 9 else "v"
            yield (f"Open saved view: {view.name} ({view.scope})", f"{where} · saved view",
                   partial(self.screen.open_view, view))

    def _commands(self) -> Iterator[tuple[str, str, str]]:
        """(title, help, action on the main screen) for every command."""
        app = self.app
        from deskapp.tui.bindings import action_bindings, app_bindings

        by_id = {b.id: b for b in [*action_bindings(), *NAVIGATION, *app_bindings()]}
        for action in DESK_ACTIONS:
            binding = by_id[action.id]
            yield action.title, f"{current_keys(app, binding)} · {action.id}", binding.action
        for binding in NAVIGATION:
            yield binding.tooltip, f"{current_keys(app, binding)} · {binding.id}", binding.action
        for binding in app_bindings():
            if binding.action == "command_palette":
                continue
            yield binding.tooltip, f"{current_keys(app, binding)} · {binding.id}", f"app.{binding.action}"

    async def _run(self, action: str) -> None:
        await self.screen.run_action(action)

    def _all(self) -> Iterator[tuple[str, str, Callable[[], Any], bool]]:
        """(title, help, run, trusted): a saved view's title holds handler text, never read as markup."""
        for title, help_text, action in self._commands():
            yield title, help_text, partial(self.app.call_later, self._run, action), True
        for title, help_text, run in self._view_commands():
            yield title, help_text, run, False

    async def discover(self) -> Hits:
        for title, help_text, run, trusted in self._all():
            yield DiscoveryHit(title if trusted else Content(title), run, text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, run, trusted in self._all():
            score = max(matcher.match(title), matcher.match(help_text) * 0.8)
            if score > 0:
                shown = matcher.highlight(title) if trusted else _highlight_plain(matcher, title)
                yield Hit(score, shown, run, text=title, help=help_text)


def _highlight_plain(matcher: Any, title: str) -> Content:
    """The fuzzy match in reverse video, in text shown literally (Matcher.highlight would parse it as markup)."""
    content = Content(title)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, title)
    for offset in offsets:
        if not title[offset].isspace():
            content = content.stylize("reverse", offset, offset + 1)
    return content
