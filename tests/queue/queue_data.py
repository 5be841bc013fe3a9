"""Random desks for queue tests, and the plain-Python answer a queue must agree with.

Values are drawn from small pools on purpose: many cases share a due date or a
received time (so ties are broken by id), many have no due date (NULLs sort
last), and refs have different lengths (so "ref" order is natural, not text).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import insert
from sqlmodel import SQLModel

from deskapp.store import search
from deskapp.store.engine import connect
from deskapp.store.models import Case, Contact, Handler, Party
from deskapp.store.queue import QueueFilter, due_soon_until

NOW = datetime(2026, 3, 11, 10, 30)  # a Wednesday
HANDLERS = ("ann", "bob", "cy")
STATUSES = ("new", "acknowledged", "investigating", "awaiting_customer", "responded", "closed")
KINDS = ("complaint", "enquiry", "compliment", "service_request")
CATEGORIES = ("repairs", "billing", "noise")
DUES = [None, None, NOW - timedelta(days=3), NOW - timedelta(hours=1), NOW, NOW + timedelta(hours=5),
        NOW + timedelta(days=1), NOW + timedelta(days=2, hours=13), NOW + timedelta(days=9)]
RECEIVED = [NOW - timedelta(days=d) for d in (0, 1, 1, 5, 30)]


@dataclass(frozen=True)
class Row:
    id: int
    ref: str
    status: str
    kind: str
    category: str
    priority: int
    due_at: Optional[datetime]
    received_at: datetime
    assigned: Optional[str]
    title: str = ""


def memory_engine():
    """An empty in-memory SQLite desk with the full schema (tables, queue indexes, search index)."""
    engine = connect("sqlite://")
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        search.install(conn)
    return engine


def make_rows(rnd: random.Random, n: int) -> list[Row]:
    numbers = rnd.sample(range(1, 20000), n)
    rows = []
    for i in range(1, n + 1):
        rows.append(Row(
            id=i,
            ref=f"C-{numbers[i - 1]}",
            status=rnd.choice(STATUSES),
            kind=rnd.choice(KINDS),
            category=rnd.choice(CATEGORIES),
            priority=rnd.choice((1, 2, 3, 3, 4)),
            due_at=rnd.choice(DUES),
            received_at=rnd.choice(RECEIVED),
            assigned=rnd.choice((None,) + HANDLERS),
            title=f"case {i}",
        ))
    return rows


def load(engine, rows: list[Row], *, parties: bool = True) -> None:
    """Insert handlers, the cases and (optionally) a customer and a contact per case."""
    ids = {name: i + 1 for i, name in enumerate(HANDLERS)}
    with engine.begin() as conn:
        conn.execute(insert(Handler.__table__), [
            {"id": hid, "username": name, "display_name": name.title(), "role": "handler", "active": True,
             "created_at": NOW} for name, hid in ids.items()])
        if not rows:
            return
        conn.execute(insert(Case.__table__), [
            {"id": r.id, "ref": r.ref, "kind": r.kind, "category": r.category, "title": r.title, "stage": 1,
             "status": r.status, "priority": r.priority, "vulnerable": r.id % 7 == 0,
             "received_at": r.received_at, "due_at": r.due_at,
             "assigned_to_id": ids.get(r.assigned) if r.assigned else None, "extension_days": 0,
             "version": 1, "created_at": NOW, "updated_at": NOW} for r in rows])
        if parties:
            conn.execute(insert(Party.__table__), [
                {"case_id": r.id, "role": "customer" if r.id % 3 else "resident", "name": f"Person {r.id}",
                 "designated": False, "authorised": False, "created_at": NOW} for r in rows])
            conn.execute(insert(Contact.__table__), [
                {"case_id": r.id, "at": r.received_at, "channel": "phone", "direction": "in",
                 "summary": f"call about case {r.id}", "body": "", "created_at": NOW} for r in rows])


def expected(rows: list[Row], flt: QueueFilter, sort: str, now: datetime = NOW) -> list[int]:
    """The ids a queue must show, worked out without SQL."""
    soon = due_soon_until(now)

    def keep(r: Row) -> bool:
        if flt.statuses:
            if r.status not in flt.statuses:
                return False
        elif flt.open_only and r.status == "closed":
            return False
        if flt.mine is not None and r.assigned != flt.mine:
            return False
        if flt.kinds and r.kind not in flt.kinds:
            return False
        if flt.category is not None and r.category != flt.category:
            return False
        if flt.overdue or flt.due_soon:
            if r.due_at is None:
                return False
            if flt.overdue and flt.due_soon:
                return r.due_at < soon
            if flt.overdue:
                return r.due_at < now
            return now <= r.due_at < soon
        return True

    chosen = [r for r in rows if keep(r)]
    far = datetime.max
    if sort == "due":
        chosen.sort(key=lambda r: (r.due_at is None, r.due_at or far, r.id))
    elif sort == "priority":
        chosen.sort(key=lambda r: (r.priority, r.due_at is None, r.due_at or far, r.id))
    elif sort == "received":
        chosen.sort(key=lambda r: (r.received_at, r.id), reverse=True)
    elif sort == "ref":
        chosen.sort(key=lambda r: (len(r.ref), r.ref))
    else:
        raise ValueError(sort)
    return [r.id for r in chosen]
