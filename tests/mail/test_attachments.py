"""Received files on the case: listed and saved by `deskapp case attachments`, in the export, on the pane."""

from __future__ import annotations

import base64
import hashlib
import stat

from sqlalchemy import select, update
from sqlmodel import Session

from deskapp.actions.mail import receive
from deskapp.core.mailparse import parse_message
from deskapp.store.models import AttachmentBlob, AuditEvent
from desk_support import set_desk_setting

from .receiving import admin_desk  # noqa: F401 (fixture)

PDF = b"%PDF-1.4 receipt"


def _received(ada) -> str:
    raw = (b"From: ann@example.org\r\nSubject: receipt\r\nMessage-ID: <att1@x>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=M\r\n\r\n--M\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
           b"--M\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"[red]receipt[/].pdf\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(PDF) + b"--M--\r\n")
    return receive(ada, parse_message(raw), raw).ref


def run(capsys, db_url, *argv):
    from deskapp.cli import main

    set_desk_setting(db_url, "demo", "1")
    code = main(["--as", "sam", "--db", db_url, *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_and_save_an_attachment(admin_desk, engine, db_url, tmp_path, capsys):
    ada, _sam = admin_desk
    ref = _received(ada)
    code, out, _err = run(capsys, db_url, "case", "attachments", ref)
    ident, size, digest, ctype, name = out.strip().split("\t")
    assert code == 0 and (int(size), digest, ctype, name) == (len(PDF), hashlib.sha256(PDF).hexdigest(),
                                                             "application/pdf", "[red]receipt[_].pdf")  # no / in a name
    target = tmp_path / "saved.pdf"
    code, _out, err = run(capsys, db_url, "case", "attachments", ref, "--save", ident, str(target))
    assert code == 0 and target.read_bytes() == PDF and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert digest in err
    with Session(engine) as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "attachment.save")).scalar_one()
        assert event.actor == "sam" and event.detail["sha256"] == digest
    code, _out, err = run(capsys, db_url, "case", "attachments", ref, "--save", ident, str(target))
    assert code == 2 and "already exists" in err
    code, _out, err = run(capsys, db_url, "case", "attachments", ref, "--save", "999", str(tmp_path / "n"))
    assert code == 2 and "has no attachment 999" in err


def test_a_changed_blob_is_not_handed_out(admin_desk, engine, db_url, tmp_path, capsys):
    ada, _sam = admin_desk
    ref = _received(ada)
    with Session(engine) as s, s.begin():
        s.execute(update(AttachmentBlob).values(data=b"tampered"))
    code, out, _ = run(capsys, db_url, "case", "attachments", ref)
    code, _out, err = run(capsys, db_url, "case", "attachments", ref, "--save", out.split("\t")[0],
                          str(tmp_path / "x"))
    assert code == 2 and "do not match their sha256" in err and not (tmp_path / "x").exists()


def test_export_lists_attachments_with_hashes(admin_desk, engine, db_url, tmp_path, capsys):
    ada, _sam = admin_desk
    ref = _received(ada)
    for fmt in ("md", "html"):
        target = tmp_path / f"case.{fmt}"
        code, _out, err = run(capsys, db_url, "--as", "ada", "export", ref, "--format", fmt, "--output", str(target))
        assert code == 0, err
        text = target.read_text()
        assert "Attachments" in text and hashlib.sha256(PDF).hexdigest() in text


def test_case_pane_lists_attachments_as_text(admin_desk, engine):
    from deskapp.actions.lookup import case_by_reference
    from deskapp.tui.widgets.case_pane import case_blocks

    ada, sam = admin_desk
    case = case_by_reference(sam, _received(ada))
    assert [a.name for a in case.attachments] == ["[red]receipt[_].pdf"]
    shown = "\n".join(b.content.plain for b in case_blocks(case) if hasattr(b, "content"))
    assert "Attachments (1)" in shown and "[red]receipt[_].pdf" in shown  # the name as sent, not markup


def test_erasure_deletes_the_case_files(admin_desk, engine, db_url, capsys):
    from deskapp.actions.erasure import erase_case
    from deskapp.store.models import ContactAttachment
    from deskapp.supervision.verify import verify

    ada, _sam = admin_desk
    ref = _received(ada)
    erase_case(ada, ref, "erasure request 2026-12 from the customer")
    with Session(engine) as s:
        assert s.execute(select(ContactAttachment)).first() is None
        assert s.execute(select(AttachmentBlob)).first() is None
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "case.erase")).scalar_one()
        assert event.detail["attachments_deleted"] == 1
    assert verify(engine).problem is None


def test_case_show_lists_attachments(admin_desk, engine, db_url, capsys):
    ada, _sam = admin_desk
    ref = _received(ada)
    code, out, _err = run(capsys, db_url, "case", "show", ref)
    assert code == 0 and "Attachments" in out and hashlib.sha256(PDF).hexdigest() in out


async def test_desk_case_pane_shows_received_files_literally(admin_desk, engine, monkeypatch):
    """Pilot: the desk's case pane lists a received file under Attachments, its name as text, never markup."""
    from dataclasses import dataclass

    from deskapp.actions.lookup import case_by_reference
    from deskapp.tui.app import DeskApp
    from deskapp.tui.screens.main import MainScreen
    from deskapp.tui.widgets.case_pane import CasePane

    from .receiving import NOW

    @dataclass
    class Standing:
        findings: list
        deadlines: object = None

    monkeypatch.setenv("TERM", "xterm-256color")
    ada, sam = admin_desk
    raw = (b"From: ann@example.org\r\nSubject: photos\r\nMessage-ID: <att2@x>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=M\r\n\r\n--M\r\nContent-Type: text/plain\r\n\r\nhi\r\n--M\r\n"
           b"Content-Type: image/png\r\nContent-Disposition: attachment; filename=\"[@click=app.quit]x[/] \x1b[2Jp.png\"\r\n"
           b"\r\nPNG\r\n--M--\r\n")
    case = case_by_reference(sam, receive(ada, parse_message(raw), raw).ref)
    app = DeskApp(sam, now=lambda: NOW, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        screen.wanted_case_id = case.id
        screen.post_message(MainScreen.CaseLoaded(case.id, case, Standing([])))
        await pilot.pause()
        await pilot.pause()
        text = screen.query_one(CasePane).text
        assert "Attachments (1)" in text and "[@click=app.quit]x[_] [2Jp.png" in text and "\x1b" not in text
        assert app.is_running
