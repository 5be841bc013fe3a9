"""Helpers for the desk UI tests: a pinned clock, a fake desk, screen reading, waiting.

Snapshots and Pilot tests must not depend on the machine: the clock is fixed at
Tue 10 Mar 2026 11:00 and the header clock is hidden.
(A plain module, not a package: tests/ must not land on sys.path, or tests/queue
would shadow the standard library's queue module.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable, Optional

from textual.app import App

NOW = datetime(2026, 3, 10, 11, 0)
TODAY = date(2026, 3, 10)
DEMO_CASES = 30
DEMO_USER = "sam"


def fixed_now() -> datetime:
    return NOW


@dataclass(frozen=True)
class FakeHandler:
    id: int = 1
    username: str = "sam"
    display_name: str = "Sam Okafor"
    role: str = "handler"


@dataclass
class FakeDesk:
    """Just enough of deskapp.actions.Desk for screens that never reach the database."""

    me: FakeHandler = field(default_factory=FakeHandler)
    db_url: str = "sqlite:////srv/desk/deskapp.db"
    name: str = "desk-7"
    clock: Callable[[], datetime] = fixed_now
    queue: object = None
    via: Optional[str] = None
    trial_rules: Optional[str] = None

    def now(self) -> datetime:
        return self.clock()

    def close(self) -> None:
        pass


def case_id(desk, ref: str) -> int:
    """Test-side lookup of a case id by ref (the UI itself never runs SQL)."""
    from sqlalchemy import select

    from deskapp.store.models import Case

    with desk.session() as session:
        return session.execute(select(Case.id).where(Case.ref == ref)).scalar_one()


async def settle(pilot, app) -> None:
    """Wait until workers are done and their messages handled.

    A worker cancelled because a newer one of its exclusive group started (the
    case-load worker when another case opens) is done, not a failure; Textual's
    wait raises WorkerCancelled for it, so wait again for the rest.
    """
    from textual.worker import WorkerCancelled

    for _ in range(3):
        for _attempt in range(20):
            try:
                await app.workers.wait_for_complete()
                break
            except WorkerCancelled:
                await pilot.pause()
        await pilot.pause()


def screen_lines(app: App) -> list[str]:
    """The visible screen, one string per terminal row (the top screen, modals included)."""
    strips = app.screen._compositor.render_strips()
    return [strip.text for strip in strips]


def screen_text(app: App) -> str:
    return "\n".join(screen_lines(app))


async def wait_until(pilot, condition, timeout: float = 10.0) -> None:
    """Pump the app until `condition()` holds (fails the test after `timeout` seconds)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the desk")
        await pilot.pause(0.05)


async def pick_in_queue(pilot, app, desk, ref: str):
    """Move the queue's cursor to `ref` as a handler would, and wait for the case to load.

    Waits for the first case (the queue's top row) to load first, so a late
    Highlighted from start-up cannot replace the case we asked for.
    """
    screen = app.screen
    view = screen.query_one("#queue")
    await wait_until(pilot, lambda: view.total is not None and screen.case is not None)
    index = view.queue.index_of(case_id(desk, ref))
    assert index is not None, f"{ref} is not in the queue"
    view.move_cursor(index)
    await wait_until(pilot, lambda: screen.case is not None and screen.case.ref == ref)
    await settle(pilot, app)
    return screen


def pyte_looks(screen) -> list[list[tuple]]:
    """What each cell of a pyte screen (a terminal emulator apart from the desk) looks like: character,
    colours and attributes; a blank by its background alone, unless reverse video or a line shows its
    text colour too (deskapp.tui.terminal.cells does not resend blanks whose unseen text colour alone changed)."""
    looks = []
    for y in range(screen.lines):
        row = []
        for x in range(screen.columns):
            cell = screen.buffer[y][x]
            if cell.data == " " and not (cell.reverse or cell.underscore or cell.strikethrough):
                row.append((" ", cell.bg))
            else:
                row.append((cell.data, cell.fg, cell.bg, cell.bold, cell.italics, cell.underscore,
                            cell.strikethrough, cell.reverse, cell.blink))
        looks.append(row)
    return looks
