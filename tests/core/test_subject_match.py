"""deskapp.core.subject_match: does a saved view's search text name a person? Whole names, emails, phones in
any layout; a bare surname or erased text names nobody."""

from __future__ import annotations

from hypothesis import given, strategies as st

from deskapp.core.rowdigest import TOMBSTONE
from deskapp.core.subject_match import mentions

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéø", min_size=2, max_size=10)


def test_whole_names_emails_and_phones_in_any_layout():
    lee = {"names": ["Lee Price"], "emails": ["lee@example.org"], "phones": ["+447700900111"]}
    assert mentions("  LEE   price overdue", **lee)
    assert mentions("lee@EXAMPLE.org", **lee)
    assert mentions("ring 07700-900-111 back", **lee) and mentions("(07700) 900 111", **lee)
    assert not mentions("Price", **lee) and not mentions("Lee Pricey", **lee) and not mentions("Ashlee Price", **lee)
    assert not mentions("07700 900112", **lee) and not mentions("900111", **lee)
    assert not mentions(TOMBSTONE, names=[TOMBSTONE], emails=[TOMBSTONE], phones=[TOMBSTONE])
    assert not mentions("", **lee) and not mentions(None, **lee)


@given(first=WORD, last=WORD, before=st.text(max_size=20), after=st.text(max_size=20))
def test_a_name_between_any_other_words_is_found(first, last, before, after):
    text = f"{before} {first.upper()}  {last} {after}"
    assert mentions(text, names=[f"{first} {last}"])


@given(st.text(max_size=60))
def test_never_raises_and_no_details_match_nothing(text):
    assert mentions(text) is False
    mentions(text, names=[text], emails=[text], phones=[text])

