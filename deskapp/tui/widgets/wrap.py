"""Where to break a line of pane text: at spaces, never inside a token that fits.

Why not Textual's own wrapping: it folds any word longer than the space left
after the indent, so an email address or a rule id in a pane with a hanging
indent came out as `nadia.kowalski@adultcare.example.or` / `g` and
`(unanswered-conta` / `cts)`. Here a token that is too long for the indented
width but fits the pane is moved out of the indent (only as far as it must);
a token is cut only when it is longer than the whole pane. With `phrases`,
runs of two or more spaces separate phrases that stay together when they fit
("from Nadia Kowalski" in a contact heading), falling back to single spaces.

Pure: plain text in, (indent, start, end) per line out, so it is tested alone.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

_WORD = re.compile(r"\S+")
_PHRASE = re.compile(r"\S+(?: \S+)*")

Line = tuple[int, int, int]  # (indent, start, end): the line shows text[start:end] after `indent` cells


def wrap(text: str, width: int, indent: int = 0, *, hang: int = 0, phrases: bool = False,
         keep_first: bool = False) -> list[Line]:
    """Break one line of `text` (no newlines) into lines at most `width` cells wide, indent included.

    Every line is indented by `indent`, and the lines after the first by `hang`
    more (a heading's second line sits under its words), except one that starts with a token
    too long for `width - indent` but not for `width`: that line is indented
    less, just enough. `keep_first` keeps the first line's indent (it holds a
    badge): such a token then starts on the second line. The spaces where
    lines break are dropped; no other character is.
    """
    width = max(width, 1)
    first_indent = min(max(indent, 0), width - 1)
    later_indent = min(max(indent + hang, 0), width - 1)
    indent = first_indent  # of the line being filled, before any move out of it
    lines: list[Line] = []
    # The line being filled: its indent and start, and its end so far (None while empty).
    state = {"indent": indent, "start": 0, "end": None}

    def close() -> None:
        nonlocal indent
        if state["end"] is not None:
            lines.append((state["indent"], state["start"], state["end"]))
        if lines:
            indent = later_indent
        state["indent"], state["end"] = indent, None

    def close_badge_line(at: int) -> None:
        """The first line holds only the badge; the next (hung) line takes the token."""
        nonlocal indent
        lines.append((indent, at, at))
        indent = later_indent
        state["indent"] = indent

    def room(ind: int) -> int:
        return width - ind

    def extends(end: int) -> bool:
        """Whether the line being filled can take everything up to `end` (and then does)."""
        if state["end"] is None or cell_len(text[state["start"]:end]) > room(state["indent"]):
            return False
        state["end"] = end
        return True

    def place_word(start: int, end: int) -> None:
        if extends(end):
            return
        close()
        size = cell_len(text[start:end])
        if size <= room(indent):
            state.update(start=start, end=end)
        elif size <= width:  # too wide for the indent, not for the pane: out of the indent
            if not lines and keep_first:
                close_badge_line(start)
            state.update(indent=indent if size <= room(indent) else width - size, start=start, end=end)
        else:  # longer than the whole pane: cut it
            for a, b in _fold(text, start, end, room(indent)):
                close()
                state.update(indent=min(indent, max(width - cell_len(text[a:b]), 0)), start=a, end=b)

    def place_phrase(start: int, end: int) -> None:
        if extends(end):
            return
        close()
        if cell_len(text[start:end]) <= room(indent):
            state.update(start=start, end=end)
        else:  # a phrase wider than a line: its words, one by one
            for word in _WORD.finditer(text, start, end):
                place_word(word.start(), word.end())

    for unit in (_PHRASE if phrases else _WORD).finditer(text):
        (place_phrase if phrases else place_word)(unit.start(), unit.end())
    close()
    if lines and text[:lines[0][1]].strip(" ") == "" and lines[0][1] > 0:
        # Leading spaces (an indented paragraph) stay if the first line still fits with them.
        ind, start, end = lines[0]
        if cell_len(text[:end]) <= room(ind):
            lines[0] = (ind, 0, end)
    return lines or [(indent, 0, 0)]


_BREAK_AFTER = frozenset(".@-/_")  # where a token too long for the pane reads best cut: user@ / host.


def _fold(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """text[start:end] cut into pieces at most `size` cells (at least one character each).

    Each cut goes after the last `.`, `@`, `-`, `/` or `_` that fits, if any
    (`nadia.kowalski@` / `adultcare.example.org`), else where the piece is full.
    """
    size = max(size, 1)
    pieces, a, used, mark = [], start, 0, None
    i = start
    while i < end:
        cells = cell_len(text[i])
        if used and used + cells > size:
            cut = mark if mark is not None else i
            pieces.append((a, cut))
            a, used, mark = cut, cell_len(text[cut:i]), None
            continue
        used += cells
        if text[i] in _BREAK_AFTER and i + 1 < end:
            mark = i + 1
        i += 1
    pieces.append((a, end))
    return pieces


__all__ = ["Line", "wrap"]
