"""Only changed cells are sent (deskapp.tui.terminal.cells): the terminal must show exactly the same screen.

The oracle is pyte, a terminal emulator written apart from the desk: the stream
as Textual wrote it and the rewritten one are played into two emulated screens,
and after every write both must show the same characters in the same styles,
with the cursor in the same place. A blank cell counts by how it looks (its
background; its text colour too under reverse video or a line), since that is
all a terminal shows of it. Besides Textual's own output, Hypothesis writes
random streams that mix styles, moves, line feeds, wide and combining
characters, erases, scroll margins, other character sets, cursor saves and
writes cut in the middle of a sequence.
"""

from __future__ import annotations

import pyte
import pytest
from hypothesis import given, settings, strategies as st

from tui_support import pyte_looks

from deskapp.tui.terminal.cells import CellFilter
from deskapp.tui.terminal.sgr import SgrMinimizer

WIDTH, HEIGHT = 24, 8


class Terminal:
    """An emulated terminal: what it shows, cell by cell, and where its cursor is."""

    def __init__(self, width: int = WIDTH, height: int = HEIGHT) -> None:
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.Stream(self.screen)

    def feed(self, data: str) -> None:
        self.stream.feed(data)

    def shown(self) -> list[list[tuple]]:
        return pyte_looks(self.screen)

    def cursor(self) -> tuple[int, int]:
        return self.screen.cursor.y, self.screen.cursor.x


def play(writes: list[str], *, minimize: bool = False, width: int = WIDTH, height: int = HEIGHT,
         onlcr: bool = False, erase: bool = False) -> int:
    """Play `writes` as written and rewritten; assert both screens agree after each write. Bytes sent.

    `onlcr`: the tty turns every "\n" into "\r\n" (as Linux does by default), for both streams;
    `erase`: the filter may blank cells with ECH (pyte erases in the cursor's style, as bce terminals do).
    """
    cells = CellFilter()
    cells.resize(width, height)
    cells.onlcr, cells.erase = onlcr, erase
    styles = SgrMinimizer()
    styles.height = height
    plain, lean = Terminal(width, height), Terminal(width, height)
    sent = 0
    for number, data in enumerate(writes):
        out = cells.feed(data)
        if minimize:
            out = styles.feed(out)
        if onlcr:
            data, out = data.replace("\n", "\r\n"), out.replace("\n", "\r\n")
        sent += len(out)
        plain.feed(data)
        lean.feed(out)
        assert lean.shown() == plain.shown(), f"write {number}: {data!r} went out as {out!r}"
        assert lean.cursor() == plain.cursor(), f"write {number}: cursor after {data!r} ({out!r})"
    return sent


def frame(lines: dict[int, str], style: str = "38;5;188;48;5;16", cursor: tuple[int, int] = (0, 0)) -> str:
    """A frame as Textual writes one: each line from its left edge, each run styled then reset."""
    parts = []
    for row, text in sorted(lines.items()):
        parts.append(f"\x1b[{row + 1};1H\x1b[{style}m{text}\x1b[0m")
    parts.append(f"\x1b[{cursor[0] + 1};{cursor[1] + 1}H")
    return "".join(parts)


# --- what is sent ---------------------------------------------------------------------------------


def test_a_frame_already_on_the_screen_sends_nothing():
    cells = CellFilter()
    cells.resize(WIDTH, HEIGHT)
    first = frame({0: "Case C-1001", 1: "Ref     due 12 Dec"})
    assert "C-1001" in cells.feed(first)
    assert cells.feed(first) == "", "the same frame again: every cell is already there"


def test_only_the_changed_characters_of_a_line_are_sent():
    cells = CellFilter()
    cells.resize(WIDTH, HEIGHT)
    cells.feed(frame({2: "Case C-1001 new      "}))
    out = cells.feed(frame({2: "Case C-1002 new      "}))
    assert out == "\x1b[3;11H2\x1b[H", out
    assert play([frame({2: "Case C-1001 new      "}), frame({2: "Case C-1002 new      "})]) > 0


def test_a_short_unchanged_gap_is_sent_again_a_long_one_jumped():
    cells = CellFilter()
    cells.resize(WIDTH, HEIGHT)
    cells.feed(frame({0: "abcdef"}))
    # (each write places the cursor absolutely first: another program may have moved it since)
    assert cells.feed(frame({0: "XbcdeY"})) == "\x1b[HXbcdeY\r", "four cells cost less sent again than jumped"
    cells.feed(frame({0: "abcdefghijkl"}))
    assert cells.feed(frame({0: "XbcdefghijkY"})) == "\x1b[HX\x1b[10CY\r"


