"""The desk stays live: other desks' changes, presence, approvals and drafts reach the screen.

Each test runs one real DeskApp (headless Pilot) on a SQLite file while
"another desk" — the action layer called directly, as a second process would —
changes things underneath it.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import (
    ActionRequest,
    ApprovalRequested,
    Done,
    decide_approval,
    load_case,
    new_case,
    open_desk,
    save_draft,
    submit,
)
from deskapp.actions.policies import publish_default
from deskapp.live.presence import Presence
from deskapp.store.engine import connect
from deskapp.store.handlers import add_handler
from deskapp.store.migrate import upgrade
from deskapp.store.models import ApprovalRequest, Contact

NOW = datetime(2026, 3, 10, 11, 0)
CARD_TEXT = "The card on file is 4111 1111 1111 1111, as you asked."
STORED_TEXT = "The card on file is 4111 11•• •••• 1111, as you asked."  # as stored and shown (PCI DSS 3.4)


def fixed_now() -> datetime:
    return NOW


@pytest.fixture
def db(db_url, monkeypatch):
    """Handlers sam, jo, priya and three cases, on SQLite (and PostgreSQL when configured)."""
    monkeypatch.setenv("DESKAPP_DESK", "desk-7")
    url = db_url
    engine = connect(url)
    upgrade(engine)
    publish_default(engine, "setup")
    add_handler(engine, "sam", "handler", "Sam Reid")
    add_handler(engine, "jo", "handler", "Jo Park")
    add_handler(engine, "priya", "supervisor", "Priya Shah")
    engine.dispose()
    sam = open_desk(url, None, "sam", clock=fixed_now)
    cases = [new_case(sam, kind="complaint", category="repairs", title=f"Leaking roof {n}",
                      received_at=datetime(2026, 3, 9, 9, 0), party={"role": "customer", "name": f"Ada Brook {n}"})
             for n in range(3)]
    yield url, sam, cases
    sam.close()


def desk_app(url: str, username: str):
    from deskapp.tui.app import DeskApp

    desk = open_desk(url, None, username, clock=fixed_now)
    app = DeskApp(desk, show_clock=False, live=True)
    seen: list[str] = []
    original = app.notify

    def notify(message, *args, **kwargs):
        seen.append(str(message))
        return original(message, *args, **kwargs)

    app.notify = notify
    return app, desk, seen


async def wait_until(pilot, condition, timeout: float = 5.0) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError("timed out waiting for the desk")
        await pilot.pause(0.05)
    return time.monotonic() - started


async def open_case(pilot, app, case_id: int):
    from deskapp.tui.live import LiveDesk

    screen = app.screen
    await wait_until(pilot, lambda: bool(screen.query(LiveDesk)) and screen.query_one(LiveDesk).feed is not None)
    await move_to(pilot, screen, case_id)
    return screen


async def move_to(pilot, screen, case_id: int) -> None:
    """Put the queue's cursor on the case, as a handler would (a queue re-read keeps the cursor's case)."""
    view = screen.query_one("#queue")
    await wait_until(pilot, lambda: view.total is not None and screen.case is not None, timeout=10)
    view.move_cursor(view.queue.index_of(case_id))
    await wait_until(pilot, lambda: screen.case is not None and screen.case.id == case_id, timeout=10)


def pane_text(screen) -> str:
    from deskapp.tui.widgets.case_pane import CasePane

    return screen.query_one(CasePane).text


async def test_another_desks_contact_appears_within_two_seconds(db):
    url, sam, cases = db
    app, desk, seen = desk_app(url, "jo")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_case(pilot, app, cases[1].id)
        fresh = load_case(sam, cases[1].id)
        done = submit(sam, ActionRequest(kind="contact", case_id=fresh.id, version=fresh.version, channel="phone",
                                         direction="in", party_id=fresh.parties[0].id, outcome="reached",
                                         summary="Rang back about the scaffolding date"))
        assert isinstance(done, Done)
        took = await wait_until(pilot, lambda: "Rang back about the scaffolding date" in pane_text(screen))
        assert took < 2.0
        assert screen.case.version == done.case.version
        await wait_until(pilot, lambda: any("changed at another desk" in m and "sam" in m for m in seen))
        print(f"\nfeed -> case pane: {took:.2f}s")
    desk.close()


async def test_also_open_line_follows_other_desks(db):
    url, sam, cases = db
    app, desk, _seen = desk_app(url, "jo")
    other = Presence(sam.engine, sam.me.id, "sam", "desk-9")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_case(pilot, app, cases[0].id)
        assert "also open" not in pane_text(screen)
        other.viewing(cases[0].id)
        took = await wait_until(pilot, lambda: "also open: sam, <1 min" in pane_text(screen))
        assert took < 2.0
        other.viewing(cases[2].id)  # sam moves on
        await wait_until(pilot, lambda: "also open" not in pane_text(screen))
        await move_to(pilot, screen, cases[2].id)  # jo follows: sam is there
        await wait_until(pilot, lambda: "also open: sam" in pane_text(screen))
        # and jo's desk is visible to sam
        live = [v.username for v in other.who_else(cases[2].id)]
        assert live == ["jo"]
    other.leave()
    # jo's desk closed cleanly: its presence row is gone
    assert other.who_else(cases[2].id) == []
    desk.close()


async def test_supervisor_sees_request_arrive_and_decides_it(db):
    url, sam, cases = db
    case = load_case(sam, cases[0].id)
    app, desk, seen = desk_app(url, "priya")
    async with app.run_test(size=(120, 36)) as pilot:
        await open_case(pilot, app, cases[2].id)
        asked = submit(sam, ActionRequest(kind="message", case_id=case.id, version=case.version, channel="email",
                                          party_id=case.parties[0].id, summary="Card", body=CARD_TEXT),
                       reason="He is the card holder and insists", request_approval=True)
        assert isinstance(asked, ApprovalRequested)
        await wait_until(pilot, lambda: any("asks approval" in m for m in seen), timeout=3)
        await pilot.press("A")
        from deskapp.tui.screens.approvals import ApprovalsScreen, DecisionModal

        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalsScreen) and app.screen.approvals)
        body = str(app.screen.query_one("#approvals-body").content)
        assert "He is the card holder" in body and "4111 11•• •••• 1111" in body
        assert "4111 1111 1111 1111" not in body
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, DecisionModal))
        await pilot.press("ctrl+s")  # no reason: refused by the modal
        assert isinstance(app.screen, DecisionModal)
        await pilot.press(*"Checked his ID on the call")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalsScreen) and not app.screen.approvals)
    with Session(sam.engine) as s:
        row = s.get(ApprovalRequest, asked.approval_id)
        assert (row.status, row.decision_reason) == ("approved", "Checked his ID on the call")
    desk.close()


async def test_supervisor_keeps_a_count_and_marks_of_what_waits(db):
    """Issue #17.9: beyond the toast, the header counts approvals waiting and the queue marks their
    cases (A), and the handler's drafts (D); both follow the change feed as requests come and go."""
    url, sam, cases = db
    case = load_case(sam, cases[0].id)
    app, desk, seen = desk_app(url, "priya")
    save_draft(desk, cases[1].id, "message", {"subject": "Roof"}, "Dear Ada")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_case(pilot, app, cases[2].id)
        header, view = screen.query_one("#header"), screen.query_one("#queue")
        await wait_until(pilot, lambda: view.marks == {cases[1].id: "D"}, timeout=10)
        assert header.waiting == ""
        asked = submit(sam, ActionRequest(kind="message", case_id=case.id, version=case.version, channel="email",
                                          party_id=case.parties[0].id, summary="Card", body=CARD_TEXT),
                       reason="He is the card holder and insists", request_approval=True)
        await wait_until(pilot, lambda: header.waiting == "1 approval to decide (A)", timeout=10)
        assert "1 approval to decide (A)" in header.render().plain
        assert view.marks == {cases[0].id: "A", cases[1].id: "D"}
        row = view.queue.index_of(cases[0].id)

        def first_cell() -> str:  # "···" while the feed's reload is still reading the row back
            return view.render_line(row - view.scroll_offset.y).text.split()[0]

        await wait_until(pilot, lambda: first_cell() != "···", timeout=10)
        assert first_cell() == "A"
        decide_approval(desk, asked.approval_id, approve=False, reason="No card numbers by email")
        await wait_until(pilot, lambda: header.waiting == "" and cases[0].id not in view.marks, timeout=10)
    desk.close()


