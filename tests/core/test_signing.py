"""Checkpoint lines: signed, parsed back, and any change to what was signed fails the signature."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import given, settings, strategies as st

from deskapp.core import signing

KEY = signing.new_private_key()
OTHER = signing.new_private_key()
AT = datetime(2026, 3, 10, 11, 0)
HASH = "ab" * 32


def test_round_trip_and_signature():
    cp = signing.sign(KEY, event_id=42, hash=HASH, events=40, at=AT)
    back = signing.parse_line(cp.line())
    assert back == cp and "\n" not in cp.line()
    assert signing.signature_holds(KEY.public_key(), back)
    assert not signing.signature_holds(OTHER.public_key(), back)
    assert back.key_id == signing.key_id(KEY.public_key()) != signing.key_id(OTHER.public_key())


@pytest.mark.parametrize("field, value", [("event_id", 41), ("events", 39), ("hash", "cd" * 32),
                                          ("at", "2026-03-10T11:01:00"), ("key_id", "0" * 16)])
def test_changing_any_signed_field_breaks_the_signature(field, value):
    data = json.loads(signing.sign(KEY, event_id=42, hash=HASH, events=40, at=AT).line())
    data[field] = value
    assert not signing.signature_holds(KEY.public_key(), signing.parse_line(json.dumps(data)))


def test_keys_round_trip_through_pem_and_bad_bytes_are_refused():
    assert signing.key_id(signing.load_private(signing.private_pem(KEY)).public_key()) == \
        signing.key_id(signing.load_public(signing.public_pem(KEY.public_key())))
    for junk in (b"", b"not a key", signing.public_pem(KEY.public_key())):
        with pytest.raises(signing.BadKey):
            signing.load_private(junk)
    with pytest.raises(signing.BadKey):
        signing.load_public(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200),
                 st.dictionaries(st.sampled_from(["v", "event_id", "hash", "events", "at", "key_id", "sig", "x"]),
                                 st.one_of(st.integers(-2, 2**40), st.text(max_size=70), st.booleans(), st.none(),
                                           st.just(HASH), st.just("2026-03-10T11:00:00")),
                                 max_size=8).map(json.dumps)))
def test_any_line_parses_or_says_what_is_wrong(text):
    try:
        cp = signing.parse_line(text)
    except signing.BadLine as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert not signing.signature_holds(KEY.public_key(), cp)  # nothing made up here was signed by KEY


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**40), st.integers(0, 2**40), st.datetimes(min_value=datetime(2000, 1, 1)))
def test_every_signed_checkpoint_parses_back_and_verifies(event_id, events, at):
    cp = signing.sign(KEY, event_id=event_id, hash=HASH, events=events, at=at)
    assert signing.signature_holds(KEY.public_key(), signing.parse_line(cp.line()))
