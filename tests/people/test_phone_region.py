"""One phone normaliser (deskapp.core.contact_points), read in the desk's region (the published pack's
calendar country); the migrations keep the rules they ran with."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from deskapp.core.contact_points import phone_key, stored_phone_key
from deskapp.store import migrate

from .conftest import NOW, add_person

VERSIONS = Path(migrate.__file__).resolve().parent / "migrations" / "versions"


def _migration(name: str):
    spec = importlib.util.spec_from_file_location(f"norm18_{name}", VERSIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


people1 = _migration("people1_persons_from_parties")
people2 = _migration("people2_person_keys_merges")


def _pack(country: str) -> str:
    from deskapp.resources import shipped

    text = shipped("policies.yaml").read_text(encoding="utf-8")
    gb = "calendar:\n  country: GB\n  subdivision: ENG\n"
    assert gb in text
    return text.replace(gb, f"calendar:\n  country: {country}\n")


def _desk_in(country: str, engine, db_url):
    from deskapp.actions import open_desk
    from deskapp.actions.policies import publish_as

    publish_as(engine, "ada", _pack(country), source=f"policies-{country}.yaml")
    return open_desk(db_url, None, "sam", clock=lambda: NOW)


@pytest.mark.parametrize("country, written, e164, other_form", [
    ("IE", "087 123 4567", "+353871234567", "+353 87 123 4567"),
    ("US", "(212) 555-0100", "+12125550100", "212.555.0100"),
])
def test_a_desk_outside_the_uk_reads_phones_in_its_own_country(team, engine, db_url, country, written, e164,
                                                                other_form):
    from deskapp.actions import new_case
    from deskapp.actions.person_search import find_persons, likely_persons
    from deskapp.store.models import Person

    gb_desk = team["sam"]  # opened on the packaged (GB) rules
    desk = _desk_in(country, engine, db_url)
    try:
        assert desk.policies.phone_region == country and gb_desk.policies.phone_region == "GB"
        new_case(desk, kind="complaint", category="repairs", title="No heating",
                        party={"role": "customer", "name": "Aoife Byrne", "phone": written})
        with engine.connect() as conn:
            stored = conn.execute(Person.__table__.select().where(Person.__table__.c.name == "Aoife Byrne")).one()
        assert stored.phone == e164 and stored.phone_valid
        for typed in (written, other_form, e164):
            hits = find_persons(desk, typed)
            assert [(h.name, h.matched) for h in hits][:1] == [("Aoife Byrne", "phone")], typed
        likely = likely_persons(desk, "Aoife Byrne", phone=other_form)
        assert [hit.name for hit, _why in likely] == ["Aoife Byrne"]
        assert any(why.startswith("same phone") for _hit, reasons in likely for why in reasons)
        # The same digits on a GB desk are another (GB) number: not this person's phone.
        assert not [h for h in find_persons(gb_desk, written) if h.matched == "phone"]
        assert [h.matched for h in find_persons(gb_desk, e164)][:1] == ["phone"], "+CC reads the same anywhere"
    finally:
        desk.close()


def test_a_number_written_with_its_country_code_is_found_on_any_desk(team, engine, db_url):
    from deskapp.actions.person_search import find_persons

    add_person(engine, "Arthur Penrose", phone="+44 7700 900412")
    desk = _desk_in("IE", engine, db_url)
    try:
        assert [h.matched for h in find_persons(desk, "+44 7700 900412")][:1] == ["phone"]
        assert [h.matched for h in find_persons(desk, "0044 7700 900412")][:1] == ["phone"]
        assert not [h for h in find_persons(desk, "07700 900412") if h.matched == "phone"], \
            "without +CC an Irish desk reads it as an Irish number"
    finally:
        desk.close()


def test_people1_keeps_the_rules_it_ran_with():
    # The live normaliser lower-cases the whole address; people1 kept the local part as written.
    assert people1._normalise_email(" Ann.Lee@Example.ORG ") == "Ann.Lee@example.org"
    assert people1._normalise_phone("07700 900412") == ("+447700900412", True)
    assert people1._normalise_phone("ring the office") == ("ring the office", False)
    source = Path(people1.__file__).read_text(encoding="utf-8")
    assert "from deskapp.core.people import" not in source and "from deskapp.core.contact_points" not in source, \
        "people1 imports no live normaliser"


# What people1 stored: text a handler typed into a phone field (digits in several scripts, separators,
# letters), and any printable text.
typed_phones = st.one_of(
    st.text(alphabet=st.sampled_from(list("0123456789+() -./#xext*") + ["\u0663", "\uff17", "\uff0b", "a", "é"]),
            max_size=30),
    st.text(st.characters(blacklist_categories=("Cc",)), max_size=30),
    st.sampled_from(["07700 900412", "+44 20 7946 0018", "020 7946 001", "0044 7700 900412", "999", "7946 0018"]))


@settings(max_examples=1500, deadline=None)
@given(typed_phones)
def test_the_live_keys_of_what_people1_stored_are_the_keys_people2_made(text):
    """Re-keying a person (any ORM write) never moves them: the live, region-free key of each phone people1
    stored is the key people2 gave it (phone_key read in GB). Only text holding a control character
    differs (below); people2 keeps its own rule for those."""
    kept = people1._normalise_phone(text)
    if kept is None:
        return
    assert stored_phone_key(kept.value) == people2._phone_key(kept.value) == phone_key(kept.value, "GB")


def test_a_stored_phone_with_a_control_character_is_keyed_on_its_digits_by_the_live_rule():
    kept = people1._normalise_phone("07700\x0b900412")
    assert kept == ("07700\x0b900412", False), "libphonenumber would not read it"
    assert people2._phone_key(kept.value) == "+447700900412", "people2 read it in GB once cleaned"
    assert stored_phone_key(kept.value) == "#07700900412", "the live rule reads no region into a stored phone"


@settings(max_examples=300, deadline=None)
@given(typed_phones, st.sampled_from(["GB", "IE", "US", "DE", "IN"]))
def test_what_a_desk_stores_is_found_by_what_was_typed(text, region):
    """A phone kept in a region (E.164, or as written) is keyed so that the same text typed into a search
    on that desk meets it."""
    from deskapp.core.people import normalise_phone

    kept = normalise_phone(text, region)
    if kept is None:
        return
    assert stored_phone_key(kept.value) == phone_key(text, region)
