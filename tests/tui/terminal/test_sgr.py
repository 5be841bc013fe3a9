"""Only style changes are sent (deskapp.tui.terminal.sgr): the terminal must show exactly the same cells.

The oracle is a plain interpreter written apart from the minimizer: it applies
every SGR code in turn and records the style of each cell drawn (text, and the
cells an erase or a line feed paints). The original stream and the rewritten
one must give the same record, for Textual's real output and for random
streams (Hypothesis) that mix styles, unknown codes, cursor saves and restores,
resets, and writes cut in the middle of a sequence.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from deskapp.tui.terminal.sgr import DEFAULT, SgrMinimizer, parse_sgr, transition

# --- the oracle -------------------------------------------------------------------------------

_TOKENS = re.compile(r"\x1b\[([0-?]*)([ -/]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b([ -/]*[0-~])|([^\x1b])",
                     re.DOTALL)


def _apply(style: dict, opaque: tuple, params: str) -> tuple[dict, tuple]:
    codes = params.split(";") if params else ["0"]
    style = dict(style)
    at = 0
    while at < len(codes):
        code = codes[at]
        if code in ("", "0"):
            style, opaque = {}, ()
        elif code in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "21", "53"):
            key = {"1": "bold", "2": "dim", "3": "italic", "4": "ul", "21": "ul", "5": "blink", "6": "blink",
                   "7": "reverse", "8": "conceal", "9": "strike", "53": "overline"}[code]
            style[key] = code
        elif code == "22":
            style.pop("bold", None)
            style.pop("dim", None)
        elif code in ("23", "24", "25", "27", "28", "29", "55", "39", "49", "59"):
            key = {"23": "italic", "24": "ul", "25": "blink", "27": "reverse", "28": "conceal", "29": "strike",
                   "55": "overline", "39": "fg", "49": "bg", "59": "ulc"}[code]
            style.pop(key, None)
        elif code.isdigit() and (30 <= int(code) <= 37 or 90 <= int(code) <= 97):
            style["fg"] = code
        elif code.isdigit() and (40 <= int(code) <= 47 or 100 <= int(code) <= 107):
            style["bg"] = code
        elif code in ("38", "48", "58") and at + 1 < len(codes) and codes[at + 1] in ("5", "2"):
            width = 2 if codes[at + 1] == "5" else 4
            key = {"38": "fg", "48": "bg", "58": "ulc"}[code]
            style[key] = ";".join(codes[at:at + 1 + width])
            at += width
        elif code.startswith("4:"):
            style["ul"] = code
        else:
            opaque = opaque + (code,)
        at += 1
    return style, opaque


HEIGHT = 6


def cells(stream: str, height: int = HEIGHT) -> list[tuple]:
    """(what, style) for each thing the terminal draws, in order.

    The cursor's line is followed as a terminal with autowrap off (as Textual
    sets it) does: a line feed on the last line scrolls, painting a new line
    with the current background; anywhere else it only moves the cursor.
    """
    style: dict = {}
    opaque: tuple = ()
    row = 1
    saved = ({}, (), 1)
    out = []
    for token in _TOKENS.finditer(stream):
        params, inter, final, esc, char = token.groups()
        now = (tuple(sorted(style.items())), opaque)
        if final == "m" and not inter:
            style, opaque = _apply(style, opaque, params)
        elif final is not None:
            numbers = [int(p) if p.isdigit() else 1 for p in params.split(";")] if params[:1] != "?" else []
            if final in "@JKLMPSTXb":
                out.append((f"paint {final}", now))
            if final in "Hf":
                row = min(max(numbers[0] if numbers else 1, 1), height)
            elif final == "d":
                row = min(max(numbers[0] if numbers else 1, 1), height)
            elif final in "AF":
                row = max(row - (numbers[0] if numbers else 1), 1)
            elif final in "BE":
                row = min(row + (numbers[0] if numbers else 1), height)
            if (final == "h" and params in ("?1048", "?1049")) or (final == "s" and not params and not inter):
                saved = (style, opaque, row)
            if (final == "l" and params in ("?1048", "?1049")) or (final == "u" and not params and not inter):
                style, opaque, row = saved
            if inter == "!" and final == "p":
                style, opaque = {}, ()
        elif esc is not None:
            if esc == "7":
                saved = (style, opaque, row)
            elif esc == "8":
                style, opaque, row = saved
        elif char is not None:
            if char == "\n":
                if row >= height:
                    out.append(("scrolled in a line", now))
                row = min(row + 1, height)
            elif char >= " " and char != "\x7f":
                out.append((char, now))
    return out


def rewritten(*writes: str) -> str:
    minimizer = SgrMinimizer()
    minimizer.height = HEIGHT
    return "".join(minimizer.feed(w) for w in writes) + minimizer.flush()


# --- Textual's own output -----------------------------------------------------------------------


def textual_like_frame() -> str:
    """A frame as Textual writes it: every run with its full style, then a reset."""
    runs = []
    for row in range(1, HEIGHT + 1):
        runs.append(f"\x1b[{row};2H")
        for text, sgr in (("│", "38;5;239;48;5;16"), (" C-1001 ", "1;38;5;110;48;5;16"), ("Complaint", "38;5;188;48;5;16"),
                          (" · ", "38;5;246;48;5;16"), ("overdue", "1;38;5;174;48;5;16"), ("  ", "48;5;16")):
            runs.append(f"\x1b[{sgr}m{text}\x1b[0m")
        if row < HEIGHT:
            runs.append("\n")
    return "\x1b[?7l\x1b[?2026h" + "".join(runs) + "\x1b[?2026l"


def test_a_textual_frame_draws_the_same_cells_with_far_fewer_bytes():
    frame = textual_like_frame()
    out = rewritten(frame)
    assert cells(out) == cells(frame)
    assert len(out) < 0.7 * len(frame)
    assert "\x1b[0m" not in out[:-4]  # no reset after every run, nor before every line feed


def test_the_first_style_is_sent_in_full_from_a_reset():
    out = SgrMinimizer().feed("\x1b[38;5;188mA")
    assert out == "\x1b[0;38;5;188mA"


def test_a_change_sends_only_what_changed():
    minimizer = SgrMinimizer()
    minimizer.feed("\x1b[1;38;5;110;48;5;16mA\x1b[0m")
    assert minimizer.feed("\x1b[38;5;188;48;5;16mB\x1b[0m") == "\x1b[22;38;5;188mB"


def test_nothing_is_sent_for_a_style_that_draws_nothing():
    minimizer = SgrMinimizer()
    minimizer.feed("\x1b[31mA")
    assert minimizer.feed("\x1b[0m\x1b[5;5H\x1b[32m\x1b[0m\x1b[31mB") == "\x1b[5;5HB"


def test_an_erase_and_a_line_feed_get_the_background_they_paint_with():
    minimizer = SgrMinimizer()
    minimizer.height = HEIGHT
    stream = f"\x1b[?7l\x1b[44m\x1b[2J\x1b[0m\x1b[45m\x1b[{HEIGHT};1H\n"
    out = minimizer.feed(stream)
    assert cells(out) == cells(stream)
    assert out.index("\x1b[0;44m") < out.index("\x1b[2J")
    assert out.index("\x1b[45m") < out.index("\n"), "the last line scrolls: it needs its background"


def test_a_line_feed_that_cannot_scroll_needs_no_style():
    minimizer = SgrMinimizer()
    minimizer.height = HEIGHT
    minimizer.feed("\x1b[?7l\x1b[31mA")
    assert minimizer.feed("\x1b[0m\x1b[2;1H\n\x1b[3;1H\x1b[31mB") == "\x1b[2;1H\n\x1b[3;1HB"
    # Without the height (or the cursor's line) it cannot tell, so the style goes first.
    unsure = SgrMinimizer()
    unsure.feed("\x1b[31mA")
    assert unsure.feed("\x1b[0m\n") == "\x1b[0m\n"


def test_a_sequence_cut_between_two_writes_is_held_for_the_rest():
    minimizer = SgrMinimizer()
    first = minimizer.feed("\x1b[38;5;1")
    assert first == ""
    assert minimizer.feed("88mA") == "\x1b[0;38;5;188mA"


def test_an_unknown_code_is_copied_and_followed_verbatim_until_a_reset():
    stream = "\x1b[1mA\x1b[73mB\x1b[1mC\x1b[0mD\x1b[31mE"
    out = rewritten(stream)
    assert "\x1b[73m" in out
    assert cells(out) == cells(stream)


def test_a_full_reset_forgets_everything():
    minimizer = SgrMinimizer()
    minimizer.feed("\x1b[1;31mA")
    assert minimizer.feed("\x1bc\x1b[1;31mB") == "\x1bc\x1b[1;31mB"


def test_flush_brings_the_terminal_back_to_the_streams_style():
    minimizer = SgrMinimizer()
    minimizer.feed("\x1b[1;31mA\x1b[0m")
    assert minimizer.flush() == "\x1b[0m"
    assert minimizer.flush() == ""


@pytest.mark.parametrize("params, expected", [
    ("", DEFAULT), ("0", DEFAULT), ("1;2;22", DEFAULT),
    ("38;5;188;48;2;1;2;3", ("",) * 9 + ("38;5;188", "48;2;1;2;3", "")),
    ("38;5", None), ("38;7;1", None), ("4:3", ("", "", "", "4:3") + ("",) * 8), ("x", None), ("1;99", None),
])
def test_parse_sgr(params, expected):
    assert parse_sgr(params, DEFAULT) == expected


def test_the_shorter_of_a_change_and_a_reset_is_chosen():
    bold_italic_red = parse_sgr("1;3;4;7;9;31", DEFAULT)
    blue = parse_sgr("34", DEFAULT)
    assert transition(bold_italic_red, blue) == "\x1b[0;34m"
    assert transition(blue, parse_sgr("34;1", DEFAULT)) == "\x1b[1m"
    # Bold off while dim stays: 22 turns off both, so dim is set again.
    assert transition(parse_sgr("1;2;38;5;100", DEFAULT), parse_sgr("2;38;5;100", DEFAULT)) == "\x1b[22;2m"


# --- any stream ---------------------------------------------------------------------------------

_code = st.one_of(
    st.sampled_from(["", "0", "1", "2", "3", "4", "5", "7", "8", "9", "21", "22", "23", "24", "25", "27", "28",
                     "29", "53", "55", "39", "49", "59", "4:3", "73", "x"]),
    st.integers(30, 37).map(str), st.integers(90, 97).map(str), st.integers(40, 47).map(str),
    st.builds(lambda which, n: f"{which};5;{n}", st.sampled_from(["38", "48", "58"]), st.integers(0, 255)),
    st.builds(lambda which, r, g, b: f"{which};2;{r};{g};{b}", st.sampled_from(["38", "48"]),
              st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
)
_piece = st.one_of(
    st.lists(_code, min_size=1, max_size=4).map(lambda codes: f"\x1b[{';'.join(codes)}m"),
    st.text(alphabet="ab │·é中 ", min_size=1, max_size=6),
    st.sampled_from(["\n", "\n", "\n", "\r", "\x1b[K", "\x1b[2J", "\x1b[?25l", "\x1b[?2026h", "\x1b7", "\x1b8",
                     "\x1b[s", "\x1b[u", "\x1b[?1049h", "\x1b[?1049l", "\x1b[!p", "\x1b[2 q", "\x1b[A", "\x1b[2B",
                     "\x1b[3C", "\x1b[E", "\x1b[F", "\x1b[5G", "\x1b[d", "\x1b[H", "\x1b[3;1f",
                     "\x1b]0;title\x07", "\x1b(B", "\x1b", "\x1b[0m\x1b[0m"]),
    st.integers(1, HEIGHT + 1).map(lambda row: f"\x1b[{row};2H"),
    st.integers(1, HEIGHT).map(lambda row: f"\x1b[{row}d"),
)


@settings(max_examples=600, deadline=None)
@given(pieces=st.lists(_piece, max_size=40), cuts=st.lists(st.integers(0, 400), max_size=4))
def test_any_stream_draws_the_same_cells(pieces, cuts):
    stream = "\x1b[1;1H\x1b[?7l" + "".join(pieces)  # as Textual starts: cursor home, no autowrap
    bounds = sorted({min(c, len(stream)) for c in cuts})
    writes = [stream[a:b] for a, b in zip([0, *bounds], [*bounds, len(stream)])]
    out = rewritten(*writes)
    assert cells(out) == cells(stream)
