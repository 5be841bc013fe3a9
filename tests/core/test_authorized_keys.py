"""authorized_keys: deskapp's lines regenerated, every other line kept byte for byte, the file replaced whole."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from deskapp.core import authorized_keys
from deskapp.core.authorized_keys import is_ours, key_line, merged, write

ED = "AAAAC3NzaC1lZDI1NTE5AAAAIOm8knXbcq1BWsAnax5polfVmguwN+0IZY81Q4WPvDqA"
PROGRAM = ["/opt/desk venv/bin/deskapp"]
FOREIGN = (b"# the operator's own key, not deskapp's\n"
           b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBB operator@host\r\n"
           b'command="backup.sh",no-pty ssh-rsa AAAAB3Nza backup\n'
           b"\n")


def test_a_line_gives_the_desk_and_nothing_else():
    line = key_line("sam", "ssh-ed25519", ED, PROGRAM)
    assert line == (f'restrict,pty,command="\'/opt/desk venv/bin/deskapp\' desk --as-key sam" ssh-ed25519 {ED} '
                    "deskapp:sam")
    assert is_ours(line.encode() + b"\n")
    quoted = key_line("jo", "ssh-rsa", "AAAA", ['/a "b"/deskapp'])
    assert 'command="\'/a \\"b\\"/deskapp\' desk --as-key jo"' in quoted and is_ours(quoted.encode())


def test_round_trip_keeps_foreign_lines_and_replaces_ours(tmp_path):
    path = tmp_path / ".ssh" / "authorized_keys"
    path.parent.mkdir(mode=0o755)
    path.write_bytes(FOREIGN + key_line("old", "ssh-ed25519", ED, PROGRAM).encode() + b"\n" + b"ssh-rsa AAAA last")
    lines = [key_line("sam", "ssh-ed25519", ED, PROGRAM), key_line("jo", "ssh-ed25519", ED, PROGRAM)]
    assert write(path, lines) is True
    content = path.read_bytes()
    assert content == FOREIGN + b"ssh-rsa AAAA last\n" + "".join(f"{line}\n" for line in lines).encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # a .ssh folder sshd would refuse is tightened
    assert write(path, lines) is False and path.read_bytes() == content  # nothing to change: not rewritten
    assert write(path, []) is True
    assert path.read_bytes() == FOREIGN + b"ssh-rsa AAAA last\n"


def test_the_file_is_replaced_whole_never_written_in_place(tmp_path, monkeypatch):
    path = tmp_path / "authorized_keys"
    path.write_bytes(FOREIGN)
    before = path.stat().st_ino
    write(path, [key_line("sam", "ssh-ed25519", ED, PROGRAM)])
    assert path.stat().st_ino != before, "a new file renamed over the old one"

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(authorized_keys.os, "replace", crash)
    kept = path.read_bytes()
    with pytest.raises(Exception, match="cannot write it: No space left on device"):
        write(path, [])
    assert path.read_bytes() == kept, "a failed write leaves the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["authorized_keys"], "no temporary file left behind"


def test_nothing_to_write_and_no_file_creates_nothing(tmp_path):
    path = tmp_path / "new" / "authorized_keys"
    assert write(path, []) is False
    assert not path.parent.exists()
    assert write(path, [key_line("sam", "ssh-ed25519", ED, PROGRAM)]) is True
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700 and stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen (OpenSSH) is not installed")
def test_openssh_reads_every_line_deskapp_writes(tmp_path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    kind, data, *_ = (tmp_path / "k.pub").read_text().split()
    path = tmp_path / "authorized_keys"
    write(path, [key_line("sam", kind, data, PROGRAM)])
    listed = subprocess.run(["ssh-keygen", "-l", "-f", str(path)], capture_output=True, text=True, check=True)
    from deskapp.core.sshkeys import fingerprint

    assert fingerprint(data) in listed.stdout and "deskapp:sam" in listed.stdout


_foreign_line = st.binary(max_size=80).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b""))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_foreign_line, max_size=8), st.lists(st.sampled_from(["sam", "jo", "a.b-c"]), max_size=4),
       st.booleans())
def test_any_foreign_content_survives_byte_for_byte(foreign, names, final_newline):
    existing = b"\n".join(foreign) + (b"\n" if final_newline and foreign else b"")
    ours = [key_line(name, "ssh-ed25519", ED, PROGRAM) for name in names]
    once = merged(existing, ours)
    kept = [line for line in existing.split(b"\n")[:existing.count(b"\n") + bool(existing[-1:] not in (b"", b"\n"))]
            if not is_ours(line)]
    assert once == b"".join(line + b"\n" for line in kept) + b"".join(f"{line}\n".encode() for line in ours)
    assert merged(once, ours) == once, "writing the same keys again changes nothing"
    assert merged(once, []) == b"".join(line + b"\n" for line in kept)


def test_default_path_is_the_passwd_home_not_HOME(monkeypatch):
    import pwd

    monkeypatch.setenv("HOME", "/tmp/somewhere-else")
    expected = os.path.join(pwd.getpwuid(os.geteuid()).pw_dir, ".ssh", "authorized_keys")
    assert str(authorized_keys.default_path()) == expected
