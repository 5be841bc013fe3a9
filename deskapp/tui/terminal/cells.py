"""Send the terminal only the cells that change, not whole lines.

Textual repaints a changed line from the left edge of its widget to the right:
when the cursor moves to the next case, the case pane's labels, borders and the
blank space after each value are sent again although the terminal already shows
them. `CellFilter` keeps a copy of what the terminal shows (character and style
of every cell) and rewrites Textual's stream as it is written: a run of text
whose cells are already on the screen is dropped, and the cursor jumps over it
with the shortest move. What each cell shows afterwards is exactly what it would
have shown.

Only what is fully understood is skipped. The copy covers text written at a
known place in a known style, in characters one cell wide. Anything else (a wide
or combining character, a scroll, an erase, an escape sequence it does not know,
another character set) passes through as it was written, after the terminal's
cursor and style are brought to where the stream had them, and the cells it may
have touched are forgotten, so they are sent in full the next time. `forget()`
drops the whole copy: when the terminal was resized, something else wrote to it,
or the handler asked for a redraw (ctrl+l).

Cursor moves are sent lazily, only before something is drawn, and at the end of
every write the cursor is put where the stream left it (Textual parks it for
input methods). A style is sent just before the text it colours, as the change
from the style the terminal has; blanks that look the same in that style take
no change at all. The SgrMinimizer after this stage still shortens the styles
of whatever passed through as written.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Optional

from rich.cells import get_character_cell_size

from deskapp.tui.terminal.sgr import _TOKEN, DEFAULT, State, parse_sgr, take_whole, transition

Add = Callable[[str], None]

# Private modes that switch screens or change what positions mean: the copy is dropped.
_SCREEN_MODES = frozenset({"?47", "?1047", "?1049", "?3", "?5"})
# Modes after which positions or margins are not the plain screen's: nothing is skipped until reset.
_ODD_MODES = frozenset({"?6", "?69"})

# The stream cut at its escape sequences and controls (captured): text, sequence, text, sequence ...
_SPLIT = re.compile(
    r"(\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -/]*[0-~]|\x1b|[\x00-\x1a\x1c-\x1f\x7f])")
_SGR_BODY = re.compile(r"[0-9;:]*")
_CUP = re.compile(r"\x1b\[(\d*)(?:;(\d*))?[Hf]")


@lru_cache(maxsize=4096)
def _place(sequence: str):
    """(row, col), 0-based, for a plain cursor position (ESC [ row ; col H); False for anything else."""
    match = _CUP.fullmatch(sequence)
    if match is None:
        return False
    return int(match.group(1) or 1) - 1, int(match.group(2) or 1) - 1


def _drawn(state: State) -> bool:
    """A blank in `state` shows more than its background: underline, reverse video, strike or overline."""
    return bool(state[3] or state[5] or state[7] or state[8])


@lru_cache(maxsize=4096)
def _blank(state: State) -> State:
    """How a space in `state` looks: only its background, unless a line or reverse video draws the
    foreground too (so a blank cell whose text colour alone changed is not sent again)."""
    if _drawn(state):
        return state
    return (*DEFAULT[:10], state[10], DEFAULT[11])


_MIN_ERASE = 9  # fewer blanks than this are cheaper written than erased and jumped over
_BLANKS = re.compile(" {%d,}" % _MIN_ERASE)


def _step(count: int, final: str) -> str:
    """A relative move of `count` (at least 1) cells or lines: ESC [ n A/B/C/D, the count left out for one."""
    return f"\x1b[{final}" if count == 1 else f"\x1b[{count}{final}"


def _jump_len(cells: int) -> int:
    """Bytes of a forward move over `cells` cells (len of _step(cells, "C"), counted without making it)."""
    return 3 if cells == 1 else 3 + len(str(cells))


class CellFilter:
    """Rewrites a full-screen stream so that only cells that differ from the terminal's are drawn."""

    def __init__(self) -> None:
        self.width = 0
        self.height = 0
        self._chars: list[list[Optional[str]]] = []
        self._styles: list[list[Optional[State]]] = []
        self._held = ""
        self.want: Optional[State] = DEFAULT  # the style the stream has asked for (None: not followed)
        self._shown: Optional[State] = None  # the style this filter last sent (None: not known)
        # Where the stream's cursor is (row, col; 0-based), and line feeds it made after that which were
        # not sent yet. Without a place, `_row` may still know the line (after text sent as it was).
        self._src: Optional[tuple[int, int]] = None
        self._feeds = 0
        self._row: Optional[int] = None
        self._reach = 0  # with only `_row` known: the column the stream's text has reached, as Textual counts
        self._out: Optional[tuple[int, int]] = None  # where the terminal's cursor is, if known
        self._synced = True  # the terminal's cursor is where the stream's is (even if neither is known)
        self._fresh = False  # `_out` was set by a move this write made (see _move_to)
        # Why cells cannot be trusted now (scroll margins, origin mode, another character set, insert
        # mode ...): while any reason stands, everything is sent as it was written.
        self._odd_reasons: set[str] = set()
        self._wraps = True
        self._linked = False  # inside an OSC 8 hyperlink
        self._single: dict[str, bool] = {}
        # What the terminal is known to do (the driver says; both off is always safe):
        self.onlcr = False  # the tty sends "\r\n" for "\n" (termios OPOST and ONLCR)
        self.erase = False  # ECH (ESC [ n X) blanks cells in the current background (terminfo bce, ech)

    # --- the driver's side ---------------------------------------------------------------------

    def resize(self, width: int, height: int) -> None:
        """The terminal's size (at start and on every resize): what it showed is no longer known."""
        if width > 0 and height > 0:
            self.width, self.height = width, height
        self.forget()

    def forget(self) -> None:
        """Assume nothing about the terminal's cells, cursor or style (the next frame is sent in full)."""
        self._chars = [[None] * self.width for _ in range(self.height)]
        self._styles = [[None] * self.width for _ in range(self.height)]
        self._shown = None
        self._lost()

    def feed(self, data: str) -> str:
        """The rewritten form of `data` (a sequence cut off at its end is held for the next call)."""
        data, self._held = take_whole(self._held, data)
        if not self._chars:  # no size yet: nothing can be placed
            self.want = self._shown = None
            return data
        self._fresh = False  # the terminal's cursor is trusted only after this write has placed it
        out: list[str] = []
        add = out.append
        text_at = self._text
        for at, piece in enumerate(_SPLIT.split(data)):
            if not piece:
                continue
            if not at & 1:  # the pieces between sequences and controls: text
                text_at(piece, add)
                continue
            if piece[-1] == "H":  # the usual move
                place = _place(piece)
                if place and not self._odd_reasons:
                    self._move_source(*place)
                    continue
            elif piece[-1] == "m" and piece[1] == "[":
                if piece == "\x1b[0m":  # Textual's reset after every run
                    self.want = DEFAULT
                    continue
                if _SGR_BODY.fullmatch(piece, 2, len(piece) - 1):
                    self._style(piece, piece[2:-1], add)
                    continue
            self._sequence(piece, add)
        self._sync_cursor(add)
        return "".join(out)

    def _sequence(self, piece: str, add: Add) -> None:
        token = _TOKEN.fullmatch(piece)
        if token is not None and token.group("final") is not None:
            self._csi(piece, token.group("params"), token.group("inter"), token.group("final"), add)
        elif token is not None and token.group("esc") is not None:
            self._escape(piece, token.group("esc"), add)
        elif token is not None and token.group("control") is not None:
            self._control(piece, add)
        else:  # an OSC string (title, clipboard, hyperlink) or a lone ESC: no cell changes
            self._sync_cursor(add)
            add(piece)
            if piece.startswith("\x1b]8;"):  # a hyperlink opens (a target) or closes (none)
                target = piece[4:].rstrip("\x07").removesuffix("\x1b\\").partition(";")[2]
                self._linked = bool(target)

    def flush(self) -> str:
        """Whatever is held, with the cursor and style where the stream left them (the terminal is let go)."""
        out: list[str] = [self._held]
        self._held = ""
        self._sync_cursor(out.append)
        self._sync_style(out.append)
        return "".join(out)

    # --- text ------------------------------------------------------------------------------------

    def _text(self, text: str, add: Add) -> None:
        src, want = self._src, self.want
        if src is None or self._feeds or want is None or self._odd_reasons or self._linked:
            # (text under a hyperlink: the copy does not hold links, so it is sent as it is)
            self._faithful(text, add)
            return
        row, col = src
        size = len(text)
        end = col + size
        if end > self.width or not (text.isascii() or self._all_single(text)):
            self._faithful(text, add)
            return
        chars, styles = self._chars[row], self._styles[row]
        new = list(text)
        if chars[col:end] != new or styles[col:end] != [want] * size:
            # Stored styles are the ones last drawn; a blank counts by its look (see _blank).
            for start, stop in self._changed(text, chars, styles, col, want):
                self._move_to(row, col + start, add)
                shown = self._shown
                if text[start] == " " and shown is not None and _blank(shown) == _blank(want):
                    # Blanks look the same in the style the terminal has: no change is sent for them.
                    blanks = len(text[start:stop]) - len(text[start:stop].lstrip(" "))
                    self._put(text[start:start + blanks], row, col + start, stop - start == blanks, add)
                    start += blanks
                if start < stop:
                    self._sync_style(add)
                    self._put(text[start:stop], row, col + start, True, add)
            chars[col:end] = new
            styles[col:end] = [want] * size
        self._src = (row, end)
        self._synced = self._out == self._src

    def _put(self, text: str, row: int, col: int, last: bool, add: Add) -> None:
        """Draw `text` at the cursor (at row, col) in the style the terminal has.

        Where the terminal can blank cells in its current background (ECH), a long
        run of blanks is erased instead of written: "ESC [ 24 X" for 24 spaces.
        ECH leaves the cursor where it was, so a jump follows; where the run ends this
        piece of text (`last`), the next move starts from the run's start instead.
        """
        shown = self._shown
        if not self.erase or len(text) < _MIN_ERASE or shown is None or _drawn(shown) or "  " not in text:
            add(text)
            self._out = (row, col + len(text))
            return
        at = 0
        for run in _BLANKS.finditer(text):
            start, stop = run.span()
            erase = f"\x1b[{stop - start}X"
            if len(erase) + _jump_len(stop - start) >= stop - start:  # (the next text may be right after it)
                continue
            ends = last and stop == len(text)
            add(text[at:start])
            add(erase)
            if ends:
                self._out = (row, col + start)
                return
            add(_step(stop - start, "C"))
            at = stop
        add(text[at:])
        self._out = (row, col + len(text))

    def _changed(self, text: str, chars: list, styles: list, col: int, want: State) -> list[list[int]]:
        """The spans of `text` (offsets) whose cells differ, joined where a jump costs more than resending."""
        blank = _blank
        looks_blank = blank(want)
        size = len(text)
        differs = [
            old != char or (style != want and not (char == " " and style is not None and blank(style) == looks_blank))
            for old, char, style in zip(chars[col:col + size], text, styles[col:col + size])
        ]
        spans: list[list[int]] = []
        at = 0
        while True:
            try:
                start = differs.index(True, at)
            except ValueError:
                return spans
            try:
                stop = differs.index(False, start)
            except ValueError:
                stop = size
            if spans and _jump_len(start - spans[-1][1]) >= len(text[spans[-1][1]:start].encode()):
                spans[-1][1] = stop
            else:
                spans.append([start, stop])
            at = stop

    def _all_single(self, text: str) -> bool:
        """Every character takes one cell (as Textual counts them): the text can be placed cell by cell."""
        single = self._single
        for char in text:
            known = single.get(char)
            if known is None:
                known = single[char] = char.isprintable() and get_character_cell_size(char) == 1
                if len(single) > 4096:
                    single.clear()
            if not known:
                return False
        return True

    def _faithful(self, text: str, add: Add) -> None:
        """Text this filter cannot place cell by cell: sent as it is, and the cells it may cover forgotten."""
        self._sync_cursor(add)  # (held line feeds go out here: then only the line may be known)
        self._sync_style(add)
        add(text)
        if self._odd:
            self._forget_cells()
            self._lost()
            return
        if self._src is not None:
            self._row, self._reach = self._src
        row = self._row
        self._src, self._out, self._synced = None, None, True
        if row is None:
            self._forget_cells()
            return
        self._reach += sum(get_character_cell_size(char) for char in text)
        if self._reach >= self.width and self._wraps:  # it may have wrapped (and scrolled)
            self._forget_cells()
            self._lost()
            return
        self._chars[row][:] = [None] * self.width
        self._styles[row][:] = [None] * self.width

    # --- escape sequences and controls -------------------------------------------------------

    def _csi(self, sequence: str, params: str, inter: str, final: str, add: Add) -> None:
        private = params[:1] in ("?", ">", "<", "=")
        if inter or private:
            if final in "hl" and params[:1] == "?" and not inter:
                self._mode(sequence, params, final, add)
            elif (final in "pq" and inter in ("$", " ", '"')) or (not inter and final in "mnucqS"):
                # Queries and settings: cursor style, key reporting, modifyOtherKeys, DECRQM ...
                self._sync_cursor(add)
                add(sequence)
            elif final == "p" and inter == "!":  # DECSTR, a soft reset
                self._unknown(sequence, add)
                self.want = self._shown = DEFAULT
                self._odd_reasons.clear()
                self._wraps = True
            else:
                self._unknown(sequence, add)
        elif final == "m":
            self._style(sequence, params, add)
        elif final in "Hf":
            place = _place(sequence)
            if self._odd:  # origin mode or margins: sent as it is, the place is the terminal's to tell
                self._sync_cursor(add)
                add(sequence)
                self._lost()
            elif place:
                self._move_source(*place)
            else:
                self._unknown(sequence, add)
        elif final in "ABCDGd" and (params.isdigit() or params == ""):
            self._relative(sequence, max(int(params or 1), 1), final, add)
        elif final in "hl":  # ANSI modes: insert (4) and new-line (20) mode change what text and feeds do
            self._sync_cursor(add)
            add(sequence)
            self._set_odd(f"mode {params}", final == "h")
        elif final in "nc" or (final == "t" and params.split(";")[0] in _REPORTS):
            self._sync_cursor(add)  # a report of the cursor's place must find it in its place
            add(sequence)
        elif final == "s" and not params:  # SCOSC: the cursor is saved where the stream has it
            self._sync_cursor(add)
            add(sequence)
        elif final == "r":  # scroll margins: DECSTBM also homes the cursor
            self._unknown(sequence, add)
            self._set_odd("margins", params not in ("", "1", f"1;{self.height}", ";"))
        else:  # erase, insert, delete, scroll, restore the cursor, anything else
            self._unknown(sequence, add)

    def _style(self, sequence: str, params: str, add: Add) -> None:
        state = parse_sgr(params, self.want)
        if state is None:
            # Not understood (or relative to a style not followed): sent as it is, in its place.
            self._sync_style(add)
            add(sequence)
            self._shown = None
        self.want = state

    def _mode(self, sequence: str, params: str, final: str, add: Add) -> None:
        if params in _SCREEN_MODES or params in _ODD_MODES or params in ("?1048", "?25"):
            # The cursor shows, is saved, or the screen changes: first bring it where the stream has it.
            self._sync_cursor(add)
            self._sync_style(add)
        add(sequence)
        if params in _SCREEN_MODES:
            self._forget_cells()
            self._lost()
            if params in ("?1049", "?1048") and final == "l":
                self.want = self._shown = None  # the cursor's saved style comes back
        elif params == "?1048" and final == "l":
            self._lost()
            self.want = self._shown = None
        elif params in _ODD_MODES:
            self._set_odd(params, final == "h")
            self._lost()
        elif params == "?7":
            self._wraps = final == "h"

    def _escape(self, sequence: str, esc: str, add: Add) -> None:
        if esc in ("=", ">"):  # keypad modes
            add(sequence)
            return
        self._sync_cursor(add)
        self._sync_style(add)
        add(sequence)
        if esc == "7":  # DECSC: the cursor and style are saved as the stream has them
            return
        if esc == "8":  # DECRC: they come back
            self.want = self._shown = None
        elif esc == "c":  # RIS: everything back to the start
            self.want = self._shown = DEFAULT
            self._odd_reasons.clear()
            self._wraps = True
        elif len(esc) == 2 and esc[0] in "()*+":  # a character set is designated
            self._set_odd(f"charset {esc[0]}", esc[1] != "B")
        self._forget_cells()
        self._lost()

    def _control(self, char: str, add: Add) -> None:
        if char == "\n":
            src = self._src
            if src is not None and not self._odd and src[0] + self._feeds + 1 < self.height:
                self._feeds += 1  # only moves the cursor down: sent if something needs it there
                self._synced = False
                return
            self._sync_cursor(add)
            row = self._row
            add(char)
            if row is not None and not self._odd and row + 1 < self.height:
                self._row = row + 1  # the column stays unknown (it depends on the terminal's settings)
            else:
                self._forget_cells()  # it may have scrolled the screen
                self._lost()
        elif char == "\r":
            src = self._src
            if src is not None and not self._odd:
                self._move_source(src[0] + self._feeds, 0)
                return
            add(char)
            if self._row is not None and not self._odd:
                self._src = self._out = (self._row, 0)
        elif char == "\x07":
            add(char)
        else:  # backspace, tab, shift-in/out, vertical tab, form feed ...
            self._unknown(char, add)
            if char in "\x0e\x0f":  # shift out / in: the G1 or the G0 character set
                self._set_odd("shift out", char == "\x0e")

    def _unknown(self, sequence: str, add: Add) -> None:
        """A sequence whose effect is not followed: sent in its place, and nothing assumed after it."""
        self._sync_cursor(add)
        self._sync_style(add)
        add(sequence)
        self._forget_cells()
        self._lost()

    # --- the cursor and the style -------------------------------------------------------------

    def _move_source(self, row: int, col: int) -> None:
        """The stream moved its cursor to a known place: nothing is sent until something is drawn."""
        self._src = (min(max(row, 0), self.height - 1), min(max(col, 0), self.width - 1))
        self._feeds, self._row = 0, None
        self._synced = self._out == self._src

    def _relative(self, sequence: str, count: int, final: str, add: Add) -> None:
        src = self._src
        if src is not None and not self._feeds and not self._odd and src[1] < self.width:
            row, col = src
        elif final == "G" and not self._odd and (src is not None or self._row is not None):
            row, col = (src[0] + self._feeds) if src is not None else self._row, 0
        else:
            self._sync_cursor(add)
            add(sequence)
            row = self._row
            self._lost()
            if row is not None and final in "CD" and not self._odd:
                self._row = row  # along the line: the line stays known
            return
        if final == "A":
            row -= count
        elif final == "B":
            row += count
        elif final == "C":
            col += count
        elif final == "D":
            col -= count
        elif final == "G":
            col = count - 1
        else:  # d
            row = count - 1
        self._move_source(row, col)

    @property
    def _odd(self) -> bool:
        return bool(self._odd_reasons)

    def _set_odd(self, reason: str, on: bool) -> None:
        if on:
            self._odd_reasons.add(reason)
            self._forget_cells()
        else:
            self._odd_reasons.discard(reason)

    def _lost(self) -> None:
        """The terminal's cursor is somewhere this filter does not follow (the stream's, as sent)."""
        self._src, self._feeds, self._row, self._out, self._synced = None, 0, None, None, True

    def _forget_cells(self) -> None:
        for row in self._chars:
            row[:] = [None] * self.width
        for row in self._styles:
            row[:] = [None] * self.width

    def _sync_cursor(self, add: Add) -> None:
        """Bring the terminal's cursor to where the stream has it (moves were held back until now)."""
        if self._synced:
            return
        self._synced = True
        src = self._src
        if src is None:  # not reached: moves are only held back while the place is known
            return
        if src[1] >= self.width:
            self._past_the_end(src[0], add)
        else:
            self._move_to(src[0], src[1], add)
        if self._feeds:
            add("\n" * self._feeds)
            # The column is 0 or stays, as the terminal's settings have it (ONLCR): count the farther.
            self._row, self._reach = src[0] + self._feeds, src[1]
            self._src, self._feeds, self._out = None, 0, None

    def _past_the_end(self, row: int, add: Add) -> None:
        """The stream's cursor is past the line's last cell (text reached it; with autowrap on, the next
        character goes to the next line). No move gets there: the last cell is drawn again instead (which
        leaves the cursor as the stream's was, with autowrap on or off)."""
        last = self.width - 1
        char, look = self._chars[row][last], self._styles[row][last]
        if char is None or look is None:
            self._move_to(row, last, add)
            return
        self._move_to(row, last, add)
        if self._shown != look:
            add(transition(self._shown, look))
            self._shown = look
        add(char)
        self._out = (row, self.width)

    def _move_to(self, row: int, col: int, add: Add) -> None:
        """The shortest move of the terminal's cursor from where it is to (row, col).

        Each write starts with an absolute move: between two writes another program
        (a `wall` message, a stray background job) may have moved the cursor, and a
        move relative to the wrong place would misplace every cell after it, or
        scroll the screen.
        """
        out = self._out if self._fresh else None
        if out == (row, col):
            return
        if col == 0:
            best = "\x1b[H" if row == 0 else f"\x1b[{row + 1}H"
        else:
            best = f"\x1b[{row + 1};{col + 1}H"
        self._fresh = True
        if out is not None:
            best = min([best, *self._moves_from(out, row, col)], key=self._cost)
        add(best)
        self._out = (row, col)

    def _moves_from(self, out: tuple[int, int], row: int, col: int) -> list[str]:
        """Relative ways from `out` to (row, col): down or up a few lines, then along the line."""
        known = out[1] < self.width  # past the line's end (pending wrap) no move along it is sure
        starts: list[tuple[str, Optional[int]]] = []  # (vertical part, the column it leaves the cursor in)
        down = row - out[0]
        if down == 0:
            starts.append(("", out[1] if known else None))
        elif down > 0:
            if down <= 3:
                # Back to the line's start and down: "\r\n" lands there whether or not the terminal turns
                # "\n" into "\r\n" (ONLCR), and never scrolls here (the line exists). With ONLCR known to
                # be on, a bare "\n" does the same for one byte less on the wire.
                starts.append(("\n" * down if self.onlcr else "\r" + "\n" * down, 0))
            if known:
                starts.append((_step(down, "B"), out[1]))
        elif known:
            starts.append((_step(-down, "A"), out[1]))
        moves = []
        for vertical, at in starts:
            if at == col:
                moves.append(vertical)
            elif col == 0:
                moves.append(vertical + "\r")
            elif at is not None:
                step = col - at
                moves.append(vertical + (_step(step, "C") if step > 0 else _step(-step, "D")))
            elif vertical == "":
                moves.append("\r" + _step(col, "C"))
        return moves

    def _cost(self, move: str) -> int:
        """Bytes a move takes on the wire (the tty sends "\r\n" for each "\n" when ONLCR is on)."""
        return len(move) + move.count("\n") if self.onlcr else len(move)

    def _sync_style(self, add: Add) -> None:
        """Bring the terminal's style to the stream's (before anything that draws)."""
        want = self.want
        if want is not None and self._shown != want:
            add(transition(self._shown, want))
            self._shown = want


# xterm window reports (CSI t): size, position, title stack; the others move or resize the window.
_REPORTS = frozenset({"11", "13", "14", "15", "16", "18", "19", "20", "21", "22", "23"})

__all__ = ["CellFilter"]
