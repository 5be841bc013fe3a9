"""Dashboard figures from SQL, on SQLite and PostgreSQL: deadlines, overrides, volumes, kinds, third parties."""

from __future__ import annotations

import pytest

from deskapp.core.roles import NotAllowed
from deskapp.supervision.stats import dashboard, week_start

from .conftest import NOW


def test_handlers_cannot_see_the_dashboard(team):
    with pytest.raises(NotAllowed, match="sam is a handler: the team dashboard needs a supervisor"):
        dashboard(team["sam"], 30)


def test_deadlines(desk_data):
    d = dashboard(desk_data["priya"], 30).deadlines
    assert (d.overdue, d.overdue_acknowledgement, d.overdue_response) == (3, 2, 1)
    assert d.due_today == 1
    assert d.due_soon == 1, "Thursday is 2 working days after Tuesday; next month is not soon"
    assert dict(d.overdue_by_handler) == {"jo": 1, "sam": 1, None: 1}
    assert [c.title for c in d.most_overdue] == ["overdue response", "overdue ack", "overdue ack 2"]


def test_overrides_single_out_the_card_number_habit(desk_data):
    o = dashboard(desk_data["priya"], 30).overrides
    table = {(r.handler, r.rule): (r.reasons, r.approvals, r.outlier) for r in o.rows}
    assert table[("jo", "card-number-disclosure")] == (0, 6, True)
    assert table[("sam", "card-number-disclosure")] == (0, 1, False)
    assert table[("sam", "designated-representative")] == (2, 0, False)
    assert table[("jo", "designated-representative")] == (2, 0, False)
    assert ("sam", "missed-appointment") not in table, "advice is not an override"
    assert all(h != "priya" for h, _ in table), "approving is not overriding"
    assert o.outliers[0].handler == "jo" and o.rows[0] == o.outliers[0]
    wider = dashboard(desk_data["priya"], 90).overrides
    assert {(r.handler, r.rule): r.reasons for r in wider.rows}[("sam", "designated-representative")] == 3
    week = dashboard(desk_data["priya"], 7).overrides
    assert {(r.handler, r.rule): r.approvals for r in week.rows}[("jo", "card-number-disclosure")] == 5
    assert ("sam", "card-number-disclosure") in {(r.handler, r.rule) for r in week.rows}


def test_volume_flags_the_parking_spike(desk_data):
    v = dashboard(desk_data["priya"], 30).volume
    assert len(v.weeks) == 12 and v.weeks[-1] == week_start(NOW.date())
    parking = next(s for s in v.categories if s.label == "parking")
    assert parking.counts[-2] == 40 and parking.spikes[-2] is True and parking.spikes.count(True) == 1
    assert v.categories[0].label == "parking", "spiking categories come first"
    waste = next(s for s in v.categories if s.label == "waste")
    assert not waste.spiking and waste.counts[-2] == 5
    kinds = {s.label: s for s in v.kinds}
    assert kinds["compliment"].counts[-2] == 5
    assert kinds["complaint"].counts[-2] == 40 + 9, "parking plus the desk cases received last Saturday"
    assert set(kinds) == {"complaint", "compliment", "enquiry", "service_request"}


def test_complaints_vs_compliments_and_third_parties(desk_data):
    d = dashboard(desk_data["priya"], 30)
    assert d.kinds.complaints == 9 + 12 * 3 + 40 and d.kinds.compliments == 5 * 4
    assert d.waiting.count == 2 and d.waiting.waiting_long == 1
    assert d.waiting.longest[0].title == "waiting on the contractor"
    assert d.waiting.longest[0].other == "Ace Repairs <script>"
    assert d.pending_approvals == 1


def test_days_are_working_days_as_on_the_desk(desk_data):
    """Issue #17.10: the dashboard counted calendar days ("5 days late") where the desk counts working
    days. NOW is Tuesday 10 March 2026: due Thursday 5 March is 3 working days late (Fri, Mon, Tue),
    and waiting since Monday 23 February is 11 working days."""
    d = dashboard(desk_data["priya"], 30)
    late = {c.title: c.working_days for c in d.deadlines.most_overdue}
    assert late == {"overdue response": 3, "overdue ack": 2, "overdue ack 2": 1}
    waits = {c.title: c.working_days for c in d.waiting.longest}
    assert waits == {"waiting on the contractor": 11, "waiting briefly": 2}


def test_waiting_long_counts_working_days():
    """More than 10 working days: 14 calendar days over two weekends is exactly 10, not long yet."""
    from datetime import date

    from deskapp.policy.calendar import WorkingCalendar
    from deskapp.supervision.stats import working_days_back

    weekdays = WorkingCalendar(None, None)
    today = date(2026, 3, 10)  # a Tuesday
    cutoff = working_days_back(weekdays, today, 10)
    assert weekdays.working_days_between(cutoff, today) == 10  # starting on the cutoff day: not long
    before = date.fromordinal(cutoff.toordinal() - 1)
    assert weekdays.working_days_between(before, today) == 11
    assert cutoff == date(2026, 2, 24)
