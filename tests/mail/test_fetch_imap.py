"""`deskapp mail fetch --imap` against a real Dovecot: TLS both ways, re-runs, a kill, bounces and replies."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from deskapp.actions import ActionRequest, Done, new_case, submit
from deskapp.actions.outbox import set_mail_from
from deskapp.supervision.mailfetch import BATCH
from deskapp.store.models import Contact, InboundMail, Outbox
from desk_support import set_desk_setting

from .receiving import admin_desk, mail  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]


def secret(tmp_path: Path, servers) -> Path:
    path = tmp_path / "imap.password"
    path.write_text(servers.password + "\n")
    path.chmod(0o600)
    return path


def imap_args(servers, tmp_path, starttls: bool = False) -> list[str]:
    port = servers.imap_port if starttls else servers.imaps_port
    return ["--imap", f"{servers.host}:{port}", "--user", servers.user, "--password-file",
            str(secret(tmp_path, servers)), "--cafile", str(servers.ca_file)] + (["--starttls"] if starttls else [])


def run(capsys, db_url, *argv):
    from deskapp.cli import main

    set_desk_setting(db_url, "demo", "1")
    code = main(["--as", "ada", "--db", db_url, "mail", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def append(servers, *messages: bytes) -> None:
    conn = servers.imap()
    try:
        for raw in messages:
            typ, _ = conn.append("INBOX", None, None, raw)
            assert typ == "OK"
    finally:
        conn.logout()


def unseen(servers) -> int:
    """Messages the desk has not marked processed (Dovecot keeps keywords: the desk's own one)."""
    conn = servers.imap()
    try:
        _typ, data = conn.search(None, "UNKEYWORD", "$DeskappProcessed")
        _typ, unread = conn.search(None, "UNSEEN")
        assert set(unread[0].split()) <= set(data[0].split())  # processed ones are \Seen too
        return len(data[0].split())
    finally:
        conn.logout()


def test_imaps_fetch_refetch_and_a_message_marked_unread_again(mail_servers, admin_desk, engine, db_url, tmp_path,
                                                                capsys):
    append(mail_servers, mail(), mail("Re: bins", sender="Ann <ann@example.org>", message_id="m2@example.org"))
    code, out, err = run(capsys, db_url, "fetch", *imap_args(mail_servers, tmp_path))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("<m1@example.org> new case C-") and lines[1].startswith("<m2@example.org> threaded")
    assert unseen(mail_servers) == 0
    assert run(capsys, db_url, "fetch", *imap_args(mail_servers, tmp_path))[1] == ""
    conn = mail_servers.imap()
    conn.store("1", "-FLAGS", r"(\Seen $DeskappProcessed)")  # someone cleared the marks
    conn.logout()
    code, out, _err = run(capsys, db_url, "fetch", *imap_args(mail_servers, tmp_path, starttls=True))
    assert (code, out) == (0, "<m1@example.org> skipped duplicate\n")
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(InboundMail)).scalar_one() == 2


