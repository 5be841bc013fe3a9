"""`deskapp users ...`, `--as` and `desk --as-key` as people run them: the OS account decides who acts.

The refusals that matter are checked with real `deskapp` processes (run);
set-up steps and the bad-input table run the same CLI in-process (cli), which
is much quicker on a busy machine.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import select
from sqlmodel import Session
from test_cli_store import assert_one_line_error, run

from deskapp.cli import main
from deskapp.config import os_username
from deskapp.store.engine import connect
from deskapp.store.models import AuditEvent

ME = os_username()
SPOOF = {"DESKAPP_USER": "admin", "LOGNAME": "admin", "USER": "admin", "USERNAME": "admin"}
SERVICE = "deskapp-svc"  # the desk's service account in these tests: not the OS account running them


@pytest.fixture
def cli(capsys):
    def call(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return call


@pytest.fixture
def desk(db_url, cli, desk_setting):
    """An initialised desk whose service account is someone else; returns a function to run `users ...`."""
    assert cli("init", "--db", db_url)[0] == 0
    desk_setting(db_url, "service_account", SERVICE)

    def ok(*args: str) -> str:
        code, out, err = cli(*args, "--db", db_url)
        assert code == 0, (args, err)
        return out
    return ok


def audit(url) -> list[tuple]:
    engine = connect(url)
    try:
        with Session(engine) as session:
            return [(e.actor, e.via, e.action, e.detail) for e in
                    session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()]
    finally:
        engine.dispose()


def listed(cli, url) -> dict[str, list[str]]:
    code, out, err = cli("users", "list", "--db", url)
    assert code == 0, err
    return {line.split()[0]: line.split()[1:] for line in out.splitlines()}


def test_the_environment_does_not_make_a_handler_an_admin(db_url, desk, cli):
    """The issue's attack: `DESKAPP_USER=admin deskapp users add mallory --role admin` by a plain handler."""
    desk("users", "add", ME)  # setting up: no admin yet
    desk("users", "add", "admin", "--role", "admin")
    code, out, err = run("users", "add", "mallory", "--role", "admin", "--db", db_url, env=SPOOF)
    assert_one_line_error(code, out, err, f"only an admin can add handlers and {ME} is a handler",
                          "ask an admin (admin)")
    assert "mallory" not in listed(cli, db_url)
    assert audit(db_url)[-1] == (ME, None, "users.refused", {"command": "add handlers", "target": "mallory"})
    code, out, err = run("--as", "admin", "users", "role", ME, "admin", "--db", db_url, env=SPOOF)
    assert_one_line_error(code, out, err, "--as admin: only an admin may act as another handler",
                          f"{ME} is a handler")
    assert listed(cli, db_url)[ME][0] == "handler"
    assert audit(db_url)[-1] == (ME, None, "identity.refused", {"as_name": "admin"})


def test_as_on_the_desk_is_refused_for_a_handler_and_recorded_for_an_admin(db_url, desk, cli):
    desk("users", "add", ME)
    desk("users", "add", "sam")
    code, out, err = run("--as", "sam", "--db", db_url)  # the desk itself: refused before the screen opens
    assert_one_line_error(code, out, err, "--as sam: only an admin may act as another handler", f"{ME} is a handler")
    assert audit(db_url)[-1] == (ME, None, "identity.refused", {"as_name": "sam"})
    desk("users", "add", "ada", "--role", "admin")
    assert cli("--as", "ada", "users", "role", ME, "admin", "--db", db_url)[0] == 2  # not a way to borrow ada
    # ada (the admin) makes the OS account an admin; from then on it may act as others, and it shows.
    from deskapp.actions import users
    from deskapp.actions.identity import Actor

    engine = connect(db_url)
    try:
        users.set_role(engine, Actor(username="ada"), ME, "admin")
    finally:
        engine.dispose()
    desk("--as", "ada", "users", "add", "lee")
    assert audit(db_url)[-1] == ("ada", ME, "users.add", {"username": "lee", "role": "handler",
                                                           "display_name": "lee"})


def test_as_key_is_refused_unless_the_os_account_is_the_service_account(db_url, desk, cli):
    desk("users", "add", "sam")
    code, out, err = run("desk", "--as-key", "sam", "--db", db_url)
    assert_one_line_error(code, out, err, f"--as-key is only for the desk's service account ({SERVICE}), "
                                          f"and {ME} is not it")
    assert audit(db_url)[-1] == (ME, None, "identity.refused", {"as_key": "sam", "service_account": SERVICE})
    with pytest.raises(SystemExit) as caught:  # only `deskapp desk` takes --as-key
        cli("--as-key", "sam", "--db", db_url)
    assert caught.value.code == 2


