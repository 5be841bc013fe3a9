"""Dashboard figures from SQL, on SQLite and PostgreSQL: deadlines, overrides, volumes, kinds, third parties."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import audit
from deskapp.store.models import ApprovalRequest, Case, Handler, Party
from deskapp.supervision.roles import NotAllowed
from deskapp.supervision.stats import dashboard, week_start

from .conftest import NOW

CARD = [{"rule": "card-number-disclosure", "severity": "block", "message": "a card number"}]
REP = [{"rule": "designated-representative", "severity": "warn", "message": "contact Dana instead"},
       {"rule": "missed-appointment", "severity": "advice", "message": "advice only"}]


def add_cases(engine, rows: list[dict]) -> list[int]:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        ids = {h.username: h.id for h in s.execute(select(Handler)).scalars()}
        made = []
        for n, row in enumerate(rows):
            row = dict(row)
            third = row.pop("third_party", None)
            assignee = row.pop("to", "sam")
            case = Case(ref=f"T-{len(made) + 1}-{n}-{id(rows) % 10000}", title=row.pop("title", "a case"),
                        assigned_to_id=ids.get(assignee), **{"received_at": NOW - timedelta(days=3), **row})
            s.add(case)
            s.flush()
            if third:
                s.add(Party(case_id=case.id, role="third_party", name="Contractor", organisation=third))
            made.append(case.id)
        return made


@pytest.fixture
def desk_data(team, engine):
    day = timedelta(days=1)
    add_cases(engine, [
        dict(title="overdue ack", status="new", due_at=NOW - 2 * day, to="jo"),
        dict(title="overdue ack 2", status="new", due_at=NOW - day, to=None),
        dict(title="overdue response", status="investigating", due_at=NOW - 5 * day, to="sam"),
        dict(title="due later today", status="acknowledged", due_at=NOW.replace(hour=23, minute=59, second=59)),
        dict(title="due thursday", status="acknowledged", due_at=datetime(2026, 3, 12, 23, 59, 59)),
        dict(title="due next month", status="acknowledged", due_at=datetime(2026, 4, 12, 23, 59, 59)),
        dict(title="closed long ago", status="closed", due_at=None, closed_at=NOW - 9 * day),
        dict(title="waiting on the contractor", status="awaiting_third_party", due_at=NOW + 9 * day,
             status_changed_at=NOW - 15 * day, third_party="Ace Repairs <script>"),
        dict(title="waiting briefly", status="awaiting_third_party", due_at=NOW + 9 * day,
             status_changed_at=NOW - 2 * day),
    ])
    # Weekly volume: parking steady at 12 a week for 19 weeks, then 40 in the last full week.
    this_monday = datetime.combine(week_start(NOW.date()), datetime.min.time())
    weekly = []
    for weeks_ago in range(1, 21):  # the 12 weeks shown and the 8 before them
        count = 40 if weeks_ago == 1 else 12
        monday = this_monday - timedelta(weeks=weeks_ago)
        weekly += [dict(category="parking", kind="complaint", status="closed", due_at=None,
                        received_at=monday + timedelta(hours=9 + i % 8, days=i % 5)) for i in range(count)]
        weekly += [dict(category="waste", kind="compliment", status="closed", due_at=None,
                        received_at=monday + timedelta(hours=10, days=i % 5)) for i in range(5)]
    add_cases(engine, weekly)
    with Session(engine) as s, s.begin():
        ids = {h.username: h.id for h in s.execute(select(Handler)).scalars()}
        case_id = s.execute(select(Case.id).limit(1)).scalar_one()
        s.add(ApprovalRequest(case_id=case_id, requested_by_id=ids["jo"], action={"kind": "message"},
                              findings=CARD, status="pending", created_at=NOW))

    def event(who, action, findings, at, reason="because"):
        with Session(engine) as s, s.begin():
            audit.append(s, actor=who, action=action, at=at, findings=findings, reason=reason,
                         handler_id=None, case_id=None)

    for days in (2, 3, 4, 5, 6, 10):  # jo keeps asking to send card numbers
        event("jo", "approval.request", CARD, NOW - timedelta(days=days))
    event("sam", "approval.request", CARD, NOW - timedelta(days=3))
    for who in ("sam", "jo"):
        for i in range(2):
            event(who, "contact", REP, NOW - timedelta(days=1 + i))
    event("sam", "contact", REP, NOW - timedelta(days=60))  # outside 30 days, inside 90
    event("sam", "note", [], NOW - timedelta(days=1), reason=None)  # plain work
    event("priya", "approval.approve", CARD, NOW - timedelta(days=1))  # a decision is not an override
    return team


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
