"""`deskapp mail fetch --maildir`: the report, marking only after commit, re-runs, a kill mid-fetch."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from deskapp.supervision.mailfetch import BATCH
from deskapp.store.models import Case, Contact, InboundMail
from desk_support import set_desk_setting

from .receiving import admin_desk, mail  # noqa: F401 (fixture)

CORPUS = Path(__file__).parent / "corpus"
ROOT = Path(__file__).resolve().parents[2]


def maildir(tmp_path: Path, messages: dict[str, bytes]) -> Path:
    box = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    for name, raw in messages.items():
        (box / "new" / name).write_bytes(raw)
    return box


def run(capsys, db_url, *argv):
    from deskapp.cli import main

    set_desk_setting(db_url, "demo", "1")  # a test desk: `--as` picks the team member
    code = main(["--as", "ada", "--db", db_url, "mail", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_fetch_reports_one_line_each_and_marks_them_seen(admin_desk, engine, db_url, tmp_path, capsys):
    box = maildir(tmp_path, {"1.a": mail(), "2.b": mail("Re: bins", message_id="m2@example.org",
                                                         extra="In-Reply-To: <m1@example.org>\r\n"),
                             "3.c": (CORPUS / "nested-deep.eml").read_bytes(),
                             "4.d": (CORPUS / "escape-markup-subject.eml").read_bytes()})
    code, out, err = run(capsys, db_url, "fetch", "--maildir", str(box))
    lines = out.splitlines()
    assert code == 0 and len(lines) == 4, out
    assert lines[0].startswith("<m1@example.org> new case C-")
    assert lines[1].startswith("<m2@example.org> threaded to C-") and "(reply)" in lines[1]
    assert lines[2] == "<deep@example.org> rejected: message nests too many parts to read"
    assert "\x1b" not in out and "4 messages" in err
    assert os.listdir(box / "new") == []
    assert sorted(os.listdir(box / "cur")) == ["1.a:2,S", "2.b:2,S", "3.c:2,S", "4.d:2,S"]
    code, out, err = run(capsys, db_url, "fetch", "--maildir", str(box))
    assert (code, out) == (0, "") and "no new mail" in err


def test_a_message_seen_again_is_a_duplicate(admin_desk, engine, db_url, tmp_path, capsys):
    box = maildir(tmp_path, {"1.a": mail()})
    run(capsys, db_url, "fetch", "--maildir", str(box))
    (box / "cur" / "1.a:2,S").rename(box / "cur" / "1.a:2,")  # someone marked it unread
    code, out, _err = run(capsys, db_url, "fetch", "--maildir", str(box))
    assert code == 0 and out == "<m1@example.org> skipped duplicate\n"
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Contact)).scalar_one() == 1


def test_oversized_message_is_rejected_without_reading_it(admin_desk, engine, db_url, tmp_path, capsys):
    box = maildir(tmp_path, {"big": mail(message_id="big@x", body="x" * (2 * 1024 * 1024))})
    code, out, _err = run(capsys, db_url, "fetch", "--maildir", str(box), "--max-size", "1")
    assert code == 0 and out.startswith("<big@x> rejected: message is 2.0 MB, over the 1.0 MB limit")
    with Session(engine) as s:
        assert s.execute(select(InboundMail.kind)).scalar_one() == "rejected"


def test_not_a_maildir_is_one_line_exit_2(admin_desk, db_url, tmp_path, capsys):
    code, out, err = run(capsys, db_url, "fetch", "--maildir", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "not a Maildir" in err


def test_unreachable_imap_server_is_one_line_exit_2(admin_desk, db_url, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DESKAPP_IMAP_PASSWORD", "x")
    code, out, err = run(capsys, db_url, "fetch", "--imap", "127.0.0.1:1", "--user", "u")
    assert code == 2 and err.count("\n") == 1 and "cannot reach the mail server" in err, err


def test_password_file_others_may_read_is_refused(admin_desk, db_url, tmp_path, capsys):
    secret = tmp_path / "pw"
    secret.write_text("hunter2\n")
    secret.chmod(0o644)
    code, _out, err = run(capsys, db_url, "fetch", "--imap", "127.0.0.1:1", "--password-file", str(secret))
    assert code == 2 and "chmod 600" in err and "hunter2" not in err


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_killed_mid_fetch_leaves_the_maildir_consistent(admin_desk, engine, db_url, tmp_path):
    total = 120  # more than two batches (deskapp.supervision.mailfetch.BATCH)
    box = maildir(tmp_path, {f"{i:03d}.m": mail(f"message {i}", sender=f"p{i}@example.org", message_id=f"k{i}@x")
                             for i in range(total)})
    set_desk_setting(db_url, "demo", "1")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "deskapp", "--as", "ada", "--db", db_url, "mail", "fetch", "--maildir", str(box)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    seen = 0
    while seen < 5:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        seen += 1
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Session(engine) as s:
        stored = s.execute(select(func.count()).select_from(InboundMail)).scalar_one()
    marked = len(os.listdir(box / "cur"))
    assert 5 <= marked <= stored <= marked + BATCH and marked < total  # at most one batch stored, unmarked
    again = subprocess.run(cmd, capture_output=True, env=env, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert sum("skipped duplicate" in line for line in again.stdout.splitlines()) == stored - marked
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(InboundMail)).scalar_one() == total
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == total
    assert os.listdir(box / "new") == [] and len(os.listdir(box / "cur")) == total


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_watch_picks_up_new_mail_and_stops_cleanly_on_sigterm(admin_desk, engine, db_url, tmp_path):
    box = maildir(tmp_path, {"1.a": mail()})
    set_desk_setting(db_url, "demo", "1")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "deskapp", "--as", "ada", "--db", db_url, "mail", "watch",
                             "--maildir", str(box), "--every", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout.readline().startswith("<m1@example.org> new case")
        (box / "tmp" / "2.b").write_bytes(mail("later", message_id="m9@example.org"))
        (box / "tmp" / "2.b").rename(box / "new" / "2.b")  # how a delivery agent puts mail in place
        assert proc.stdout.readline().startswith("<m9@example.org> threaded to")  # same sender, open case
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
