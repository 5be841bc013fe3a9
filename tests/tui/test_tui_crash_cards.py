"""A crash file never holds a full card number (issue 15 item 1): the traceback is masked before it is written."""

from __future__ import annotations

from deskapp.core.cards import find_cards
from deskapp.tui.app import write_crash_log


def test_crash_file_masks_card_numbers_in_the_traceback():
    try:
        raise ValueError("could not save 'Your card 4111 1111 1111 1111 was charged twice'")
    except ValueError as exc:
        path = write_crash_log(exc)
    assert path is not None
    text = path.read_text(encoding="utf-8")
    assert "ValueError" in text and "4111 11•• •••• 1111" in text
    assert find_cards(text) == []