def test_wrong_password_is_one_line_exit_2(mail_servers, admin_desk, db_url, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.write_text("not the password\n")
    bad.chmod(0o600)
    code, out, err = run(capsys, db_url, "fetch", "--imap", f"{mail_servers.host}:{mail_servers.imaps_port}",
                         "--user", mail_servers.user, "--password-file", str(bad), "--cafile", str(mail_servers.ca_file))
    assert code == 2 and out == "" and err.count("\n") == 1 and "login refused" in err and "not the password" not in err


def test_untrusted_certificate_is_refused(mail_servers, admin_desk, db_url, tmp_path, capsys):
    code, _out, err = run(capsys, db_url, "fetch", "--imap", f"{mail_servers.host}:{mail_servers.imaps_port}",
                          "--user", mail_servers.user, "--password-file", str(secret(tmp_path, mail_servers)))
    assert code == 2 and err.count("\n") == 1 and "TLS failed" in err


def test_killed_mid_fetch_leaves_the_mailbox_consistent(mail_servers, admin_desk, engine, db_url, tmp_path):
    if "postgres" in db_url:
        return  # one engine is enough for the kill; the action is the same on both
    total = 120  # more than two batches (deskapp.supervision.mailfetch.BATCH)
    append(mail_servers, *(mail(f"message {i}", sender=f"p{i}@example.org", message_id=f"k{i}@x")
                           for i in range(total)))
    set_desk_setting(db_url, "demo", "1")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "deskapp", "--as", "ada", "--db", db_url, "mail", "fetch",
           *imap_args(mail_servers, tmp_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    for _ in range(3):
        assert proc.stdout.readline(), proc.stderr.read()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Session(engine) as s:
        stored = s.execute(select(func.count()).select_from(InboundMail)).scalar_one()
    marked = total - unseen(mail_servers)
    assert 3 <= marked <= stored <= marked + BATCH and marked < total  # at most one batch stored, unmarked
    again = subprocess.run(cmd, capture_output=True, env=env, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert sum("skipped duplicate" in line for line in again.stdout.splitlines()) == stored - marked
    assert unseen(mail_servers) == 0
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(InboundMail)).scalar_one() == total
        assert s.execute(select(func.count()).select_from(Contact)).scalar_one() == total


def _sent_email(ada, sam) -> tuple[Outbox, str]:
    set_mail_from(ada, "complaints@desk.example.test")
    case = new_case(sam, kind="complaint", category="waste", title="Bins",
                    party={"name": "Ann Smith", "email": "ann@example.org"})
    done = submit(sam, ActionRequest(kind="message", case_id=case.id, version=case.version, channel="email",
                                     direction="out", party_id=case.parties[0].id, summary="Your complaint", body="We are looking into it."))
    assert isinstance(done, Done), done
    with Session(ada.engine) as s:
        return s.execute(select(Outbox)).scalar_one(), case.ref


def _smtp_send(servers, raw: bytes) -> None:
    with smtplib.SMTP(servers.host, servers.smtp_port, timeout=10) as smtp:
        smtp.starttls(context=servers.ssl_context())
        smtp.login(servers.user, servers.password)
        smtp.sendmail("someone@example.org", [servers.user], raw)


def test_reply_to_a_sent_email_and_a_bounce_sent_through_smtp(mail_servers, admin_desk, engine, db_url, tmp_path,
                                                              capsys):
    ada, sam = admin_desk
    sent, ref = _sent_email(ada, sam)
    reply = mail("Re: your letter", sender="Someone Else <else@example.net>", message_id="reply1@example.net",
                 extra=f"In-Reply-To: {sent.message_id}\r\n")
    bounce = (b"From: MAILER-DAEMON@mx.example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
              b"Message-ID: <dsn9@mx.example.org>\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
              b"--R\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
              b"--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
              b"Final-Recipient: rfc822; ann@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
              b"--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: " + sent.message_id.encode()
              + b"\r\nSubject: Your complaint\r\n\r\n--R--\r\n")
    _smtp_send(mail_servers, reply)
    _smtp_send(mail_servers, bounce)
    code, out, err = run(capsys, db_url, "fetch", *imap_args(mail_servers, tmp_path))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"<reply1@example.net> threaded to {ref} (reply)"
    assert lines[1] == f"<dsn9@mx.example.org> recorded bounce on {ref}; 1 attachment"  # the returned headers
    with Session(engine) as s:
        original = s.get(Contact, sent.contact_id)
        assert original.outcome == "bounced"
        notice = s.execute(select(Contact).where(Contact.outcome == "bounce_notice")).scalar_one()
        assert notice.party_id is None and notice.direction == "in"
        row = s.execute(select(InboundMail).where(InboundMail.kind == "bounce")).scalar_one()
        assert row.bounced_contact_id == sent.contact_id
    from deskapp.supervision.verify import verify

    assert verify(engine).problem is None  # the bounced contact's new outcome is in the chain


def test_our_own_message_coming_back_is_a_loop(mail_servers, admin_desk, engine, db_url, tmp_path, capsys):
    ada, sam = admin_desk
    sent, ref = _sent_email(ada, sam)
    echo = mail("[C-1] Your complaint", sender="complaints@desk.example.test", message_id=sent.message_id.strip("<>"))
    append(mail_servers, echo)
    code, out, _err = run(capsys, db_url, "fetch", *imap_args(mail_servers, tmp_path))
    assert code == 0 and out.startswith(f"{sent.message_id} recorded loop"), out


def test_a_message_a_person_already_read_is_still_fetched(mail_servers, admin_desk, engine, db_url, tmp_path,
                                                          capsys):
    append(mail_servers, mail())
    conn = mail_servers.imap()
    conn.store("1", "+FLAGS", r"(\Seen)")  # read in someone's mail program before the desk got to it
    conn.logout()
    code, out, _err = run(capsys, db_url, "fetch", *imap_args(mail_servers, tmp_path))
    assert code == 0 and out.startswith("<m1@example.org> new case")
    assert unseen(mail_servers) == 0


def test_an_oversized_message_is_rejected_from_its_headers_alone(mail_servers, admin_desk, engine, db_url, tmp_path,
                                                                 capsys):
    append(mail_servers, mail(message_id="big@x", body="x" * (2 * 1024 * 1024)), mail(message_id="small@x"))
    code, out, _err = run(capsys, db_url, "fetch", *imap_args(mail_servers, tmp_path), "--max-size", "1")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("<big@x> rejected: message is 2.0 MB, over the 1.0 MB limit")
    assert lines[1].startswith("<small@x> new case")
    assert unseen(mail_servers) == 0  # the rejected one is marked too: it is not fetched again
    with Session(engine) as s:
        assert s.execute(select(InboundMail.kind).where(InboundMail.message_id == "big@x")).scalar_one() == "rejected"
