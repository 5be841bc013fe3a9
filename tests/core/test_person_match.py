"""Blocking keys and the duplicate scorer (deskapp.core.person_match): who gets compared, and how alike."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from deskapp.core.person_match import (LIKELY, PersonPoints, address_key, blocking_keys, first_shared_key,
                                       name_key, name_similarity, normal_address, postcode, score)

ARTHUR = PersonPoints.of("Arthur Penrose", "Flat 4, Linden Court, Canal Street, Northvale NV3 2LP",
                         phones=["07700 900412"], emails=["a.penrose@example.org"])


def test_name_keys_are_surname_and_first_initial_without_titles_or_accents():
    assert name_key("Mrs Síobhán O'Neill") == "oneill|s"
    assert name_key("O’NEILL, Siobhan") == "siobhan|o"  # written surname-first: a different key, found by phone
    assert name_key("Cher") == "cher|" and name_key("Dr 42") is None and name_key("") is None


def test_postcodes_and_address_keys():
    assert postcode("Flat 4, Linden Court, Northvale nv3 2lp") == "nv32lp"
    assert postcode("27 Orchard Close, Northvale NV14DS") == "nv14ds"
    assert address_key("1 Mill Lane, Northvale") == "1 mill lane"
    assert address_key("1 Mill Ln, Northvale") == "1 mill lane"
    assert address_key(None) is None


def test_blocking_keys_cover_phone_email_name_and_address():
    assert blocking_keys(ARTHUR) == {"p:+447700900412", "e:a.penrose@example.org", "n:penrose|a", "a:penrose|nv32lp"}


def test_the_same_caller_written_differently_scores_high_with_reasons():
    again = PersonPoints.of("Mr A. Penrose", "Flat 4 Linden Ct, Canal St, Northvale, NV3 2LP",
                            phones=["+44 7700 900412"])
    match = score(ARTHUR, again)
    assert match.likely, match
    assert match.reasons[0] == "same phone +447700900412"
    assert any(r.startswith("names ") and r.endswith("% alike") for r in match.reasons)
    assert first_shared_key(blocking_keys(ARTHUR), blocking_keys(again)) == "a:penrose|nv32lp"


def test_a_namesake_elsewhere_is_not_a_likely_duplicate():
    namesake = PersonPoints.of("Arthur Penrose", "12 Station Road, Southport PR8 1AB", phones=["07700 900999"])
    assert not score(ARTHUR, namesake).likely
    household = PersonPoints.of("Maria Penrose", ARTHUR.address, phones=["07700 900412"])
    assert not score(ARTHUR, household).likely  # same home and phone, another person


def test_a_skipped_key_hands_the_pair_to_the_next_shared_key():
    a = PersonPoints.of("Jo Smith", phones=["0800 123 4567"], emails=["jo@example.org"])
    b = PersonPoints.of("Joanne Smith", phones=["0800 123 4567"], emails=["JO@example.org"])
    ka, kb = blocking_keys(a), blocking_keys(b)
    assert first_shared_key(ka, kb) == "e:jo@example.org"
    assert first_shared_key(ka, kb, skipped={"e:jo@example.org", "n:smith|j"}) == "p:+448001234567"
    assert first_shared_key(ka, kb, skipped=ka) is None


def test_initials_count_as_alike():
    assert name_similarity("J Smith", "John Smith") >= 85
    assert name_similarity("Smith, John", "John Smith") == 100


names = st.sampled_from(["Arthur Penrose", "A Penrose", "Penrose Arthur", "Maria Penrose", "Jo Bloggs", "", "Mrs X",
                         "Síobhán O'Neill"]) | st.text(max_size=30)
addresses = st.none() | st.sampled_from(["Flat 4, Linden Court, NV3 2LP", "1 Mill Lane, Northvale",
                                         "1 Mill Ln", "27 Orchard Close NV1 4DS"]) | st.text(max_size=40)
phones = st.lists(st.sampled_from(["07700 900412", "+447700900412", "020 7946 0018", "junk", "12345678"]), max_size=2)
emails = st.lists(st.sampled_from(["jo@example.org", "JO+x@example.org", "a@b.org", "nope"]) | st.text(max_size=12),
                  max_size=2)
persons = st.builds(PersonPoints.of, names, addresses, phones, emails)


@settings(max_examples=400, deadline=None)
@given(persons, persons)
def test_the_score_is_symmetric_and_bounded(a, b):
    ab, ba = score(a, b), score(b, a)
    assert ab == ba
    assert 0 <= ab.score <= 100
    assert ab.reasons and (ab.score >= LIKELY) == ab.likely


@settings(max_examples=200, deadline=None)
@given(persons)
def test_a_person_with_a_name_is_a_likely_duplicate_of_themselves(a):
    match = score(a, a)
    if name_key(a.name) and (a.phones or a.emails or normal_address(a.address)):
        assert match.likely, (a, match)
    assert first_shared_key(blocking_keys(a), blocking_keys(a)) == (min(blocking_keys(a)) if blocking_keys(a) else None)
