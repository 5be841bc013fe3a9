"""Read what a running app shows as plain text lines (for layout assertions and debugging)."""

from __future__ import annotations

from textual.app import App


def screen_lines(app: App) -> list[str]:
    """The visible screen, one string per terminal row (the top screen, modals included)."""
    strips = app.screen._compositor.render_strips()
    return [strip.text for strip in strips]


def screen_text(app: App) -> str:
    return "\n".join(screen_lines(app))