def test_a_deactivated_handler_cannot_open_the_desk(db_url, desk, cli):
    desk("users", "add", ME, "--role", "admin")
    desk("users", "add", "jo", "--role", "admin")
    desk("users", "add", "sam")
    assert desk("users", "deactivate", "sam").startswith("sam is inactive")
    desk("--as", "jo", "users", "deactivate", ME)  # an admin acting as another admin: both names recorded
    assert audit(db_url)[-1] == ("jo", ME, "users.deactivate", {"username": ME})
    code, out, err = run("--db", db_url)
    assert_one_line_error(code, out, err, f"handler '{ME}' is inactive: ask an admin to reactivate the account")
    assert audit(db_url)[-1] == (ME, None, "desk.refused", {"why": "inactive"})
    assert listed(cli, db_url)["sam"][:2] == ["handler", "inactive"]


def test_bad_input_is_one_line_and_writes_nothing(db_url, desk, cli, tmp_path):
    desk("users", "add", ME, "--role", "admin")
    garbage = tmp_path / "sam.pub"
    garbage.write_text("# sam's key\nssh-ed25519 this-is-not-base64!\n")
    private = tmp_path / "id_sam"
    private.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n")
    before = audit(db_url)
    keys = ["--authorized-keys", str(tmp_path / "authorized_keys")]
    code, out, err = run("users", "add", "sam", "--key", str(garbage), "--db", db_url, *keys)
    assert_one_line_error(code, out, err, f"{garbage}:2: the key data is not base64")
    for args, needle in [
        (["users", "add", "sam", "--key", str(private), *keys], f"{private}:1: this is a private key"),
        (["users", "add", "sam", "--key", str(tmp_path / "missing.pub"), *keys], "missing.pub: cannot read it"),
        (["users", "add", "sam", "--role", "boss"], "role 'boss' is not one of: handler, supervisor, admin"),
        (["users", "role", "nobody", "admin"], "'nobody' is not a deskapp handler"),
        (["users", "role", ME, "boss"], "role 'boss' is not one of"),
        (["users", "deactivate", "nobody", *keys], "'nobody' is not a deskapp handler"),
        (["users", "key", "add", "nobody", str(garbage), *keys], f"{garbage}:2:"),
        (["users", "key", "remove", ME, "SHA256:nope", *keys], f"{ME} has no key SHA256:nope"),
        (["users", "key", "add", ME, str(garbage)], f"{garbage}:2:"),
        (["--as", "nobody", "users", "add", "sam"], "--as 'nobody': not a deskapp handler"),
    ]:
        code, out, err = cli(*args, "--db", db_url)
        assert code == 2 and err.count("\n") == 1 and err.startswith("deskapp: ") and needle in err, (args, err)
    assert "sam" not in listed(cli, db_url) and not (tmp_path / "authorized_keys").exists()
    assert audit(db_url) == before


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen (OpenSSH) is not installed")
def test_keys_through_the_command(sqlite_url, cli, tmp_path):
    for name in ("sam", "sam2"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@laptop", "-f",
                        str(tmp_path / name)], check=True)
    keys = tmp_path / "ssh" / "authorized_keys"
    keys.parent.mkdir()
    keys.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBB the-operator\n")
    db = ["--db", sqlite_url, "--authorized-keys", str(keys)]

    def ok(*args):
        code, out, err = cli(*args)
        assert code == 0, (args, err)
        return out

    ok("init", "--db", sqlite_url)
    ok("users", "add", ME, "--role", "admin", "--db", sqlite_url)
    code, out, err = run("users", "add", "sam", "--key", str(tmp_path / "sam.pub"), "--name", "Sam Okafor", *db)
    assert code == 0, err
    fingerprint = out.split("with key ")[1].strip()
    said = subprocess.run(["ssh-keygen", "-lf", str(tmp_path / "sam.pub")], capture_output=True, text=True).stdout
    assert said.split()[1] == fingerprint
    ok("users", "key", "add", "sam", str(tmp_path / "sam2.pub"), *db)
    assert listed(cli, sqlite_url)["sam"][:4] == ["handler", "active", "2", "keys"]
    lines = keys.read_text().splitlines()
    assert lines[0] == "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBB the-operator"
    assert len(lines) == 3 and all(line.startswith('restrict,pty,command="') and " desk --as-key sam\" " in line
                                   and line.endswith(" deskapp:sam") for line in lines[1:])
    assert ok("users", "key", "list", "sam", "--db", sqlite_url).startswith(f"{fingerprint}  ssh-ed25519  sam@laptop")
    ok("users", "key", "remove", "sam", fingerprint, *db)
    assert len(keys.read_text().splitlines()) == 2
    assert fingerprint not in ok("users", "key", "list", "sam", "--db", sqlite_url)
    ok("users", "deactivate", "sam", *db)
    assert keys.read_text() == "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBB the-operator\n"
    assert [a for _actor, _via, a, _detail in audit(sqlite_url)] == [
        "policy.publish", "users.add", "users.add", "users.key.add", "users.key.remove", "users.deactivate"]
