"""A person marked vulnerable on one case shows V on their second case in the queue (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from deskapp.actions import Done, new_case, set_vulnerability
from deskapp.tui.app import DeskApp

from supervision.conftest import team  # noqa: F401 (the fixture: desks on SQLite and PostgreSQL)
from tui_support import fixed_now, screen_lines, settle, wait_until


def _row(app, ref: str) -> str:
    return next((line for line in screen_lines(app) if f" {ref} " in f" {line} "), "")


def _flag(line: str, ref: str) -> str:
    """The V column: the cell just before the ref."""
    before = line[:line.index(ref)].rstrip()
    return before[-1:] if before else ""


async def test_a_vulnerable_person_shows_v_on_their_second_case(team):
    sam = team["sam"]
    first = new_case(sam, kind="complaint", category="repairs", title="Damp", received_at=datetime(2026, 3, 2, 9),
                     party={"role": "resident", "name": "Lee Price", "phone": "07700 900412"})
    lee = first.person_of(first.parties[0].id).id
    second = new_case(sam, kind="complaint", category="repairs", title="Cold radiator",
                      received_at=datetime(2026, 3, 9, 9), party={"role": "resident", "name": "Lee Price"},
                      person_id=lee)
    namesake = new_case(sam, kind="complaint", category="repairs", title="Another Lee",
                        received_at=datetime(2026, 3, 9, 10), party={"role": "resident", "name": "Lee Price"})
    app = DeskApp(sam, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await wait_until(pilot, lambda: _row(app, second.ref))
        assert _flag(_row(app, second.ref), second.ref) != "V"
    assert isinstance(set_vulnerability(sam, first.id, first.version, person_id=lee, vulnerable=True,
                                        reason="Lives alone, recently bereaved"), Done)
    app = DeskApp(sam, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await wait_until(pilot, lambda: _row(app, second.ref) and _row(app, namesake.ref))
        assert _flag(_row(app, second.ref), second.ref) == "V", _row(app, second.ref)
        assert _flag(_row(app, first.ref), first.ref) == "V"
        assert _flag(_row(app, namesake.ref), namesake.ref) != "V", "same name, another person: no V"
