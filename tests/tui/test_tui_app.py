"""The desk app without a database: keys, help, palette, config file, themes, panes, search, filters."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, OptionList

from deskapp.tui.app import DeskApp, known_binding_ids
from deskapp.tui.bindings import DESK_ACTIONS, NAVIGATION
from deskapp.tui.screens.filters import FilterScreen
from deskapp.tui.screens.help import HelpScreen
from deskapp.tui.screens.main import MainScreen

from tui_support import FakeDesk, FakeHandler, fixed_now
from tui_support import screen_lines, screen_text


def make_app(desk=None, **kwargs) -> DeskApp:
    return DeskApp(desk or FakeDesk(), now=fixed_now, show_clock=False, **kwargs)


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


# --- help -------------------------------------------------------------------


async def test_help_lists_every_binding_with_id_and_key():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text
        for action in DESK_ACTIONS:
            assert action.id in text and action.title in text
        for binding in NAVIGATION:
            assert binding.id in text
        for binding_id in ("app.help", "app.quit", "app.cycle_theme", "case.down", "sidebar.down",
                           "filters.apply", "pick.cancel", "form.submit", "reason.go_ahead", "blocked.send"):
            assert binding_id in text
        row = next(ln for ln in text.splitlines() if "desk.log_contact" in ln)
        assert row.split()[0] == "c"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_help_shows_remapped_key(tmp_path):
    path = config_file(tmp_path, "keys:\n  desk.log_contact: ctrl+o\n  desk.search: 'ctrl+f,slash'\n")
    app = make_app(config_file=path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = app.screen.text
        contact = next(ln for ln in text.splitlines() if "desk.log_contact" in ln)
        assert contact.split()[0] == "^o"
        search = next(ln for ln in text.splitlines() if "desk.search" in ln)
        assert search.strip().startswith("^f, /")


async def test_ctrl_l_redraws_the_whole_screen_from_nothing():
    """The desk's driver sends only changed cells; ctrl+l makes it forget what the terminal shows and
    repaints every widget, so a screen spoiled by something else is put right."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        forgotten = []
        app._driver.forget_screen = lambda: forgotten.append(True)
        shown = []
        real_display = app._display
        app._display = lambda screen, renderable: (shown.append(renderable), real_display(screen, renderable))
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert forgotten == [True]
        from textual._compositor import LayoutUpdate

        assert any(isinstance(update, LayoutUpdate) and update.region.size == app.size for update in shown), \
            "the whole screen is sent again"


