"""The approvals screen says what exactly an approval covers, until when, and tells the handler to ask
again when the desk refuses to carry it out (headless Pilot on a real database)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session

from deskapp.actions import ActionRequest, ApprovalRequested, decide_approval, new_case, open_desk, submit
from deskapp.actions.policies import publish_default
from deskapp.actions.submit import request_json
from deskapp.store.engine import connect
from deskapp.store.handlers import add_handler
from deskapp.store.migrate import upgrade
from deskapp.store.models import ApprovalRequest, Contact

TUE = datetime(2026, 3, 10, 11, 0)
CARD_TEXT = "The card on file is 4111 1111 1111 1111, as you asked."
# What is stored, so what the supervisor sees (first six and last four at most: PCI DSS 3.3/3.4).
MASKED_TEXT = "The card on file is 4111 11•• •••• 1111, as you asked."


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def desk_db(db_url):
    """sam (handler) asked to email a card number; priya (supervisor) is there to decide."""
    engine = connect(db_url)
    upgrade(engine)
    publish_default(engine, "setup")
    add_handler(engine, "sam", "handler", "Sam Reid")
    add_handler(engine, "priya", "supervisor", "Priya Shah")
    engine.dispose()
    clock = Clock(TUE)
    sam = open_desk(db_url, None, "sam", clock=clock)
    case = new_case(sam, kind="complaint", category="billing", title="Card details",
                    received_at=datetime(2026, 3, 9, 9, 0), party={"role": "customer", "name": "Ray Moss"})
    request = ActionRequest(kind="message", case_id=case.id, version=case.version, channel="email",
                            party_id=case.parties[0].id, summary="Your card", body=CARD_TEXT)
    asked = submit(sam, request, reason="He is the card holder", request_approval=True)
    assert isinstance(asked, ApprovalRequested)
    yield db_url, clock, sam, request, asked.approval_id
    sam.close()


def approvals_app(url: str, username: str, clock: Clock):
    from deskapp.tui.app import DeskApp

    desk = open_desk(url, None, username, clock=clock)
    app = DeskApp(desk, show_clock=False, live=False)
    seen: list[str] = []
    original = app.notify

    def notify(message, *args, **kwargs):
        seen.append(str(message))
        return original(message, *args, **kwargs)

    app.notify = notify
    return app, desk, seen


async def wait_until(pilot, condition, timeout: float = 8.0) -> None:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError("timed out waiting for the desk")
        await pilot.pause(0.05)


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).content)


async def open_approvals(pilot, app):
    from deskapp.tui.screens.approvals import ApprovalsScreen

    await pilot.press("A")
    await wait_until(pilot, lambda: isinstance(app.screen, ApprovalsScreen) and bool(app.screen.approvals))


def screen_text(app) -> str:
    """Every character on the screen, read from a screenshot (the SVG's text, tags and styles removed)."""
    import html
    import re

    svg = re.sub(r"<style.*?</style>", "", app.export_screenshot(), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def no_full_card_on(app) -> bool:
    from deskapp.core.cards import find_cards

    return find_cards(screen_text(app)) == []


def contacts(url: str) -> int:
    engine = connect(url)
    try:
        with Session(engine) as s:
            return s.execute(select(func.count()).select_from(Contact)).scalar_one()
    finally:
        engine.dispose()


async def test_supervisor_sees_the_request_as_stored_and_until_when(desk_db):
    url, clock, _sam, _request, approval_id = desk_db
    app, desk, _seen = approvals_app(url, "priya", clock)
    async with app.run_test(size=(100, 34)) as pilot:
        await open_approvals(pilot, app)
        body = text_of(app, "#approvals-body")
        assert MASKED_TEXT in body and "Ray Moss" in body and "Channel: email" in body
        assert CARD_TEXT not in body
        assert "4111 11•• •••• 1111" in screen_text(app) and no_full_card_on(app)
        assert "Must be decided by Wed 11 Mar 23:59" in body
        from deskapp.tui.screens.approvals import DecisionModal

        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, DecisionModal))
        shown = text_of(app, "#decision-request-body")
        assert MASKED_TEXT in shown and "Your card" in shown, "the decision shows what the approval will cover"
        assert no_full_card_on(app)
        modal = app.screen
        await pilot.press(*"ok")  # says nothing: refused in the modal, before anything is decided
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is modal and "does not say why" in text_of(app, "#decision-error")
        modal.query_one("#decision-reason").load_text("")
        await pilot.press(*"Checked his ID against the account")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, DecisionModal) and not app.screen.approvals)
    with Session(desk.engine) as s:
        row = s.get(ApprovalRequest, approval_id)
        assert row.status == "approved" and row.expires_at == datetime(2026, 3, 11, 23, 59, 59)
    desk.close()


