"""The `--filter` words of `deskapp cases list`, and the cells the command line writes.

Property tests: every filter the desk's filter screen can hold is spelled by
filter_terms and read back unchanged; any text at all either parses or is a
one-line FilterError, never another exception.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings, strategies as st

from deskapp import vocab
from deskapp.commands.queue_filter import FilterError, filter_terms, parse_filters
from deskapp.commands.tables import csv_cell, write_csv, write_table
from deskapp.tui.filters import QueueFilters

# Text a person may give as a category or search: anything, but not blank and without edge spaces
# (the parser strips them, as the desk's filter screen does).
_text = st.text(min_size=1, max_size=30).map(str.strip).filter(bool)

filters = st.builds(
    QueueFilters,
    mine=st.booleans(),
    overdue=st.booleans(),
    due_soon=st.booleans(),
    vulnerable=st.booleans(),
    statuses=st.frozensets(st.sampled_from(vocab.CASE_STATUSES)),
    kinds=st.frozensets(st.sampled_from(vocab.CASE_KINDS)),
    category=st.one_of(st.just(""), _text),
    search=st.one_of(st.just(""), _text),
)


@settings(max_examples=300, deadline=None)
@given(filters)
def test_every_desk_filter_round_trips_through_its_terms(value):
    assert parse_filters(filter_terms(value)) == value


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=5), st.one_of(st.none(), st.text(max_size=12)))
def test_any_text_parses_or_is_one_line_filter_error(terms, sort):
    try:
        parsed = parse_filters(terms, sort)
    except FilterError as exc:
        assert exc.exit_code == 2
        assert "\n" not in str(exc) and "\x1b" not in str(exc)
        assert str(exc).startswith(("--filter ", "--sort "))
    else:
        assert isinstance(parsed, QueueFilters)


@settings(max_examples=200, deadline=None)
@given(filters, st.permutations(range(9)))
def test_the_order_of_terms_does_not_matter(value, order):
    terms = filter_terms(value)
    shuffled = [terms[i] for i in order if i < len(terms)]
    assert parse_filters(shuffled) == value


def test_terms_as_a_person_types_them():
    got = parse_filters(["mine", "Due-Soon", "Vulnerable", "status=new, Awaiting-Customer", "status=closed",
                         "kind=complaint", "category= housing repairs ", "search=leak, kitchen"], "priority")
    assert got == QueueFilters(mine=True, due_soon=True, vulnerable=True, statuses=frozenset({"new", "awaiting_customer", "closed"}),
                               kinds=frozenset({"complaint"}), category="housing repairs",
                               search="leak, kitchen", sort="priority")


@pytest.mark.parametrize("terms, sort, message", [
    (["statuz=new"], None, "--filter 'statuz=new': unknown filter"),
    (["status"], None, "--filter 'status': give a value, e.g. status=..."),
    (["status=new,,closed"], None, "give status values separated by commas"),
    (["kind=complain"], None, "'complain' is not a kind (one of: complaint,"),
    (["mine=yes"], None, "mine takes no value"),
    (["search=  "], None, "give the search after '='"),
    ([], "relevance", "--sort relevance ranks a search"),
    ([], "sideways", "--sort 'sideways': use one of due, priority"),
])
def test_bad_terms_name_the_term(terms, sort, message):
    with pytest.raises(FilterError) as raised:
        parse_filters(terms, sort)
    assert message in str(raised.value)


@pytest.mark.parametrize("value, cell", [
    ("=1+2", "'=1+2"), ("+44 7700", "'+44 7700"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("plain", "plain"), ("a=b", "a=b"), (-2, -2), (None, ""), (True, "yes"),
    ("x\x1b[2Jy", "xy"),
])
def test_csv_cells_never_start_a_formula_nor_carry_escapes(value, cell):
    assert csv_cell(value) == cell


def test_csv_keeps_multi_line_text_in_one_quoted_cell():
    out = io.StringIO()
    write_csv(("ref", "body"), [("C-1", "line one\nline two")], out)
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["ref", "body"], ["C-1", "line one\nline two"]]


def test_table_cells_are_one_safe_line_clipped_on_a_terminal():
    out = io.StringIO()
    write_table(("ref", "title"), [("C-1", "Leak\x1b]52;c;eA==\x07 in the\nkitchen, badly and at length")], out,
                width=20)
    lines = out.getvalue().splitlines()
    assert lines == ["ref  title", "C-1  Leak in the ki…"]
