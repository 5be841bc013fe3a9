"""deskapp.core.ownfiles: whole, private writes and the trust rule for files read back."""

from __future__ import annotations

import os
import stat

import pytest

from deskapp.core import ownfiles


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.parametrize("durable", [False, True])
def test_whole_private_writes_replace_and_leave_nothing_behind(tmp_path, durable):
    old = os.umask(0)
    try:
        target = tmp_path / "a" / "b" / "file"
        ownfiles.write_whole(target, b"one", durable=durable)
        target.chmod(0o644)
        ownfiles.write_whole(target, b"two" * 100_000, durable=durable)
    finally:
        os.umask(old)
    assert target.read_bytes() == b"two" * 100_000 and mode(target) == 0o600
    assert mode(tmp_path / "a") == 0o700 and mode(tmp_path / "a" / "b") == 0o700
    assert sorted(p.name for p in target.parent.iterdir()) == ["file"]


def test_a_link_planted_at_the_temporary_name_is_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    target = tmp_path / "file"
    (tmp_path / f"file.{os.getpid()}.tmp").symlink_to(victim)
    ownfiles.write_whole(target, b"new")
    assert victim.read_bytes() == b"keep me" and target.read_bytes() == b"new"


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "file"
    ownfiles.write_whole(target, b"old")

    def full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ownfiles.os, "write", full)
    with pytest.raises(OSError):
        ownfiles.write_whole(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_trusted_bytes_only_from_own_plain_files_nobody_else_may_write(tmp_path):
    own = tmp_path / "own"
    ownfiles.write_whole(own, b"mine")
    assert ownfiles.trusted_bytes(own) == b"mine"
    own.chmod(0o644)
    assert ownfiles.trusted_bytes(own) == b"mine"  # others may read it: still this user's words
    for loose in (0o660, 0o602):
        own.chmod(loose)
        assert ownfiles.trusted_bytes(own) is None
    own.chmod(0o600)
    link = tmp_path / "link"
    link.symlink_to(own)
    assert ownfiles.trusted_bytes(link) is None
    assert ownfiles.trusted_bytes(tmp_path / "missing") is None
    assert ownfiles.trusted_bytes(tmp_path) is None
    try:
        os.chown(own, 65534, -1)
    except PermissionError:
        pytest.skip("changing a file's owner needs root")
    assert ownfiles.trusted_bytes(own) is None
