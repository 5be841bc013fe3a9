"""A scrolling pane of wrapped entries drawn as lines of one widget, repainting only the lines that change.

Why one widget: the case pane and the advice sidebar used to hold a widget per
party, contact and finding. Showing a case removed and mounted dozens of
widgets (CPU) and repainted both panes whole, ~10 KB to the terminal every
time the cursor came to rest in the queue: too much over SSH. Here each entry
is a `Block` of Content, wrapped to the pane's width with a hanging indent
(so wrapped lines stay under their entry, as the widgets did), and a new set
of blocks is compared with what is on screen: only the lines that differ are
repainted, each only up to its last changed cell, and nothing at all when
nothing changed.

All text arrives as Content built by deskapp.tui.text: never parsed as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

from rich.style import Style as RichStyle
from textual.content import Content
from textual.events import Resize
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.visual import RenderOptions

from deskapp.tui.textual_compat import render_options
from deskapp.tui.widgets.quiet_scrollbar import QuietScrollbar
from deskapp.tui.widgets.wrap import wrap


@dataclass(frozen=True, eq=False)
class Block:
    """One entry: `content` wrapped to the pane's width less `indent`, every line indented by `indent`.

    `lead` (at most `indent` cells, e.g. a severity badge) fills the indent of
    the first line; the other lines get spaces, so the text wraps under itself.
    `wide`, if given, is shown instead of `content` where the pane is at least
    `wide_from` cells wide: the same words in fewer, longer lines (a pane the
    whole width of an 80-column terminal has room that a third of one has not).
    Lines break at spaces (deskapp.tui.widgets.wrap); with `phrases`, at runs of
    two spaces first, so a heading's "from Nadia Kowalski" stays on one line.
    Two blocks are equal only if text *and* styles match (Content's own `==`
    compares text alone, which would keep a recoloured line from repainting).
    """

    content: Content
    indent: int = 0
    lead: Optional[Content] = None
    wide: Optional[Content] = None
    wide_from: int = 0
    phrases: bool = False
    hang: int = 0  # lines after the first are indented this much more (a contact heading's)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Block):
            return NotImplemented
        if self.indent != other.indent or (self.phrases, self.hang) != (other.phrases, other.hang) or not self.content.is_same(other.content):
            return False
        if self.wide_from != other.wide_from or not _same(self.wide, other.wide):
            return False
        return _same(self.lead, other.lead)

    def __hash__(self) -> int:
        return hash((self.content.plain, self.indent, None if self.lead is None else self.lead.plain))

    def at(self, width: int) -> Content:
        """The content shown in a pane `width` cells wide."""
        return self.wide if self.wide is not None and width >= self.wide_from else self.content


def _same(a: Optional[Content], b: Optional[Content]) -> bool:
    if a is None or b is None:
        return a is b
    return a.is_same(b)


BLANK = Block(Content(""))


def _cells(strip: Strip) -> list[tuple[str, object]]:
    """(character, style) per cell, for finding where two lines start to differ from the right."""
    return [(char, segment.style) for segment in strip if not segment.control for char in segment.text]


def last_difference(old: Strip, new: Strip) -> int:
    """The number of leading cells that cover every difference between two lines (0 = identical)."""
    if old == new:
        return 0
    a, b = _cells(old), _cells(new)
    n = max(len(a), len(b))
    a += [("", None)] * (n - len(a))
    b += [("", None)] * (n - len(b))
    for x in range(n - 1, -1, -1):
        if a[x] != b[x]:
            return x + 1
    return 0


def _thumb(bar: ScrollBar) -> list:
    """What each row of a vertical scrollbar shows (to repaint only the rows a new scroll range changes).

    Compared by what the terminal shows: the mouse actions a track cell carries differ above and
    below the thumb, but those are read from the widget when clicked, not from the screen.
    """
    rows = ScrollBarRender.render_bar(size=bar.size.height, virtual_size=bar.window_virtual_size,
                                      window_size=bar.window_size, position=bar.position).segments
    return [(row.text, None if row.style is None else (row.style.color, row.style.bgcolor, row.style.reverse))
            for row in rows]


class BlockLines(QuietScrollbar, ScrollView):
    """A vertically scrolling list of Blocks, drawn with the Line API (`render_line`).

    `set_blocks(blocks, home=...)` replaces what is shown; `text` is everything
    shown as plain text (tests, screen readers).
    """

    DEFAULT_CSS = """
    BlockLines { overflow-x: hidden; overflow-y: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._blocks: list[Block] = []
        self._lines: list[Strip] = []
        self._wrapped_at = -1  # the width self._lines were wrapped to
        self._pad_for: object = None
        self._wrap_cache: dict = {}
        self._pad = RichStyle()

    # --- what is shown -----------------------------------------------------------------------

    @property
    def blocks(self) -> Sequence[Block]:
        return tuple(self._blocks)

    @property
    def text(self) -> str:
        """Everything the pane holds (also what is scrolled out of view), as plain text."""
        out = []
        for block in self._blocks:
            text = block.content.plain
            if block.lead is not None:
                text = f"{block.lead.plain.ljust(block.indent)}{text}"
            out.append(text)
        return "\n".join(out).strip("\n")

    def set_blocks(self, blocks: Iterable[Block], *, home: bool = False) -> None:
        """Show `blocks`, repainting only the lines that differ from what is on screen.

        `home` scrolls back to the top (a different case); otherwise the scroll
        position is kept (the same case re-read after an action or a change).
        """
        blocks = list(blocks)
        at_top = round(self.scroll_y) == 0
        if blocks == self._blocks and not (home and not at_top):
            return
        self._blocks = blocks
        if home and not at_top and self.is_mounted:
            # Forced: a pane hidden by the layout (one pane at a time at 80 columns) shows no
            # scrollbar, and Textual would leave it where the last case was left, header out of view.
            self.scroll_to(y=0, animate=False, immediate=True, force=True)
        if not self.is_mounted or self.size.width <= 0:
            self._wrapped_at = -1  # not laid out yet (or hidden): wrapped when next drawn
            return
        old_lines, old_top, old_width = self._lines, round(self.scroll_y), self._wrapped_at
        self._wrap()
        if home and not at_top:
            self.refresh()
        elif self._wrapped_at != old_width:
            self.refresh()  # a scrollbar came or went: every line is a different width
        else:
            self._repaint_changes(old_lines, old_top)

    def _repaint_changes(self, old_lines: list[Strip], top: int) -> None:
        """Mark as dirty only the visible lines whose cells changed, each up to its last changed cell."""
        width = self.scrollable_content_region.width
        blank = Strip.blank(width, self._pad_style)
        regions = []
        for row in range(self.scrollable_content_region.height):
            index = top + row
            old = old_lines[index] if index < len(old_lines) else blank
            new = self._line(index, width, blank)
            old = old.crop_extend(0, width, self._pad_style)
            changed = last_difference(old, new)
            if changed:
                regions.append(Region(0, row, changed, 1))
        if regions:
            self.refresh(*regions)

    def _wrap(self) -> None:
        """Wrap every block to the width available (less a scrollbar if the lines will not fit).

        The width the last lines were wrapped to is tried first, so a pane that
        scrolls (or not) before and after is wrapped once, not twice.
        """
        full = max(self.size.width, 1)
        scrollbar = self.styles.scrollbar_size_vertical if full > self.styles.scrollbar_size_vertical else 0
        narrow = full - scrollbar
        if scrollbar and self.styles.scrollbar_gutter == "stable":
            # A pane that keeps its scrollbar's columns never puts text there: one width, one wrap.
            full, scrollbar = narrow, 0
        width = narrow if scrollbar and self._wrapped_at == narrow else full
        lines = self._wrap_to(width)
        fits = len(lines) <= self.size.height
        if width == full and not fits and scrollbar:
            width, lines = narrow, self._wrap_to(narrow)
        elif width == narrow and scrollbar:
            wide = self._wrap_to(full)
            if len(wide) <= self.size.height:
                width, lines = full, wide
        self._lines = lines
        self._wrapped_at = width
        self._set_virtual_size(Size(width, len(lines)))

    def _set_virtual_size(self, size: Size) -> None:
        """Change the scroll range, without a screen layout unless the scrollbar comes or goes.

        Setting `virtual_size` asks for a layout, and after any layout Textual
        repaints every scroll view's scrollbar on the screen (~1 KB each at 256
        colours). When the scrollbar stays, the range is changed in place and
        this pane's scrollbar is repainted only if its thumb moved.
        """
        old = self.virtual_size
        viewport = self.scrollable_content_region.height
        if not self.is_mounted or old.width != size.width or (old.height > viewport) != (size.height > viewport):
            self.virtual_size = size
            return
        if old == size:
            return
        self.set_reactive(BlockLines.virtual_size, size)
        self._range_on_scrollbar = size
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            before = _thumb(bar)
            bar.set_reactive(ScrollBar.window_virtual_size, size.height)
            after = _thumb(bar)
            rows = [y for y, (old, new) in enumerate(zip(before, after)) if old != new]
            if len(before) != len(after):
                bar.refresh()
            elif rows:
                bar.refresh(*(Region(0, y, bar.size.width, 1) for y in rows))
        if self.scroll_y > self.max_scroll_y:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)

    @property
    def _pad_style(self) -> RichStyle:
        """Blank cells (indents, line ends, empty lines) carry only the background, as CSS padding does.

        Derived from `visual_style`, which Textual caches per style change
        (`rich_style` walks every ancestor on each call: too slow per line).
        """
        visual = self.visual_style
        if self._pad_for is not visual:
            self._pad_for = visual
            self._pad = RichStyle(bgcolor=visual.rich_style.bgcolor)
        return self._pad

    def _wrap_to(self, width: int) -> list[Strip]:
        """Every block's lines at `width`; a block wrapped last time at this width is reused as is."""
        style = self.visual_style
        options = render_options(self)
        pad = self._pad_style
        key_style = (style, pad)  # by value: a theme change must not reuse lines in the old colours
        previous, cache = self._wrap_cache, {}
        lines: list[Strip] = []
        for block in self._blocks:
            key = (block, width, key_style)
            wrapped = cache.get(key) or previous.get(key)
            if wrapped is None:
                wrapped = self._wrap_block(block, width, style, options, pad)
            cache[key] = wrapped
            lines.extend(wrapped)
        self._wrap_cache = cache
        return lines

    @staticmethod
    def _wrap_block(block: Block, width: int, style: Any, options: RenderOptions, pad: RichStyle) -> list[Strip]:
        indent = min(block.indent, max(width - 1, 0))
        content = block.at(width - indent)
        if not content:
            return [Strip([], 0)]
        if "\t" in content.plain:
            content = content.expand_tabs()
        lead = None
        if block.lead is not None and indent:
            lead = block.lead.render_strips(indent, 1, style, options)[0].crop_extend(0, indent, pad)
        out: list[Strip] = []
        for paragraph in content.split("\n"):
            for shift, start, end in wrap(paragraph.plain, width, indent, hang=block.hang, phrases=block.phrases,
                                          keep_first=lead is not None and not out):
                piece = paragraph[start:end]
                strip = piece.render_strips(max(width - shift, 1), 1, style, options)[0] if piece else Strip([], 0)
                if shift:
                    strip = Strip.join([lead if lead is not None and not out else Strip.blank(shift, pad), strip])
                out.append(strip.simplify())
        return out

    def _line(self, index: int, width: int, blank: Strip) -> Strip:
        if index >= len(self._lines):
            return blank
        return self._lines[index].crop_extend(0, width, self._pad_style)

    # --- Textual ---------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        if self._blocks:
            self._wrap()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if self._wrapped_at < 0 and self._blocks and self.size.width > 0:
            self._wrap()
        return self._line(round(self.scroll_y) + y, width, Strip.blank(width, self._pad_style))

    def notify_style_update(self) -> None:
        """A theme or focus change restyles every line: wrap again (cheap) so colours follow."""
        super().notify_style_update()
        if self._blocks and self.is_mounted and self.size.width > 0:
            self._wrap()


__all__ = ["BLANK", "Block", "BlockLines", "last_difference"]
