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
    """A database URL fit to show: password hidden, SQLite as its file path.

    Parsed with urllib (SQLAlchemy's URL parser would import SQLAlchemy, ~0.2 s,
    before the first screen).
    """
    from urllib.parse import unquote, urlsplit

    scheme, sep, rest = url.partition("://")
    if not sep or not scheme:
        return url.split("@")[-1]
    backend = scheme.split("+")[0].lower()
    if backend == "sqlite":
        path = rest.split("?")[0]
        path = path[1:] if path.startswith("/") else path
        return f"sqlite {unquote(path) or ':memory:'}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # an odd URL is still shown, without its credentials
        return url.split("@")[-1]
    where = parts.netloc.rpartition("@")[2]  # credentials never shown
    host = where[1:where.find("]")] if where.startswith("[") else where.partition(":")[0]
    host = unquote(host) or "localhost"
    database = unquote(parts.path.lstrip("/"))
    return f"{backend} {host}{f':{port}' if port else ''}/{database}"


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
                 clock: Optional[Callable[[], datetime]] = None, *, id: str | None = None,
                 trial: Optional[str] = None) -> None:
        super().__init__(id=id)
        self.handler = handler
        self.role = role
        self.desk = desk
        self.database = database
        self.clock = clock
        self.trial = trial  # the file of trial rules in force (--policies): said before anything else
        self.waiting = ""  # e.g. "3 approvals waiting (A)": set by the live desk (tui.live), kept until done

    def show_waiting(self, text: str) -> None:
        """The lasting sign of approvals waiting (empty: none); a toast alone is gone in seconds."""
        if text != self.waiting:
            self.waiting = text
            self.refresh()
            self.screen.refresh_bindings()  # the footer lists A while something waits

    def on_mount(self) -> None:
        if self.clock is not None:
            self.set_interval(20, self.refresh)

    def render(self) -> Content:
        width = self.size.width
        trial = (f" TRIAL RULES {self.trial} ", "bold reverse $warning") if self.trial else ("", "")
        # Supervisors and admins see when the desk cannot take audit checkpoints (tui.checkpoint_keeper).
        alert_text = getattr(self.app, "checkpoint_alert", lambda: None)()
        alert = (f" {alert_text} ", "bold reverse $error") if alert_text else ("", "")
        waiting = (f" {self.waiting} ", "bold reverse $warning") if self.waiting else ("", "")
        left = line((" deskapp ", "bold reverse $primary"), alert, trial, waiting, " ", (self.handler, "bold"),
                    (f" ({self.role})", "$text-muted"), ("  desk ", "$text-muted"), self.desk,
                    ("  ", ""), (self.database, "$text-muted"))
        right = Content("")
        if self.clock is not None:
            right = Content.styled(self.clock().strftime("%a %d %b %H:%M "), "bold")
        room = width - right.cell_length
        if left.cell_length > room:
            left = left.truncate(max(room - 1, 0), ellipsis=True)
        return left + Content(" " * max(room - left.cell_length, 0)) + right
