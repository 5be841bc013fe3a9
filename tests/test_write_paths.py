"""Writes go through the action layer: the packages above it write no SQL of their own.

import-linter keeps the graph one way, but cannot tell a read from a write:
demo, supervision, live, the UI and the commands may read the store, yet every
INSERT/UPDATE/DELETE (and the bulk loader's DDL) lives in deskapp.store and is
called from deskapp.actions. This reads their source (AST, not text) for the
ways a write could be spelled.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "deskapp"
ABOVE_ACTIONS = ("tui", "supervision", "live", "demo", "mail", "commands")
WRITE_WORDS = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "DROP", "ALTER", "CREATE", "ATTACH", "REPLACE")
WRITE_BUILDERS = {"insert", "update", "delete"}
SESSION_WRITES = {"add", "add_all", "merge", "delete", "bulk_save_objects", "bulk_insert_mappings"}


def _sql_text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return ""


def writes_in(source: str) -> list[str]:
    """Each write found in one module's source, as 'line N: what'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("sqlalchemy", "sqlmodel")):
            names = {a.name for a in node.names} & WRITE_BUILDERS
            if names:
                found.append(f"line {node.lineno}: imports {', '.join(sorted(names))} from {node.module}")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m.split(".")[0] == "sqlite3" for m in modules):
                found.append(f"line {node.lineno}: imports sqlite3")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            if attr in ("execute", "exec_driver_sql", "executemany", "executescript") and node.args:
                words = _sql_text(node.args[0]).upper().split()
                if words and words[0] in WRITE_WORDS:
                    found.append(f"line {node.lineno}: {attr}({words[0]} ...)")
            owner = node.func.value
            if attr in SESSION_WRITES and isinstance(owner, ast.Name) and "session" in owner.id.lower():
                found.append(f"line {node.lineno}: {owner.id}.{attr}(...)")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "text" and node.args:
            words = _sql_text(node.args[0]).upper().split()
            if words and words[0] in WRITE_WORDS:
                found.append(f"line {node.lineno}: text({words[0]} ...)")
    return found


@pytest.mark.parametrize("package", ABOVE_ACTIONS)
def test_packages_above_actions_write_no_sql(package):
    problems = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for what in writes_in(path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(ROOT.parent)} {what}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("snippet", [
    "from sqlalchemy import insert\n",
    "import sqlite3\n",
    "conn.exec_driver_sql('DELETE FROM cases')\n",
    "conn.execute(text(f'UPDATE {t} SET x = 1'))\n",
    "session.add(row)\n",
    "with Session(e) as session:\n    session.delete(row)\n",
])
def test_the_check_can_fail(snippet):
    assert writes_in(snippet), snippet


def test_reads_pass():
    assert writes_in("conn.exec_driver_sql('SELECT COUNT(*) FROM cases')\nsession.get(Case, 1)\n") == []