async def test_a_keymap_may_not_take_ctrl_l_from_the_redraw(tmp_path):
    app = make_app(config_file=config_file(tmp_path, "keys:\n  desk.log_contact: ctrl+l\n"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert any("ctrl+l is already the key for app.redraw" in n for n in notices(app)), notices(app)


async def test_help_fits_80x24_and_scrolls():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        lines = screen_lines(app)
        assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
        scroll = app.screen.query_one("#help-scroll")
        assert scroll.max_scroll_y > 0
        await pilot.press("G")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y


# --- keymap from the config file ---------------------------------------------


async def test_keymap_remaps_search(tmp_path):
    path = config_file(tmp_path, "# my keys\nkeys:\n  desk.search: ctrl+f\n")
    app = make_app(config_file=path)
    async with app.run_test(size=(100, 30)) as pilot:
        search = app.screen.query_one("#search", Input)
        await pilot.press("slash")
        await pilot.pause()
        assert not search.has_class("-open")
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert search.has_class("-open") and app.focused is search
        assert not notices(app)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("keys:\n  desk.log_contact: [c\n", "config.yaml:2: not valid YAML"),
        ("theme: desk-dark\nkeys:\n  desk.log_contcat: c\n",
         "config.yaml:3: keys: unknown binding id 'desk.log_contcat' (did you mean 'desk.log_contact'?)"),
        ("keys:\n  desk.note: 'ctrl + n'\n", "config.yaml:2: keys: desk.note: 'ctrl + n' is not a key name"),
        ("keys: c\n", "config.yaml:1: keys: expected 'binding.id: key' lines"),
        ("themes: desk-light\n", "config.yaml:1: unknown setting 'themes' (did you mean 'theme'?)"),
        ("- just\n- a list\n", "config.yaml:1: expected settings"),
        ("theme: no-such-theme\n", "theme 'no-such-theme' from config.yaml not found"),
    ],
)
async def test_bad_config_file_is_one_line_notice_not_a_crash(tmp_path, text, expected):
    path = config_file(tmp_path, text)
    app = make_app(config_file=path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        found = [m for m in notices(app) if expected in m]
        assert found, notices(app)
        assert all("\n" not in m for m in notices(app))
        # The desk still works: keys that were not touched still do their job.
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_good_entries_apply_even_when_others_are_bad(tmp_path):
    path = config_file(tmp_path, "keys:\n  desk.nope: z\n  desk.filters: Z\n")
    app = make_app(config_file=path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("Z")
        await pilot.pause()
        assert isinstance(app.screen, FilterScreen)
        assert any("config.yaml:2" in m for m in notices(app))


def test_every_binding_has_an_id():
    ids = known_binding_ids()
    assert len(ids) == len(set(ids))
    for action in DESK_ACTIONS:
        assert action.id in ids


# --- palette ------------------------------------------------------------------


async def test_palette_lists_every_action():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        results = app.screen.query_one(OptionList)
        prompts = [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]
        text = "\n".join(prompts)
        for action in DESK_ACTIONS:
            assert action.title in text, action.title
            assert action.id in text
        for binding in NAVIGATION:
            assert binding.tooltip in text


async def test_palette_runs_an_action():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"filter the queue")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, FilterScreen)


# --- themes ---------------------------------------------------------------------


async def test_default_theme_and_no_animation():
    app = make_app()
    async with app.run_test(size=(100, 30)):
        assert app.theme == "desk-dark"
        assert app.animation_level == "none"
        assert {"desk-dark", "desk-light", "desk-high-contrast", "desk-16"} <= set(app.available_themes)


async def test_sixteen_colour_terminal_gets_desk_16(monkeypatch):
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    app = make_app()
    async with app.run_test(size=(100, 30)):
        assert app.theme == "desk-16"
        assert app.native_ansi_color  # ANSI colours go to the terminal as they are


async def test_theme_option_overrides_config(tmp_path):
    path = config_file(tmp_path, "theme: desk-light\n")
    app = make_app(config_file=path)
    async with app.run_test(size=(100, 30)):
        assert app.theme == "desk-light"
    app = make_app(config_file=path, theme="desk-high-contrast")
    async with app.run_test(size=(100, 30)):
        assert app.theme == "desk-high-contrast"
    assert path.read_text() == "theme: desk-light\n"  # an override for one session is not saved


