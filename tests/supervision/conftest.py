"""Supervision fixtures: a small team (two handlers, a supervisor, an admin) and a worked case."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

NOW = datetime(2026, 3, 10, 11, 0)


@pytest.fixture
def team(engine, published, db_url):
    from deskapp.actions import open_desk
    from deskapp.store.handlers import add_handler

    add_handler(engine, "sam", "handler", "Sam Reid")
    add_handler(engine, "jo", "handler", "Jo Park")
    add_handler(engine, "priya", "supervisor", "Priya Shah")
    add_handler(engine, "ada", "admin", "Ada Moss")
    desks = {name: open_desk(db_url, None, name, clock=lambda: NOW) for name in ("sam", "jo", "priya", "ada")}
    yield desks
    for desk in desks.values():
        desk.close()


@pytest.fixture
def worked_case(team):
    """A repairs complaint with a designated representative, a few contacts and notes: about 6 audit events."""
    from deskapp.actions import ActionRequest, Done, new_case, save_party, submit

    sam = team["sam"]
    case = new_case(sam, kind="complaint", category="repairs", title="Damp and a broken boiler", vulnerable=True,
                    received_at=datetime(2026, 3, 2, 9, 0), party={"role": "resident", "name": "Lee Price"})
    done = save_party(sam, case.id, case.version, role="representative", name="Dana Hill",
                      organisation="Social services", designated=True)
    case = done.case
    rep = next(p for p in case.parties if p.designated)
    for summary in ("Booked the repair for Thursday", "Confirmed access arrangements"):
        done = submit(sam, ActionRequest(kind="contact", case_id=case.id, version=case.version, channel="phone",
                                         direction="out", party_id=rep.id, outcome="reached", summary=summary))
        assert isinstance(done, Done), done
        case = done.case
    done = submit(sam, ActionRequest(kind="note", case_id=case.id, version=case.version,
                                     body="Contractor confirmed parts on order"))
    assert isinstance(done, Done)
    return done.case


def run_cli(*argv: str, capsys=None) -> tuple[int, str, str]:
    """Run `deskapp ARGV` in-process; returns (exit code, stdout, stderr)."""
    from deskapp.cli import main

    code = main(list(argv))
    if capsys is None:
        return code, "", ""
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- a desk with figures for the dashboard --------------------------------------------------------

CARD = [{"rule": "card-number-disclosure", "severity": "block", "message": "a card number"}]
REP = [{"rule": "designated-representative", "severity": "warn", "message": "contact Dana instead"},
       {"rule": "missed-appointment", "severity": "advice", "message": "advice only"}]


def add_cases(engine, rows: list[dict]) -> list[int]:
    """Cases written straight to the store (fast; the dashboard only reads them)."""
    from deskapp.store.models import Case, Handler, Party

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


HOSTILE_CATEGORY = "[@click=app.quit]boom[/] \x1b[2J<b>"


@pytest.fixture
def desk_data(team, engine):
    """Overdue and due-soon cases, a parking spike last week, jo's card-number habit, two third-party waits."""
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
    from deskapp.actions import audit
    from deskapp.store.models import ApprovalRequest, Case, Handler
    from deskapp.supervision.stats import week_start

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
    weekly.append(dict(category=HOSTILE_CATEGORY, kind="enquiry", status="closed", due_at=None,
                       received_at=this_monday - timedelta(days=4)))
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
