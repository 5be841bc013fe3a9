"""Command palette (ctrl+p): every desk action and navigation command, findable by name.

Built from the same binding table as the footer and help, and it shows each
command's current key, so the palette also teaches the keyboard.
"""

from __future__ import annotations

from functools import partial
from typing import Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider

from deskapp.tui.bindings import DESK_ACTIONS, NAVIGATION
from deskapp.tui.screens.help import current_keys


class DeskCommands(Provider):
    """Desk actions (log a contact, ...), navigation (search, filters, panes) and app commands."""

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

    async def discover(self) -> Hits:
        for title, help_text, action in self._commands():
            yield DiscoveryHit(title, partial(self.app.call_later, self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in self._commands():
            score = max(matcher.match(title), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.call_later, self._run, action),
                          text=title, help=help_text)