async def test_cycle_theme_persists_and_keeps_the_rest_of_the_file(tmp_path):
    path = config_file(tmp_path, "# my settings\nkeys:\n  desk.note: N\ntheme: desk-dark  # was\n")
    app = make_app(config_file=path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+t")
        await pilot.pause()
        first = app.theme
        assert first != "desk-dark"
    text = path.read_text()
    assert f"theme: {first}\n" in text and "# my settings\n" in text and "desk.note: N" in text
    app = make_app(config_file=path)
    async with app.run_test(size=(100, 30)):
        assert app.theme == first


async def test_textual_builtin_theme_can_be_saved_and_restored(tmp_path):
    path = config_file(tmp_path, "theme: nord\n")
    app = make_app(config_file=path)
    async with app.run_test(size=(100, 30)):
        assert app.theme == "nord"
        assert not notices(app)


async def test_palette_theme_change_is_saved(tmp_path):
    path = tmp_path / "new" / "config.yaml"
    app = make_app(config_file=path)
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = "desk-high-contrast"  # what the palette's theme picker does
        await pilot.pause()
    assert path.read_text() == "theme: desk-high-contrast\n"


async def test_broken_theme_file_is_skipped_with_warning(tmp_path, monkeypatch):
    extra = tmp_path / "themes"
    extra.mkdir()
    (extra / "bad.yaml").write_text("name: bad\nprimary: not-a-colour\n")
    (extra / "worse.yaml").write_text("name: [unclosed\n")
    (extra / "good.yaml").write_text("name: site-blue\nprimary: '#2255aa'\ndark: true\n")
    monkeypatch.setenv("DESKAPP_THEMES", str(extra))
    app = make_app()
    async with app.run_test(size=(100, 30)):
        assert "site-blue" in app.available_themes and "bad" not in app.available_themes
        messages = notices(app)
        assert any("bad.yaml: primary: 'not-a-colour' is not a colour" in m for m in messages), messages
        assert any("worse.yaml:1" in m for m in messages), messages


# --- panes, search, filters ---------------------------------------------------------


async def test_tab_cycles_panes_and_number_keys_jump():
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = app.screen
        assert screen.active_pane == "queue"
        await pilot.press("tab")
        assert screen.active_pane == "case" and app.focused.id == "case-pane"
        await pilot.press("tab")
        assert screen.active_pane == "sidebar" and app.focused.id == "sidebar-pane"
        await pilot.press("tab")
        assert screen.active_pane == "queue"
        await pilot.press("shift+tab")
        assert screen.active_pane == "sidebar"
        await pilot.press("2")
        assert app.focused.id == "case-pane"


def _visible_panes(screen) -> list[str]:
    return [p.id for p in screen.query(".pane") if p.display and p.region.width > 0]


async def test_three_panes_at_160x50_one_at_80x24():
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert _visible_panes(screen) == ["queue-pane", "case-pane", "sidebar-pane"]
        regions = [screen.query_one(f"#{p}").region for p in _visible_panes(screen)]
        assert regions[0].right <= regions[1].x and regions[1].right <= regions[2].x
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert screen.has_class("-narrow")
        assert _visible_panes(screen) == ["queue-pane"]
        await pilot.press("3")
        await pilot.pause()
        assert _visible_panes(screen) == ["sidebar-pane"]


async def test_80x24_nothing_clipped():
    app = make_app(FakeDesk(me=FakeHandler(display_name="Alexandria Ocasio-Featherstonehaugh")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        whole = screen.region
        for widget in screen.query("#header, #pane-tabs, .pane, #footer"):
            if not widget.display:
                continue
            assert whole.contains_region(widget.region), (widget, widget.region)
            assert widget.region.width >= 40 and widget.region.height >= 1
        pane = screen.query_one("#queue-pane")
        assert pane.region.height >= 15
        # Every footer binding is on screen (the footer wraps rather than scrolls sideways).
        footer_text = "\n".join(screen_lines(app)[-screen.query_one("#footer").region.height:])
        for label in ("Contact", "Message", "Status", "Assign", "Escalate", "Extend", "Abuse", "Note",
                      "Party", "Search", "Filters", "Help", "Quit"):
            assert label in footer_text, label
        assert all(len(line) <= 80 for line in screen_lines(app))


async def test_the_footer_lays_the_screen_out_again_only_when_its_height_changes():
    """A layout repaints the whole screen: moving between panes changes the footer's keys, not its
    height, so only the footer is redrawn. The search box's keys fit one row, but the footer keeps
    the two it had: opening and closing the box moves no pane's edge and lays nothing out again."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one("#footer")
        layouts = []
        real_refresh = footer.refresh

        def refresh(*regions, **kwargs):
            layouts.append(kwargs.get("layout", False))
            return real_refresh(*regions, **kwargs)

        footer.refresh = refresh
        assert "Open" in "\n".join(screen_lines(app)[-2:])
        await pilot.press("tab")  # to the case pane: Enter no longer opens a case
        await pilot.pause()
        assert layouts and not any(layouts), layouts
        assert "Open" not in "\n".join(screen_lines(app)[-2:]) and footer.region.height == 2
        layouts.clear()
        await pilot.press("slash")
        await pilot.pause()
        assert not any(layouts) and footer.region.height == 2, "the footer keeps its height at this width"
        await pilot.press("escape")
        await pilot.pause()
        assert not any(layouts) and footer.region.height == 2
        assert "Contact" in "\n".join(screen_lines(app)[-2:])
        await pilot.resize_terminal(200, 40)  # a new width: as many rows as it needs
        await pilot.pause()
        assert footer.region.height == 1


async def test_search_opens_applies_and_clears():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await pilot.press("slash")
        search = screen.query_one("#search", Input)
        assert app.focused is search
        await pilot.press(*"leak")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.filters.search == "leak"
        assert not search.has_class("-open")
        assert "search “leak”" in screen.query_one("#queue-title").content.plain
        await pilot.press("slash")
        assert search.value == "leak"
        await pilot.press("escape")  # closes the box, keeps the search
        assert not search.has_class("-open") and screen.filters.search == "leak"
        await pilot.press("escape")  # clears
        await pilot.pause()
        assert screen.filters.search == ""


async def test_filter_screen_applies_and_cancels():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FilterScreen)
        await pilot.press("enter")  # toggles "Mine", the first field
        await pilot.press("tab", "enter")  # Overdue
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.filters.mine and screen.filters.overdue and not screen.filters.due_soon
        assert "mine, overdue" in screen.query_one("#queue-title").content.plain
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("ctrl+r", "escape")  # clear all, then cancel: nothing changes
        await pilot.pause()
        assert screen.filters.mine and screen.filters.overdue


async def test_filter_screen_statuses_and_kinds():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await pilot.press("f")
        await pilot.pause()
        modal = app.screen
        modal.query_one("#filter-statuses").focus()
        await pilot.press("space", "down", "space")
        modal.query_one("#filter-kinds").focus()
        await pilot.press("space")
        modal.query_one("#filter-category").focus()
        await pilot.press(*"billing")
        modal.query_one("#filter-sort").focus()
        await pilot.press("down", "enter")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.filters.statuses == {"new", "acknowledged"}
        assert screen.filters.kinds == {"complaint"}
        assert screen.filters.category == "billing" and screen.filters.sort == "priority"
        described = screen.filters.describe(200)
        assert "category “billing”" in described and "by priority" in described
        title = screen.query_one("#queue-title").content.plain
        pane_width = screen.query_one("#queue-pane").content_region.width
        assert title.startswith("status acknowledged/new") and len(title) <= pane_width  # clipped to the pane
        assert title.endswith("…")
        await pilot.press("escape")  # clears the filters, keeps the sort
        await pilot.pause()
        assert not screen.filters.active and screen.filters.sort == "priority"


async def test_filter_screen_state_reads_without_colour(monkeypatch):
    """Issue #17.8: ticked and unticked boxes both drew `▐X▌`; on and off must differ in the text itself."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f")
        await pilot.pause()
        modal = app.screen
        await pilot.press("enter")  # Mine on
        modal.query_one("#filter-statuses").focus()
        await pilot.press("down", "space")  # the second status on
        await pilot.pause()
        lines = screen_lines(app)
        text = "\n".join(lines)
        assert "▐" not in text and "▌" not in text

        def line_of(words: str) -> str:
            return next(line for line in lines if words in line)

        assert "[x] Mine" in line_of("Mine (assigned")
        assert "[ ] Overdue" in line_of("Overdue") and "[ ] Due soon" in line_of("Due soon")
        assert "[ ] new" in text and "[x] acknowledged" in text
        assert "[ ] complaint" in text
        assert "(*) due date" in line_of("due date") and "( ) priority" in line_of("priority")


async def test_action_without_a_case_says_so():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "Select a case in the queue first." in notices(app)


# --- untrusted text in the header, notices and errors -------------------------------------------

HOSTILE = "[@click=app.quit]x[/] [$accent @click=app.quit]y \x1b[2J\x1b]52;c;SGVsbG8=\x07\x07 [/]"


async def test_hostile_text_in_header_and_notifications():
    app = make_app(FakeDesk(me=FakeHandler(display_name=HOSTILE), name=HOSTILE))
    async with app.run_test(size=(200, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.post_message(MainScreen.CaseFailed(None, HOSTILE))
        screen.wanted_case_id = None
        await pilot.pause()
        text = screen_text(app)
        assert "[@click=app.quit]x[/] [$accent @click=app.quit]y" in text
        assert "\x1b" not in text and "\x07" not in text
        assert app.is_running
        await pilot.click("#header", offset=(12, 0))  # clicking the name does not run app.quit
        await pilot.pause()
        assert app.is_running


async def test_keymap_clash_is_refused_with_file_and_line(tmp_path):
    """Textual would silently take c away from "log a contact"; the desk keeps both and says so."""
    path = config_file(tmp_path, "keys:\n  desk.filters: Z\n  desk.note: c\n")
    app = make_app(config_file=path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        expected = "config.yaml:3: keys: desk.note: c is already the key for desk.log_contact; desk.note keeps n"
        assert any(expected in m for m in notices(app)), notices(app)
        await pilot.press("c")  # still log a contact (no case selected: says so)
        await pilot.pause()
        assert "Select a case in the queue first." in notices(app)
        await pilot.press("Z")  # the other remapping applied
        await pilot.pause()
        assert isinstance(app.screen, FilterScreen)


def test_remapping_to_a_free_key_or_swapping_is_no_clash():
    from deskapp.tui.app import binding_defaults, keymap_clashes

    defaults = binding_defaults()
    assert keymap_clashes({"desk.note": "ctrl+n"}, defaults) == []
    assert keymap_clashes({"desk.note": "c", "desk.log_contact": "n"}, defaults) == []
    assert keymap_clashes({"case.down": "c"}, defaults) == [("case.down", "c", "desk.log_contact")]
    assert keymap_clashes({"filters.apply": "c"}, defaults) == []  # a modal's keys stand alone
    assert keymap_clashes({"desk.search": "?"}, defaults) == [("desk.search", "question_mark", "app.help")]


async def test_search_box_cleans_pasted_escape_sequences():
    from textual import events

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash")
        app.screen.query_one("#search").post_message(events.Paste("leak\x1b[2J\x1b]52;c;SGVsbG8=\x07 [b]x[/b]"))
        await pilot.pause()
        search = app.screen.query_one("#search", Input)
        assert search.value == "leak [b]x[/b]"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.filters.search == "leak [b]x[/b]"
        assert "search “leak [b]x[/b]”" in app.screen.query_one("#queue-title").content.plain


async def test_a_bug_prints_one_line_and_writes_a_crash_file(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("DESKAPP_DATA_DIR", str(tmp_path / "data"))

    class Broken(DeskApp):
        def action_cycle_theme(self) -> None:
            raise ValueError("kaboom [b]customer text[/b]")

    app = Broken(FakeDesk(), now=fixed_now, show_clock=False)
    with pytest.raises(ValueError):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+t")
            await pilot.pause()
    err = capfd.readouterr().err
    assert "deskapp: internal error (ValueError: kaboom [b]customer text[/b])" in err
    assert "Traceback" not in err and "locals" not in err
    crash = list((tmp_path / "data").glob("crash-*.log"))
    assert len(crash) == 1 and "Traceback" in crash[0].read_text()
    assert crash[0].stat().st_mode & 0o777 == 0o600 and (tmp_path / "data").stat().st_mode & 0o777 == 0o700
