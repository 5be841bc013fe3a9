"""An outbound email's delivery on the case: queued, sent at…, failed: the relay's answer, bounced.

Sent through the real relay (aiosmtpd into Dovecot); read back through the actions layer
as the case pane and `case show` read it.
"""

from __future__ import annotations

import json

from deskapp.actions import Done, submit
from deskapp.actions.lookup import case_by_reference
from deskapp.actions.mail import receive
from deskapp.commands.case_text import case_json, case_lines
from deskapp.core.mailparse import parse_message
from deskapp.tui.widgets.case_pane import contact_heading

from .test_send import case, desks, message, outbox_rows, sender_for, settings_file  # noqa: F401 (fixtures)


def headings(desk, ref: str) -> list[str]:
    view = case_by_reference(desk, ref)
    return [contact_heading(c).plain for c in view.history if c.channel == "email" and c.direction == "out"]


def shown(desk, ref: str) -> str:
    return "\n".join(case_lines(case_by_reference(desk, ref)))


def dsn(message_id: str) -> bytes:
    return (b"From: MAILER-DAEMON@mx.example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            b"Message-ID: <dsn1@mx.example.org>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
            b"--R\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
            b"--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
            b"Final-Recipient: rfc822; desk@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
            b"--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: " + message_id.encode()
            + b"\r\nSubject: Repair date\r\n\r\n--R--\r\n")


def test_queued_sent_failed_and_bounced_show_on_the_heading(desks, case, engine, mail_servers, tmp_path):
    sam = desks["sam"]
    first = submit(sam, message(case))
    assert isinstance(first, Done)
    [heading] = headings(sam, case.ref)
    assert heading.endswith("by sam  queued")
    assert "email out with Lee Price (queued) by sam" in shown(sam, case.ref)

    path = settings_file(mail_servers, tmp_path)
    sender_for(engine, path).run_pass()
    [heading] = headings(sam, case.ref)
    assert heading.endswith("by sam  sent Tue 10 Mar 11:00")
    assert "(sent Tue 10 Mar 11:00)" in shown(sam, case.ref)

    second = submit(sam, message(first.case, summary="Second", body="And a second."))
    assert isinstance(second, Done)
    mail_servers.refuse_next(554, "5.7.1 [b]Rejected[/b] by policy")
    sender_for(engine, path).run_pass()
    sent, failed = headings(sam, case.ref)
    assert failed.endswith("failed: 554 5.7.1 [b]Rejected[/b] by policy")  # the relay's words, literally
    assert "(failed: 554 5.7.1 [b]Rejected[/b] by policy)" in shown(sam, case.ref)
    data = json.loads(case_json(case_by_reference(sam, case.ref)))
    assert [c["delivery"]["status"] for c in data["history"] if c["delivery"]] == ["sent", "failed"]

    [row, _] = outbox_rows(engine)
    raw = dsn(row.message_id)
    receive(desks["ann"], parse_message(raw), raw)
    bounced, failed = headings(sam, case.ref)
    assert bounced.endswith("by sam  bounced") and bounced.count("bounced") == 1
    assert "email out with Lee Price (bounced) by sam" in shown(sam, case.ref)


def test_a_letter_or_a_record_only_email_has_no_delivery(desks, engine):
    from datetime import datetime

    from deskapp.actions import ActionRequest, new_case

    plain = new_case(desks["sam"], kind="complaint", category="repairs", title="No sending address",
                     received_at=datetime(2026, 3, 9, 9, 0),
                     party={"role": "customer", "name": "Ola Brown", "email": "ola@example.test"})
    done = submit(desks["sam"], ActionRequest(kind="message", case_id=plain.id, version=plain.version,
                                              channel="email", party_id=plain.parties[0].id, summary="Hello",
                                              body="Hello"))
    assert isinstance(done, Done) and outbox_rows(engine) == []
    assert [c.delivery for c in case_by_reference(desks["sam"], plain.ref).history] == [None]
