"""Storage modules import one another one way: a newcomer can read them bottom-up."""

from __future__ import annotations

import ast
from pathlib import Path

STORE = Path(__file__).resolve().parents[2] / "deskapp" / "store"


def _imports(source: str) -> set[str]:
    """deskapp.store modules a source imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "deskapp.store":
                found |= {f"deskapp.store.{alias.name}" for alias in node.names}
            elif node.module.startswith("deskapp.store."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("deskapp.store.")}
    return found


def _cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Each import cycle once, as the modules on it (depth-first search)."""
    cycles: set[tuple[str, ...]] = set()

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                loop = path[path.index(nxt):]
                start = loop.index(min(loop))
                cycles.add(tuple(loop[start:] + loop[:start]))
            elif len(path) < len(graph):
                visit(nxt, path + [nxt])

    for node in sorted(graph):
        visit(node, [node])
    return sorted(cycles)


def test_store_modules_have_no_import_cycles():
    graph = {f"deskapp.store.{path.stem}": _imports(path.read_text(encoding="utf-8"))
             for path in STORE.glob("*.py")}
    assert _cycles(graph) == []


def test_the_cycle_check_can_fail():
    graph = {"a": _imports("from deskapp.store import b\n"), "b": _imports("def f():\n    import deskapp.store.a\n")}
    assert graph == {"a": {"deskapp.store.b"}, "b": {"deskapp.store.a"}}
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [("a", "b", "c")]
