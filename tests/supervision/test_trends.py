"""Spike detection: a week far above its trailing average is flagged; noise and small numbers are not."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from deskapp.supervision.stats import OverrideRow, rank_overrides
from deskapp.supervision.trends import SpikeRule, spikes


def test_a_jump_after_a_steady_run_is_a_spike():
    counts = [20, 22, 19, 21, 20, 23, 18, 21, 55]
    assert spikes(counts) == [False] * 8 + [True]


def test_a_flat_history_does_not_make_every_rise_a_spike():
    # sigma of a perfectly flat run is 0; the Poisson floor (sqrt of the mean) keeps 24 after 20s quiet.
    assert spikes([20] * 8 + [24]) == [False] * 9
    assert spikes([20] * 8 + [35])[-1] is True


def test_small_numbers_are_not_news():
    assert spikes([0, 0, 1, 0, 0, 0, 1, 0, 6]) == [False] * 9
    assert spikes([0, 0, 1, 0, 0, 0, 1, 0, 12])[-1] is True  # at least min_cases (10)


def test_needs_some_history_and_uses_only_the_trailing_window():
    assert spikes([100]) == [False]
    assert spikes([5, 5, 50]) == [False] * 3, "two weeks of history are not enough to judge"
    # An old burst outside the 8-week window does not mask a new one.
    counts = [200, 10, 11, 9, 10, 12, 10, 11, 9, 10, 60]
    assert spikes(counts)[-1] is True


def test_gradual_growth_is_not_a_spike():
    counts = [10, 12, 14, 16, 18, 20, 22, 24, 26, 28]
    assert not any(spikes(counts))


def test_a_noisy_series_needs_a_bigger_jump():
    noisy = [10, 40, 12, 38, 11, 41, 9, 39]
    assert not spikes(noisy + [45])[-1]
    assert spikes(noisy + [90])[-1]


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=60),
       st.integers(min_value=1, max_value=12), st.floats(min_value=0.5, max_value=5))
def test_spikes_never_fail_and_are_above_the_minimum(counts, window, sigmas):
    rule = SpikeRule(window=window, sigmas=sigmas, min_history=min(4, window))
    flags = spikes(counts, rule)
    assert len(flags) == len(counts)
    for count, flag in zip(counts, flags):
        assert not flag or count >= rule.min_cases


def test_the_handler_who_keeps_overriding_the_card_rule_stands_out():
    team = ["sam", "jo", "lee", "kim", "ash"]
    counts = [
        ("jo", "card-number-disclosure", 0, 9),
        ("sam", "card-number-disclosure", 0, 1),
        ("sam", "designated-representative", 4, 0),
        ("lee", "designated-representative", 3, 0),
        ("kim", "designated-representative", 5, 0),
        ("ash", "designated-representative", 4, 0),
        ("jo", "designated-representative", 4, 0),
    ]
    rows = rank_overrides(counts, team, {"jo": 120, "sam": 100})
    first = rows[0]
    assert (first.handler, first.rule, first.outlier, first.total) == ("jo", "card-number-disclosure", True, 9)
    assert [r for r in rows if r.outlier] == [first], "everyone giving reasons on the same rule is not an outlier"
    assert first.team_median == 0.0 and first.actions == 120


def test_outliers_need_a_minimum_count():
    rows = rank_overrides([("jo", "hostile-tone", 2, 0)], ["jo", "sam", "lee"], {})
    assert rows == (OverrideRow("jo", "hostile-tone", 2, 0, 0, 0.0, False),)
