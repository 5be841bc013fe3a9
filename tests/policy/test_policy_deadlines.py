"""pack.deadlines(): the dates the queue sorts on and the sidebar shows."""

from __future__ import annotations

import time
from collections import namedtuple
from datetime import datetime

from deskapp.policy import CaseSnap


def dt(*a):
    return datetime(*a)


def test_housing_ombudsman_stage1(pack):
    case = CaseSnap("C-1", received_at=dt(2026, 3, 2, 9), acknowledged_at=dt(2026, 3, 3, 9), status="acknowledged")
    d = pack.deadlines(case, dt(2026, 3, 10, 11))
    assert d.timescale == "housing-ombudsman"
    assert d.acknowledge_by == dt(2026, 3, 9, 23, 59, 59)
    assert d.acknowledged and d.acknowledge_days_left is None
    assert d.respond_by == dt(2026, 3, 17, 23, 59, 59)
    assert d.respond_days_left == 5
    assert d.next_due == d.respond_by and d.next_due_what == "response"
    assert d.extension_max == 10


def test_unacknowledged_response_is_provisional(pack):
    case = CaseSnap("C-1", received_at=dt(2026, 3, 7, 10))
    d = pack.deadlines(case, dt(2026, 3, 9, 11))
    assert d.acknowledge_by == dt(2026, 3, 16, 23, 59, 59)
    assert d.next_due == d.acknowledge_by and d.next_due_what == "acknowledgement"
    assert d.respond_by_provisional
    assert d.respond_by == dt(2026, 3, 30, 23, 59, 59)  # 10 working days after Mon 16 Mar


def test_closed_and_met_have_no_next_due(pack):
    closed = CaseSnap("C-1", status="closed", received_at=dt(2026, 3, 2, 9))
    assert pack.deadlines(closed, dt(2026, 6, 1)).next_due is None
    answered = CaseSnap("C-2", status="responded", received_at=dt(2026, 3, 2, 9), acknowledged_at=dt(2026, 3, 3),
                        responded_at=dt(2026, 3, 9))
    d = pack.deadlines(answered, dt(2026, 6, 1))
    assert d.next_due is None and d.responded


def test_compliment_has_no_timescale(pack):
    d = pack.deadlines(CaseSnap("K-1", kind="compliment", received_at=dt(2026, 3, 2)), dt(2026, 3, 3))
    assert d.timescale is None and d.next_due is None


def test_fca_by_category(pack):
    case = CaseSnap("F-1", category="Billing", received_at=dt(2026, 3, 2, 9))
    d = pack.deadlines(case, dt(2026, 3, 3))
    assert d.timescale == "fca-disp"
    assert d.summary_by == dt(2026, 3, 5, 23, 59, 59)
    assert d.respond_by == dt(2026, 4, 27, 23, 59, 59)
    assert d.extension_max == 0


def test_stage2_counts_from_escalation(pack):
    case = CaseSnap("S-2", stage=2, status="new", received_at=dt(2026, 3, 2), acknowledged_at=dt(2026, 3, 3),
                    responded_at=dt(2026, 3, 16), stage2_at=dt(2026, 4, 1, 10))
    d = pack.deadlines(case, dt(2026, 4, 2))
    assert not d.acknowledged and d.acknowledge_by == dt(2026, 4, 10, 23, 59, 59)
    assert not d.responded


def test_accepts_any_row_with_the_same_names(pack):
    Row = namedtuple("Row", "kind category stage status received_at acknowledged_at responded_at stage2_at extension_days")
    row = Row("complaint", "repairs", 1, "new", dt(2026, 3, 7, 10), None, None, None, 0)
    assert pack.deadlines(row, dt(2026, 3, 9)).next_due == dt(2026, 3, 16, 23, 59, 59)


def test_missing_received_at_is_not_an_error(pack):
    d = pack.deadlines(CaseSnap("X"), dt(2026, 3, 9))
    assert d.next_due is None


def test_fast_enough_for_a_million_cases(pack):
    cases = [CaseSnap(f"C-{i}", received_at=dt(2026, 1 + i % 12, 1 + i % 28, 9),
                      acknowledged_at=dt(2026, 1 + i % 12, 1 + i % 28, 15) if i % 3 else None,
                      status="acknowledged" if i % 3 else "new", category=("billing" if i % 5 == 0 else "repairs"))
             for i in range(20_000)]
    now = dt(2026, 6, 1)
    pack.deadlines(cases[0], now)
    t = time.thread_time()  # CPU time: robust on a busy machine
    for c in cases:
        pack.deadlines(c, now)
    per_case = (time.thread_time() - t) / len(cases)
    print(f"deadlines: {per_case * 1e6:.1f} us per case")
    assert per_case < 100e-6
