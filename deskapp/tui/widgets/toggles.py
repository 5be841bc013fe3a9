"""Tick boxes, tick lists and radio buttons whose state reads without colour.

Textual draws every toggle as `▐X▌` (or `▐●▌`), ticked or not, and shows the
state by colour alone: on a monochrome terminal, for a colour-blind handler or
in a screen reader's text, a filter that is on looks like one that is off.
These draw `[x]`/`[ ]` and `(*)`/`( )` instead (same width), and keep the
colour as a second cue. Public Textual API only: `render`/`render_line` are
redrawn from the widgets' public state (`value`, `label`, `selected`).
"""

from __future__ import annotations

from typing import TypeVar

from rich.segment import Segment
from rich.style import Style
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, RadioButton, SelectionList

TICKED, UNTICKED = "[x]", "[ ]"
CHOSEN, UNCHOSEN = "(*)", "( )"
Value = TypeVar("Value")

_MARK_CSS = """
    & > .toggle--button { color: $foreground; background: transparent; text-style: none; }
    &.-on > .toggle--button { color: $text-success; background: transparent; text-style: bold; }
"""


def _render(toggle: Checkbox | RadioButton, mark: str) -> Content:
    """The toggle as `mark` + its label, styled as Textual styles the button and the label."""
    label = toggle.label.pad(1, 1).stylize_before(toggle.get_visual_style("toggle--label"))
    return Content.assemble((mark, toggle.get_visual_style("toggle--button")), label)


class TickBox(Checkbox):
    """A Checkbox drawn `[x]` / `[ ]`."""

    DEFAULT_CSS = "TickBox {" + _MARK_CSS + "}"

    def render(self) -> Content:
        return _render(self, TICKED if self.value else UNTICKED)


class RadioChoice(RadioButton):
    """A RadioButton drawn `(*)` / `( )`."""

    DEFAULT_CSS = "RadioChoice {" + _MARK_CSS + "}"

    def render(self) -> Content:
        return _render(self, CHOSEN if self.value else UNCHOSEN)


class TickList(SelectionList[Value]):
    """A SelectionList whose lines start `[x]` / `[ ]`.

    Textual's own line is three button cells, a space and the prompt; the
    three cells are replaced, keeping their style (which carries the option
    index a mouse click needs).
    """

    DEFAULT_CSS = """
    TickList {
        & > .selection-list--button, & > .selection-list--button-highlighted { color: $foreground; }
        & > .selection-list--button-selected, & > .selection-list--button-selected-highlighted {
            color: $text-success; text-style: bold;
        }
    }
    """

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        segments = list(line)
        index = self.scroll_offset.y + y
        if len(segments) < 4 or not 0 <= index < self.option_count:
            return line
        value = self.get_option_at_index(index).value
        mark = TICKED if value in self.selected else UNTICKED
        style = segments[1].style or Style()
        if segments[0].style is not None:  # the button's colour on the row's background
            style = style + Style(bgcolor=segments[0].style.bgcolor)
        ticks = [Segment(ch, style) for ch in mark]
        return Strip(ticks + segments[3:], line.cell_length)


__all__ = ["CHOSEN", "TICKED", "UNCHOSEN", "UNTICKED", "RadioChoice", "TickBox", "TickList"]
