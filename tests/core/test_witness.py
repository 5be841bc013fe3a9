"""The witness outside the database: appended whole, read back, its tail found cheaply, copied to syslog."""

from __future__ import annotations

import socket
from datetime import datetime

import pytest

from deskapp.core import signing, witness
from deskapp.errors import ConfigError


@pytest.fixture
def chosen(tmp_path):
    return witness.load_settings(tmp_path / "config", tmp_path / "data")


def _append(chosen, line: str) -> None:
    fd = witness.open_witness(chosen)
    try:
        witness.append_line(chosen, fd, line)
    finally:
        import os

        os.close(fd)


def test_lines_are_appended_and_the_last_is_found_from_the_end(chosen):
    key = signing.new_private_key()
    assert witness.last_checkpoint(chosen) is None and witness.read_witness(chosen) is None
    made = [signing.sign(key, event_id=n, hash="ab" * 32, events=n, at=datetime(2026, 3, 10, 11, n % 60))
            for n in range(1, 60)]
    for cp in made:
        _append(chosen, cp.line())
    assert [entry.checkpoint for entry in witness.read_witness(chosen)] == made
    assert witness.last_checkpoint(chosen, tail=400) == made[-1]
    assert oct(chosen.witness.stat().st_mode & 0o777) == "0o600"
    assert oct(chosen.witness.parent.stat().st_mode & 0o777) == "0o700"


def test_a_witness_others_may_write_is_refused(chosen):
    _append(chosen, "{}")
    chosen.witness.chmod(0o666)
    with pytest.raises(ConfigError, match="group or others may write the witness"):
        witness.open_witness(chosen)


def test_syslog_copy_reaches_the_socket(tmp_path):
    path = str(tmp_path / "log")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    try:
        server.settimeout(5)
        assert witness.to_syslog('{"event_id":7}', address=path) is None
        message = server.recv(4096).decode()
        assert "deskapp-checkpoint: {\"event_id\":7}" in message and message.startswith("<")
    finally:
        server.close()
    assert witness.to_syslog("x", address=str(tmp_path / "none")) == f"no {tmp_path / 'none'}"
