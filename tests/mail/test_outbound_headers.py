"""What the sender puts on a handler's email: threading on the customer's side and a loop mark.

Sent through the real relay (aiosmtpd into Dovecot) and read back over IMAP.
"""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy

from deskapp.actions import Done, submit
from deskapp.actions.lookup import case_by_reference
from deskapp.actions.mail import receive
from deskapp.core.mailparse import Limits, parse_message

from .receiving import mail
from .test_send import case, desks, message, outbox_rows, sender_for, settings_file  # noqa: F401 (fixtures)


def over_imap(servers) -> list:
    """Every message in the test mailbox, as read back over IMAP."""
    imap = servers.imap()
    try:
        imap.select("INBOX")
        _, data = imap.search(None, "ALL")
        out = []
        for num in data[0].split():
            _, parts = imap.fetch(num, "(RFC822)")
            out.append(message_from_bytes(parts[0][1], policy=default_policy))
        return out
    finally:
        imap.logout()


def test_a_reply_names_the_customers_latest_mail_and_carries_x_loop_only(desks, case, engine, mail_servers,
                                                                          tmp_path):
    sam = desks["sam"]
    first = submit(sam, message(case, summary="Before any mail"))
    assert isinstance(first, Done)
    for ident, subject in (("one@example.test", "My boiler"), ("two@example.test", "Still broken")):
        raw = mail(f"{subject} [{case.ref}]", sender="Lee Price <desk@example.test>", message_id=ident)
        assert receive(desks["ann"], parse_message(raw), raw).status == "threaded"
    auto = mail(f"Out of office [{case.ref}]", sender="Lee Price <desk@example.test>", message_id="ooo@example.test",
                extra="Auto-Submitted: auto-replied\r\n")
    assert receive(desks["ann"], parse_message(auto), auto).status == "recorded"  # not a person's mail
    now = case_by_reference(sam, case.ref)
    assert isinstance(submit(sam, message(now, summary="Reply")), Done)
    assert [r.in_reply_to for r in outbox_rows(engine)] == [None, "<two@example.test>"]

    report = sender_for(engine, settings_file(mail_servers, tmp_path)).run_pass()
    assert len(report.sent) == 2, report.lines()
    got = {m["Subject"]: m for m in over_imap(mail_servers)}
    plain, reply = got[f"[{case.ref}] Before any mail"], got[f"[{case.ref}] Reply"]
    assert plain["In-Reply-To"] is None and plain["References"] is None
    assert reply["In-Reply-To"] == "<two@example.test>" and reply["References"] == "<two@example.test>"
    for sent in (plain, reply):
        assert sent["X-Loop"] == "deskapp complaints@desk.example.test"
        assert sent["Auto-Submitted"] is None  # a handler wrote it (RFC 3834: not auto-submitted)


def test_x_loop_of_this_desk_is_a_loop_and_another_desks_is_not():
    ours = Limits(loop_token="deskapp complaints@desk.example.test")
    back = mail("Repair date", message_id="x1@elsewhere.test", extra="X-Loop: deskapp complaints@desk.example.test\r\n")
    other = mail("Complaint", message_id="x2@elsewhere.test", extra="X-Loop: deskapp complaints@council.example\r\n")
    assert parse_message(back, ours).kind == "loop"
    assert parse_message(other, ours).kind == "message"
