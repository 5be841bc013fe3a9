"""Receiving mail as an action: threading, new cases, duplicates, machine mail, attachments, masking."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from deskapp.actions import new_case
from deskapp.actions.mail import receive
from deskapp.core.mailparse import parse_message
from deskapp.core.roles import NotAllowed
from deskapp.store.models import AttachmentBlob, AuditEvent, Case, Contact, ContactAttachment, InboundMail, Party
from deskapp.supervision.verify import verify

from .receiving import admin_desk, mail  # noqa: F401 (fixture)


def take(desk, raw: bytes):
    return receive(desk, parse_message(raw), raw, mailbox="INBOX")


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_new_sender_opens_a_case_in_the_intake_queue(admin_desk, engine):
    ada, _sam = admin_desk
    got = take(ada, mail())
    assert got.status == "new_case" and got.ref.startswith("C-")
    assert got.line().endswith(f"new case {got.ref}")
    with Session(engine) as s:
        case = s.execute(select(Case).where(Case.ref == got.ref)).scalar_one()
        assert (case.status, case.assigned_to_id, case.title) == ("new", None, "My bin was not collected")
        party = s.execute(select(Party).where(Party.case_id == case.id)).scalar_one()
        assert (party.role, party.name, party.email) == ("customer", "Ann Smith", "ann@example.org")
        contact = s.execute(select(Contact).where(Contact.case_id == case.id)).scalar_one()
        assert (contact.channel, contact.direction, contact.party_id, contact.outcome) == ("email", "in", party.id, None)
        assert contact.body == "It has been two weeks."
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "mail.receive")).scalar_one()
        assert event.detail["opened"] is True and event.contact_id == contact.id
    assert verify(engine).problem is None


def test_rerun_never_duplicates(admin_desk, engine):
    ada, _ = admin_desk
    first = take(ada, mail())
    again = take(ada, mail())
    assert again.status == "duplicate" and again.line().endswith("skipped duplicate")
    assert count(engine, Case) == 1 and count(engine, Contact) == 1 and count(engine, InboundMail) == 1
    assert first.status == "new_case"


def test_reply_threads_by_references_to_an_earlier_message(admin_desk, engine):
    ada, _ = admin_desk
    first = take(ada, mail())
    reply = take(ada, mail("Re: something else", sender="Someone <other@example.net>", message_id="m2@example.org",
                           extra="In-Reply-To: <m1@example.org>\r\n"))
    assert (reply.status, reply.ref, reply.how) == ("threaded", first.ref, "reply")
    with Session(engine) as s:
        case = s.execute(select(Case).where(Case.ref == first.ref)).scalar_one()
        assert case.version == 2  # bumped: open desks see the new contact
        roles = sorted(p.role for p in s.execute(select(Party).where(Party.case_id == case.id)).scalars())
        assert roles == ["customer", "third_party"]  # an unknown sender on a threaded case is added, not dropped


def test_subject_ref_then_sender_address(admin_desk, engine):
    ada, sam = admin_desk
    case = new_case(sam, kind="complaint", category="waste", title="Bins", party={"name": "Bo", "email": "Bo@Example.org"})
    by_ref = take(ada, mail(f"About [{case.ref}] again", sender="x@example.net", message_id="r1@x"))
    assert (by_ref.status, by_ref.ref, by_ref.how) == ("threaded", case.ref, "subject_ref")
    by_sender = take(ada, mail("hello", sender="bo@example.org", message_id="r2@x"))
    assert (by_sender.status, by_sender.ref, by_sender.how) == ("threaded", case.ref, "sender")
    unknown_ref = take(ada, mail("About C-99999", sender="new@example.net", message_id="r3@x"))
    assert unknown_ref.status == "new_case"


def test_sender_on_a_closed_case_opens_a_new_one(admin_desk, engine):
    ada, sam = admin_desk
    case = new_case(sam, kind="complaint", category="waste", title="Bins", party={"name": "Bo", "email": "bo@example.org"})
    with Session(engine) as s, s.begin():
        s.get(Case, case.id).status = "closed"
    assert take(ada, mail("hello", sender="bo@example.org")).status == "new_case"


def test_auto_reply_is_recorded_not_a_customer_reply(admin_desk, engine):
    ada, _ = admin_desk
    first = take(ada, mail())
    auto = take(ada, mail("Out of office", message_id="ooo@example.org",
                          extra="Auto-Submitted: auto-replied\r\nIn-Reply-To: <m1@example.org>\r\n"))
    assert (auto.status, auto.ref, auto.how) == ("recorded", first.ref, "auto_reply")
    assert "recorded auto-reply on" in auto.line()
    with Session(engine) as s:
        contact = s.execute(select(Contact).where(Contact.outcome == "auto_reply")).scalar_one()
        assert contact.party_id is None and contact.summary == "Auto-reply: Out of office"


def test_machine_mail_that_matches_nothing_opens_no_case(admin_desk, engine):
    ada, _ = admin_desk
    got = take(ada, mail("Automatic reply: hi", message_id="a@b"))
    assert got.status == "recorded" and got.ref is None and "no case matched" in got.line()
    assert count(engine, Case) == 0 and count(engine, InboundMail) == 1


def test_rejected_message_is_recorded_once_with_its_reason(admin_desk, engine):
    from deskapp.core.mailparse import Limits

    ada, _ = admin_desk
    raw = mail(body="x" * 5000)
    parsed = parse_message(raw, Limits(max_bytes=1000))
    got = receive(ada, parsed, raw)
    assert got.status == "rejected" and "over the" in got.line() and "\n" not in got.line()
    assert receive(ada, parsed, raw).status == "duplicate"
    with Session(engine) as s:
        assert s.execute(select(AuditEvent.action).where(AuditEvent.action == "mail.reject")).all()
    assert count(engine, Contact) == 0


def _with_files(message_id: str, files: list[tuple[str, str, bytes]]) -> bytes:
    parts = b"".join(
        b"--M\r\nContent-Type: " + ctype.encode() + b"\r\nContent-Disposition: attachment; filename=\"" + name.encode()
        + b"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(data) for name, ctype, data in files)
    return (b"From: ann@example.org\r\nSubject: receipts\r\nMessage-ID: <" + message_id.encode() + b">\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n--M\r\nContent-Type: text/plain\r\n\r\n"
            b"my card 4111 1111 1111 1111 was charged\r\n" + parts + b"--M--\r\n")


def test_attachments_are_stored_once_by_hash_and_cards_masked(admin_desk, engine):
    ada, _ = admin_desk
    pdf = b"%PDF-1.4 the same receipt"
    files = [("receipt 4111111111111111.pdf", "application/pdf", pdf),
             ("note.txt", "text/plain", b"card 4111-1111-1111-1111 thanks")]
    one = take(ada, _with_files("f1@x", files))
    two = take(ada, _with_files("f2@x", files))
    assert one.cards_masked == 3 and "2 attachments" in one.line()
    assert two.status == "threaded"  # same sender, open case
    assert count(engine, ContactAttachment) == 4 and count(engine, AttachmentBlob) == 2
    with Session(engine) as s:
        names = sorted(s.execute(select(ContactAttachment.name)).scalars())
        assert all("4111111111111111" not in n for n in names)
        note = s.execute(select(AttachmentBlob).where(AttachmentBlob.size != len(pdf))).scalar_one()
        assert b"4111-1111-1111-1111" not in note.data and b"4111-11" in note.data
        body = s.execute(select(Contact.body)).scalars().first()
        assert "4111 1111 1111 1111" not in body


def test_only_an_admin_fetches_mail(admin_desk, engine):
    _ada, sam = admin_desk
    with pytest.raises(NotAllowed):
        take(sam, mail())
    assert count(engine, InboundMail) == 0
    with Session(engine) as s:
        refusal = s.execute(select(AuditEvent).where(AuditEvent.action == "refused")).scalar_one()
        assert refusal.actor == "sam" and refusal.detail["permission"] == "mail.import"


def test_a_long_text_is_kept_whole_as_an_attachment(admin_desk, engine, monkeypatch):
    import deskapp.actions.mail as mail_action

    monkeypatch.setattr(mail_action, "MAX_BODY", 1000)
    ada, _ = admin_desk
    long = "word " * 1000
    take(ada, mail(body=long))
    with Session(engine) as s:
        body = s.execute(select(Contact.body)).scalar_one()
        assert len(body) <= 1000 and "message-text.txt" in body
        blob = s.execute(select(AttachmentBlob)).scalar_one()
        assert blob.data.decode().strip() == long.strip()


def test_any_bytes_are_stored_or_rejected_never_raising(admin_desk, engine, db_url):
    """Whatever arrives, the action stores it (PostgreSQL too: no NUL, no lone surrogates) or records a rejection."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    ada, _ = admin_desk
    header = st.sampled_from([b"From: ", b"Subject: ", b"Message-ID: ", b"In-Reply-To: ", b"Content-Type: ",
                              b"Content-Disposition: attachment; filename=", b"Auto-Submitted: "])

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.lists(st.tuples(header, st.binary(max_size=60)), max_size=8), st.binary(max_size=400))
    def check(headers, body):
        raw = b"".join(name + value.replace(b"\n", b" ") + b"\r\n" for name, value in headers) + b"\r\n" + body
        got = receive(ada, parse_message(raw), raw)
        assert got.status in ("new_case", "threaded", "recorded", "duplicate", "rejected")
        assert "\n" not in got.line()

    check()
    assert verify(engine).problem is None


