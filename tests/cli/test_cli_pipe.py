"""`deskapp … | head`: a reader that stops early ends the command quietly, as it does `cat`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def big_desk(tmp_path_factory):
    path = tmp_path_factory.mktemp("pipe") / "desk.db"
    env = {**os.environ, "DESKAPP_CONFIG_DIR": str(path.parent / "config")}
    subprocess.run([sys.executable, "-m", "deskapp", "demo", "--db", f"sqlite:///{path}", "--cases", "3000"],
                   check=True, capture_output=True, env=env, stdin=subprocess.DEVNULL, timeout=300)
    return f"sqlite:///{path}", env


def test_a_closed_pipe_is_no_traceback(big_desk):
    url, env = big_desk
    writer = subprocess.Popen([sys.executable, "-m", "deskapp", "cases", "list", "--db", url, "--limit", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, stdin=subprocess.DEVNULL)
    first = writer.stdout.readline()  # `head -1`
    writer.stdout.close()
    _out, err = writer.communicate(timeout=120)
    assert first.startswith(b"ref")
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode(errors="replace")
    assert err == b""
    assert writer.returncode == 141
