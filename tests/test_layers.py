"""The package graph stays one-way: import-linter's contracts in pyproject.toml must hold."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _lint_imports() -> list[str]:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is not installed: install deskapp with its test extras (pip install -e '.[test]')")
    return [found]


def test_import_contracts_are_kept():
    done = subprocess.run([*_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_a_forbidden_import_is_caught(tmp_path):
    """The check can fail: a UI module that imports the store breaks a contract."""
    bad = ROOT / "deskapp" / "tui" / "_layer_probe_tmp.py"
    bad.write_text("from deskapp.store import models  # noqa: F401\n")
    try:
        done = subprocess.run([*_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
    finally:
        bad.unlink()
    assert done.returncode != 0
    assert "deskapp.tui._layer_probe_tmp -> deskapp.store.models" in done.stdout


def _tui_reaches_the_database(source: str) -> list[str]:
    """Places in UI code that reach the database themselves: a desk's engine or session."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("engine", "session"):
            found.append(f"line {node.lineno}: .{node.attr}")
        if isinstance(node, ast.Constant) and node.value in ("engine", "session"):
            found.append(f"line {node.lineno}: {node.value!r}")
    return found


def test_the_ui_never_touches_the_desks_engine_or_session():
    """The UI hands the desk to actions and live; it never opens the database itself."""
    problems = {}
    for path in sorted((ROOT / "deskapp" / "tui").rglob("*.py")):
        found = _tui_reaches_the_database(path.read_text(encoding="utf-8"))
        if found:
            problems[str(path.relative_to(ROOT))] = found
    assert problems == {}


def test_the_engine_check_can_fail():
    assert _tui_reaches_the_database("def f(desk):\n    return desk.engine\n") == ["line 2: .engine"]
    assert _tui_reaches_the_database("getattr(desk, 'session')()\n") == ["line 1: 'session'"]
