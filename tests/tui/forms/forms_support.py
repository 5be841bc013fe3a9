"""Helpers for driving a form in a tiny app and reading the database afterwards."""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session
from textual import events
from textual.app import App

from deskapp.store.models import ApprovalRequest, AuditEvent, Case, Contact, Party

UNSET = object()
TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 11, 0)
ME = "tester"


def case_id(desk, ref: str) -> int:
    """Test-side lookup of a demo case by its ref (the UI itself never runs SQL)."""
    with Session(desk.engine) as session:
        return session.execute(select(Case.id).where(Case.ref == ref)).scalar_one()


def current_form(app):
    """The form under test: FormApp's, else the topmost action form on the screen stack."""
    from deskapp.tui.forms import ActionForm

    form = getattr(app, "form", None)
    if form is not None:
        return form
    return next((s for s in reversed(app.screen_stack) if isinstance(s, ActionForm)), None)


class FormApp(App):
    """Pushes one form screen and keeps what it dismissed with."""

    def __init__(self, form) -> None:
        super().__init__()
        self.form = form
        self.result: Any = UNSET

    def on_mount(self) -> None:
        self.push_screen(self.form, self._done)

    def _done(self, result) -> None:
        self.result = result


def screen_text(app: App) -> str:
    """What the terminal shows, as plain text."""
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())


async def settle(pilot, timeout: float = 10.0) -> None:
    """Wait until no preview is pending and no worker is running (debounce timers included)."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause(0.05)
        form = current_form(app)
        if form is None:
            await pilot.pause()
            return
        # A submit waiting for the handler's answer in a modal is settled; anything else running is not.
        busy = any(w.is_running and not (form.asking and w.group == "submit") for w in app.workers)
        pending = form.is_attached and (form.preview_pending or (form._busy and not form.asking))
        if not busy and not pending:
            await pilot.pause()
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"form did not settle: busy={busy} pending={pending}")


async def submit_form(pilot, timeout: float = 10.0) -> None:
    """Let pending field changes land, press ctrl+s, and wait for the outcome (or a modal)."""
    await pilot.pause()
    await pilot.press("ctrl+s")
    await settle(pilot, timeout)


async def paste(pilot, text: str) -> None:
    """Paste as a terminal does: the app receives it and forwards it to the focused widget."""
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


async def type_text(pilot, text: str) -> None:
    """Type into the focused widget: the first few characters as key presses, the rest as a paste
    (each simulated key press costs tens of milliseconds; handlers paste too)."""
    keys, rest = text[:4], text[4:]
    await pilot.press(*keys)
    if rest:
        await paste(pilot, rest)


def counts(desk) -> dict[str, int]:
    with Session(desk.engine) as s:
        return {t.__tablename__: s.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (Contact, AuditEvent, ApprovalRequest, Case, Party)}


def last_audit(desk) -> AuditEvent:
    with Session(desk.engine) as s:
        return s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()


def last_contact(desk, case_id: int) -> Contact:
    with Session(desk.engine) as s:
        return s.execute(select(Contact).where(Contact.case_id == case_id)
                         .order_by(Contact.id.desc())).scalars().first()


def contacts_of(desk, case_id: int) -> list[Contact]:
    with Session(desk.engine) as s:
        return list(s.execute(select(Contact).where(Contact.case_id == case_id).order_by(Contact.id)).scalars())


def case_row(desk, case_id: int) -> Case:
    with Session(desk.engine) as s:
        return s.get(Case, case_id)


def approvals(desk) -> list[ApprovalRequest]:
    with Session(desk.engine) as s:
        return list(s.execute(select(ApprovalRequest).order_by(ApprovalRequest.id)).scalars())


def party_named(case, name: str):
    return next(p for p in case.parties if p.name == name)


def rules(findings) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in findings]


async def until(pilot, predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await pilot.pause(0.05)


__all__ = [
    "UNSET",
    "FormApp",
    "approvals",
    "asyncio",
    "case_row",
    "contacts_of",
    "counts",
    "last_audit",
    "last_contact",
    "party_named",
    "paste",
    "rules",
    "screen_text",
    "settle",
    "submit_form",
    "type_text",
    "until",
]