async def test_handler_is_told_and_carries_out_the_approved_action(db):
    url, sam, cases = db
    case = load_case(sam, cases[0].id)
    priya = open_desk(url, None, "priya", clock=fixed_now)
    app, desk, seen = desk_app(url, "sam")
    async with app.run_test(size=(120, 36)) as pilot:
        await open_case(pilot, app, cases[0].id)
        asked = submit(desk, ActionRequest(kind="message", case_id=case.id, version=case.version, channel="email",
                                           party_id=case.parties[0].id, summary="Card", body=CARD_TEXT),
                       reason="He insists, and his ID checks out", request_approval=True)
        decide_approval(priya, asked.approval_id, approve=True, reason="Fine this once: ID checked")
        await wait_until(pilot, lambda: any("approved your message" in m and "Fine this once" in m
                                            and "carry it out by Wed 11 Mar 23:59" in m for m in seen))
        await pilot.press("A")
        from deskapp.tui.screens.approvals import ApprovalsScreen

        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalsScreen) and app.screen.approvals)
        await pilot.press("c")
        await wait_until(pilot, lambda: any("approved message" in m and "saved" in m for m in seen))
        await pilot.press("escape")
        screen = app.screen
        await wait_until(pilot, lambda: STORED_TEXT[:30] in pane_text(screen))
    with Session(sam.engine) as s:
        assert s.get(ApprovalRequest, asked.approval_id).status == "completed"
        assert s.execute(select(Contact).where(Contact.body == CARD_TEXT)).scalar_one()
    priya.close()
    desk.close()


