"""Line-drawn panes (BlockLines, CasePane): wrapping, repainting only what changed, no loading flash.

The byte checks read what the app hands its driver (the updates a terminal is
sent), so they fail if a change repaints more of the screen than it should.
"""

from __future__ import annotations

import io
from datetime import datetime

from rich.console import Console
from textual.app import App, ComposeResult
from textual.content import Content

from deskapp.tui.widgets.case_pane import CasePane
from deskapp.tui.widgets.lines import Block, BlockLines, last_difference
from deskapp.tui.widgets.sidebar import PolicySidebar

WIDTH = 40


class Frames:
    """Every update the app sends to its terminal, as (rows touched, bytes at 256 colours)."""

    def __init__(self, app: App) -> None:
        self.updates: list[tuple[set[int], int]] = []
        self.spans: list[tuple[int, int, int]] = []  # (row, first column, end column) of every update
        console = Console(color_system="256", force_terminal=True, width=120, file=io.StringIO())
        real = app._display

        def display(screen, update) -> None:
            if update is not None:
                self.spans += list(getattr(update, "spans", []))
                rows = {y for y, _x1, _x2 in getattr(update, "spans", [])} or set(range(100))
                self.updates.append((rows, len(update.render_segments(console).encode())))
            real(screen, update)

        app._display = display  # type: ignore[method-assign]

    def clear(self) -> None:
        self.updates.clear()
        self.spans.clear()

    @property
    def rows(self) -> set[int]:
        return set().union(*(rows for rows, _n in self.updates)) if self.updates else set()

    @property
    def bytes(self) -> int:
        return sum(n for _rows, n in self.updates)


class LinesApp(App):
    CSS = "BlockLines { width: " + str(WIDTH) + "; height: 12; border: round white; padding: 0 1; }"

    def compose(self) -> ComposeResult:
        yield BlockLines(id="lines")


def entries(n: int, changed: int | None = None) -> list[Block]:
    return [Block(Content(f"entry {i}{' CHANGED' if i == changed else ''}"), indent=2 if i % 2 else 0)
            for i in range(n)]


async def test_blocks_wrap_with_a_hanging_indent_and_a_lead():
    app = LinesApp()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(BlockLines)
        long = "word " * 20
        view.set_blocks([Block(Content(long), indent=4),
                         Block(Content(long), indent=9, lead=Content(" WARN ")),
                         Block(Content("[@click=app.quit]x[/]"))])
        await pilot.pause()
        painted = [view.render_line(y).text for y in range(view.size.height)]
        width = view.scrollable_content_region.width
        first = [i for i, text in enumerate(painted) if text.strip().startswith("word")][:2]
        assert painted[0].startswith("    word") and painted[1].startswith("    word")
        warn = next(i for i, text in enumerate(painted) if "WARN" in text)
        assert painted[warn].startswith(" WARN    word") and painted[warn + 1].startswith(" " * 9 + "word")
        assert all(len(text) == width for text in painted), first
        assert "[@click=app.quit]x[/]" in "\n".join(painted)  # literal, not markup
        assert view.text.endswith("[@click=app.quit]x[/]")


async def test_same_blocks_send_nothing_and_one_changed_entry_sends_one_line():
    app = LinesApp()
    frames = Frames(app)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(BlockLines)
        view.set_blocks(entries(6))
        await pilot.pause()
        frames.clear()
        view.set_blocks(entries(6))
        await pilot.pause()
        assert frames.updates == []
        view.set_blocks(entries(6, changed=3))
        await pilot.pause()
        top = view.region.y + 1  # the border
        assert frames.rows == {top + 3}
        assert 0 < frames.bytes < 200


