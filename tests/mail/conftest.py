"""The `mail_servers` fixture: real Dovecot + aiosmtpd for one test (API in tests/mail/servers.py)."""

from __future__ import annotations

import pytest
from mail.servers import DovecotUnavailable, MailServers


@pytest.fixture
def mail_servers(tmp_path):
    """Dovecot (IMAP/IMAPS) and aiosmtpd (SMTP STARTTLS/SMTPS) on 127.0.0.1; skips in one line without Dovecot."""
    try:
        servers = MailServers(tmp_path / "mailservers")
        servers.start()
    except DovecotUnavailable as e:
        pytest.skip(f"mail servers: {e}")
    try:
        yield servers
    finally:
        servers.stop()
