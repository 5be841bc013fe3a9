"""The service account's database URL and password come from files only it may read: <config>/database.url,
or libpq's ~/.pgpass and ~/.pg_service.conf; never printed, never taken from a file others could change."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deskapp import config
from deskapp.core.urlfile import read_url_file
from deskapp.errors import ConfigError

NOBODY = 65534
SECRET = "h5-s3cret-pw"
PG_ENV = "DESKAPP_TEST_POSTGRES_URL"


def run(*args, env=None, home=None):
    """`python -m deskapp ARGS` as the service account would run it: its own HOME, nothing from ours."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if home is not None:
        full["HOME"] = str(home)
    full.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "deskapp", *args], capture_output=True, text=True, timeout=180,
                          env=full, stdin=subprocess.DEVNULL)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def one_line_error(code, out, err, *needles):
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deskapp: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def url_file(text: str, mode: int = 0o600) -> Path:
    path = config.config_dir() / config.URL_FILE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def private(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)
    return path


# --------------------------------------------------------------------------- database.url: the file's rules


def test_the_file_is_read_when_no_db_is_given(tmp_path):
    url = f"sqlite:///{tmp_path / 'team.db'}"
    url_file(f"# the team's desk\n\n{url}\n")
    assert config.db_url() == url
    assert config.db_url("sqlite:///other.db") == "sqlite:///other.db"  # --db still wins


def test_without_the_file_the_default_is_the_personal_sqlite_desk():
    assert config.db_url() == config.default_db_url()


@pytest.mark.parametrize("bits", [0o640, 0o604, 0o620, 0o602, 0o700 | 0o010])
def test_a_file_others_may_read_or_change_is_refused(bits):
    path = url_file(f"postgresql://deskapp:{SECRET}@127.0.0.1/desk\n", mode=bits)
    with pytest.raises(ConfigError) as caught:
        config.db_url()
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and f"chmod 600 {path}" in message and SECRET not in message


def test_a_file_someone_else_owns_is_refused():
    path = url_file("sqlite:////tmp/elsewhere.db\n")
    try:
        os.chown(path, NOBODY, -1)
    except PermissionError:
        pytest.skip("changing a file's owner needs root")
    with pytest.raises(ConfigError, match=r"owned by nobody, not by "):
        read_url_file(path)


@pytest.mark.parametrize("text, where, why", [
    ("", "", "holds no database URL"),
    ("# only a comment\n\n", "", "holds no database URL"),
    ("sqlite:///a.db\npostgresql://x@y/z\n", ":2", "a second URL (line 1 has one)"),
    ("#\nnot a url\n", ":2", "not a database URL"),
    (f"postgresql://deskapp:{SECRET}@h/d extra\n", ":1", "not a database URL"),
])
def test_a_file_that_is_not_one_url_says_file_and_line(text, where, why):
    path = url_file(text)
    with pytest.raises(ConfigError) as caught:
        read_url_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}{where}: {why}") and SECRET not in message and "\n" not in message


def test_the_command_refuses_a_readable_file_in_one_line_and_writes_nothing(tmp_path):
    target = tmp_path / "team.db"
    path = url_file(f"sqlite:///{target}\n", mode=0o644)
    for command in ([], ["init"]):  # the desk itself, then init
        code, out, err = run(*command)
        one_line_error(code, out, err, str(path), "mode 0644", f"chmod 600 {path}")
    assert not target.exists() and not (config.data_dir() / "deskapp.db").exists()
    os.chmod(path, 0o600)
    code, out, err = run("init")
    assert code == 0 and target.exists(), err


def test_the_password_is_never_printed():
    url_file(f"postgresql://deskapp:{SECRET}@127.0.0.1:1/desk\n")
    for command in (["init"], ["users", "list"], ["demo", "--cases", "1"]):
        code, out, err = run(*command)
        line = one_line_error(code, out, err, "postgresql://deskapp:***@127.0.0.1:1/desk")
        assert SECRET not in out + line


# --------------------------------------------------------------------------- libpq's own files (real servers)