async def test_longer_content_adds_a_scrollbar_without_a_screen_layout_each_time():
    app = LinesApp()
    frames = Frames(app)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(BlockLines)
        view.set_blocks(entries(30))
        await pilot.pause()
        assert view.show_vertical_scrollbar and view.virtual_size.height == 30
        frames.clear()
        view.set_blocks(entries(31, changed=0))  # one line more, one changed: still scrolls
        await pilot.pause()
        top = view.region.y + 1
        assert top in frames.rows and view.virtual_size.height == 31
        # The changed line and, at most, the scrollbar's column: no screen layout repainting the pane.
        beside = [(y, x1, x2) for y, x1, x2 in frames.spans if y != top]
        assert all(x2 - x1 <= 3 for _y, x1, x2 in beside), beside
        assert frames.bytes < 1000, frames.updates
        await pilot.press("tab")
        view.focus()
        await pilot.press("end")
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y > 0
        view.set_blocks(entries(3))  # shorter than the pane: scrolled back into range
        await pilot.pause()
        assert view.scroll_y == 0 and not view.show_vertical_scrollbar


def test_last_difference_counts_cells_up_to_the_last_change():
    from rich.segment import Segment
    from textual.strip import Strip

    a = Strip([Segment("abcdef")])
    assert last_difference(a, Strip([Segment("abcdef")])) == 0
    assert last_difference(a, Strip([Segment("abXdef")])) == 6 - 3
    assert last_difference(a, Strip([Segment("abcd")])) == 6
    assert last_difference(Strip([Segment("ab")]), Strip([Segment("abcd")])) == 4


def make_case(case_id: int, ref: str, contacts: int = 12):
    from deskapp.core.views import CaseView, ContactView, PartyView

    at = datetime(2026, 3, 2, 9, 0)
    return CaseView(
        id=case_id, ref=ref, kind="complaint", category="housing_repairs", title=f"Title of {ref}", stage=1,
        status="new", priority=2, vulnerable=False, received_at=at, acknowledged_at=None, responded_at=None,
        closed_at=None, status_changed_at=None, stage2_at=None, extension_days=0, due_at=None,
        assigned_to="sam", stage1_handler=None, version=1,
        parties=(PartyView(id=1, role="customer", name=f"Customer of {ref}", designated=False, authorised=False,
                           organisation=None, email=None, phone="07700 900000", address=None, notes=None),),
        history=tuple(ContactView(id=i, at=at, channel="phone", direction="in", party_id=1,
                                  party_name=f"Customer of {ref}", handler="sam", outcome="reached",
                                  summary=f"Call {i} about {ref}", body=None, reason=None)
                      for i in range(contacts)),
    )


class CaseApp(App):
    CSS = "CasePane { width: 60; height: 20; border: round white; padding: 0 1; }"

    def compose(self) -> ComposeResult:
        yield CasePane(id="case-pane")


async def test_case_pane_keeps_the_shown_case_until_the_next_arrives_and_says_when_it_is_slow():
    app = CaseApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(CasePane)
        assert pane.text.startswith("No case selected")
        pane.show_loading()  # nothing shown yet: say so at once
        assert pane.text == "Loading…"
        pane.show_case(make_case(1, "C-1"))
        await pilot.pause()
        assert pane.text.startswith("C-1 ")
        pane.show_loading()  # a quick load: no flash, the header still names the case below it
        await pilot.pause(0.1)
        assert pane.text.startswith("C-1 ") and "Loading" not in pane.text
        pane.show_case(make_case(2, "C-2"))
        await pilot.pause(CasePane.LOADING_DELAY + 0.1)
        assert pane.text.startswith("C-2 ") and "Loading" not in pane.text
        pane.show_loading()  # a slow load: a notice on top, still naming the case shown
        await pilot.pause(CasePane.LOADING_DELAY + 0.1)
        first = pane.text.splitlines()[0]
        assert first == "Loading the next case…  still showing C-2"
        assert pane.text.splitlines()[1].startswith("C-2 ")
        pane.show_case(make_case(3, "C-3"))
        await pilot.pause()
        assert pane.text.startswith("C-3 ") and "Loading" not in pane.text
        pane.show_loading(3)  # the same case read again (after an action), slowly
        await pilot.pause(CasePane.LOADING_DELAY + 0.1)
        assert pane.text.splitlines()[0] == "Reloading C-3…"
        pane.show_case(make_case(3, "C-3", contacts=13))
        await pilot.pause()
        assert pane.text.startswith("C-3 ") and "Call 12 about C-3" in pane.text


