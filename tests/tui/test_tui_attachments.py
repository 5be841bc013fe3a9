"""`F` on a case: the attachments picker saves through the CLI's path (0600, audited, no overwrite) and
opens only with a local display."""

from __future__ import annotations

import base64
import stat

from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions.mail import receive
from deskapp.core.mailparse import parse_message
from deskapp.store.models import AuditEvent
from deskapp.tui.app import DeskApp
from deskapp.tui.screens.attachments import NO_DISPLAY, AttachmentsScreen

from tui_support import fixed_now, pick_in_queue, screen_text, settle, wait_until

PDF = b"%PDF-1.4 receipt"


def received(url) -> str:
    """A mail with a PDF received by the demo's admin (receiving needs an admin); returns the case ref."""
    from deskapp.actions import open_desk

    desk = open_desk(url, None, "admin", clock=fixed_now)
    raw = (b"From: ann@example.org\r\nSubject: receipt\r\nMessage-ID: <tuiatt@x>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=M\r\n\r\n--M\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
           b"--M\r\nContent-Type: application/pdf\r\n"
           b"Content-Disposition: attachment; filename=\"[red]receipt[/].pdf\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(PDF) + b"--M--\r\n")
    try:
        return receive(desk, parse_message(raw), raw).ref
    finally:
        desk.close()


async def open_picker(pilot, app, desk, ref):
    await settle(pilot, app)
    await pick_in_queue(pilot, app, desk, ref)
    await wait_until(pilot, lambda: app.screen.case is not None and app.screen.case.ref == ref)
    await pilot.press("F")
    await wait_until(pilot, lambda: isinstance(app.screen, AttachmentsScreen))


async def test_save_and_refuse_overwrite_and_open_without_display(demo_desk, demo_url, tmp_path, monkeypatch):
    ref = received(demo_url)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "Downloads").mkdir()
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_picker(pilot, app, demo_desk, ref)
        assert "[red]receipt[_].pdf" in screen_text(app) and "application/pdf" in screen_text(app)
        await pilot.press("o")
        await wait_until(pilot, lambda: app.screen.said == NO_DISPLAY)
        await pilot.press("enter")
        target = tmp_path / "Downloads" / "[red]receipt[_].pdf"
        await wait_until(pilot, lambda: app.screen.query_one("#path").value == str(target))
        await pilot.press("enter")
        await wait_until(pilot, lambda: target.exists() and app.screen.said.startswith("Saved"))
        assert target.read_bytes() == PDF and stat.S_IMODE(target.stat().st_mode) == 0o600
        target.write_bytes(b"mine")
        await pilot.press("enter")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "already exists" in app.screen.said)
        assert target.read_bytes() == b"mine"  # asked, not overwritten
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.said.startswith("Saved"))
        assert target.read_bytes() == PDF and stat.S_IMODE(target.stat().st_mode) == 0o600
    with Session(demo_desk.engine) as s:
        events = s.execute(select(AuditEvent).where(AuditEvent.action == "attachment.save")).scalars().all()
        assert len(events) == 2 and all(e.actor == demo_desk.me.username for e in events)


def test_viewer_only_with_a_local_display():
    from deskapp.mail.attachment_files import viewer_command

    assert viewer_command({"DISPLAY": ":0"}, "linux") == "xdg-open"
    assert viewer_command({"DISPLAY": ":0", "SSH_CONNECTION": "1 2 3 4"}, "linux") is None
    assert viewer_command({}, "linux") is None
    assert viewer_command({"WAYLAND_DISPLAY": "w"}, "linux") == "xdg-open"


def test_opened_copy_is_private_and_audited(demo_desk, demo_url):
    """The viewer gets a 0600 copy in a new 0700 folder (`true` stands in for xdg-open); the taking is audited."""
    import os
    import shutil

    from deskapp.mail.attachment_files import open_attachment

    ref = received(demo_url)
    ident = demo_desk_attachment_id(demo_desk, ref)
    path = open_attachment(demo_desk, ref, ident, shutil.which("true"))
    try:
        assert open(path, "rb").read() == PDF and os.path.basename(path) == "[red]receipt[_].pdf"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    finally:
        shutil.rmtree(os.path.dirname(path))
    with Session(demo_desk.engine) as s:
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "attachment.save")).scalars().all()


def demo_desk_attachment_id(desk, ref: str) -> int:
    from deskapp.actions.attachments import case_attachments

    return case_attachments(desk, ref)[1][0].id
