"""Spotting a week that is far busier than the weeks before it.

A policy change, an outage or a bad letter often shows first as a jump in
cases in one category. A week is a *spike* when it is well above its trailing
average: more than `sigmas` standard deviations above the mean of the
previous `window` weeks, and at least `min_cases` cases (so 3 after a run of
0s is not news).

Case counts behave roughly like Poisson counts, whose spread grows with their
mean; a category that happened to be perfectly flat for 8 weeks has a sample
deviation of 0, which would flag any rise at all. So the deviation used is at
least the square root of the mean (the Poisson spread), and at least 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

WINDOW = 8
SIGMAS = 2.0
MIN_CASES = 10


@dataclass(frozen=True)
class SpikeRule:
    window: int = WINDOW
    sigmas: float = SIGMAS
    min_cases: int = MIN_CASES
    min_history: int = 4  # weeks of history needed before a week can be judged

    def threshold(self, history: Sequence[int]) -> float | None:
        """The count above which the next week is a spike; None when there is too little history."""
        recent = list(history)[-self.window:]
        if len(recent) < self.min_history:
            return None
        mean = sum(recent) / len(recent)
        variance = sum((x - mean) ** 2 for x in recent) / (len(recent) - 1) if len(recent) > 1 else 0.0
        spread = max(math.sqrt(variance), math.sqrt(mean), 1.0)
        return mean + self.sigmas * spread

    def is_spike(self, history: Sequence[int], count: int) -> bool:
        limit = self.threshold(history)
        return limit is not None and count >= self.min_cases and count > limit


DEFAULT_RULE = SpikeRule()


def spikes(counts: Sequence[int], rule: SpikeRule = DEFAULT_RULE) -> list[bool]:
    """For each week (oldest first), whether it is a spike against the weeks before it."""
    return [rule.is_spike(counts[:i], c) for i, c in enumerate(counts)]
