"""Saved views on the desk: save the queue's filter as a view, reopen the desk, open it with `v` and a digit."""

from __future__ import annotations

from deskapp.actions import open_desk
from deskapp.actions.queue import desk_queue, query_from_filters
from deskapp.actions.saved_views import list_views, publish_view, save_view
from deskapp.core.saved_views import ViewSpec
from deskapp.tui.app import DeskApp
from deskapp.tui.filters import QueueFilters
from deskapp.tui.screens.main import MainScreen
from deskapp.tui.screens.views import ViewNameModal, ViewsScreen

from tui_support import DEMO_USER, fixed_now, screen_text, settle, wait_until


def refs_for(desk, filters: QueueFilters) -> list[str]:
    queue = query_from_filters(desk_queue(desk), filters)
    return [row.ref for row in queue.rows(0, queue.count())]


def shown_refs(screen) -> list[str]:
    view = screen.query_one("#queue")
    return [row.ref for row in view.queue.rows(0, view.total)]


def title_of(screen) -> str:
    return screen.query_one("#queue-title").content.plain


async def test_save_the_filtered_queue_then_open_it_on_a_new_desk_by_v_and_its_number(demo_desk, demo_url):
    wanted = QueueFilters(overdue=True, sort="priority")
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        main = app.screen
        await pilot.press("f")
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "FilterScreen")
        await pilot.press("tab", "enter")  # Overdue
        app.screen.query_one("#filter-sort").focus()
        await pilot.press("down", "enter", "ctrl+s")  # by priority
        await wait_until(pilot, lambda: main.filters == wanted)
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, ViewsScreen) and app.screen.views is not None)
        assert "No saved views yet" in screen_text(app)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ViewNameModal))
        await pilot.press(*"Overdue first", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen) and main.view_name == "Overdue first")
        await settle(pilot, app)
        assert title_of(main).startswith("“Overdue first” ")
    (saved,) = list_views(demo_desk)
    assert (saved.name, saved.spec) == ("Overdue first", wanted.spec())

    desk = open_desk(demo_url, None, DEMO_USER, clock=fixed_now)  # the desk reopened: the view is in the database
    try:
        app = DeskApp(desk, now=fixed_now, show_clock=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            main = app.screen
            assert main.view_name is None and main.filters == QueueFilters()
            await pilot.press("v", "1")  # the digit may come before the list: it is kept until the list is in
            await wait_until(pilot, lambda: isinstance(app.screen, MainScreen) and main.view_name == "Overdue first")
            await wait_until(pilot, lambda: main.query_one("#queue").total is not None)
            await settle(pilot, app)
            assert main.filters == wanted
            expected = refs_for(desk, wanted)
            assert expected and shown_refs(main) == expected, "the view shows exactly the filter's rows"
            assert title_of(main).startswith(f"“Overdue first” {len(expected)} case")
            assert len(title_of(main)) <= main.query_one("#queue-pane").content_region.width
            await pilot.press("f", "ctrl+s")  # any other change of filter leaves the view
            await wait_until(pilot, lambda: main.view_name is None)
    finally:
        desk.close()


async def test_picker_numbers_team_views_after_mine_refuses_a_broken_one_and_deletes_with_d_twice(
        demo_desk, demo_url):
    from deskapp.store.engine import connect
    from deskapp.store.models import SavedView
    from sqlmodel import Session

    engine = connect(demo_url)
    with Session(engine) as s, s.begin():
        s.add(SavedView(owner_id=demo_desk.me.id, name="Zed [b]old[/b]", spec={"statuses": ["gone"]}))
    engine.dispose()
    supervisor = open_desk(demo_url, None, "priya", clock=fixed_now)  # the demo's supervisor
    publish_view(supervisor, "Due soon", ViewSpec(due_soon=True))
    supervisor.close()
    save_view(demo_desk, "Complaints", ViewSpec(kinds=("complaint",)))
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        main = app.screen
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, ViewsScreen) and app.screen.views is not None)
        text = screen_text(app)
        assert " 1  Complaints" in text and " 2  Zed [b]old[/b]" in text and " 3  Due soon" in text
        assert "broken: statuses.0: Input…" in text and "team (by priya)" in text
        await pilot.press("2")  # broken: not opened, the whole reason said
        await pilot.pause()
        assert isinstance(app.screen, ViewsScreen)
        note = app.screen.query_one("#views-note").content.plain
        assert note.startswith("'Zed [b]old[/b]' cannot be opened: statuses.0: Input should be 'new', 'acknow")
        await pilot.press("p")  # a handler cannot publish
        await pilot.pause()
        assert "published by supervisors and admins" in screen_text(app)
        app.screen.query_one("#views-list").highlighted = 1
        await pilot.press("d")
        await pilot.pause()
        assert "Press d again" in screen_text(app)
        await pilot.press("d")
        await wait_until(pilot, lambda: app.screen.views is not None and len(app.screen.views) == 2
                         and "Zed" not in screen_text(app))
        await pilot.press("3")
        await pilot.pause()
        assert "There is no view 3" in screen_text(app)
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen) and main.view_name == "Due soon")
        assert main.filters == QueueFilters(due_soon=True)
    assert [v.name for v in list_views(demo_desk)] == ["Complaints", "Due soon"]