def test_blanks_whose_text_colour_alone_changed_are_not_sent_again():
    cells = CellFilter()
    cells.resize(WIDTH, HEIGHT)
    cells.feed(frame({0: "Name            "}, style="38;5;246;48;5;16"))
    out = cells.feed(frame({0: "Name            "}, style="38;5;188;48;5;16"))
    assert "Name" in out and out.count(" ") == 0, out
    out = cells.feed(frame({0: "Name            "}, style="7;38;5;188;48;5;16"))
    assert out.count(" ") == 12, "under reverse video a blank shows its text colour: it is sent"


def test_text_cells_cannot_place_is_sent_as_written_and_its_line_sent_in_full_next_time():
    cells = CellFilter()
    cells.resize(WIDTH, HEIGHT)
    wide = frame({1: "名前 Ana", 3: "plain"})
    first = cells.feed(wide)
    assert "名前 Ana" in first
    again = cells.feed(wide)
    assert "名前 Ana" in again, "a line with wide characters is not skipped: the terminal may count them apart"
    assert "plain" not in again, "other lines still are"
    play([wide, wide, frame({1: "e\u0301 combining", 3: "plain"}), frame({1: "back to plain", 3: "plain"})])


def test_forget_sends_the_next_frame_in_full():
    cells = CellFilter()
    cells.resize(WIDTH, HEIGHT)
    shown = frame({0: "Queue", 5: "Advice"})
    cells.feed(shown)
    assert cells.feed(shown) == ""
    cells.forget()
    out = cells.feed(shown)
    assert "Queue" in out and "Advice" in out
    cells.resize(WIDTH + 1, HEIGHT)
    assert "Queue" in cells.feed(shown), "a resize forgets the screen too"


def test_a_sequence_cut_between_two_writes_is_held():
    cells = CellFilter()
    cells.resize(WIDTH, HEIGHT)
    data = frame({0: "Hello", 1: "World"})
    cut = data.index("\x1b[2;1H") + 3
    out = cells.feed(data[:cut]) + cells.feed(data[cut:])
    assert out == CellFilter().feed("") or "World" in out
    play([data[:cut], data[cut:], data[:cut + 2], data[cut + 2:]])


def test_an_unknown_sequence_passes_in_its_place_and_nothing_is_assumed_after_it():
    cells = CellFilter()
    cells.resize(WIDTH, HEIGHT)
    shown = frame({0: "abc", 1: "def"})
    cells.feed(shown)
    out = cells.feed("\x1b[2;2H\x1b[3@" + shown)  # insert three blanks: the line shifts right
    assert "abc" in out and "def" in out and out.index("\x1b[3@") < out.index("abc")
    play([shown, "\x1b[2;2H\x1b[3@", shown])


def test_a_cursor_left_past_the_last_cell_is_put_back_there():
    line = "x" * WIDTH
    # With autowrap on, text that fills the line leaves the cursor past its end: the next character wraps.
    # The second write is already on the screen, so the filter must put the cursor there without a move.
    play([f"\x1b[1;1H{line}", f"\x1b[1;1H{line}", "Z"])
    play([f"\x1b[1;1H{line}", f"\x1b[1;1H{line}\n", "Z"])
    play(["\x1b[?7l", f"\x1b[1;1H{line}", f"\x1b[1;1H{line}", "Z"])


def test_scroll_margins_make_every_line_feed_count():
    lines = {row: f"line {row}" for row in range(HEIGHT)}
    play([frame(lines), "\x1b[2;5r\x1b[5;1H\n", frame(lines), "\x1b[r", frame(lines), frame(lines)])


def test_textuals_own_frames_show_the_same_screen(tmp_path):
    """Frames like the desk's: borders, styled runs, then the same with one case changed."""
    border = "\x1b[38;5;239;48;5;16m│\x1b[0m"
    def desk(ref: str, title: str, highlight: int) -> str:
        parts = ["\x1b[?2026h"]
        for row in range(HEIGHT):
            style = "1;38;5;231;48;5;24" if row == highlight else "38;5;188;48;5;16"
            parts.append(f"\x1b[{row + 1};1H{border}\x1b[{style}m C-{1000 + row:<5}\x1b[0m{border}")
        parts.append(f"\x1b[1;10H\x1b[1;38;5;110;48;5;16m{ref}\x1b[0m\x1b[38;5;188;48;5;16m {title:<12}\x1b[0m")
        parts.append("\x1b[1;1H\x1b[?2026l")
        return "".join(parts)
    writes = [desk("C-1000", "Rent", 0), desk("C-1001", "Repairs", 1), desk("C-1002", "Noise", 2)]
    full = sum(len(w) for w in writes[1:])
    sent = play(writes, minimize=True) - len(writes[0])
    assert sent < full / 3