def test_a_batch_threads_within_itself_and_skips_its_own_duplicates(admin_desk, engine):
    from deskapp.actions.mail import receive_many

    ada, _ = admin_desk
    first, reply = mail(), mail("Re: x", sender="o@example.net", message_id="m2@example.org",
                                extra="In-Reply-To: <m1@example.org>\r\n")
    got = receive_many(ada, [(parse_message(r), r) for r in (first, reply, first)])
    assert [g.status for g in got] == ["new_case", "threaded", "duplicate"] and got[1].ref == got[0].ref
    assert count(engine, InboundMail) == 2
    assert verify(engine).problem is None


def test_a_batch_that_fails_is_redone_one_message_at_a_time(admin_desk, engine, monkeypatch):
    import deskapp.actions.mail as mail_action
    from deskapp.errors import DeskError

    ada, _ = admin_desk
    real, calls = mail_action._receive, []

    def flaky(desk, session, msg, key, mailbox):
        calls.append(key)
        if len(calls) == 2:
            raise DeskError("the case changed under the batch")
        return real(desk, session, msg, key, mailbox)

    monkeypatch.setattr(mail_action, "_receive", flaky)
    raws = [mail(message_id=f"b{i}@x", sender=f"p{i}@example.org") for i in range(3)]
    got = mail_action.receive_many(ada, [(parse_message(r), r) for r in raws])
    assert [g.status for g in got] == ["new_case"] * 3
    assert count(engine, InboundMail) == 3 and count(engine, Case) == 3  # the first try left nothing behind


def test_the_sender_lookup_uses_an_index(admin_desk, engine):
    """A desk with a million parties must not scan them all for each message (the sender's open case)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT cases.id FROM cases JOIN parties ON parties.case_id = cases.id "
            "WHERE lower(parties.email) = 'a@b.c' AND cases.status != 'closed'"))
    assert "ix_parties_email_lower" in plan, plan