async def test_case_pane_scrolls_with_keys_and_a_new_case_starts_at_the_top():
    app = CaseApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(CasePane)
        pane.show_case(make_case(1, "C-1", contacts=40))
        pane.focus()
        await pilot.pause()
        await pilot.press("j", "j")
        assert pane.scroll_y == 2
        await pilot.press("pagedown")
        assert pane.scroll_y > 2
        await pilot.press("G")
        assert pane.scroll_y == pane.max_scroll_y
        pane.show_case(make_case(1, "C-1", contacts=41))  # the same case re-read: stays where it was
        await pilot.pause()
        assert pane.scroll_y > 2
        pane.show_case(make_case(2, "C-2", contacts=40))
        await pilot.pause()
        assert pane.scroll_y == 0 and pane.text.startswith("C-2 ")
        await pilot.press("g")
        assert pane.scroll_y == 0


async def test_case_pane_presence_line_under_the_header_and_gone_with_the_case():
    app = CaseApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(CasePane)
        pane.show_case(make_case(1, "C-1"))
        pane.show_presence("also open: jo, 2 min [@click=app.quit]x[/]")
        await pilot.pause()
        lines = pane.text.splitlines()
        header_end = lines.index("")
        assert lines[header_end - 1] == "also open: jo, 2 min [@click=app.quit]x[/]"
        pane.show_case(make_case(2, "C-2"))
        await pilot.pause()
        assert "also open" not in pane.text


class SidebarApp(App):
    CSS = "PolicySidebar { width: 40; height: 20; }"

    def compose(self) -> ComposeResult:
        yield PolicySidebar()


async def test_sidebar_same_advice_sends_nothing():
    from dataclasses import dataclass

    @dataclass
    class Finding:
        rule: str
        severity: str
        message: str

    @dataclass
    class Standing:
        findings: list
        deadlines: object = None

    app = SidebarApp()
    frames = Frames(app)
    async with app.run_test(size=(60, 24)) as pilot:
        sidebar = app.query_one(PolicySidebar)
        sidebar.show_standing(Standing([Finding("r", "warn", "Careful with this one")]))
        await pilot.pause()
        assert " WARN    Careful with this one (r)" in sidebar.text
        frames.clear()
        sidebar.show_standing(Standing([Finding("r", "warn", "Careful with this one")]))
        sidebar.clear_live()
        await pilot.pause()
        assert frames.updates == []


async def test_a_recoloured_entry_is_repainted_even_with_the_same_words():
    app = LinesApp()
    frames = Frames(app)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(BlockLines)
        view.set_blocks([Block(Content("2 working days left"))])
        await pilot.pause()
        frames.clear()
        view.set_blocks([Block(Content.styled("2 working days left", "bold red"))])
        await pilot.pause()
        assert frames.rows == {view.region.y + 1}


async def test_a_theme_change_recolours_every_line():
    app = LinesApp()
    async with app.run_test(size=(60, 20)) as pilot:
        app.theme = "textual-dark"
        view = app.query_one(BlockLines)
        view.set_blocks([Block(Content.styled("muted words", "$text-muted")), Block(Content("plain"), indent=4)])
        await pilot.pause()
        before = [str(segment.style) for y in range(2) for segment in view.render_line(y)]
        app.theme = "textual-light"
        await pilot.pause()
        after = [str(segment.style) for y in range(2) for segment in view.render_line(y)]
        assert before != after and len(before) == len(after)
        assert view.render_line(0).text.startswith("muted words")