# --- random streams ----------------------------------------------------------------------------------

_STYLES = st.sampled_from([
    "0", "", "1", "22", "3", "23", "4", "24", "5", "7", "27", "9", "29", "31", "39", "42", "49", "91",
    "38;5;188;48;5;16", "38;5;246;48;5;16", "0;1;7;38;5;179", "38;2;10;20;30", "48;2;1;2;3", "1;4;31;42",
    "99", "38;5",
])
_TEXT = st.lists(st.sampled_from(["a", "b", " ", "C", "D", "\u00e9", "\u2026", "\u2500", "\u2502", "\u256d", "x",
                                  "\u540d", "e\u0301", "\U0001f600", " " * 6, " " * 13]),
                min_size=1, max_size=WIDTH + 3).map("".join)
_PIECES = st.one_of(
    st.builds(lambda r, c: f"\x1b[{r};{c}H", st.integers(0, HEIGHT + 2), st.integers(0, WIDTH + 2)),
    st.builds(lambda r: f"\x1b[{r}H", st.integers(1, HEIGHT)),
    st.builds(lambda r, c: f"\x1b[{r}H" + c * WIDTH, st.integers(1, HEIGHT), st.sampled_from(["x", " ", "\u2500"])),
    _STYLES.map(lambda p: f"\x1b[{p}m"),
    _TEXT,
    _TEXT,
    st.sampled_from(["\r\n", "\n", "\r", "\x1b[C", "\x1b[3C", "\x1b[2D", "\x1b[A", "\x1b[2B", "\x1b[5G", "\x1b[3d",
                     "\x1b[K", "\x1b[1K", "\x1b[2J", "\x1b[3X", "\x1b[2@", "\x1b[P", "\x1b[L", "\x1b[M",
                     "\x1b[?7l", "\x1b[?7h", "\x1b[?25h", "\x1b[?25l", "\x1b[?2026h", "\x1b[?2026l",
                     "\x1b7", "\x1b8", "\x1b[s", "\x1b[u", "\x1bD", "\x1bM", "\x1bE", "\x1bc",
                     "\x1b(0", "\x1b(B", "\x1b[2;5r", "\x1b[r", "\x1b[4h", "\x1b[4l", "\x1b[2;6r\x1b[?6h", "\x1b[?6l",
                     "\x1b]0;title\x07", "\x1b[>1u", "\x1b[?2026$p", "\t", "\b", "\x07"]),
)


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(_PIECES, min_size=1, max_size=60), cuts=st.lists(st.integers(0, 400), max_size=6),
       repeat=st.booleans(), minimize=st.booleans(), onlcr=st.booleans(), erase=st.booleans())
def test_random_streams_show_the_same_screen(pieces, cuts, repeat, minimize, onlcr, erase):
    stream = "".join(pieces)
    if repeat:  # the same writes again: the filter's copy of the screen is put to use
        stream = stream + "\x1b[0m" + stream
    marks = sorted({min(c, len(stream)) for c in cuts} | {0, len(stream)})
    play([stream[a:z] for a, z in zip(marks, marks[1:]) if z > a], minimize=minimize, onlcr=onlcr, erase=erase)


@settings(max_examples=200, deadline=None)
@given(frames=st.lists(st.dictionaries(st.integers(0, HEIGHT - 1),
                                       st.lists(st.sampled_from([*"abc  -\u2502\u00e9", " " * 7]), max_size=WIDTH)
                                       .map(lambda chars: "".join(chars)[:WIDTH]),
                                       min_size=1, max_size=HEIGHT),
                       min_size=2, max_size=8),
       styles=st.lists(st.sampled_from(["38;5;188;48;5;16", "38;5;246;48;5;16", "1;38;5;231;48;5;24",
                                        "7;38;5;23", "4;31"]), min_size=8, max_size=8),
       onlcr=st.booleans(), erase=st.booleans())
def test_random_frames_show_the_same_screen_and_send_less(frames, styles, onlcr, erase):
    writes = [frame(lines, style=styles[number % len(styles)]) for number, lines in enumerate(frames)]
    writes.append(writes[-1])
    plain = sum(len(w) for w in writes)
    assert play(writes, minimize=True, onlcr=onlcr, erase=erase) <= plain


def test_long_blank_runs_are_erased_where_the_terminal_erases_in_its_background():
    """A shorter value in place of a longer one leaves blanks: ECH blanks them in the current background."""
    before = frame({1: "Category nursery and early years", 2: "Due"}, cursor=(0, 0))
    after = frame({1: "Category billing                ", 2: "Due"}, cursor=(0, 0))
    cells = CellFilter()
    cells.resize(40, HEIGHT)
    cells.erase = True
    cells.feed(before)
    out = cells.feed(after)
    assert "\x1b[16X" in out and " " * 5 not in out, out
    assert play([before, after], width=40, erase=True) < play([before, after], width=40)
    # Blanks inside a run of text: erased, then jumped over.
    play([frame({0: "a" * 30}), frame({0: "a" + " " * 20 + "b" * 9})], width=40, erase=True)


