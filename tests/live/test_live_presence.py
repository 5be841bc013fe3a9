"""Presence: the case view knows who else has the case open, and a dead desk drops out."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from deskapp.live.feed import ChangeFeed
from deskapp.live.presence import Presence, Viewer, describe, who_else
from deskapp.store.handlers import add_handler
from deskapp.store.models import Presence as PresenceRow

T0 = datetime(2026, 3, 10, 11, 0, 0)


class Clock:
    def __init__(self, at=T0):
        self.at = at

    def __call__(self):
        return self.at

    def tick(self, seconds):
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def people(engine):
    return {name: add_handler(engine, name, "handler").id for name in ("sam", "jo", "priya")}


def desk(engine, people, name, clock, **kw):
    return Presence(engine, people[name], name, f"{name}-desk", clock=clock, **kw)


def test_who_else_names_other_desks_and_since_when(engine, people):
    clock = Clock()
    sam, jo, priya = (desk(engine, people, n, clock) for n in ("sam", "jo", "priya"))
    jo.viewing(42)
    clock.tick(60)
    priya.viewing(42)
    clock.tick(65)
    sam.viewing(42)
    jo.beat(), priya.beat()  # their desks are alive (they beat every 10 s)
    assert [v.username for v in sam.who_else(42)] == ["jo", "priya"]
    assert sam.describe(42) == "also open: jo, 2 min; priya, 1 min"
    assert jo.describe(42) == "also open: priya, 1 min; sam, <1 min"
    assert sam.who_else(7) == []
    assert sam.describe(7) == ""


def test_moving_to_another_case_and_leaving(engine, people):
    clock = Clock()
    sam, jo = desk(engine, people, "sam", clock), desk(engine, people, "jo", clock)
    jo.viewing(1)
    sam.viewing(1)
    assert [v.username for v in sam.who_else(1)] == ["jo"]
    jo.viewing(2)
    assert sam.who_else(1) == []
    assert [v.username for v in sam.who_else(2)] == ["jo"]
    jo.viewing(None)
    assert sam.who_else(2) == []
    jo.viewing(2)
    jo.leave()
    assert sam.who_else(2) == []
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(PresenceRow)).scalar_one() == 1


def test_a_desk_that_stops_heartbeating_expires(engine, people):
    sam_clock, jo_clock = Clock(), Clock()
    sam = desk(engine, people, "sam", sam_clock, expire_after=30)
    jo = desk(engine, people, "jo", jo_clock, expire_after=30)
    jo.viewing(5)
    sam.viewing(5)
    sam_clock.tick(25)
    assert [v.username for v in sam.who_else(5)] == ["jo"]
    jo_clock.tick(20)
    jo.beat()  # jo's desk is alive: last seen 20 s after opening
    sam_clock.tick(20)  # 45 s after opening, 25 s after jo's last beat
    assert [v.username for v in sam.who_else(5)] == ["jo"]
    sam_clock.tick(10)  # 35 s since jo's last beat: jo's desk is taken for dead (kill -9, SSH drop)
    assert sam.who_else(5) == []
    jo_clock.tick(35)
    jo.beat()  # it was only a stall: jo is back, still on the case since it was opened
    viewers = sam.who_else(5)
    assert [v.username for v in viewers] == ["jo"]
    assert viewers[0].since == T0


def test_same_handler_at_two_desks_is_shown_as_such(engine, people):
    clock = Clock()
    first, second = desk(engine, people, "sam", clock), desk(engine, people, "sam", clock)
    first.viewing(3)
    second.viewing(3)
    assert second.describe(3) == "also open: you at another desk, <1 min"


def test_opening_a_case_tells_the_change_feed(engine, people):
    clock = Clock()
    feed = ChangeFeed(engine)
    jo = desk(engine, people, "jo", clock)
    jo.viewing(11)
    jo.viewing(12)
    jo.beat()  # heartbeats alone are not news
    jo.leave()
    got = [(c.kind, c.case_id, c.actor) for c in feed.poll(force=True)]
    assert got == [("presence", 11, "jo"), ("presence", 11, "jo"), ("presence", 12, "jo"), ("presence", 12, "jo")]
    feed.stop()


def test_describe_wording():
    now = T0
    assert describe([], now) == ""
    viewers = [Viewer("jo", "d", now - timedelta(minutes=2, seconds=5), now),
               Viewer("priya", "d", now - timedelta(hours=1, minutes=5), now),
               Viewer("sam", "d", now - timedelta(days=2), now, me_elsewhere=True)]
    assert describe(viewers, now) == "also open: jo, 2 min; priya, 1 h 5 min; you at another desk, 2 d"


def test_heartbeat_thread_keeps_the_row_fresh_and_stop_removes_it(engine, people):
    jo = Presence(engine, people["jo"], "jo", "jo-desk", interval=0.1)
    jo.start()
    try:
        jo.viewing(9)
        first = _last_seen(engine, jo.token)
        deadline = time.monotonic() + 3
        while _last_seen(engine, jo.token) == first and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _last_seen(engine, jo.token) > first, "heartbeats move last_seen on"
        assert [v.username for v in who_else(engine, 9)] == ["jo"]
    finally:
        jo.stop()
    assert _last_seen(engine, jo.token) is None
    assert jo.last_error is None
    assert not any(t.name == "deskapp-presence" and t.is_alive() for t in threading.enumerate())


def _last_seen(engine, token):
    with Session(engine) as s:
        return s.execute(select(PresenceRow.last_seen).where(PresenceRow.token == token)).scalar()
