"""Pane breakpoints and queue columns chosen from what each pane needs (issue #17 item 14)."""

from __future__ import annotations

import pytest

from deskapp.tui.app import DeskApp
from deskapp.tui.widgets.queue_view import OPTIONAL_COLUMNS, layout

from tui_support import fixed_now, pick_in_queue


def _optional(width: int) -> list[str]:
    return [c.name for c in layout(width) if c.name in {o.name for o in OPTIONAL_COLUMNS}]


def test_queue_columns_come_in_one_order_as_the_pane_widens_and_never_swap():
    order = [c.name for c in OPTIONAL_COLUMNS]
    for width in range(20, 200):
        shown, wider = _optional(width), _optional(width + 1)
        assert set(shown) == set(order[:len(shown)]), (width, shown)
        assert set(shown) <= set(wider), (width, shown, wider)


@pytest.mark.parametrize("size", [(100, 30), (120, 40), (160, 50)])
async def test_every_pane_gets_what_it_needs_and_the_queue_names_the_customer(demo_desk, size):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=size) as pilot:
        screen = await pick_in_queue(pilot, app, demo_desk, "C-1001")  # its row in view
        queue = screen.query_one("#queue")
        case = screen.query_one("#case-pane")
        sidebar = screen.query_one("#sidebar-pane")
        assert queue.region.width >= 60
        assert case.region.width >= 38 and sidebar.region.width >= 36
        for a, b in ((queue, case), (queue, sidebar), (case, sidebar)):
            assert not a.region.overlaps(b.region), (a, b)
        # The case pane is as tall as the panes are: its history stays in view.
        assert case.region.height == screen.query_one("#panes").region.height
        rows = [queue.render_line(y).text for y in range(queue.scrollable_content_region.height)]
        c1001 = next(row for row in rows if "C-1001" in row)
        assert "Arthur Penrose" in c1001 and "Leaking bat" in c1001, c1001  # the customer and the title


def _c1001_row(app) -> str:
    queue = app.screen.query_one("#queue")
    rows = [queue.render_line(y).text for y in range(queue.scrollable_content_region.height)]
    return next(row for row in rows if "C-1001" in row)


async def _pick(pilot, key: str, label: str) -> None:
    """Press `key` and choose `label` in the column picker."""
    from textual.widgets import OptionList

    await pilot.press(key)
    await pilot.pause()
    options = pilot.app.screen.query_one(OptionList)
    index = next(i for i in range(options.option_count) if options.get_option_at_index(i).prompt.plain == label)
    options.highlighted = index
    await pilot.press("enter")
    await pilot.pause()


async def test_hiding_and_resizing_queue_columns_is_remembered_in_config_yaml(demo_desk, tmp_path):
    import yaml

    path = tmp_path / "config.yaml"
    path.write_text("# my desk\ntheme: desk-dark\n", encoding="utf-8")
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False, config_file=path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pick_in_queue(pilot, app, demo_desk, "C-1001")
        assert "Arthur Penrose" in _c1001_row(app)
        await _pick(pilot, "minus", "Customer")
        assert "Arthur" not in _c1001_row(app)
        assert yaml.safe_load(path.read_text())["queue"] == {"hidden": ["customer"], "widths": {}}
        await _pick(pilot, "plus", "Customer")
        assert "Arthur Penrose" in _c1001_row(app)
        await _pick(pilot, "greater_than_sign", "Customer")
        saved = path.read_text()
    assert saved.startswith("# my desk\ntheme: desk-dark\n")  # the rest of the file is kept
    assert yaml.safe_load(saved)["queue"] == {"hidden": [], "widths": {"customer": 16}}

    path.write_text("queue:\n  hidden: [status]\n  widths: {customer: 20}\n", encoding="utf-8")
    again = DeskApp(demo_desk, now=fixed_now, show_clock=False, config_file=path)
    async with again.run_test(size=(120, 40)) as pilot:
        await pick_in_queue(pilot, again, demo_desk, "C-1001")
        view = again.screen.query_one("#queue")
        names = {c.name: c.width for c in view.columns()}
        assert "status" not in names and names["customer"] == 20
        assert "investig." not in _c1001_row(again)


def test_a_bad_queue_setting_is_one_line_naming_the_file_and_line(tmp_path):
    from deskapp.tui.userconfig import load_user_config

    path = tmp_path / "config.yaml"
    path.write_text("theme: desk-dark\nqueue:\n  hidden: [kin]\n", encoding="utf-8")
    cfg = load_user_config(path)
    assert cfg.theme == "desk-dark" and cfg.queue_hidden == []
    assert len(cfg.problems) == 1 and cfg.problems[0].startswith(f"{path}:3: ")
    assert "did you mean 'kind'" in cfg.problems[0]
