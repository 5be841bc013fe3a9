"""The declared import records: same fingerprints as ever, lean records, rules heard with field problems."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from deskapp.supervision.import_format import Problems, read

from .test_import import CSV, JSON

NOW = datetime(2026, 3, 10, 11, 0)


def test_fingerprints_are_those_earlier_imports_stored():
    """Re-importing a file imported by an older deskapp must find every case unchanged."""
    _parsed, records = read("a.json", json.dumps(JSON).encode(), NOW, {"sam", "jo"})
    assert [r.fingerprint() for r in records] == [
        "f9775099f626aee99780edd159d23ab7beb2172a61a3e62134e8e98c71f773ad",
        "97b347c8b146772db3f72a01dad057a6379d6afc7f99b4b2ea87aff428e636e7"]
    _parsed, records = read("a.csv", CSV.encode(), NOW, {"sam", "jo"})
    assert [r.fingerprint() for r in records] == [
        "2af851661a4506a58cd504618193a2e9112de3ff57509090a2622d25a9fbdd87",
        "8189942a0d26d7af47d28d5703a59ba8f1ead2ab200bd2d6104c194e9242d521",
        "8cf2dd306bf23743154abc8f0e60a0757889193b1a63a7072d24526dc006e6d8"]
    assert [r.line for r in records] == [2, 4, 5]
    assert records[0].contacts[0].at == records[0].received_at, "the note column is dated when the case came in"


def test_records_carry_no_per_instance_dict():
    """A 500k-case file holds millions of records: slots, not a dict (or a pydantic model) each."""
    _parsed, records = read("a.json", json.dumps(JSON).encode(), NOW, {"sam", "jo"})
    assert not hasattr(records[0], "__dict__") and not hasattr(records[0].parties[0], "__dict__")


def test_the_line_is_not_a_field_a_file_can_set():
    case = {"external_ref": "A", "kind": "complaint", "title": "t", "received_at": "2026-03-01", "line": 99}
    with pytest.raises(Problems) as problems:
        read("a.json", json.dumps([case]).encode(), NOW)
    assert [p.render("a.json") for p in problems.value.problems] == ["a.json:1: line: not a field deskapp imports"]


def test_rules_are_heard_with_the_field_problems_of_nested_items():
    case = {"external_ref": "A", "kind": "complaint", "title": "t", "received_at": "2026-03-01",
            "parties": [{"name": "Ann", "email": "nope"}],
            "contacts": [{"at": "2026-03-02", "channel": "phone", "party": "Bob", "direction": "up"},
                         {"at": "2026-03-02", "channel": "phone", "summary": "fine", "party": "Ann"}]}
    with pytest.raises(Problems) as problems:
        read("a.json", json.dumps([case]).encode(), NOW)
    assert [p.render("a.json") for p in problems.value.problems] == [
        "a.json:1: parties[1].email: 'nope' is not an email address",
        "a.json:1: contacts[1].direction: 'up' is not one of: in, out, internal",
        "a.json:1: contacts[1].party: 'Bob' is not one of this case's parties",
        "a.json:1: contacts[1].summary: a contact needs a summary or a body"]
