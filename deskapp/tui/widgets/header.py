"""The one-line desk header: who is working, at which desk, on which database, and the time.

A handler's display name and the desk name come from the database and the
environment, so they are shown literally. Passwords in database URLs are
never shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Optional

from textual.content import Content
from textual.widget import Widget

from deskapp.tui.text import line


def display_db(url: str) -> str:
    """A database URL fit to show: password hidden, SQLite as its file path."""
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - an odd URL is still shown, just unparsed
        return url.split("@")[-1]
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite {parsed.database or ':memory:'}"
    host = parsed.host or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.get_backend_name()} {host}{port}/{parsed.database or ''}"


class DeskHeader(Widget):
    """Handler (role) · desk · database, with the clock on the right (hidden when `clock` is None)."""

    DEFAULT_CSS = """
    DeskHeader {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, handler: str, role: str, desk: str, database: str,
                 clock: Optional[Callable[[], datetime]] = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.handler = handler
        self.role = role
        self.desk = desk
        self.database = database
        self.clock = clock

    def on_mount(self) -> None:
        if self.clock is not None:
            self.set_interval(20, self.refresh)

    def render(self) -> Content:
        width = self.size.width
        left = line((" deskapp ", "bold reverse $primary"), " ", (self.handler, "bold"),
                    (f" ({self.role})", "$text-muted"), ("  desk ", "$text-muted"), self.desk,
                    ("  ", ""), (self.database, "$text-muted"))
        right = Content("")
        if self.clock is not None:
            right = Content.styled(self.clock().strftime("%a %d %b %H:%M "), "bold")
        room = width - right.cell_length
        if left.cell_length > room:
            left = left.truncate(max(room - 1, 0), ellipsis=True)
        return left + Content(" " * max(room - left.cell_length, 0)) + right
