"""Hypothesis: mail.yaml of any text is settings or one ConfigError line; any queued text builds one clean message."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes
from email.policy import default as default_policy

from hypothesis import given, settings, strategies as st

from deskapp.actions.outbox import Claimed
from deskapp.core import smtp_settings
from deskapp.errors import ConfigError
from deskapp.mail.sender import build_message


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_settings_text_is_settings_or_one_line(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("mailyaml") / "mail.yaml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    try:
        smtp_settings.read_settings(path)
    except ConfigError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(path))


@settings(max_examples=200, deadline=None)
@given(subject=st.text(max_size=200), body=st.text(max_size=2000))
def test_any_subject_and_body_build_one_message_with_no_header_injection(subject, body):
    item = Claimed(id=1, case_id=1, contact_id=1, message_id="<deskapp.C-1.ab@example.test>",
                   from_addr="desk@example.test", to_addr="lee@example.test", subject=subject, body=body,
                   created_at=datetime(2026, 3, 10, 11, 0), attempts=1)
    raw = build_message(item)
    assert raw == build_message(item)  # a retry sends the same bytes
    sent = message_from_bytes(raw, policy=default_policy)
    assert sent["Message-ID"] == item.message_id and sent["To"] == "lee@example.test"
    assert len(sent.get_all("To")) == 1 and sent.get_all("Bcc") is None
    assert "\n" not in str(sent["Subject"])
