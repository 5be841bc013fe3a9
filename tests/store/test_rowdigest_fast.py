"""The fast digest paths verify and the baseline use give exactly core.rowdigest.row_digest's digest."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings, strategies as st

from deskapp.core.rowdigest import DIGESTED, row_digest
from deskapp.store.bulk import stamp
from deskapp.store.rowdigests import _sqlite_readers, fast_digest

values = st.one_of(
    st.none(), st.booleans(), st.integers(-2**40, 2**40), st.text(max_size=40),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.dictionaries(st.text(max_size=5), st.one_of(st.text(max_size=5), st.integers())), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(table=st.sampled_from(sorted(DIGESTED)), data=st.data(), salt=st.one_of(st.none(), st.text(max_size=32)))
def test_fast_digest_is_row_digest(table, data, salt):
    row = [data.draw(values) for _ in DIGESTED[table]]
    assert fast_digest(table, row, salt) == row_digest(table, dict(zip(DIGESTED[table], row)), salt)


@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)))
def test_sqlite_stamp_reader_reads_as_the_orm_does(moment):
    read = _sqlite_readers("contacts")[DIGESTED["contacts"].index("at")]
    expected = moment.replace(microsecond=0).isoformat(timespec="seconds")
    assert read(stamp(moment)) == expected  # the store's own format: the quick path
    assert read(moment.strftime("%Y-%m-%d %H:%M:%S")) == expected  # anything else: the type's own parser
    assert read(None) is None


def test_sqlite_readers_turn_booleans_and_json_as_the_orm_does():
    cases = dict(zip(DIGESTED["cases"], _sqlite_readers("cases")))
    assert cases["vulnerable"](1) is True and cases["vulnerable"](0) is False
    approvals = dict(zip(DIGESTED["approval_requests"], _sqlite_readers("approval_requests")))
    assert approvals["findings"]('[{"rule": "x"}]') == [{"rule": "x"}]
    assert cases["title"] is None
