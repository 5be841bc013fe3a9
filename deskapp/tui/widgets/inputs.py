"""A one-line input for words the desk itself uses (search text, a category filter).

Textual draws an Input's value as held, so a pasted ESC or OSC 52 sequence
would reach the terminal. Here typed and pasted text is cleaned on the way in
(deskapp.tui.text.safe_text, one line): a search for control characters means
nothing, so nothing is lost. (The action forms keep exactly what was typed and
clean only what is drawn: see deskapp.tui.forms.inputs.)
"""

from __future__ import annotations

from textual.widgets import Input

from deskapp.tui.text import safe_text


class CleanInput(Input):
    def replace(self, text: str, start: int, end: int) -> None:
        super().replace(safe_text(text, single_line=True), start, end)