def test_a_service_defined_only_in_the_service_accounts_file(tmp_path):
    """~/.pg_service.conf of the account running deskapp is read: the service name exists nowhere else."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    from sqlalchemy.engine import make_url

    server = make_url(base)
    home = tmp_path / "home"
    home.mkdir()
    name = f"deskapp_h5_{os.getpid()}"
    url_file(f"postgresql:///?service={name}\n")
    code, out, err = run("users", "list", home=home)
    one_line_error(code, out, err, f'service "{name}" not found')
    private(home / ".pg_service.conf", f"[{name}]\nhost={server.host or '127.0.0.1'}\nport={server.port or 5432}\n"
                                       f"dbname={server.database}\nuser={server.username}\n")
    code, out, err = run("users", "list", home=home)
    # Connected (the service was found): the test database is not a desk here, or is one.
    assert code in (0, 2) and f'service "{name}" not found' not in err, err
    assert code == 0 or "deskapp init" in err or "revision" in err, err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def password_server(tmp_path_factory):
    """A private PostgreSQL that wants a password (scram-sha-256), with role deskapp / SECRET and db desk."""
    tools = [shutil.which(t) for t in ("initdb", "pg_ctl", "runuser")]
    if os.geteuid() != 0 or None in tools:
        pytest.skip("a password-checking PostgreSQL needs root, initdb, pg_ctl and runuser")
    initdb, pg_ctl, runuser = tools
    root = tmp_path_factory.mktemp("pgscram")
    os.chmod(root, 0o755)
    for parent in root.parents:  # postgres must reach its folder
        if parent != Path("/") and stat.S_IMODE(os.stat(parent).st_mode) & 0o005 != 0o005:
            os.chmod(parent, os.stat(parent).st_mode | 0o005)
    (root / "pw").write_text("admin-pw\n")
    shutil.chown(root, "postgres")
    shutil.chown(root / "pw", "postgres")
    data = root / "data"
    as_pg = [runuser, "-u", "postgres", "--"]
    subprocess.run([*as_pg, initdb, "-D", str(data), "-A", "scram-sha-256", f"--pwfile={root / 'pw'}",
                    "-U", "postgres", "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=120)
    port = _free_port()
    subprocess.run([*as_pg, pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60", "-o",
                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True, timeout=120)
    try:
        env = {"PGPASSWORD": "admin-pw"}
        for sql in (f"CREATE ROLE deskapp LOGIN PASSWORD '{SECRET}'", "CREATE DATABASE desk OWNER deskapp"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres", "-Atc",
                            sql], check=True, capture_output=True, env={**os.environ, **env}, timeout=60)
        yield port
    finally:
        subprocess.run([*as_pg, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        time.sleep(0.1)


def test_pgpass_gives_the_password_for_a_url_without_one(password_server, tmp_path):
    port = password_server
    home = tmp_path / "home"
    home.mkdir()
    url_file(f"postgresql://deskapp@127.0.0.1:{port}/desk\n")
    code, out, err = run("init", home=home)
    one_line_error(code, out, err, "no password supplied")
    pgpass = home / ".pgpass"
    private(pgpass, f"127.0.0.1:{port}:desk:deskapp:{SECRET}\n")
    code, out, err = run("init", home=home)
    assert code == 0, err
    assert f"postgresql://deskapp@127.0.0.1:{port}/desk" in out and SECRET not in out + err
    # libpq itself ignores a pgpass others could read: the service account's file must be 0600.
    os.chmod(pgpass, 0o644)
    code, out, err = run("users", "list", home=home)
    assert code == 2 and "has group or world access" in err and SECRET not in err


def test_a_service_with_pgpass_on_a_password_server(password_server, tmp_path):
    port = password_server
    home = tmp_path / "home"
    home.mkdir()
    private(home / ".pg_service.conf", f"[teamdesk]\nhost=127.0.0.1\nport={port}\ndbname=desk\nuser=deskapp\n")
    private(home / ".pgpass", f"127.0.0.1:{port}:desk:deskapp:{SECRET}\n")
    url_file("postgresql:///?service=teamdesk\n")
    code, out, err = run("init", home=home)
    assert code == 0, err
    code, out, err = run("users", "list", home=home)
    assert code == 0, err


def test_a_wrong_password_in_the_file_is_one_line_without_it(password_server):
    port = password_server
    url_file(f"postgresql://deskapp:not-{SECRET}@127.0.0.1:{port}/desk\n")
    code, out, err = run("init")
    line = one_line_error(code, out, err, "password authentication failed")
    assert SECRET not in line and f"deskapp:***@127.0.0.1:{port}" in line
    url_file(f"postgresql://deskapp:{SECRET}@127.0.0.1:{port}/desk\n")
    code, out, err = run("init")
    assert code == 0 and SECRET not in out + err, err
