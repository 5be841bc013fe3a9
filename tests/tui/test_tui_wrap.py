"""Wrapping pane text (issue #17 item 13): at spaces, tokens whole, indent hung, width never exceeded."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.content import Content

from deskapp.tui.widgets.lines import Block, BlockLines
from deskapp.tui.widgets.wrap import wrap

TOKENS = st.text(alphabet=st.sampled_from("ab.@-()é漢"), min_size=1, max_size=30)
TEXTS = st.lists(st.tuples(TOKENS, st.sampled_from([" ", "  ", "   "])), max_size=12).map(
    lambda pairs: "".join(t + s for t, s in pairs).rstrip(" "))


@settings(max_examples=400, deadline=None)
@given(text=TEXTS, width=st.integers(2, 40), indent=st.integers(0, 12), hang=st.integers(0, 6),
       phrases=st.booleans(), keep_first=st.booleans())
def test_wrap_keeps_tokens_that_fit_whole_never_exceeds_the_width_and_loses_nothing(
        text, width, indent, hang, phrases, keep_first):
    lines = wrap(text, width, indent, hang=hang, phrases=phrases, keep_first=keep_first)
    # Never wider than the pane, indent included.
    for shift, start, end in lines:
        assert shift >= 0 and shift + cell_len(text[start:end]) <= width, (text, width, indent, lines)
    # In order, and only spaces are dropped (where lines break).
    position = 0
    for _shift, start, end in lines:
        assert start >= position and text[position:start].strip(" ") == ""
        position = end
    assert text[position:].strip(" ") == ""
    kept = "".join(text[start:end] for _shift, start, end in lines)
    assert kept.replace(" ", "") == text.replace(" ", "")
    # A token that fits the pane is on one line.
    for token in re.finditer(r"\S+", text):
        if cell_len(token.group()) <= width:
            assert any(start <= token.start() and token.end() <= end for _s, start, end in lines), (
                token.group(), text, width, indent, lines)


def test_an_address_too_long_for_the_indent_moves_out_of_it_rather_than_breaking():
    text = "authorised  nadia.kowalski@adultcare.example.org  07700 900873"
    lines = wrap(text, 38, 4)
    shown = [text[start:end] for _shift, start, end in lines]
    assert "nadia.kowalski@adultcare.example.org" in shown
    assert (2, "nadia.kowalski@adultcare.example.org") in [(s, text[a:b]) for s, a, b in lines]
    assert all(shift == 4 for shift, a, b in lines if text[a:b] != "nadia.kowalski@adultcare.example.org")


def test_phrases_keep_from_with_the_name():
    heading = "Mon 02 Mar 2026 09:00  ← phone in  from Nadia Kowalski  by sam  no answer"
    shown = [heading[a:b] for _s, a, b in wrap(heading, 40, phrases=True)]
    assert any(line.startswith("from Nadia Kowalski") for line in shown), shown
    assert not any(line.endswith("from") for line in shown), shown
    hung = wrap(heading, 44, hang=4, phrases=True)
    assert [shift for shift, _a, _b in hung] == [0, 4], hung


async def test_sidebar_finding_keeps_its_rule_id_whole():
    from textual.app import App, ComposeResult

    class Host(App):
        CSS = "BlockLines { width: 28; height: 10; }"

        def compose(self) -> ComposeResult:
            yield BlockLines()

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(BlockLines)
        message = Content("Two calls to the customer went unanswered (unanswered-contacts)")
        view.set_blocks([Block(message, indent=9, lead=Content(" WARN   "))])
        await pilot.pause()
        painted = [view.render_line(y).text.rstrip() for y in range(view.size.height)]
        assert any(line.strip() == "(unanswered-contacts)" for line in painted), painted
        assert painted[0].startswith(" WARN    Two"), painted


def test_a_token_longer_than_the_pane_is_cut_after_punctuation_where_it_can_be():
    text = "nadia.kowalski@adultcare.example.org"
    shown = [text[a:b] for _s, a, b in wrap(text, 30, 4)]
    assert shown == ["nadia.kowalski@adultcare.", "example.org"], shown
    plain = "x" * 40
    assert [b - a for _s, a, b in wrap(plain, 15, 4)] == [11, 11, 11, 7]