async def test_handler_is_told_to_ask_again_when_the_stored_request_was_changed(desk_db):
    url, clock, _sam, request, approval_id = desk_db
    priya = open_desk(url, None, "priya", clock=clock)
    decide_approval(priya, approval_id, approve=True, reason="Checked his ID against the account")
    priya.close()
    engine = connect(url)
    with Session(engine) as s, s.begin():  # the stored request is edited after the approval
        s.execute(update(ApprovalRequest).where(ApprovalRequest.id == approval_id)
                  .values(action=request_json(replace(request, channel="sms", body=CARD_TEXT + " Pay up."))))
    engine.dispose()
    app, desk, seen = approvals_app(url, "sam", clock)
    async with app.run_test(size=(100, 34)) as pilot:
        await open_approvals(pilot, app)
        assert "Usable until Wed 11 Mar 23:59" in text_of(app, "#approvals-body")
        await pilot.press("c")
        await wait_until(pilot, lambda: "ask for approval again" in text_of(app, "#approvals-status"))
        status = text_of(app, "#approvals-status")
        assert status.startswith("Not done:") and "covers a different message" in status
        assert "the stored request was changed after it was asked for" in status
        assert any("ask for approval again" in m for m in seen)
    assert contacts(url) == 0
    desk.close()


async def test_an_expired_approval_shows_as_expired_and_is_not_carried_out(desk_db):
    url, clock, _sam, _request, approval_id = desk_db
    priya = open_desk(url, None, "priya", clock=clock)
    decide_approval(priya, approval_id, approve=True, reason="Checked his ID against the account")
    priya.close()
    clock.now = datetime(2026, 3, 12, 9, 0)  # Thursday: it was good until the end of Wednesday
    app, desk, _seen = approvals_app(url, "sam", clock)
    async with app.run_test(size=(100, 34)) as pilot:
        await open_approvals(pilot, app)
        (shown,) = app.screen.approvals
        assert shown.status == "expired"
        assert "Expired Wed 11 Mar 23:59: it can no longer be carried out; ask for approval again" in text_of(
            app, "#approvals-body")
        await pilot.press("c")
        await wait_until(pilot, lambda: "has expired" in text_of(app, "#approvals-status"))
        assert "ask for approval again" in text_of(app, "#approvals-status")
    assert contacts(url) == 0
    desk.close()


async def test_a_request_stored_before_masking_still_shows_masked(desk_db):
    """A row from before evidence2 on a desk not yet migrated: the screen masks it itself."""
    import json

    from sqlalchemy import text

    url, clock, _sam, request, approval_id = desk_db
    engine = connect(url)
    value = json.dumps(request_json(request))
    cast = "CAST(:a AS JSON)" if engine.dialect.name == "postgresql" else ":a"
    with engine.begin() as conn:  # raw SQL: past the masking column types, as old code wrote it
        conn.execute(text(f"UPDATE approval_requests SET action = {cast}, reason = :r WHERE id = :i"),
                     {"a": value, "r": "He read it out: 5555 5555 5555 4444", "i": approval_id})
        assert CARD_TEXT in conn.execute(text("SELECT action FROM approval_requests")).scalar_one().__str__()
    engine.dispose()
    app, desk, _seen = approvals_app(url, "priya", clock)
    async with app.run_test(size=(100, 34)) as pilot:
        await open_approvals(pilot, app)
        body = text_of(app, "#approvals-body")
        assert MASKED_TEXT in body and "5555 55•• •••• 4444" in body
        assert no_full_card_on(app)
    desk.close()


async def test_the_handlers_list_opens_on_the_newest_open_request_not_a_refused_one(desk_db):
    url, clock, sam, request, refused_id = desk_db
    priya = open_desk(url, None, "priya", clock=clock)
    decide_approval(priya, refused_id, approve=False, reason="Card numbers are never sent")
    clock.now = datetime(2026, 3, 10, 11, 30)
    again = submit(sam, replace(request, body=CARD_TEXT + " He asked again in writing."),
                   reason="He asked again in writing", request_approval=True)
    assert isinstance(again, ApprovalRequested)
    decide_approval(priya, again.approval_id, approve=True, reason="Checked his ID against the account")
    priya.close()
    app, desk, _seen = approvals_app(url, "sam", clock)
    async with app.run_test(size=(100, 34)) as pilot:
        await open_approvals(pilot, app)
        assert [a.status for a in app.screen.approvals] == ["refused", "approved"]
        assert app.screen.current.id == again.approval_id
        await pilot.press("enter")  # carries out the approved one
        await wait_until(pilot, lambda: "Done: the approved message" in text_of(app, "#approvals-status"))
    assert contacts(url) == 1
    desk.close()
