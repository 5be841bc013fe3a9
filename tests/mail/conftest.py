"""The `mail_servers` fixture: real Dovecot + aiosmtpd for one test (API in tests/mail/servers.py)."""

from __future__ import annotations

import pytest
from mail.servers import DOVECOT, DovecotUnavailable, MailServers


@pytest.fixture
def mail_servers(tmp_path):
    """Dovecot (IMAP/IMAPS) and aiosmtpd (SMTP STARTTLS/SMTPS) on 127.0.0.1; skips in one line without Dovecot."""
    servers = MailServers(tmp_path / "mailservers") if _dovecot_ok() else None
    if servers is None:
        pytest.skip(_REASON[0])
    try:
        servers.start()
    except DovecotUnavailable as e:
        pytest.skip(f"mail servers: {e}")
    try:
        yield servers
    finally:
        servers.stop()


_REASON: list[str] = []


def _dovecot_ok() -> bool:


    if DOVECOT is None:
        _REASON[:] = ["mail servers: dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)"]
        return False
    return True
