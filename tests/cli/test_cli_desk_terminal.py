"""`deskapp desk --as-key NAME` with no terminal: one line, exit 2, at once.

sshd runs the forced command for whatever the client asked: `ssh desk@host
some-command`, scp, sftp. None of those has a pty, and the desk must not sit
there drawing a screen into a pipe: it says it needs a terminal and ends.
tests/live/test_live_ssh.py shows the same through a real sshd.
"""

from __future__ import annotations

from test_cli_store import assert_one_line_error, run

from deskapp.cli import main
from deskapp.config import os_username


def keys(tmp_path) -> list[str]:
    """Never the real ~/.ssh/authorized_keys of the account running the tests."""
    return ["--authorized-keys", str(tmp_path / "authorized_keys")]


def test_forced_command_without_a_terminal_says_so_and_ends(db_url, desk_setting, capsys, tmp_path):
    assert main(["init", "--db", db_url]) == 0
    desk_setting(db_url, "service_account", os_username())  # this process is the service account
    assert main(["users", "add", "sam", "--db", db_url, *keys(tmp_path)]) == 0
    capsys.readouterr()
    code, out, err = run("desk", "--as-key", "sam", "--db", db_url, timeout=60)  # stdin is /dev/null
    assert_one_line_error(code, out, err, "the desk needs a terminal", "ssh")
    assert "\x1b[" not in out, "nothing was drawn"


def test_an_inactive_handler_is_told_that_first(db_url, desk_setting, capsys, tmp_path):
    assert main(["init", "--db", db_url]) == 0
    desk_setting(db_url, "service_account", os_username())
    assert main(["users", "add", "sam", "--db", db_url, *keys(tmp_path)]) == 0
    assert main(["users", "deactivate", "sam", "--db", db_url, *keys(tmp_path)]) == 0
    capsys.readouterr()
    code, out, err = run("desk", "--as-key", "sam", "--db", db_url, timeout=60)
    assert_one_line_error(code, out, err, "inactive")
