"""No two modules of deskapp import each other, however indirectly.

import-linter (tests/test_layers.py) keeps the packages one-way; this keeps the
modules one-way too, so each can be read, and tested, before the ones that use
it. Every import counts, including those inside functions: a lazy import still
ties the two files together. The graph is read with ast, so nothing is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Cycles being removed elsewhere, each a sorted tuple of module names. Empty this list as they land.
KNOWN_CYCLES: list[tuple[str, ...]] = [
    ("deskapp.store.queue", "deskapp.store.search"),  # the start-up rework (issue #16, item 2) removes it
]


def _modules(root: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """module name -> (file, is a package's __init__)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph(root: Path, package: str = "deskapp") -> dict[str, set[str]]:
    """module -> the package's modules it imports anywhere in its file (imports in functions too)."""
    modules = _modules(root, package)

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(known(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[:len(base) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                for alias in node.names:  # `from pkg import module` imports the module itself
                    full = f"{source}.{alias.name}"
                    targets.add(full if full in modules else known(source))
        targets.discard(None)
        targets.discard(name)
        graph[name] = targets  # type: ignore[assignment]
    return graph


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Each group of modules that import one another (a strongly connected component of two or more)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative so deep graphs cannot overflow
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(tuple(sorted(group)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _describe(group: tuple[str, ...], graph: dict[str, set[str]]) -> str:
    return "; ".join(f"{a} -> {', '.join(sorted(graph[a] & set(group)))}" for a in group)


def test_no_module_imports_itself_through_others():
    graph = import_graph(ROOT)
    unexpected = [_describe(group, graph) for group in cycles(graph) if group not in KNOWN_CYCLES]
    assert unexpected == [], "import cycles:\n" + "\n".join(unexpected)


def test_known_cycles_are_still_there():
    """A known cycle that is gone must leave the list, so it cannot come back unnoticed."""
    assert [group for group in KNOWN_CYCLES if group not in cycles(import_graph(ROOT))] == []


def test_a_cycle_is_found_and_named(tmp_path):
    """The check can fail: a lazy import inside a function closes a cycle, and the message names it."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("def f():\n    from ..c import g\n")
    (package / "c.py").write_text("import pkg.a\n")
    (package / "d.py").write_text("from pkg import a, c\n")
    graph = import_graph(tmp_path, "pkg")
    assert cycles(graph) == [("pkg.a", "pkg.c", "pkg.sub.b")]
    assert _describe(cycles(graph)[0], graph) == "pkg.a -> pkg.sub.b; pkg.c -> pkg.a; pkg.sub.b -> pkg.c"