@pytest.mark.parametrize("style", ["7;38;5;23", "4;31", "9", "53;38;5;246"])
def test_blanks_that_show_more_than_a_background_are_written(style):
    """Under reverse video or a line a blank shows its text colour or the line: ECH would not draw that."""
    cells = CellFilter()
    cells.resize(40, HEIGHT)
    cells.erase = True
    cells.feed(frame({0: "x" * 30}, style=style))
    out = cells.feed(frame({0: " " * 30}, style=style))
    assert "X" not in out and " " * 30 in out
    play([frame({0: "x" * 30}, style=style), frame({0: " " * 30}, style=style)], width=40, erase=True)


def test_without_erase_blanks_are_written():
    cells = CellFilter()
    cells.resize(40, HEIGHT)
    cells.feed(frame({0: "x" * 30}))
    assert " " * 30 in cells.feed(frame({0: " " * 30}))


def test_a_bare_line_feed_starts_the_next_line_when_the_tty_adds_the_return():
    """With ONLCR (Linux's default) the tty sends "\r\n" for "\n": "\r\n" written would go out as "\r\r\n"."""
    before = frame({0: "abc", 1: "def", 2: "ghi"}, cursor=(0, 0))
    after = frame({0: "abX", 1: "Xef", 2: "gXi"}, cursor=(0, 0))
    for onlcr in (False, True):
        cells = CellFilter()
        cells.resize(WIDTH, HEIGHT)
        cells.onlcr = onlcr
        cells.feed(before)
        out = cells.feed(after)
        assert ("\r\n" in out) is not onlcr and "\n" in out, out
        play([before, after], onlcr=onlcr)
    # Without ONLCR a bare "\n" keeps the column: never used alone then.
    play([before, after, before], onlcr=False)


def test_moves_up_and_down_keep_the_column():
    before = frame({0: "a" * 20, 3: "b" * 20}, cursor=(0, 0))
    after = frame({0: "a" * 10 + "X" + "a" * 9, 3: "b" * 11 + "Y" + "b" * 8}, cursor=(0, 0))
    cells = CellFilter()
    cells.resize(WIDTH, HEIGHT)
    cells.feed(before)
    out = cells.feed(after)
    assert "\x1b[3B" in out, out
    play([before, after])
    play([before, after], onlcr=True)


def test_without_a_size_everything_passes_as_written():
    cells = CellFilter()
    data = frame({0: "abc"})
    assert cells.feed(data) == data and cells.feed(data) == data


@pytest.mark.parametrize("data", ["\x1b[?1049h", "\x1b[?1049l", "\x1bc", "\x1b[!p"])
def test_screen_switches_and_resets_forget_the_screen(data):
    cells = CellFilter()
    cells.resize(WIDTH, HEIGHT)
    shown = frame({0: "abc"})
    cells.feed(shown)
    assert "abc" in cells.feed(data + shown)


def test_each_write_places_the_cursor_itself_before_it_draws():
    """Between two writes another program may move the cursor (a `wall` message): a move relative to
    where this filter left it would misplace the cells, or scroll the screen from its last line."""
    cells = CellFilter()
    cells.resize(WIDTH, HEIGHT)
    cells.feed(frame({HEIGHT - 2: "second last", HEIGHT - 1: "last line"}, cursor=(HEIGHT - 2, 0)))
    out = cells.feed(frame({HEIGHT - 2: "second last", HEIGHT - 1: "Last line"}, cursor=(HEIGHT - 2, 0)))
    assert out.startswith(f"\x1b[{HEIGHT}HL"), f"not \\r\\n from where the last write left it: {out!r}"


def test_text_under_a_hyperlink_is_sent_as_written():
    """The copy of the screen holds characters and styles, not links: a linked run is never skipped,
    and the cells it covered are sent again when plain text takes their place."""
    cells = CellFilter()
    cells.resize(WIDTH, HEIGHT)
    linked = "\x1b[1;1H\x1b]8;id=1;https://example.org\x1b\\Guide\x1b]8;;\x1b\\ tail\x1b[1;1H"
    cells.feed(linked)
    again = cells.feed(linked)
    assert "Guide" in again and "tail" in again
    assert "Guide" in cells.feed("\x1b[1;1HGuide tail\x1b[1;1H"), "the link must be taken off those cells"
    play([linked, linked, "\x1b[1;1HGuide tail"])