async def test_reopening_a_case_with_a_draft_says_so(db):
    url, _sam, cases = db
    jo = open_desk(url, None, "jo", clock=fixed_now)
    save_draft(jo, cases[1].id, "message", {"subject": "Roof visit"}, "Dear Ada, the roofer will")
    app, desk, seen = desk_app(url, "jo")
    async with app.run_test(size=(120, 36)) as pilot:
        await open_case(pilot, app, cases[0].id)
        await pilot.pause(0.5)
        assert not any("draft" in m for m in seen)
        await move_to(pilot, app.screen, cases[1].id)
        await wait_until(pilot, lambda: any("unsent message draft" in m and "Roof visit" in m for m in seen))
        assert any("press m" in m for m in seen if "draft" in m)
    jo.close()
    desk.close()


async def test_live_parts_stop_when_the_desk_closes(db):
    import threading

    url, _sam, cases = db
    app, desk, _seen = desk_app(url, "jo")
    async with app.run_test(size=(120, 36)) as pilot:
        await open_case(pilot, app, cases[0].id)
        names = {t.name for t in threading.enumerate()}
        assert {"deskapp-feed", "deskapp-presence"} <= names
    await_names = {t.name for t in threading.enumerate() if t.is_alive()}
    assert not {"deskapp-feed", "deskapp-presence"} & await_names
    other = Presence(desk.engine, desk.me.id, "x", "y")
    assert other.who_else(cases[0].id) == [], "the closed desk removed its presence row"
    desk.close()


async def test_an_open_desk_hears_that_new_rules_were_published(db):
    from deskapp.actions.policies import publish

    url, _sam, _cases = db
    engine = connect(url)
    add_handler(engine, "ada", "admin", "Ada Lovel")
    engine.dispose()
    app, desk, seen = desk_app(url, "jo")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.3)
        ada = open_desk(url, None, "ada", clock=fixed_now)
        try:
            publish(ada, "version: 1\nrules: []\n", source="quiet.yaml")
        finally:
            ada.close()
        await wait_until(pilot, lambda: any("ada published new rules" in m for m in seen))
        assert desk.policies.rules, "the open desk keeps the rules it opened on until it is reopened"
    desk.close()


async def test_a_person_marked_vulnerable_at_another_desk_shows_on_their_other_case(db):
    """jo has Ada's second case open; sam marks Ada vulnerable on her first: jo's pane and queue show it."""
    from deskapp.actions import set_vulnerability

    url, sam, cases = db
    ada = cases[0].person_of(cases[0].parties[0].id).id
    second = new_case(sam, kind="complaint", category="repairs", title="Broken gate",
                      received_at=datetime(2026, 3, 9, 10, 0), party={"role": "customer", "name": "Ada Brook 0"},
                      person_id=ada)
    app, desk, _seen = desk_app(url, "jo")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_case(pilot, app, second.id)
        assert "VULNERABLE" not in pane_text(screen)
        fresh = load_case(sam, cases[0].id)
        done = set_vulnerability(sam, fresh.id, fresh.version, person_id=ada, vulnerable=True, reason="Lives alone")
        assert isinstance(done, Done)
        await wait_until(pilot, lambda: "VULNERABLE" in pane_text(screen))
        view = screen.query_one("#queue")
        row = view.queue.rows(view.queue.index_of(second.id), view.queue.index_of(second.id) + 1)[0]
        assert row.vulnerable
    desk.close()
