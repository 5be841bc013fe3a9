"""safe_text and friends: untrusted text loses its control sequences and is never parsed as markup."""

from __future__ import annotations

import pytest
from textual.content import Content

from deskapp.tui.text import clip, line, plain, rich_text, safe_text

MARKUP = ["[@click=app.quit]x[/]", "[/]", "[$accent @click=app.quit]x", "[bold]not bold[/bold]", "[link=x]y"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("clear\x1b[2Jscreen", "clearscreen"),
        ("colour \x1b[31;1mred\x1b[0m", "colour red"),
        ("clip\x1b]52;c;SGVsbG8=\x07board", "clipboard"),
        ("clip\x1b]52;c;SGVsbG8=\x1b\\board", "clipboard"),
        ("title\x1b]0;pwned\x9cok", "titleok"),
        ("bell\x07!", "bell!"),
        ("eight-bit \x9b2Jcsi", "eight-bit csi"),
        ("eight-bit \x9d52;c;AAAA\x07osc", "eight-bit osc"),
        ("dcs\x1bPq#0;2;0;0;0\x1b\\done", "dcsdone"),
        ("reset\x1bcnow", "resetnow"),
        ("charset\x1b(Bok", "charsetok"),
        ("nul\x00del\x7fc1\x85", "nuldelc1"),
        ("line one\r\nline two\rthree", "line one\nline two\nthree"),
        ("keep\ttabs\nand newlines", "keep\ttabs\nand newlines"),
        ("bidi \u202eevil\u202c text", "bidi evil text"),
        ("unterminated \x1b]52;c;AAAA\nnext line kept", "unterminated \nnext line kept"),
        ("trailing escape\x1b", "trailing escape"),
        ("café ünïcödé 漢字 ✓", "café ünïcödé 漢字 ✓"),
    ],
)
def test_safe_text_strips_controls(raw, expected):
    assert safe_text(raw) == expected


def test_single_line_folds_breaks_but_keeps_spaces():
    assert safe_text("a\n\n b\tc", single_line=True) == "a b c"
    assert safe_text(" ", single_line=True) == " "


def test_none_and_non_strings():
    assert safe_text(None) == ""
    assert safe_text(42) == "42"


@pytest.mark.parametrize("markup", MARKUP)
def test_markup_is_literal(markup):
    content = plain(markup)
    assert content.plain == markup
    assert not content.spans
    assert rich_text(markup).plain == markup
    joined = line(("WARN", "bold"), " ", markup)
    assert joined.plain == f"WARN {markup}"
    # Only our own span (the bold badge); nothing from the untrusted text.
    assert [s.style for s in joined.spans] == ["bold"]


def test_styled_plain_keeps_text():
    content = plain("[b]x\x1b[2J", "bold")
    assert content.plain == "[b]x"
    assert isinstance(content, Content)


def test_clip():
    assert clip("abcdef", 4) == "abc…"
    assert clip("ab\ncd", 10) == "ab cd"
    assert clip("x", 0) == ""
