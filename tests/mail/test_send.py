"""Sending: the outbox is written with the contact, and the sender delivers it through a real relay.

The relay is aiosmtpd delivering into a real Dovecot; what was sent is read back over IMAP.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from deskapp.actions import ActionRequest, ApprovalRequested, Done, InvalidInput, decide_approval, new_case, \
    open_desk, submit
from deskapp.actions.outbox import set_mail_from
from deskapp.core import smtp_settings
from deskapp.errors import ConfigError
from deskapp.mail.sender import RelayUnavailable, Sender
from deskapp.store.handlers import add_handler
from deskapp.store.models import AuditEvent, Case, Contact, Outbox
from deskapp.supervision.verify import verify

NOW = datetime(2026, 3, 10, 11, 0)
REPO = Path(__file__).resolve().parents[2]
CARD = "4111 1111 1111 1111"


@pytest.fixture
def desks(engine, published, db_url):
    add_handler(engine, "ann", "admin", "Ann Admin")
    add_handler(engine, "sam", "handler", "Sam Reid")
    add_handler(engine, "priya", "supervisor", "Priya Shah")
    opened = {n: open_desk(db_url, None, n, clock=lambda: NOW) for n in ("ann", "sam", "priya")}
    yield opened
    for desk in opened.values():
        desk.close()


@pytest.fixture
def case(desks):
    set_mail_from(desks["ann"], "complaints@desk.example.test")
    return new_case(desks["sam"], kind="complaint", category="repairs", title="Broken boiler",
                    received_at=datetime(2026, 3, 9, 9, 0),
                    party={"role": "customer", "name": "Lee Price", "email": "desk@example.test"})


def message(case, body="Your engineer comes on Friday.", summary="Repair date", **kw) -> ActionRequest:
    party = case.parties[0]
    return ActionRequest(kind="message", case_id=case.id, version=case.version, channel="email",
                         party_id=party.id, summary=summary, body=body, **kw)


def outbox_rows(engine) -> list[Outbox]:
    with Session(engine) as s:
        return list(s.execute(select(Outbox).order_by(Outbox.id)).scalars())


def settings_file(servers, tmp_path: Path, *, security="starttls", password=None, port=None) -> Path:
    secret = tmp_path / "smtp.password"
    secret.write_text((password or servers.password) + "\n")
    secret.chmod(0o600)
    port = port or (servers.smtps_port if security == "tls" else servers.smtp_port)
    path = Path(os.environ["DESKAPP_CONFIG_DIR"]) / "mail.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"host: 127.0.0.1\nport: {port}\nsecurity: {security}\nusername: {servers.user}\n"
                    f"password_file: {secret}\nca_file: {servers.ca_file}\ntimeout: 10\nretry_after: 60\n"
                    f"max_attempts: 3\n")
    path.chmod(0o600)
    return path


def sender_for(engine, path: Path, clock=lambda: NOW) -> Sender:
    settings = smtp_settings.read_settings(path)
    return Sender(engine, settings, smtp_settings.password(settings), "deskapp-test", clock=clock)


def cli(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "deskapp", "mail", *args, "--db", db_url], capture_output=True,
                          text=True, env=env, timeout=120)


# ----------------------------------------------------------------------------- queueing, no relay needed


def test_message_is_queued_with_its_contact_and_audit_event(desks, case, engine):
    done = submit(desks["sam"], message(case))
    assert isinstance(done, Done)
    [row] = outbox_rows(engine)
    assert (row.contact_id, row.status, row.to_addr) == (done.contact_id, "queued", "desk@example.test")
    assert row.message_id.startswith(f"<deskapp.{case.ref}.") and row.message_id.endswith("@desk.example.test>")
    assert row.subject == f"[{case.ref}] Repair date"
    with Session(engine) as s:
        event = s.get(AuditEvent, done.audit_id)
    assert (event.detail["outbox_id"], event.detail["message_id"]) == (row.id, row.message_id)


def test_no_sending_address_records_only_and_no_email_address_writes_nothing(desks, engine):
    plain = new_case(desks["sam"], kind="complaint", category="repairs", title="No address",
                     party={"role": "customer", "name": "Ola Brown"})
    assert isinstance(submit(desks["sam"], message(plain)), Done)
    assert outbox_rows(engine) == []  # the desk has no sending address: recorded, as before

    set_mail_from(desks["ann"], "complaints@desk.example.test")
    with Session(engine) as s:
        contacts = s.execute(select(func.count()).select_from(Contact)).scalar_one()
        version = s.get(Case, plain.id).version
    with pytest.raises(InvalidInput, match="Ola Brown has no email address"):
        submit(desks["sam"], ActionRequest(kind="message", case_id=plain.id, version=version, channel="email",
                                           party_id=plain.parties[0].id, summary="Hello", body="Hello"))
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Contact)).scalar_one() == contacts
    assert outbox_rows(engine) == []


def test_only_admins_set_the_sending_address(desks):
    from deskapp.errors import DeskError

    with pytest.raises(DeskError, match="only an admin"):
        set_mail_from(desks["sam"], "me@example.test")


def test_mail_settings_file_problems_are_one_line_with_file_and_line(tmp_path):
    path = tmp_path / "mail.yaml"
    path.write_text("host: relay.example.org\nport: 99999\n")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match=r"mail\.yaml:2(:\d+)?: port: .*65535"):
        smtp_settings.read_settings(path)
    path.write_text("host: relay.example.org\nsecurty: tls\n")
    with pytest.raises(ConfigError, match=r"mail\.yaml:2(:\d+)?: .*security"):
        smtp_settings.read_settings(path)
    path.write_text("host: relay.example.org\n")
    path.chmod(0o666)
    with pytest.raises(ConfigError, match="chmod 600"):
        smtp_settings.read_settings(path)


def test_password_file_must_be_private(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    secret.chmod(0o640)
    settings = smtp_settings.SmtpSettings(host="relay", password_file=secret)
    with pytest.raises(ConfigError, match="chmod 600"):
        smtp_settings.password(settings)
    secret.chmod(0o600)
    assert smtp_settings.password(settings) == "s3cret"
    assert smtp_settings.password(smtp_settings.SmtpSettings(host="relay"), {"DESKAPP_SMTP_PASSWORD": "env"}) == "env"


# ----------------------------------------------------------------------------- through the real relay


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_sent_through_smtp_and_read_back_over_imap(desks, case, engine, mail_servers, tmp_path, security):
    done = submit(desks["sam"], message(case))
    [queued] = outbox_rows(engine)
    report = sender_for(engine, settings_file(mail_servers, tmp_path, security=security)).run_pass()
    with Session(engine) as s:  # a sent email changes nothing on the case: a desk holding it is not in conflict
        assert s.get(Case, case.id).version == done.case.version
    assert len(report.sent) == 1 and not report.failed
    assert mail_servers.message_ids() == [queued.message_id]
    [row] = outbox_rows(engine)
    assert row.status == "sent" and row.sent_at == NOW and row.relay_answer.startswith("250")
    raw = mail_servers.accepted[0][2]
    sent = message_from_bytes(raw, policy=default_policy)
    assert sent["Subject"] == f"[{case.ref}] Repair date" and sent["To"] == "desk@example.test"
    assert "Your engineer comes on Friday." in sent.get_content()
    with Session(engine) as s:
        kinds = [e.action for e in s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()]
    assert kinds[-1] == "mail.sent"
    assert verify(engine).ok


def test_wrong_password_is_one_line_exit_2_and_nothing_lost(desks, case, engine, mail_servers, tmp_path, db_url):
    submit(desks["sam"], message(case))
    settings_file(mail_servers, tmp_path, password="not the password")
    done = cli(db_url, "send")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "refused the login for desk@example.test: 535" in done.stderr
    [row] = outbox_rows(engine)
    assert (row.status, row.attempts) == ("queued", 0)
    assert mail_servers.accepted == []


def test_unreachable_relay_keeps_the_message_and_a_later_pass_sends_it_once(desks, case, engine, mail_servers,
                                                                          tmp_path):
    from mail.servers import free_port

    submit(desks["sam"], message(case))
    down = settings_file(mail_servers, tmp_path, port=free_port())  # nothing listens there
    with pytest.raises(RelayUnavailable, match="unreachable"):
        sender_for(engine, down).run_pass()
    [row] = outbox_rows(engine)
    assert row.status == "queued" and row.attempts == 0 and row.next_attempt_at > NOW and row.last_error
    up = settings_file(mail_servers, tmp_path)
    assert sender_for(engine, up).run_pass().sent == []  # not due yet: backoff
    later = sender_for(engine, up, clock=lambda: NOW + timedelta(hours=1)).run_pass()
    assert len(later.sent) == 1
    assert mail_servers.message_ids() == [row.message_id]


def test_relay_4xx_retries_with_the_same_message_id_and_5xx_fails_on_the_case(desks, case, engine, mail_servers,
                                                                             tmp_path):
    submit(desks["sam"], message(case))
    path = settings_file(mail_servers, tmp_path)
    mail_servers.refuse_next(451, "4.3.0 Try again later")
    first = sender_for(engine, path).run_pass()
    assert len(first.retrying) == 1 and first.sent == []
    [row] = outbox_rows(engine)
    assert (row.status, row.attempts, row.next_attempt_at) == ("queued", 1, NOW + timedelta(seconds=60))
    again = sender_for(engine, path, clock=lambda: NOW + timedelta(minutes=2)).run_pass()
    assert len(again.sent) == 1
    assert mail_servers.message_ids() == [row.message_id]

    second = submit(desks["sam"], message(case_view(desks, case), summary="Second"))
    assert isinstance(second, Done)
    mail_servers.refuse_next(554, "5.7.1 Rejected by policy")
    failed = sender_for(engine, path).run_pass()
    assert len(failed.failed) == 1
    rows = outbox_rows(engine)
    assert rows[-1].status == "failed" and "554" in rows[-1].last_error
    with Session(engine) as s:
        note = s.execute(select(Contact).where(Contact.case_id == case.id).order_by(Contact.id.desc())).scalars().first()
        event = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert note.direction == "internal" and note.summary.startswith("Email not delivered: 554")
    assert event.action == "mail.failed" and event.contact_id == note.id
    assert verify(engine).ok
    from deskapp.supervision.stats import dashboard

    board = dashboard(desks["priya"], now=NOW)  # the supervisor's view names it
    assert (board.mail.failed, board.mail.worst[0][:2]) == (1, (case.ref, "failed"))


def case_view(desks, case):
    from deskapp.actions import case_view as read

    with desks["sam"].session() as s:
        return read(s, case.id)


def test_card_number_is_masked_in_the_outbox_and_in_what_was_sent(desks, case, engine, mail_servers, tmp_path):
    request = message(case, body=f"Refund to card {CARD} confirmed.", summary="Refund")
    asked = submit(desks["sam"], request, request_approval=True, reason="Customer asked for the card to be named")
    assert isinstance(asked, ApprovalRequested)  # the rules block card numbers in emails
    assert outbox_rows(engine) == []
    decide_approval(desks["priya"], asked.approval_id, approve=True,
                    reason="Checked with the bank: the customer needs the card named for the chargeback")
    assert isinstance(submit(desks["sam"], request, approval_id=asked.approval_id), Done)
    [row] = outbox_rows(engine)
    assert CARD not in row.body and "4111 11•• •••• 1111" in row.body
    sender_for(engine, settings_file(mail_servers, tmp_path)).run_pass()
    sent = message_from_bytes(mail_servers.accepted[0][2], policy=default_policy).get_content()
    assert "4111 11•• •••• 1111" in sent and CARD not in sent  # what was sent is what is recorded


def test_killed_after_the_relay_accepted_is_never_sent_twice(desks, case, engine, mail_servers, tmp_path, db_url):
    """SIGKILL the sender after DATA is accepted, before the row is marked: the rerun does not send it again."""
    submit(desks["sam"], message(case))
    settings_file(mail_servers, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "deskapp", "mail", "send", "--db", db_url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    mail_servers.on_delivery = lambda raw: os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    mail_servers.on_delivery = None
    [row] = outbox_rows(engine)
    assert row.status == "sending" and row.data_at is not None  # the relay has it; the row never heard

    rerun = cli(db_url, "send")
    assert rerun.returncode == 1 and "may or may not have gone" in rerun.stderr
    assert mail_servers.message_ids() == [row.message_id]  # once, not twice
    [row] = outbox_rows(engine)
    assert row.status == "unknown"
    with Session(engine) as s:
        note = s.execute(select(Contact).where(Contact.case_id == case.id).order_by(Contact.id.desc())).scalars().first()
    assert note.summary.startswith("Email may not have been delivered")

    # A person who checked decides to send it again: same Message-ID, so the recipient's mail can tell.
    from deskapp.actions.outbox import retry

    assert retry(desks["priya"], row.id) == row.message_id
    assert len(sender_for(engine, settings_file(mail_servers, tmp_path)).run_pass().sent) == 1
    assert mail_servers.message_ids() == [row.message_id, row.message_id]
    assert verify(engine).ok


def test_killed_before_the_text_went_is_sent_again(desks, case, engine, mail_servers, tmp_path):
    """A claim left by a dead sender with no data_at: nothing reached the relay, so it is queued again."""
    from deskapp.actions import outbox

    submit(desks["sam"], message(case))
    [claimed] = outbox.claim(engine, "elsewhere:1:dead", NOW, 300, 10)
    path = settings_file(mail_servers, tmp_path)
    assert sender_for(engine, path).run_pass().sent == []  # lease still running on another host
    later = sender_for(engine, path, clock=lambda: NOW + timedelta(minutes=6)).run_pass()
    assert later.requeued == 1 and len(later.sent) == 1
    assert mail_servers.message_ids() == [claimed.message_id]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_dashboard_screen_shows_undelivered_email_literally(desks, case, engine):
    from textual.app import App
    from textual.widgets import Static

    from deskapp.actions import outbox
    from deskapp.tui.screens.dashboard import DashboardScreen

    submit(desks["sam"], message(case))
    [item] = outbox.claim(engine, "here:1:x", NOW, 300, 10)
    assert outbox.mark_failed(engine, item.id, "here:1:x", "deskapp-test", NOW, "550 [b]no[/b] such user")

    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(DashboardScreen(desks["priya"]))

    app = Host()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = app.screen
        for _ in range(200):
            await pilot.pause(0.05)
            if not screen.loading and screen.result is not None:
                break
        shown = "\n".join(str(w.render()) for w in screen.query(Static))
    assert "Emails not delivered: 1 failed  0 unknown  0 queued over an hour" in shown
    assert f"{case.ref}" in shown and "550 [b]no[/b] such user" in shown


def test_erasing_the_case_erases_its_outbox_and_stops_what_was_not_sent(desks, case, engine):
    from deskapp.actions.erasure import erase_case
    from deskapp.core.rowdigest import TOMBSTONE

    submit(desks["sam"], message(case))
    erase_case(desks["ann"], case.ref, "Erasure request from the customer, checked against their ID")
    [row] = outbox_rows(engine)
    assert (row.to_addr, row.subject, row.body) == (TOMBSTONE, TOMBSTONE, TOMBSTONE)
    assert row.status == "failed" and "erased" in row.last_error
    assert verify(engine).ok


def test_watch_sends_what_is_queued_later_and_stops_cleanly_on_sigterm(desks, case, engine, mail_servers, tmp_path,
                                                                       db_url):
    import time

    settings_file(mail_servers, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "deskapp", "mail", "send", "--watch", "--every", "0.2",
                             "--db", db_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        submit(desks["sam"], message(case))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and [r.status for r in outbox_rows(engine)] != ["sent"]:
            time.sleep(0.1)
        assert [r.status for r in outbox_rows(engine)] == ["sent"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.startswith("sent outbox ")


def _plain_settings(port: int) -> None:
    path = Path(os.environ["DESKAPP_CONFIG_DIR"]) / "mail.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"host: 127.0.0.1\nport: {port}\nsecurity: starttls\ntimeout: 5\n")
    path.chmod(0o600)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_problems_are_one_line_exit_2_and_leave_the_outbox_alone(desks, case, engine, db_url, desk_setting):
    from mail.servers import free_port

    submit(desks["sam"], message(case))
    missing = cli(db_url, "send")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "mail.yaml: no such file" in missing.stderr

    _plain_settings(free_port())
    down = cli(db_url, "send")
    assert down.returncode == 2 and down.stderr.count("\n") == 1 and "unreachable" in down.stderr
    [row] = outbox_rows(engine)
    assert (row.status, row.attempts) == ("queued", 0)

    desk_setting(db_url, "service_account", "deskapp-svc")
    other = cli(db_url, "send")
    assert other.returncode == 2 and "sent by the desk's service account (deskapp-svc)" in other.stderr
