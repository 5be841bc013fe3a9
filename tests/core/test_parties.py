"""One party shape: the table, the view, the snapshot, the import record and the demo all keep to core.parties."""

from __future__ import annotations

from dataclasses import fields

from deskapp.core.case_views import PartyView
from deskapp.core.parties import PARTY_FACTS, PARTY_FIELDS, PARTY_LIMITS, PARTY_ROLE_MAX, PartyFields
from deskapp.demo.stories import StoryParty
from deskapp.policy.snapshot import PartySnap
from deskapp.store.models import Party
from deskapp.supervision.import_records import PartyRecord, fields_of


def _length(column_type) -> int:
    return getattr(column_type, "length", None) or column_type.impl.length


def test_the_table_stores_every_party_field_within_its_limit():
    columns = Party.__table__.c
    assert set(PARTY_FIELDS) <= set(columns.keys())
    assert {name: _length(columns[name].type) for name in PARTY_LIMITS} == PARTY_LIMITS
    assert _length(columns["role"].type) == PARTY_ROLE_MAX


def test_view_and_story_are_party_fields_and_the_import_reads_exactly_them():
    assert issubclass(PartyView, PartyFields) and issubclass(StoryParty, PartyFields)
    assert [f.name for f in fields(PartyView)] == [*PARTY_FIELDS, "id"]
    assert set(fields_of(PartyRecord)) == set(PARTY_FIELDS)


def test_the_policy_snapshot_carries_the_facts_not_the_contact_details():
    assert [f.name for f in fields(PartySnap)] == ["id", *PARTY_FACTS]
    assert set(PARTY_FACTS) <= set(PARTY_FIELDS)


def test_fields_of_reads_any_party():
    view = PartyView(id=7, name="Ann", email="ann@example.org")
    assert PartyFields.fields_of(view) == {**{name: None for name in PARTY_FIELDS}, "name": "Ann", "role": "customer",
                                           "designated": False, "authorised": False, "email": "ann@example.org"}
