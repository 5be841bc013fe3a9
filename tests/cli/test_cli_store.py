"""The store's commands as people run them: real `deskapp` processes, one-line errors, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from deskapp.cli import main
from deskapp.config import os_username
from deskapp.store.engine import connect


def run(*args, env=None, timeout=120):
    """Run `python -m deskapp ARGS` the way a terminal would; returns (code, stdout, stderr)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "deskapp", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr


def assert_one_line_error(code, out, err, *needles):
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("deskapp: ")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


# --------------------------------------------------------------------------- bad databases (subprocess)


@pytest.mark.parametrize("url", ["garbage", "mysql://root@localhost/desk", "postgresql://u:pw@127.0.0.1:1/desk"])
@pytest.mark.parametrize("command", [["init"], ["demo", "--cases", "1"], ["users", "list"]])
def test_bad_db_url_is_one_line_exit_2(url, command):
    code, out, err = run("--db", url, *command)
    assert_one_line_error(code, out, err)
    assert "pw@" not in err


def test_unreachable_server_names_the_url():
    code, out, err = run("init", "--db", "postgresql://desk@127.0.0.1:1/desk")
    assert_one_line_error(code, out, err, "postgresql://desk@127.0.0.1:1/desk")


def test_db_path_is_a_folder(tmp_path):
    code, out, err = run("init", "--db", f"sqlite:///{tmp_path}")
    assert_one_line_error(code, out, err, "is a folder")


def test_uninitialised_database_says_run_init(tmp_path):
    code, out, err = run("users", "list", "--db", f"sqlite:///{tmp_path}/new.db")
    assert_one_line_error(code, out, err, "deskapp init")


# --------------------------------------------------------------------------- the happy path (subprocess)


def test_init_demo_users_on_both_engines(db_url):
    code, out, err = run("init", "--db", db_url)
    assert code == 0, err
    assert out.startswith("initialised ") and "at revision" in out
    code, out, _ = run("init", "--db", db_url)
    assert code == 0 and "up to date" in out

    me = os_username()  # the demo adds the OS account running it, whatever the environment says
    code, out, err = run("demo", "--cases", "25", "--today", "2026-03-10", "--db", db_url,
                         env={"DESKAPP_USER": "tester"})  # ignored: the OS account is who runs it
    assert code == 0, err
    assert "loaded 34 cases" in out and " s" in out.splitlines()[-1]
    assert f"added handlers: {me}, sam, jo, priya, admin" in out

    code, out, err = run("demo", "--db", db_url)
    assert_one_line_error(code, out, err, "already holds 34 cases", "--force")

    code, out, err = run("demo", "--if-empty", "--db", db_url)
    assert code == 0 and "already holds 34 cases: left as it is" in out, err

    # --force is an admin's; the person who ran the demo is a handler (DESKAPP_USER changes nothing)
    code, out, err = run("demo", "--force", "--cases", "3", "--db", db_url, env={"DESKAPP_USER": "admin"})
    assert_one_line_error(code, out, err, f"{me} is a handler: wiping a demo desk (demo --force) needs an admin")
    code, out, err = run("audit", "verify", "--db", db_url)
    # init publishing the rules, the demo's 65 and its demo.rows event (the rows' digests), the refusal
    assert code == 0 and "69 events checked" in out and "rows match their recorded digests" in out, (out, err)

    # The demo made an admin: from now on only an admin adds handlers (on a demo desk, `--as admin`).
    code, out, err = run("users", "add", "lee", "--db", db_url)
    assert_one_line_error(code, out, err, f"only an admin can add handlers and {me} is a handler")
    code, out, err = run("--as", "admin", "users", "add", "lee", "--role", "supervisor", "--name", "Lee Price",
                         "--db", db_url)
    assert code == 0 and "added lee (Lee Price) as supervisor" in out, err
    code, out, err = run("--as", "admin", "users", "add", "lee", "--db", db_url)
    assert_one_line_error(code, out, err, "already exists")
    code, out, err = run("users", "list", "--db", db_url)
    assert code == 0
    listed = {line.split()[0]: line.split()[1] for line in out.splitlines()}
    assert listed["lee"] == "supervisor" and listed["priya"] == "supervisor" and listed[me] == "handler"


def test_demo_initialises_a_new_database(tmp_path):
    url = f"sqlite:///{tmp_path}/fresh/desk.db"
    code, out, err = run("demo", "--cases", "5", "--db", url)
    assert code == 0, err
    assert out.splitlines()[0].startswith("initialised sqlite:///")
    assert (tmp_path / "fresh" / "desk.db").is_file()


def test_the_readme_demo_makes_a_demo_desk_that_opens_as_you(tmp_path):
    """`deskapp demo --if-empty && deskapp`: the new database is a demo desk, the OS account running it is
    a handler (role handler) beside the demo's supervisor and admin, and the desk opens for them."""
    from deskapp.actions import open_desk
    from deskapp.store.settings import is_demo

    url = f"sqlite:///{tmp_path}/desk.db"
    code, out, err = run("demo", "--if-empty", "--db", url)
    assert code == 0, err
    engine = connect(url)
    try:
        assert is_demo(engine)
    finally:
        engine.dispose()
    desk = open_desk(url, None, os_username())
    try:
        assert (desk.me.username, desk.me.role) == (os_username(), "handler")
    finally:
        desk.close()
    code, out, err = run("demo", "--if-empty", "--db", url)
    assert code == 0 and "left as it is" in out, err


def test_default_database_lives_in_the_data_folder(_private_home):
    code, out, err = run("init")
    assert code == 0, err
    assert (_private_home / "data" / "deskapp.db").is_file()
    assert str(_private_home / "data" / "deskapp.db") in out


def test_deskapp_db_environment_variable(tmp_path):
    code, out, err = run("init", env={"DESKAPP_DB": f"sqlite:///{tmp_path}/env.db"})
    assert code == 0, err
    assert (tmp_path / "env.db").is_file()
    # --db beats the environment
    code, out, err = run("init", "--db", f"sqlite:///{tmp_path}/opt.db", env={"DESKAPP_DB": "garbage"})
    assert code == 0, err


# --------------------------------------------------------------------------- argument errors (in-process)


@pytest.fixture
def initialised(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/desk.db"
    assert main(["init", "--db", url]) == 0
    capsys.readouterr()
    return url


@pytest.mark.parametrize("args", [
    ["demo", "--cases", "-5"],
    ["demo", "--cases", "many"],
    ["demo", "--today", "10/03/2026"],
    ["demo", "--seed", "x"],
    ["users", "key", "add", "bob"],
])
def test_argument_errors_exit_2(initialised, args, capsys):
    with pytest.raises(SystemExit) as caught:
        main([*args, "--db", initialised])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error:" in err


@pytest.mark.parametrize("name", ["has space", "1abc", "x" * 40, "a;b", "Ünïcode"])
def test_bad_username_exit_2(initialised, name, capsys):
    assert main(["users", "add", name, "--db", initialised]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("deskapp: username")


def test_unknown_role_is_one_line(initialised, capsys):
    assert main(["users", "add", "bob", "--role", "boss", "--db", initialised]) == 2
    err = capsys.readouterr().err
    assert err == "deskapp: role 'boss' is not one of: handler, supervisor, admin\n"


def test_cases_accepts_separators(initialised, capsys):
    assert main(["demo", "--cases", "1_000", "--db", initialised]) == 0
    assert "1,009 cases" in capsys.readouterr().out


def test_empty_users_list(initialised, capsys):
    assert main(["users", "list", "--db", initialised]) == 0
    assert "no handlers yet" in capsys.readouterr().out
