"""The bench scripts still run end to end (on a tiny database), so they do not rot between releases.

Figures are not checked against targets here (a CI machine is no benchmark);
only that every script finishes, prints its table and measures what it says
it measures: a first screen, each key, memory, bytes per keystroke.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"

pytestmark = [pytest.mark.slow]


def _run(args: list[str], timeout: float, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("DESKAPP_DB", None)
    env["DESKAPP_CONFIG_DIR"] = str(cwd / "config")
    env["DESKAPP_DATA_DIR"] = str(cwd / "data")
    env["DESKAPP_CACHE_DIR"] = str(cwd / "cache")
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
    assert done.returncode == 0, f"{args[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def desk_run(tmp_path_factory):
    """desk_bench.py on a 2,000-case database it loads itself (kept, for the other scripts)."""
    if not shutil.which("tmux"):
        pytest.skip("desk_bench.py drives deskapp in tmux, which is not installed")
    work = tmp_path_factory.mktemp("bench")
    url = f"sqlite:///{work / 'tiny.db'}"
    out = work / "figures.json"
    done = _run([str(BENCH / "desk_bench.py"), "--cases", "2000", "--db", url, "--repeat", "1", "--keys", "3", "--quick",
                 "--no-vd", "--no-policy", "--json", str(out)], timeout=300, cwd=work)
    return url, done.stdout, json.loads(out.read_text())


@pytest.mark.tmux
def test_desk_bench_measures_every_figure(desk_run):
    _url, stdout, figures = desk_run
    assert "first screen, whole process (tmux)" in stdout and "problems:" not in stdout, stdout[-3000:]
    sqlite = figures["SQLite"]
    assert sqlite["database"]["load_seconds"] > 0 and sqlite["database"]["cases"] >= 2000
    (run,) = sqlite["tmux"]
    assert not run["error"], run["error"]
    for key in ("first", "first_cpu", "end", "home", "filter", "search_name", "search_ref", "rss_kib"):
        assert run[key] and run[key] > 0, key
    assert len(run["page_down"]) == 1
    # The first start after a rules change (rules checked in full) is measured apart from the quick ones.
    careful = sqlite["first_start_rules_checked"]
    assert not careful["error"] and careful["first"] > 0
    assert "first start after a rules change" in stdout
    pilot = sqlite["pilot"]
    assert not pilot["error"], pilot["error"]
    assert pilot["mount_to_rows"] > 0 and pilot["end"] and pilot["search_ref"]
    for term in ("xterm-256color", "xterm"):
        counted = figures["bytes"][term]
        assert not counted["error"], counted["error"]
        # A cursor move redraws something, and less than a whole screen of cells.
        assert 0 < counted["move_redraw"] < 120 * 40 * 4
        assert counted["page_total"] >= counted["page_redraw"] > 0
        # Down held (key repeat): every byte until the desk is quiet, the case shown at rest included.
        assert counted["held_moves"] > 0 and 0 < counted["held_move"] < 120 * 40 * 4
    # The first screen's byte count is printed for both terminals but not compared: what is on it at
    # the moment of measuring (a queue still loading, a notice) moves with machine load.
    assert all(figures["bytes"][t]["first_screen"] > 0 for t in ("xterm", "xterm-256color"))


def test_queue_bench_runs(desk_run, tmp_path):
    url, _stdout, _figures = desk_run
    done = _run([str(BENCH / "queue_bench.py"), "--db", url, "--repeat", "1"], timeout=120, cwd=tmp_path)
    assert "End" in done.stdout and "PageDown" in done.stdout


def test_policy_bench_runs(tmp_path):
    done = _run([str(BENCH / "policy_bench.py"), "--repeat", "3"], timeout=120, cwd=tmp_path)
    assert "all kinds" in done.stdout and "pack.deadlines()" in done.stdout


@pytest.mark.tmux
def test_startup_trace_runs(desk_run, tmp_path):
    url, _stdout, _figures = desk_run
    done = _run([str(BENCH / "startup_trace.py"), "--db", url, "--repeat", "1"], timeout=120, cwd=tmp_path)
    assert "first frame with rows written to the terminal" in done.stdout


def test_demo_load_bench_runs(tmp_path):
    if not (BENCH / "demo_load.py").exists():
        pytest.skip("bench/demo_load.py is not in this checkout")
    done = _run([str(BENCH / "demo_load.py"), "--cases", "500"], timeout=120, cwd=tmp_path)
    assert "cases" in done.stdout


@pytest.mark.tmux
def test_first_screen_in_turn_runs(desk_run, tmp_path):
    """--only first: each program launched in turn (here the same checkout twice, as a before/after)."""
    url, _stdout, _figures = desk_run
    out = tmp_path / "first.json"
    done = _run([str(BENCH / "desk_bench.py"), "--db", url, "--only", "first", "--repeat", "2", "--against", str(ROOT),
                 "--json", str(out)], timeout=180, cwd=tmp_path)
    race = json.loads(out.read_text())["first_screen"]
    assert set(race) >= {"deskapp", f"deskapp from {ROOT}"}, race
    for name in ("deskapp", f"deskapp from {ROOT}"):
        assert len(race[name]) == 2 and all(seconds > 0 for seconds, _cpu in race[name]), race
    assert "launched in turn 2 times" in done.stdout


def test_audit_verify_bench_runs(tmp_path):
    """bench/audit_verify.py builds a small desk, fills its log and measures verify (seconds, peak RSS)."""
    out = tmp_path / "verify.json"
    done = _run([str(BENCH / "audit_verify.py"), "--cases", "300", "--events", "1500", "--json", str(out)],
                timeout=180, cwd=tmp_path)
    figures = json.loads(out.read_text())
    assert figures["exit"] == 0, figures["output"]
    assert figures["events"] == 1500 and figures["cases"] == 308
    assert figures["seconds"] > 0 and figures["peak_rss_kib"] > 0
    assert "rows match their recorded digests" in figures["output"] and "peak RSS" in done.stdout


def test_ssh_bytes_measures_all_four_runs_over_real_ssh(tmp_path):
    """bench/ssh_bytes.py: lean and plain, with and without compression, over a private sshd."""
    if not (shutil.which("sshd") or Path("/usr/sbin/sshd").exists()) or not shutil.which("ssh"):
        pytest.skip("bench/ssh_bytes.py needs openssh-server and openssh-client")
    out = tmp_path / "ssh.json"
    done = _run([str(BENCH / "ssh_bytes.py"), "--cases", "200", "--json", str(out)], timeout=600, cwd=tmp_path)
    runs = {(r["lean"], r["compression"]): r for r in json.loads(out.read_text())}
    assert set(runs) == {(True, True), (True, False), (False, True), (False, False)}
    total = {config: sum(r["down"].values()) for config, r in runs.items()}
    for config, run in runs.items():
        assert not run["error"] and all(run["down"][step] > 0 for step in ("open desk", "20 Down", "3 PageDown"))
        assert abs(run["ssh_received"] - total[config]) < 0.1 * total[config], (config, run)  # ssh -v agrees
    assert total[True, False] < total[False, False] and total[True, True] < total[True, False]
    assert "| **whole session** |" in done.stdout
