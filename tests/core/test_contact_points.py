"""Phone and email normalisation (deskapp.core.contact_points): one form for every way of writing
a number, kept as written when it does not parse, never an exception, and idempotent."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from deskapp.core.contact_points import (EMAIL_OK, EMAIL_UNPARSED, PHONE_OK, PHONE_UNPARSED, PHONE_UNUSUAL,
                                         email_key, normalise_email, normalise_phone, phone_key, region_of)

# Text a handler might paste into a phone field: digits in several scripts, separators, letters, junk.
phone_text = st.text(alphabet=st.sampled_from(list("0123456789+() -./#xext*") + ["\u0663", "\uff17", "\n", "\x00",
                                                                                 "a", "Z", "é"]), max_size=40)
any_text = st.text(max_size=80)
regions = st.sampled_from(["GB", "US", "IE", "DE", "FR", "IN", "ZZ", "", "xx"])


def test_the_same_number_written_many_ways_is_one_number():
    forms = ["07700 900123", "+44 7700 900123", "0044 7700 900123", "(07700) 900-123", "+44 (0)7700 900123",
             "\uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff11\uff12\uff13"]
    assert {normalise_phone(f).value for f in forms} == {"+447700900123"}


def test_a_valid_number_is_ok_and_a_drama_range_number_is_unusual_but_kept_in_e164():
    assert normalise_phone("020 7946 0018").flag == PHONE_OK
    drama = normalise_phone("07700 900123")
    assert drama.flag == PHONE_UNUSUAL and drama.value == "+447700900123" and drama.parsed


def test_the_region_reads_numbers_without_a_country_code():
    assert normalise_phone("(212) 555-0100", "US").value == "+12125550100"
    assert normalise_phone("+1 212 555 0100", "GB").value == "+12125550100"
    assert region_of("gb") == "GB" and region_of("UK") == "GB" and region_of("nowhere") == "GB"
    assert region_of(None) == "GB" and region_of("ie") == "IE"


def test_a_number_that_does_not_parse_is_kept_as_written_and_flagged():
    for written in ("ask for Bob", "999", "12", "  ring the office  ", "+44 12"):
        phone = normalise_phone(written)
        assert phone.flag == PHONE_UNPARSED and not phone.parsed
        assert phone.value == phone.written == written.strip()


def test_phone_keys_match_unparsed_numbers_by_their_digits():
    assert phone_key("07700 900123") == phone_key("+447700900123") == "+447700900123"
    assert phone_key("ext 123456 (office)") == phone_key("123-456") == "#123456"
    assert phone_key("ring 999") is None and phone_key("") is None and phone_key(None) is None


@settings(max_examples=400, deadline=None)
@given(phone_text, regions)
def test_phone_normalising_never_raises_and_is_idempotent(text, region):
    once = normalise_phone(text, region)
    twice = normalise_phone(once.value, region)
    assert twice.value == once.value
    assert twice.parsed == once.parsed
    assert once.parsed or once.value == once.written
    assert phone_key(once.value, region) == phone_key(text, region)


@settings(max_examples=300, deadline=None)
@given(any_text, regions)
def test_phone_normalising_survives_any_text(text, region):
    once = normalise_phone(text, region)
    assert normalise_phone(once.value, region).value == once.value


def test_emails_are_trimmed_unwrapped_and_lower_cased():
    assert normalise_email("  Jo.Bloggs@Example.ORG ").value == "jo.bloggs@example.org"
    assert normalise_email("Jo Bloggs <jo.bloggs@example.org>").value == "jo.bloggs@example.org"
    assert normalise_email("mailto:JO@example.org").value == "jo@example.org"
    assert normalise_email("jo@example.org").flag == EMAIL_OK


def test_an_email_that_does_not_parse_is_kept_as_written_and_flagged():
    for written in ("jo at example dot org", "jo@", "@example.org", "jo@example", "a@b@c.org", "two@a.org, b@c.org"):
        email = normalise_email(written)
        assert email.flag == EMAIL_UNPARSED and email.value == written and email_key(written) is None


def test_email_keys_ignore_a_plus_tag():
    assert email_key("Jo+complaints@Example.org") == email_key("jo@example.org") == "jo@example.org"


@settings(max_examples=400, deadline=None)
@given(st.one_of(any_text, st.emails().map(lambda e: e.upper()), st.emails().map(lambda e: f" Name <{e}> ")))
def test_email_normalising_never_raises_and_is_idempotent(text):
    once = normalise_email(text)
    twice = normalise_email(once.value)
    assert twice.value == once.value and twice.flag == once.flag
    assert once.flag == EMAIL_OK or once.value == once.written
