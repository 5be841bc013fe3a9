"""Send the terminal only the colour and style changes, not every style in full.

Textual writes each run of text as `ESC[<every attribute>m text ESC[0m`: the
full style, the text, then a reset. On a desk screen most runs share their
background and differ from the one before in one attribute, so half of what a
redraw sends over SSH is style codes the terminal already has. `SgrMinimizer`
rewrites the stream as it is written: it follows the style the stream asks for
(`want`) and the style the terminal really has (`have`), and just before
anything is drawn it sends the shortest change from one to the other. What
each cell shows is exactly what it would have shown: the change is made
before every printed character and before every sequence that paints cells
(erase, insert, scroll, a line feed that may scroll).

Anything it does not fully understand passes through untouched: after an SGR
code it cannot follow, it copies the stream's SGR verbatim until the stream
resets to something it can. Sequences that save and restore the style with the
cursor (DECSC/DECRC, SCOSC/SCORC, the 1048/1049 alternate screen) and resets
(RIS, DECSTR) are followed. A sequence split across two writes is held until
the rest arrives; `flush()` hands it over and brings the terminal to the
stream's style, for when the program lets go of the terminal.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

# One state: (bold, dim, italic, underline, blink, reverse, conceal, strike, overline, fg, bg, underline colour).
# Flags are the code that set them ("1", "4", "21", "4:3" ...) or ""; colours their parameters or "".
State = tuple
DEFAULT: State = ("",) * 12
UNKNOWN = None

_FLAGS = {  # code -> (slot, value)
    1: (0, "1"), 2: (1, "2"), 3: (2, "3"), 4: (3, "4"), 21: (3, "21"), 5: (4, "5"), 6: (4, "6"),
    7: (5, "7"), 8: (6, "8"), 9: (7, "9"), 53: (8, "53"),
}
_OFF = {  # code -> slots it clears
    22: (0, 1), 23: (2,), 24: (3,), 25: (4,), 27: (5,), 28: (6,), 29: (7,), 55: (8,),
    39: (9,), 49: (10,), 59: (11,),
}
_SLOT_OFF = {0: "22", 1: "22", 2: "23", 3: "24", 4: "25", 5: "27", 6: "28", 7: "29", 8: "55", 9: "39", 10: "49",
             11: "59"}
_EXTENDED = {38: 9, 48: 10, 58: 11}

# ESC [ params final | ESC ] ... (BEL or ESC \) | ESC <one char> | a run of plain text | a lone control.
_TOKEN = re.compile(
    r"\x1b\[(?P<params>[0-?]*)(?P<inter>[ -/]*)(?P<final>[@-~])"
    r"|\x1b\](?:[^\x07\x1b]*)(?:\x07|\x1b\\)"
    r"|\x1b(?P<esc>[ -/]*[0-~])"
    r"|(?P<text>[^\x1b\x00-\x1f\x7f]+)"
    r"|(?P<control>[\x00-\x1a\x1c-\x1f\x7f])"
    r"|(?P<other>\x1b)",
    re.DOTALL,
)
# An escape sequence cut off at the end of a write (held for the next one).
_PARTIAL = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*(?:\x1b)?|[ -/]*)?\Z")
# CSI finals that paint cells with the current background (erase, insert, delete, scroll, repeat).
_PAINTS = frozenset("@JKLMPSTXb")
# Private modes that save (h) and restore (l) the cursor with its style: 1048, and the 1049 alternate
# screen (47 and 1047 only switch screens, the style stays as it is).
_SAVES_STYLE = frozenset({"?1049", "?1048"})


@lru_cache(maxsize=4096)  # a screen uses a few dozen styles: each code is parsed once per style it follows
def parse_sgr(params: str, state: Optional[State]) -> Optional[State]:
    """The state after `ESC[<params>m` applied to `state` (None = not known); None if a code is not understood."""
    codes = params.split(";") if params else ["0"]
    current = list(DEFAULT if state is None else state)
    known = state is not None
    at = 0
    while at < len(codes):
        raw = codes[at]
        if ":" in raw:  # ITU sub-parameters: 4:3 (curly underline), 38:2::r:g:b ...
            head = raw.split(":", 1)[0] or "0"
            if not head.isdigit() or not known:
                return None
            code = int(head)
            if code == 4:
                current[3] = "" if raw in ("4:0",) else raw
            elif code in _EXTENDED:
                current[_EXTENDED[code]] = raw
            else:
                return None
            at += 1
            continue
        if raw and not raw.isdigit():
            return None
        code = int(raw or "0")
        if code == 0:
            current, known = list(DEFAULT), True
        elif not known:
            return None  # relative to a state nobody knows
        elif code in _FLAGS:
            slot, value = _FLAGS[code]
            current[slot] = value
        elif code in _OFF:
            for slot in _OFF[code]:
                current[slot] = ""
        elif 30 <= code <= 37 or 90 <= code <= 97:
            current[9] = str(code)
        elif 40 <= code <= 47 or 100 <= code <= 107:
            current[10] = str(code)
        elif code in _EXTENDED:
            kind = codes[at + 1] if at + 1 < len(codes) else ""
            width = {"5": 2, "2": 4}.get(kind)
            if width is None or at + width >= len(codes):
                return None
            parts = codes[at + 1:at + 1 + width]
            if not all(p.isdigit() for p in parts):
                return None
            current[_EXTENDED[code]] = ";".join([str(code), *parts])
            at += width
        else:
            return None
        at += 1
    return tuple(current) if known else None


def _full(state: State) -> list[str]:
    return [value for value in state if value]


@lru_cache(maxsize=4096)
def transition(have: Optional[State], want: State) -> str:
    """The shortest SGR sequence that takes the terminal from `have` (None = not known) to `want`."""
    if have == want:
        return ""
    reset = ["0", *_full(want)] if want != DEFAULT else ["0"]
    if have is None:
        return _sgr(reset)
    codes: list[str] = []
    if (have[0] and not want[0]) or (have[1] and not want[1]):
        codes.append("22")  # turns off bold and dim together: set again whichever stays
        codes += [want[slot] for slot in (0, 1) if want[slot]]
    else:
        codes += [want[slot] for slot in (0, 1) if want[slot] != have[slot]]
    for slot in range(2, 12):
        if want[slot] != have[slot]:
            codes.append(want[slot] or _SLOT_OFF[slot])
    # `0;...` (reset and set) is sometimes shorter than undoing several attributes one by one.
    return _sgr(codes if len(";".join(codes)) <= len(";".join(reset)) else reset)


def _sgr(codes: list[str]) -> str:
    return f"\x1b[{';'.join(codes)}m" if codes else ""


# The stream between two SGR sequences: a chunk made only of these draws nothing (cursor moves, modes).
_MOVES = re.compile(r"(?:\x1b\[[0-9;?]*[ABCDEFGHdfhl]|\r|\n)+")
_MOVE_PARTS = re.compile(r"\x1b\[([0-9;?]*)([ABCDEFGHdfhl])|\r|\n")
_SGR_SPLIT = re.compile(r"\x1b\[([0-9;:]*)m")
# A chunk with any of these is read token by token (it may save or restore the style, or reset the terminal).
_CAREFUL = ("\x1b7", "\x1b8", "\x1bc", "\x1b[s", "\x1b[u", "?1048", "?1049", "\x1b[!")


def take_whole(held: str, data: str) -> tuple[str, str]:
    """(what can be read now, what to hold): `data` after what an earlier write left `held`, with an escape
    sequence cut off at its end held back for the next write."""
    if held:
        data = held + data
    tail = data.rfind("\x1b", max(0, len(data) - 256))
    if tail >= 0 and _PARTIAL.match(data, tail):
        return data[:tail], data[tail:]
    return data, ""


class SgrMinimizer:
    """Rewrites a stream of terminal output so each style change is sent once and only as a change.

    Fast on the usual stream (Textual's): the data is split at its SGR sequences,
    and a piece between two of them is copied whole, preceded by the style change
    if it draws anything. Transitions and parsed sequences are cached, so a frame
    costs a few dictionary look-ups per run of text.
    """

    def __init__(self) -> None:
        self.have: Optional[State] = UNKNOWN  # what the terminal has
        self.want: Optional[State] = DEFAULT  # what the stream has asked for (None: not followed)
        self._held = ""
        self._saved: Optional[State] = UNKNOWN  # the style a restore brings back (None: not known)
        # Where the cursor is, to tell a line feed that only moves it from one that scrolls (and so paints
        # a new line with the current background). Set by the driver: the terminal's height.
        self.height: Optional[int] = None
        self._row: Optional[int] = None  # 1-based; None: not known
        self._wraps = True  # autowrap (DECAWM): text may move the cursor to the next line

    def forget(self) -> None:
        """Something else may have written to the terminal (or it was reset): send the next style in full."""
        self.have = UNKNOWN
        self._row = None

    def feed(self, data: str) -> str:
        """The rewritten form of `data` (a sequence cut off at its end is held for the next call)."""
        data, self._held = take_whole(self._held, data)
        out: list[str] = []
        add = out.append
        pieces = _SGR_SPLIT.split(data)
        self._chunk(pieces[0], add)
        for at in range(1, len(pieces), 2):
            self._style(pieces[at], add)
            self._chunk(pieces[at + 1], add)
        return "".join(out)

    def flush(self) -> str:
        """Whatever is held, and the terminal brought to the stream's style (before the program lets go of it)."""
        out, self._held = self._held, ""
        if self.want is not None and self.have != self.want:
            out += transition(self.have, self.want)
            self.have = self.want
        return out

    # --- pieces ------------------------------------------------------------------------------

    def _chunk(self, chunk: str, add) -> None:
        if not chunk:
            return
        if "\x1b" in chunk:
            if any(marker in chunk for marker in _CAREFUL):
                self._tokens(chunk, add)
                return
            if _MOVES.fullmatch(chunk):
                self._moves_only(chunk, add)
                return
        elif chunk == "\n" or chunk == "\r\n":
            self._moves_only(chunk, add)
            return
        self._sync(add)
        add(chunk)
        self._after_drawing(chunk)

    def _moves_only(self, chunk: str, add) -> None:
        """Cursor moves, modes and line feeds (Textual's "go to the next line"): nothing is drawn unless
        a line feed scrolls, which paints a new line with the current background."""
        for part in _MOVE_PARTS.finditer(chunk):
            if part.group(0) == "\n":
                if self._feed_scrolls():
                    self._sync(add)
            elif part.group(0) != "\r":
                self._follow_cursor(part.group(1), part.group(2))
            add(part.group(0))

    def _follow_cursor(self, params: str, final: str) -> None:
        """The cursor's line after `ESC[<params><final>` (a move or a mode)."""
        if final in "Hf":
            row = params.split(";", 1)[0]
            self._row = int(row) if row.isdigit() else (1 if row == "" else None)
        elif final == "d":
            self._row = int(params) if params.isdigit() else (1 if params == "" else None)
        elif final in "hl":
            if params == "?7":
                self._wraps = final == "h"
        elif final not in "CDG":  # those move along the line
            self._row = None

    def _feed_scrolls(self) -> bool:
        """True unless the cursor is known to be above the last line (then a line feed only moves it down)."""
        if self._row is None or self.height is None or self._row >= self.height:
            self._row = None
            return True
        self._row += 1
        return False

    def _after_drawing(self, chunk: str) -> None:
        """Text and sequences drawn: where the cursor is now, if that can still be told."""
        if self._wraps or "\x1b" in chunk or "\n" in chunk or "\r" in chunk or "\b" in chunk:
            self._row = None

    def _tokens(self, chunk: str, add) -> None:
        """A piece that may save, restore or reset the style: step through its sequences one by one."""
        for token in _TOKEN.finditer(chunk):
            final, esc = token.group("final"), token.group("esc")
            if final is not None:
                params, inter = token.group("params"), token.group("inter")
                if final in _PAINTS:
                    self._sync(add)
                saves = (final == "h" and params in _SAVES_STYLE) or (final == "s" and not params and not inter)
                restores = (final == "l" and params in _SAVES_STYLE) or (final == "u" and not params and not inter)
                if saves:
                    self._save(add)
                elif restores:
                    self._sync(add)  # a terminal with nothing saved may keep the style it has: give it the stream's
                add(token.group(0))
                if restores:
                    self._restore()
                elif inter == "!" and final == "p":  # DECSTR, a soft reset: the style is back to normal
                    self.want = self.have = DEFAULT
            elif esc is not None:
                if esc == "7":
                    self._save(add)
                elif esc == "8":
                    self._sync(add)
                add(token.group(0))
                if esc == "8":
                    self._restore()
                elif esc == "c":  # RIS, a full reset (autowrap back on, too)
                    self.want = self.have = DEFAULT
                    self._saved = DEFAULT
                    self._wraps = True
            else:
                if token.group("text") is not None or token.group("control") is not None:
                    self._sync(add)
                add(token.group(0))
        self._row = None

    def _save(self, add) -> None:
        """The terminal is about to save its cursor with the style (DECSC, an alternate screen): first give it
        the style the stream has asked for, so that is what a restore brings back."""
        self._sync(add)
        self._saved = self.want

    def _restore(self) -> None:
        self.want = self.have = self._saved

    def _style(self, params: str, add) -> None:
        state = parse_sgr(params, self.want)
        if self.want is None:
            # Not followed: copied as it is until the stream resets to something understood.
            add(f"\x1b[{params}m")
            self.want = self.have = state
        elif state is None:
            self._sync(add)
            add(f"\x1b[{params}m")
            self.want = self.have = None
        else:
            self.want = state

    def _sync(self, add) -> None:
        want = self.want
        if want is not None and self.have != want:
            add(transition(self.have, want))
            self.have = want


__all__ = ["DEFAULT", "SgrMinimizer", "parse_sgr", "take_whole", "transition"]