async def test_the_palette_opens_a_saved_view_by_name_shown_literally(demo_desk):
    save_view(demo_desk, "[red]Mine[/red] overdue", ViewSpec(mine=True, overdue=True))
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        main = app.screen
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"open saved view")
        await wait_until(pilot, lambda: "Open saved view: [red]Mine[/red] overdue (mine)" in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: main.view_name == "[red]Mine[/red] overdue")
        assert main.filters == QueueFilters(mine=True, overdue=True)


async def test_rename_in_the_picker_checks_the_name_before_saving(demo_desk):
    save_view(demo_desk, "Complaints", ViewSpec(kinds=("complaint",)))
    save_view(demo_desk, "Enquiries", ViewSpec(kinds=("enquiry",)))
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, ViewsScreen) and app.screen.views is not None)
        picker = app.screen
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ViewNameModal))
        box = app.screen.query_one("#view-name")
        assert box.value == "Complaints"
        box.value = " enquiries "
        await pilot.press("enter")
        await pilot.pause()
        error = app.screen.query_one("#view-name-error").content.plain
        assert error == "name: there is already a view called 'enquiries' here: choose another"
        box.value = "  "
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#view-name-error").content.plain == "name: give the view a name"
        box.value = "All complaints"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is picker and picker.views is not None
                         and [v.name for v in picker.views] == ["All complaints", "Enquiries"])
    assert [v.name for v in list_views(demo_desk)] == ["All complaints", "Enquiries"]


async def test_a_supervisor_publishes_one_of_their_views_for_the_team(demo_url, demo_desk):
    lead = open_desk(demo_url, None, "priya", clock=fixed_now)  # the demo's supervisor
    try:
        save_view(lead, "Overdue", ViewSpec(overdue=True))
        app = DeskApp(lead, now=fixed_now, show_clock=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            await pilot.press("v")
            await wait_until(pilot, lambda: isinstance(app.screen, ViewsScreen) and app.screen.views is not None)
            await pilot.press("p")
            await wait_until(pilot, lambda: app.screen.views is not None and len(app.screen.views) == 2)
            assert "team (by priya)" in screen_text(app)
    finally:
        lead.close()
    assert [(v.name, v.scope) for v in list_views(demo_desk)] == [("Overdue", "team (by priya)")]


async def test_a_long_view_name_and_many_filters_keep_the_queue_title_on_its_line(demo_desk):
    view = save_view(demo_desk, "Everything awaiting someone else, oldest", ViewSpec(
        mine=True, due_soon=True, statuses=("awaiting_customer", "awaiting_third_party", "investigating"),
        kinds=("complaint", "enquiry"), category="housing repairs", sort="received"))
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        main = app.screen
        main.open_view(view)
        await wait_until(pilot, lambda: main.view_name == view.name and main.query_one("#queue").total is not None)
        await settle(pilot, app)
        title = title_of(main)
        assert title.startswith("“Everything awaiting someone e…” ") and title.endswith("…")
        assert len(title) <= main.query_one("#queue-pane").content_region.width
