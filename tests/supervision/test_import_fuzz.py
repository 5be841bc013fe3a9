"""Fuzzing the import parsers: whatever the file holds, the answer is records or row-numbered problems."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskapp.supervision.import_format import CSV_COLUMNS, CaseRecord, Problems, read

NOW = datetime(2026, 3, 10, 11, 0)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(name: str, data: bytes):
    """Records, or Problems each rendered as one line. Any other exception fails the test."""
    try:
        _parsed, records = read(name, data, NOW, {"sam", "jo"})
    except Problems as problems:
        assert problems.problems, "Problems always carries at least one"
        for problem in problems.problems:
            line = problem.render(name)
            assert line.startswith(name) and "\n" not in line and "Traceback" not in line
        return None
    assert all(isinstance(r, CaseRecord) for r in records)
    return records


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["f.csv", "f.json", "f.CSV", "f.txt"]))
def test_any_bytes(data, name):
    outcome(name, data)


@FUZZ
@given(st.text(max_size=2000))
def test_any_text_as_csv_and_json(text):
    outcome("f.csv", text.encode("utf-8"))
    outcome("f.json", text.encode("utf-8"))


values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["complaint", "enquiry", "2026-03-01", "2026-03-01 09:30", "2026-03-01T09:30:00+05:00",
                     "2026-03-01Z", "yes", "no", "1", "2", "urgent", "closed", "new", "sam", "nobody", "", " ",
                     "9999-12-31", "0001-01-01", "2026-02-30", "x" * 300]),
)


@FUZZ
@given(st.lists(st.sampled_from(CSV_COLUMNS), min_size=1, max_size=12, unique=True),
       st.lists(st.lists(values, max_size=14), max_size=6))
def test_csv_with_real_columns_and_wild_values(columns, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["external_ref", "kind", "title", "received_at", *columns])
    for row in rows:
        writer.writerow(row)
    outcome("f.csv", buffer.getvalue().encode("utf-8"))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), values),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children,
                                                                               max_size=4)),
    max_leaves=20,
)
case_keys = st.sampled_from(["external_ref", "kind", "title", "received_at", "category", "stage", "status",
                             "priority", "vulnerable", "acknowledged_at", "responded_at", "closed_at",
                             "escalated_at", "assigned_to", "parties", "contacts", "appointments", "nonsense"])
party_like = st.dictionaries(st.sampled_from(["name", "role", "designated", "authorised", "email", "phone", "x"]),
                             json_values, max_size=5)
contact_like = st.dictionaries(st.sampled_from(["at", "channel", "direction", "party", "outcome", "summary", "body"]),
                               json_values, max_size=6)


@FUZZ
@given(st.lists(st.fixed_dictionaries(
    {"external_ref": values, "kind": values, "title": values, "received_at": values},
    optional={"parties": st.lists(party_like, max_size=3), "contacts": st.lists(contact_like, max_size=3),
              "appointments": st.lists(contact_like, max_size=2), "stage": json_values, "priority": json_values,
              "vulnerable": json_values, "status": values, "closed_at": values}),
    max_size=5), st.booleans())
def test_json_cases_with_wild_values(cases, wrapped):
    document = {"source": "fuzz", "cases": cases} if wrapped else cases
    outcome("f.json", json.dumps(document, indent=1).encode("utf-8"))


@FUZZ
@given(st.dictionaries(case_keys, json_values, max_size=10))
def test_json_single_case_any_structure(case):
    outcome("f.json", json.dumps([case]).encode("utf-8"))


def test_a_valid_case_survives_the_fuzzing_helpers():
    records = outcome("f.json", json.dumps([{"external_ref": "A", "kind": "complaint", "title": "t",
                                             "received_at": "2026-03-01"}]).encode())
    assert [r.external_ref for r in records] == ["A"]


def test_a_superscript_digit_is_a_bad_value_not_a_crash():
    """Hypothesis found it: '²'.isdigit() is True, but int('²') raises."""
    data = (b'[{"external_ref": "X-1", "kind": "complaint", "title": "t", "received_at": "2026-03-02", '
            b'"stage": "\xc2\xb2"}]')
    try:
        read("cases.json", data, NOW, {"sam", "jo"})
    except Problems as problems:
        [line] = [p.render("cases.json") for p in problems.problems]
        assert "stage" in line and "²" in line
    else:
        raise AssertionError("a superscript two is not a stage")