async def test_a_scrollbar_whose_thumb_moves_repaints_only_the_rows_that_changed():
    app = LinesApp()
    frames = Frames(app)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(BlockLines)
        view.set_blocks(entries(20))
        await pilot.pause()
        assert view.show_vertical_scrollbar
        for _ in range(20):  # let the first paints settle (a loaded machine paints them late)
            frames.clear()
            await pilot.pause()
            if not frames.spans:
                break
        view.set_blocks(entries(22))  # a longer range: the thumb shrinks by a row or so
        await pilot.pause()
        bar_x = view.vertical_scrollbar.region.x
        bar_rows = {y for y, x1, x2 in frames.spans if x1 >= bar_x}
        assert 0 < len(bar_rows) < view.scrollable_content_region.height, frames.spans


def _header_lines(case, width: int) -> list[str]:
    from deskapp.tui.widgets.case_pane import header_block

    return [piece.plain for piece in header_block(case).at(width).wrap(width)]


def test_every_case_header_takes_as_many_lines_in_the_same_places():
    """Moving to the next case must not push the parties and history down a line (every line below
    would be sent again): the header's shape does not depend on the case, only on the pane's width,
    and no label is wrapped away from its value."""
    import dataclasses

    base = make_case(1, "C-1")
    due = datetime(2026, 3, 9, 17, 0)
    variants = [
        base,
        dataclasses.replace(base, ref="C-1000008", priority=1, vulnerable=True, category="rent_and_service_charges",
                            assigned_to=None, due_at=due),
        dataclasses.replace(base, priority=4, status="awaiting_customer", category="billing", due_at=due),
        dataclasses.replace(base, priority=3, kind="enquiry", status="investigating", assigned_to="priya"),
    ]
    for width, starts in ((40, ["Category", "Received", "Assigned"]), (78, ["Received"])):
        shapes = [_header_lines(case, width) for case in variants]
        assert {len(lines) for lines in shapes} == {3 + len(starts)}, (width, shapes)
        for lines in shapes:
            assert lines[0].startswith("C-1") and "priority" in lines[0]
            assert lines[2].split(" ")[0] in ("Complaint", "Enquiry")
            assert [text.split(" ")[0] for text in lines[3:]] == starts, lines
            for label in ("Category", "Received", "Assigned"):  # each label on a line with its value
                assert any(f"{label} " in text and not text.endswith(label) for text in lines), lines


def hosting(widget_class: type, css: str) -> App:
    """An app showing one `widget_class` widget, styled by `css`."""

    class Host(App):
        CSS = css

        def compose(self) -> ComposeResult:
            yield widget_class()

    return Host()


async def test_a_wide_case_pane_shows_the_header_in_fewer_lines():
    app = hosting(CasePane, "CasePane { width: 80; height: 20; padding: 0 1; }")
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(CasePane)
        pane.show_case(make_case(1, "C-1"))
        await pilot.pause()
        shown = [pane.render_line(y).text.rstrip() for y in range(4)]
        assert shown[2].startswith("Complaint · stage 1 · new  Category housing repairs"), shown
        assert shown[3].startswith("Received Mon 02 Mar 2026 09:00  Assigned sam"), shown
        assert "Category housing repairs" in pane.text  # .text: the narrow form, every fact present


async def test_sidebar_marks_a_vulnerable_customer_on_the_case_line():
    """One line either way: the advice below stays where it was when the next case is not vulnerable."""
    import dataclasses

    app = hosting(PolicySidebar, "PolicySidebar { width: 32; height: 20; }")
    async with app.run_test(size=(80, 24)) as pilot:
        sidebar = app.query_one(PolicySidebar)
        case = make_case(1, "C-1000008")
        sidebar.show_standing(None, dataclasses.replace(case, vulnerable=True))
        await pilot.pause()
        assert sidebar.facts.plain == "Case C-1000008 · Vulnerable"
        vulnerable = sidebar.text.splitlines()
        sidebar.show_standing(None, case)
        await pilot.pause()
        plain = sidebar.text.splitlines()
        assert sidebar.facts.plain == "Case C-1000008"
        assert len(vulnerable) == len(plain) and vulnerable[2:] == plain[2:]
