"""People across cases on the desk (SQLite and PostgreSQL): a person marked vulnerable shows V on their second
case in the queue; the case pane lists the persons' other cases and `o` opens them."""

from __future__ import annotations

from datetime import datetime

from deskapp.actions import Done, new_case, set_vulnerability
from deskapp.tui.app import DeskApp

from supervision.conftest import team  # noqa: F401 (the fixture: desks on SQLite and PostgreSQL)
from tui_support import fixed_now, screen_lines, screen_text, settle, wait_until


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


async def test_the_case_pane_lists_the_persons_other_cases_and_o_opens_them(team):
    from deskapp.tui.screens.main import MainScreen
    from deskapp.tui.screens.people import PeopleScreen

    sam = team["sam"]
    first = new_case(sam, kind="complaint", category="repairs", title="Damp", received_at=datetime(2026, 3, 2, 9),
                     party={"role": "resident", "name": "Lee Price"})
    lee = first.person_of(first.parties[0].id).id
    second = new_case(sam, kind="complaint", category="repairs", title="Cold radiator",
                      received_at=datetime(2026, 3, 9, 9), party={"role": "resident", "name": "Lee Price"},
                      person_id=lee)
    app = DeskApp(sam, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.select_case(first.id, delay=0)
        await wait_until(pilot, lambda: app.screen.case is not None and app.screen.case.ref == first.ref)
        await wait_until(pilot, lambda: "Other cases of Lee Price" in screen_text(app))
        row = next((line for line in screen_lines(app) if second.ref in line and "(resident)" in line), "")
        assert "new" in row and "Cold radiator" in row, screen_text(app)
        await pilot.press("o")  # only one other case: it opens
        await wait_until(pilot, lambda: app.screen.case is not None and app.screen.case.ref == second.ref)
        assert isinstance(app.screen, MainScreen)
    third = new_case(sam, kind="enquiry", category="rent", title="Rent statement", received_at=datetime(2026, 3, 9, 10),
                     party={"role": "customer", "name": "Lee Price"}, person_id=lee)
    app = DeskApp(sam, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.select_case(first.id, delay=0)
        await wait_until(pilot, lambda: app.screen.case is not None and app.screen.case.ref == first.ref
                         and third.ref in screen_text(app))
        await pilot.press("o")  # two: the chooser
        await wait_until(pilot, lambda: isinstance(app.screen, PeopleScreen) and "Lee Price" in screen_text(app))


async def test_a_search_that_reads_as_a_person_says_so_and_u_opens_people_with_it(team):
    from deskapp.tui.screens.people import PeopleScreen

    sam = team["sam"]
    first = new_case(sam, kind="complaint", category="repairs", title="Damp", received_at=datetime(2026, 3, 2, 9),
                     party={"role": "resident", "name": "Lee Price", "phone": "07700 900412"})
    lee = first.person_of(first.parties[0].id).id
    second = new_case(sam, kind="complaint", category="repairs", title="Cold radiator",
                      received_at=datetime(2026, 3, 9, 9), party={"role": "resident", "name": "Lee"}, person_id=lee)
    app = DeskApp(sam, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"+44 7700 900412", "enter")
        await wait_until(pilot, lambda: any("u to see them" in n.message for n in app._notifications))
        told = [n.message for n in app._notifications if "u to see them" in n.message]
        assert told == ["1 person matches “+44 7700 900412”: u to see them"]
        await wait_until(pilot, lambda: "2 matches" in screen_text(app))
        assert second.ref in screen_text(app), "the case that records no phone is his too"
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, PeopleScreen) and "Lee Price" in screen_text(app))
        assert app.screen.query_one("#people-search").value == "+44 7700 900412"


async def test_the_vulnerable_filter_shows_the_persons_second_case(team):
    from textual.widgets import Checkbox

    from deskapp.tui.screens.filters import FilterScreen

    sam = team["sam"]
    first = new_case(sam, kind="complaint", category="repairs", title="Damp", received_at=datetime(2026, 3, 2, 9),
                     party={"role": "resident", "name": "Lee Price"})
    lee = first.person_of(first.parties[0].id).id
    second = new_case(sam, kind="complaint", category="repairs", title="Cold radiator",
                      received_at=datetime(2026, 3, 9, 9), party={"role": "resident", "name": "Lee Price"},
                      person_id=lee)
    other = new_case(sam, kind="complaint", category="repairs", title="Fence", received_at=datetime(2026, 3, 9, 10),
                     party={"role": "customer", "name": "Joan Smith"})
    set_vulnerability(sam, first.id, first.version, person_id=lee, vulnerable=True, reason="Lives alone")
    app = DeskApp(sam, now=fixed_now, show_clock=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        main = app.screen
        await wait_until(pilot, lambda: _row(app, other.ref))
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, FilterScreen))
        app.screen.query_one("#filter-vulnerable", Checkbox).value = True
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: main.filters.vulnerable and "2 cases" in screen_text(app))
        assert "vulnerable" in main.query_one("#queue-title").content.plain
        assert _flag(_row(app, second.ref), second.ref) == "V" and not _row(app, other.ref)
