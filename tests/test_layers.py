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
