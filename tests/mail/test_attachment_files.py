"""Saving an attachment writes the whole file or nothing: the old file survives a failed write."""

import errno
import os

import pytest

from deskapp.errors import DeskError
from deskapp.mail import attachment_files
from deskapp.mail.attachment_files import write_new


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


def test_a_new_file_is_private_and_whole(tmp_path):
    target = tmp_path / "letter.pdf"
    write_new(str(target), b"%PDF-1.4 body")
    assert target.read_bytes() == b"%PDF-1.4 body"
    assert target.stat().st_mode & 0o777 == 0o600
    assert _leftovers(tmp_path) == []


def test_an_existing_file_is_refused_and_kept_unless_replacing(tmp_path):
    target = tmp_path / "letter.pdf"
    target.write_bytes(b"old")
    with pytest.raises(DeskError, match="already exists"):
        write_new(str(target), b"new")
    assert target.read_bytes() == b"old"
    write_new(str(target), b"new", replace=True)
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o600
    assert _leftovers(tmp_path) == []


def test_a_full_disk_leaves_the_old_file_and_no_partial_one(tmp_path, monkeypatch):
    target = tmp_path / "letter.pdf"
    target.write_bytes(b"old")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(attachment_files.os, "fsync", full)
    with pytest.raises(DeskError, match="cannot write it") as caught:
        write_new(str(target), b"new" * 1000, replace=True)
    assert "\n" not in str(caught.value)
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_replacing_a_planted_link_never_writes_through_it(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"not yours")
    link = tmp_path / "letter.pdf"
    link.symlink_to(elsewhere)
    write_new(str(link), b"new", replace=True)
    assert elsewhere.read_bytes() == b"not yours"
    assert not link.is_symlink() and link.read_bytes() == b"new"
