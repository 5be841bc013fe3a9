"""The person's shape is declared once (core.people), and its contact points normalise the same way everywhere."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from deskapp.core.people import (
    ARRANGEMENT_FIELDS,
    ARRANGEMENT_LIMITS,
    PERSON_FIELDS,
    PERSON_LIMITS,
    name_key,
    normalise_email,
    normalise_phone,
)
from deskapp.core.rowdigest import DIGESTED
from deskapp.store.models import Arrangement, Person


def _length(column_type) -> int:
    return getattr(column_type, "length", None) or column_type.impl.length


def test_the_tables_store_every_declared_field_within_its_limit():
    assert set(PERSON_FIELDS) <= set(Person.__table__.c.keys())
    assert {n: _length(Person.__table__.c[n].type) for n in PERSON_LIMITS} == PERSON_LIMITS
    assert set(ARRANGEMENT_FIELDS) <= set(Arrangement.__table__.c.keys())
    assert {n: _length(Arrangement.__table__.c[n].type) for n in ARRANGEMENT_LIMITS} == ARRANGEMENT_LIMITS


def test_every_declared_field_is_covered_by_the_row_digest():
    assert set(PERSON_FIELDS) <= set(DIGESTED["persons"])
    assert set(ARRANGEMENT_FIELDS) <= set(DIGESTED["person_arrangements"])
    assert "person_id" in DIGESTED["parties"]


def test_one_number_written_many_ways_is_one_e164():
    ways = ["07700 900412", "07700900412", "+44 7700 900412", "+44 (0)7700 900 412", "0044 7700 900412",
            " 07700-900-412 "]
    assert {normalise_phone(w).value for w in ways} == {"+447700900412"}
    assert all(normalise_phone(w).valid for w in ways)


def test_a_phone_that_does_not_parse_is_kept_as_written_and_flagged():
    for text in ("ring the office", "123", "07700 9004 12 ext 3 ask for Jo"):
        phone = normalise_phone(text)
        assert phone is not None and not phone.valid and phone.value == text.strip()
    assert normalise_phone(None) is None and normalise_phone("   ") is None


def test_emails_are_trimmed_unwrapped_and_lower_cased_like_contact_points():
    assert normalise_email("  Ann.Lee@Example.ORG ") == "ann.lee@example.org"
    assert normalise_email("Ann Lee <Ann.Lee@Example.ORG>") == "ann.lee@example.org"
    assert normalise_email("no at sign ") == "no at sign"
    assert normalise_email("") is None


def test_a_phone_without_a_country_code_is_read_in_the_region_given():
    assert normalise_phone("087 123 4567", "IE").value == "+353871234567"
    assert normalise_phone("(212) 555-0100", "US").value == "+12125550100"
    assert normalise_phone("+44 7700 900412", "US").value == "+447700900412", "+CC is unaffected"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_phone_normalising_never_fails_and_is_stable(text):
    phone = normalise_phone(text)
    if phone is None:
        assert not re.sub(r"[\x00-\x1f\x7f-\x9f\s]", "", text), "only blank (spaces, control characters) is None"
        return
    again = normalise_phone(phone.value)
    assert again == phone, "normalising what was kept keeps it"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_email_and_name_keys_are_stable(text):
    email = normalise_email(text)
    assert email is None or normalise_email(email) == email
    key = name_key(text)
    assert key is None or name_key(key) == key
