"""The test mail servers themselves: what mail19a/mail19b tests rely on, checked against the real protocols."""

from __future__ import annotations

import imaplib
import smtplib

import pytest


def _msg(mid: str) -> bytes:
    return f"From: a@customer.test\r\nTo: desk@example.test\r\nMessage-ID: {mid}\r\nSubject: hi\r\n\r\nbody\r\n".encode()


def test_smtp_starttls_auth_then_imap_reads_it_back(mail_servers):
    with smtplib.SMTP(mail_servers.host, mail_servers.smtp_port, timeout=10) as smtp:
        smtp.starttls(context=mail_servers.ssl_context())
        smtp.login(mail_servers.user, mail_servers.password)
        smtp.sendmail("a@customer.test", [mail_servers.user], _msg("<one@customer.test>"))
    assert mail_servers.message_ids() == ["<one@customer.test>"]


def test_smtps_and_imaps_and_direct_delivery(mail_servers):
    with smtplib.SMTP_SSL(mail_servers.host, mail_servers.smtps_port, timeout=10,
                          context=mail_servers.ssl_context()) as smtp:
        smtp.login(mail_servers.user, mail_servers.password)
        smtp.sendmail("a@customer.test", [mail_servers.user], _msg("<two@customer.test>"))
    mail_servers.deliver(_msg("<three@customer.test>"))
    imap = imaplib.IMAP4_SSL(mail_servers.host, mail_servers.imaps_port, ssl_context=mail_servers.ssl_context())
    imap.login(mail_servers.user, mail_servers.password)
    assert imap.select("INBOX") == ("OK", [b"2"])
    imap.logout()


def test_auth_refused_before_starttls_and_with_a_wrong_password(mail_servers):
    with smtplib.SMTP(mail_servers.host, mail_servers.smtp_port, timeout=10) as smtp:
        smtp.ehlo()
        assert not smtp.has_extn("auth")  # AUTH is offered only after STARTTLS
        smtp.starttls(context=mail_servers.ssl_context())
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.login(mail_servers.user, "wrong")
    imap = imaplib.IMAP4(mail_servers.host, mail_servers.imap_port, timeout=10)
    assert "STARTTLS" in imap.capabilities
    imap.starttls(ssl_context=mail_servers.ssl_context())
    with pytest.raises(imaplib.IMAP4.error):
        imap.login(mail_servers.user, "wrong")


def test_refuse_next_answers_a_temporary_failure_once(mail_servers):
    mail_servers.refuse_next(451, "4.3.0 Try again later")
    with smtplib.SMTP_SSL(mail_servers.host, mail_servers.smtps_port, timeout=10,
                          context=mail_servers.ssl_context()) as smtp:
        smtp.login(mail_servers.user, mail_servers.password)
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("a@customer.test", [mail_servers.user], _msg("<four@customer.test>"))
        assert refused.value.smtp_code == 451
        smtp.sendmail("a@customer.test", [mail_servers.user], _msg("<five@customer.test>"))
    assert mail_servers.message_ids() == ["<five@customer.test>"]


def test_without_dovecot_the_reason_is_one_line(tmp_path, monkeypatch):
    from mail import servers

    monkeypatch.setattr(servers, "DOVECOT", None)
    with pytest.raises(servers.DovecotUnavailable) as missing:
        servers.MailServers(tmp_path)
    assert "\n" not in str(missing.value) and "dovecot-imapd" in str(missing.value)
