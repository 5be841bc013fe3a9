"""The SQLite file is its owner's alone: created 0600 (with -wal/-shm) in folders made 0700; a file others
may read is used with a one-line warning, and `deskapp init` makes a file this user owns private."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from sqlalchemy import text

from deskapp.store import dbfile
from deskapp.store.engine import connect

NOBODY = 65534


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def run(*args, env=None, umask=None):
    """`python -m deskapp ARGS` as a terminal runs it (optionally under another umask)."""
    full = dict(os.environ)
    full.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "deskapp", *args], capture_output=True, text=True, timeout=180,
                          env=full, stdin=subprocess.DEVNULL,
                          preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch):
    monkeypatch.setattr(dbfile, "_warned", set())


def test_a_new_database_and_its_wal_files_are_private_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        path = tmp_path / "a" / "b" / "desk.db"
        engine = connect(f"sqlite:///{path}")
        try:
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE t (x INTEGER)"))
                conn.execute(text("INSERT INTO t VALUES (1)"))
            with engine.connect() as conn:  # WAL: -wal and -shm exist while a connection is open
                assert conn.execute(text("SELECT x FROM t")).scalar() == 1
                sides = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
                assert all(p.exists() for p in sides)
                assert [mode(p) for p in [path, *sides]] == [0o600, 0o600, 0o600]
        finally:
            engine.dispose()
    finally:
        os.umask(old)
    assert mode(tmp_path / "a") == 0o700 and mode(tmp_path / "a" / "b") == 0o700


def test_an_existing_folder_is_left_as_it_is(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o755)
    connect(f"sqlite:///{folder / 'desk.db'}").dispose()
    assert mode(folder) == 0o755 and mode(folder / "desk.db") == 0o600


def test_opening_a_file_others_can_read_warns_once_with_the_fix(tmp_path, capsys):
    path = tmp_path / "desk.db"
    connect(f"sqlite:///{path}").dispose()
    assert capsys.readouterr().err == ""
    os.chmod(path, 0o644)
    for _ in range(2):
        engine = connect(f"sqlite:///{path}")
        engine.dispose()
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"deskapp: warning: database file {path} ") and "(mode 0644)" in err
    assert "deskapp init" in err and f"chmod 600 {path}" in err
    assert mode(path) == 0o644  # a warning, not a change: the file is the handler's


def test_a_group_writable_wal_file_counts_too(tmp_path):
    path = tmp_path / "desk.db"
    connect(f"sqlite:///{path}").dispose()
    wal = path.with_name("desk.db-wal")
    wal.write_bytes(b"")
    os.chmod(wal, 0o620)
    line = dbfile.exposure(path)
    assert line is not None and str(wal) in line and "(mode 0620)" in line


def test_init_makes_an_existing_file_private_and_says_so(tmp_path):
    path = tmp_path / "desk.db"
    code, out, err = run("init", "--db", f"sqlite:///{path}")
    assert code == 0 and err == "", err
    wal = path.with_name("desk.db-wal")
    wal.write_bytes(b"")
    os.chmod(path, 0o664)
    os.chmod(wal, 0o644)
    code, out, err = run("init", "--db", f"sqlite:///{path}")
    assert code == 0, err
    assert err == ""  # fixed, so no warning
    said = [line for line in out.splitlines() if "private" in line]
    assert said == [f"made {path} (and its -wal/-shm files) private: mode 0664 -> 0600, "
                    "no longer open to other accounts"], out
    assert mode(path) == 0o600 and (not wal.exists() or mode(wal) == 0o600)  # SQLite removes it at close
    code, out, err = run("init", "--db", f"sqlite:///{path}")
    assert code == 0 and "private" not in out and err == ""


def test_init_leaves_a_file_someone_else_owns_and_warns(tmp_path):
    path = tmp_path / "desk.db"
    connect(f"sqlite:///{path}").dispose()
    os.chmod(path, 0o644)
    try:
        os.chown(path, NOBODY, -1)
    except PermissionError:
        pytest.skip("changing a file's owner needs root")
    code, out, err = run("init", "--db", f"sqlite:///{path}")
    assert code == 0, err
    assert mode(path) == 0o644 and "private" not in out
    assert err.startswith("deskapp: warning: ") and "ask nobody, who owns it, to run `chmod 600" in err
    assert err.count("\n") == 1


def test_the_readme_first_command_makes_a_private_desk(tmp_path):
    """`deskapp demo` then `deskapp` (the README's first command) with no --db: the data folder and the
    database it makes are private even under umask 000."""
    env = {"DESKAPP_DATA_DIR": str(tmp_path / "share" / "deskapp")}
    code, out, err = run("demo", "--cases", "5", env=env, umask=0)
    assert code == 0, err
    db = tmp_path / "share" / "deskapp" / "deskapp.db"
    assert mode(db) == 0o600
    assert mode(tmp_path / "share") == 0o700 and mode(tmp_path / "share" / "deskapp") == 0o700
    code, out, err = run("users", "list", env=env)
    assert code == 0 and err == "", err


def test_the_desk_says_so_before_and_inside_the_screen(tmp_path, capsys):
    from deskapp.actions import opening

    path = tmp_path / "desk.db"
    connect(f"sqlite:///{path}").dispose()
    assert opening.start(f"sqlite:///{path}", None).file_warning is None
    os.chmod(path, 0o640)
    started = opening.start(f"sqlite:///{path}", None)
    assert started.file_warning and str(path) in started.file_warning and "(mode 0640)" in started.file_warning
    assert capsys.readouterr().err == f"deskapp: {started.file_warning}\n"
