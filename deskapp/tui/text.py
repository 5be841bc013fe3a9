"""Showing untrusted text (customer and handler words) safely in the desk.

Two dangers, two defences:

* Terminal control sequences (ESC [2J clears the screen, OSC 52 writes the
  clipboard, BEL beeps, C1 codes are 8-bit escapes). Textual writes whatever
  characters a widget holds straight to the terminal, so these are *stripped*
  by `safe_text` before anything is shown.
* Textual/Rich markup (`[@click=app.quit]x[/]`). Markup is only interpreted
  when a string is parsed as markup, so untrusted text is always wrapped in
  `Content(...)` / `Text(...)` (never `Content.from_markup`, never an f-string
  into a markup string). The helpers here do both steps at once.

Every widget that shows user text goes through these helpers; the queue and the
forms use them too.
"""

from __future__ import annotations

import re
from typing import Iterable, Union

from rich.text import Text
from textual.content import Content
from textual.style import Style

from deskapp.errors import DeskError

# One alternation, longest forms first, so a whole escape sequence goes in one piece:
#  - 7-bit CSI: ESC [ params intermediates final
#  - OSC / DCS / SOS / PM / APC strings: ESC ] ... terminated by BEL, ESC \ or 8-bit ST; an
#    unterminated one ends at the line end, so a stray ESC ] cannot hide the rest of a message
#  - 8-bit CSI (0x9B) and 8-bit string introducers (0x90 DCS, 0x98 SOS, 0x9D OSC, 0x9E PM, 0x9F APC)
#  - any other two-character escape (ESC 7, ESC c reset, ESC ( B ...)
#  - everything else that is a control: C0 except tab/newline, DEL, C1.
_ESCAPES = re.compile(
    r"""
      \x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?
    | \x1b[\]PX^_][^\n]*?(?:\x07|\x1b\\|\x9c|(?=\n)|\Z)
    | \x9b[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?
    | [\x90\x98\x9d\x9e\x9f][^\n]*?(?:\x07|\x1b\\|\x9c|(?=\n)|\Z)
    | \x1b[\x20-\x2f]*[\x30-\x7e]?
    """,
    re.VERBOSE,
)
# Controls left after whole sequences are gone. \t and \n are kept (see safe_text).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional overrides and isolates can make text display in a different order
# than it is stored ("Trojan Source"); a handler must read what the customer wrote.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r" *[\t\n][ \t\n]*")


def safe_text(value: object, *, single_line: bool = False) -> str:
    """`value` as a string with every terminal control sequence and control character removed.

    Newlines and tabs survive (a summary may have paragraphs; tabs are expanded
    by the widgets); CR LF and lone CR become newlines. With `single_line`, each
    run of whitespace holding a tab or newline becomes one space (for headers,
    table cells and titles); other spaces are kept, so " " pieces still join words.
    None becomes "".
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if not text.isprintable() or "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = _ESCAPES.sub("", text)
        text = _CONTROLS.sub("", text)
        text = _BIDI.sub("", text)
    if single_line:
        text = _LINE_BREAKS.sub(" ", text)
    return text


def one_line(exc: BaseException, *, kind: bool = False, limit: int = 300) -> str:
    """An error as one safe line for a status bar or notice; `kind` names the type of an unexpected one.

    deskapp's own errors (DeskError) are written for the handler and need no
    type name; anything else is a bug or an outage, and its type helps support.
    """
    text = safe_text(str(exc), single_line=True).strip() or type(exc).__name__
    if kind and not isinstance(exc, DeskError) and text != type(exc).__name__:
        text = f"{type(exc).__name__}: {text}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(value: object, style: Union[str, Style] = "", *, single_line: bool = False) -> Content:
    """Untrusted text as Textual Content: shown literally, optionally in one style.

    `style` is trusted (it comes from our code), the text never is.
    """
    text = safe_text(value, single_line=single_line)
    return Content.styled(text, style) if style else Content(text)


def rich_text(value: object, style: str = "", *, single_line: bool = False) -> Text:
    """Untrusted text as a Rich Text, for renderables that want Rich objects."""
    return Text(safe_text(value, single_line=single_line), style=style, end="")


Part = Union[str, Content, tuple[object, Union[str, Style]]]


def line(*parts: Part, single_line: bool = True) -> Content:
    """Join pieces into one Content. Plain strings and (text, style) pairs are untrusted and
    shown literally; Content pieces are passed through (build them with `plain` or trusted markup).

    Example: line(("ADVICE", "bold $success"), " ", finding.message)
    """
    out = Content("")
    for part in parts:
        if isinstance(part, Content):
            out = out + part
        elif isinstance(part, tuple):
            text, style = part
            out = out + plain(text, style, single_line=single_line)
        else:
            out = out + plain(part, single_line=single_line)
    return out


def join(pieces: Iterable[Content], separator: str = " ") -> Content:
    """Join Content pieces with a literal separator."""
    return Content(separator).join(list(pieces))


def clip(value: object, width: int) -> str:
    """A single-line safe string at most `width` characters long, with an ellipsis when cut."""
    text = safe_text(value, single_line=True)
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
