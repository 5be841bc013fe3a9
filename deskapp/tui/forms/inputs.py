"""Form inputs that accept anything a handler types or pastes, and never let it reach the terminal raw.

Textual's Input and TextArea draw their value exactly as held: an ESC or OSC 52
sequence pasted from an email would be written straight to the handler's
terminal. These subclasses keep the value untouched (it is what the customer
wrote, and the action layer stores it) but drop control characters from what
is *drawn*. Control characters occupy no cells, so dropping them never moves
the cursor or the layout.

A single-line Input re-renders its whole value on every keystroke, so a 1 MB
paste into one would make each key take most of a second. `SafeInput` keeps at
most `paste_limit` characters of a paste (the field's own limit) and says so,
instead of silently dropping the paste as Textual's `max_length` would.
"""

from __future__ import annotations

import re

from rich.segment import Segment
from textual import events
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Input, TextArea

# C0 (tab and newline never reach a drawn strip), DEL, C1, bidi overrides and isolates.
_UNDRAWABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def drawable(text: str) -> str:
    """`text` minus characters a terminal would act on instead of showing."""
    return _UNDRAWABLE.sub("", text) if not text.isprintable() else text


def safe_strip(strip: Strip) -> Strip:
    """The same strip without control characters (cheap when there are none)."""
    segments = list(strip)
    if all(text.isprintable() for text, _style, _control in segments):
        return strip
    cleaned = [
        Segment(drawable(text), style, control) if not text.isprintable() else Segment(text, style, control)
        for text, style, control in segments
    ]
    return Strip(cleaned, strip.cell_length)


class SafeInput(Input):
    """A one-line input that draws control characters as nothing and caps huge pastes."""

    class Clipped(Message):
        """A paste was longer than the field holds; only the first `kept` characters were kept."""

        def __init__(self, input: SafeInput, pasted: int, kept: int) -> None:
            super().__init__()
            self.input = input
            self.pasted = pasted
            self.kept = kept

        @property
        def control(self) -> SafeInput:
            return self.input

    def __init__(self, value: str | None = None, *, paste_limit: int = 0, **kwargs) -> None:
        kwargs.setdefault("select_on_focus", False)
        super().__init__(value, **kwargs)
        self.paste_limit = paste_limit

    def render_line(self, y: int) -> Strip:
        return safe_strip(super().render_line(y))

    def restore(self, text: str) -> None:
        """Put back text typed earlier (a draft) with the cursor after it: typing carries on from there."""
        self.value = text
        self.cursor_position = len(text)

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        if not event.text:
            return
        lines = event.text.splitlines()
        line = lines[0] if lines else ""
        start, end = sorted(self.selection)
        clipped = None
        if self.paste_limit:
            room = max(self.paste_limit - (len(self.value) - (end - start)), 0)
            if len(line) > room:
                clipped = self.Clipped(self, len(line), room)
                line = line[:room]
        if start == end:
            self.insert_text_at_cursor(line)
        else:
            self.replace(line, start, end)
        if clipped is not None:
            self.post_message(clipped)  # after the change, so the form's "changed" handling does not clear it


class SafeTextArea(TextArea):
    """A multi-line text box that draws control characters as nothing. Tab moves focus."""

    def __init__(self, text: str = "", **kwargs) -> None:
        kwargs.setdefault("soft_wrap", True)
        kwargs.setdefault("tab_behavior", "focus")
        super().__init__(text, **kwargs)

    def render_line(self, y: int) -> Strip:
        return safe_strip(super().render_line(y))

    def restore(self, text: str) -> None:
        """Put back text typed earlier (a draft) with the cursor after it: typing carries on from there."""
        self.load_text(text)
        self.move_cursor(self.document.end)
