"""Read a policy or scenario file as a YAML node tree, so every problem can be reported as PATH:LINE:COL.

The "read" half of checking a file: size limit, UTF-8 (a BOM is dropped),
YAML syntax errors with their positions, and binary junk reported, never a
traceback. The "check" half is declared (policy/schema.py, core/declared.py);
what stays here is finding nodes again by key path and mapping a position
inside a scalar's text (a CEL expression in a folded block) back to the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_FILE_BYTES = 10 * 1024 * 1024
# libyaml's loader is ten times faster; node marks are the same (style '' means plain there).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Problems:
    """Collects `PATH:LINE:COL: message` lines for one file."""

    path: str
    items: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the source, to map positions inside scalars

    def add(self, where: Any, message: str) -> None:
        line, col = position(where)
        self.items.append(f"{self.path}:{line}:{col}: {message}")

    def add_at(self, line: int, col: int, message: str) -> None:
        self.items.append(f"{self.path}:{line}:{col}: {message}")

    def __bool__(self) -> bool:
        return bool(self.items)


def position(where: Any) -> tuple[int, int]:
    """1-based (line, column) of a node, a mark, or (line, col) tuple."""
    if where is None:
        return 1, 1
    if isinstance(where, tuple):
        return where
    mark = getattr(where, "start_mark", where)
    line = getattr(mark, "line", 0)
    col = getattr(mark, "column", 0)
    return line + 1, col + 1


def read_text(path: Path, problems: Problems) -> Optional[str]:
    """The file as text, or None with a problem (missing, unreadable, not UTF-8, too big)."""
    data = read_bytes(path, problems)
    return None if data is None else decode(data, problems)


def read_bytes(path: Path, problems: Problems) -> Optional[bytes]:
    """The file's exact bytes (what a pack's sha256 is over), or None with a problem."""
    try:
        if path.is_dir():
            problems.add_at(1, 1, "is a directory, not a YAML file")
            return None
        return path.read_bytes()
    except FileNotFoundError:
        problems.add_at(1, 1, "file not found")
        return None
    except OSError as exc:
        problems.add_at(1, 1, f"cannot read the file: {exc.strerror or exc}")
        return None


def decode(data: bytes, problems: Problems) -> Optional[str]:
    if len(data) > MAX_FILE_BYTES:
        problems.add_at(1, 1, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        problems.add_at(line, col, "not UTF-8 text (save the file as UTF-8)")
        return None


def compose(text: str, problems: Problems) -> Optional[Node]:
    """The document's node tree; None (with a problem) when it is not valid YAML or empty."""
    problems.lines = text.split("\n")
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.reader.ReaderError as exc:
        before = text[: max(0, exc.position)]
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        problems.add_at(line, col, f"invalid YAML: {exc.reason} (#x{exc.character:04x})"
                        if isinstance(exc.character, int) else f"invalid YAML: {exc.reason}")
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        problems.add(mark, f"invalid YAML: {what}")
        return None
    except yaml.YAMLError as exc:
        problems.add_at(1, 1, f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else 'unreadable'}")
        return None
    except RecursionError:
        problems.add_at(1, 1, "invalid YAML: nested too deeply")
        return None
    except Exception as exc:  # PyYAML can raise odd errors on binary junk
        problems.add_at(1, 1, f"invalid YAML: {type(exc).__name__}")
        return None
    return node


def short(text: str, n: int = 40) -> str:
    text = str(text).replace("\n", " ")
    return text if len(text) <= n else text[: n - 3] + "..."


def scalar_column(node: ScalarNode, line_in_value: int, col_in_value: int,
                  lines: Optional[list[str]] = None) -> tuple[int, int]:
    """File (line, col) of a position inside a scalar's text (1-based), as best as can be told.

    Exact for single-line plain and quoted scalars and for literal blocks (`|`);
    folded blocks (`>`) and multi-line plain scalars, which YAML joins into one
    line, are mapped back by walking their source lines.
    """
    line0, col0 = node.start_mark.line + 1, node.start_mark.column + 1
    style = node.style or None
    if lines is None:
        buffer = getattr(node.start_mark, "buffer", None)
        lines = buffer.split("\n") if buffer else []
    multiline = node.end_mark.line > node.start_mark.line
    if style in ("'", '"'):
        if line_in_value == 1 and not multiline:
            return line0, col0 + col_in_value
        return line0 + line_in_value - 1, col_in_value
    if style == "|" and lines:
        first = node.start_mark.line + 1  # 0-based index of the first content line
        if first < len(lines):
            indent = len(lines[first]) - len(lines[first].lstrip(" "))
            return first + line_in_value, indent + col_in_value
        return line0, col0
    if (style == ">" or (style is None and multiline)) and lines and line_in_value == 1:
        # (file line 1-based, file column 1-based of the segment's first char, segment text)
        segments: list[tuple[int, int, str]] = []
        if style == ">":
            first = node.start_mark.line + 1
            indent = len(lines[first]) - len(lines[first].lstrip(" ")) if first < len(lines) else 0
            for i in range(first, min(node.end_mark.line + 1, len(lines))):
                segments.append((i + 1, indent + 1, lines[i][indent:].rstrip()))
        else:
            l0 = node.start_mark.line
            segments.append((l0 + 1, col0, lines[l0][node.start_mark.column:].rstrip()))
            for i in range(l0 + 1, min(node.end_mark.line + 1, len(lines))):
                raw = lines[i]
                stripped = raw.lstrip(" ")
                segments.append((i + 1, len(raw) - len(stripped) + 1, stripped.rstrip()))
        remaining = col_in_value
        for file_line, file_col, seg in segments:
            if not seg:
                continue
            if remaining <= len(seg):
                return file_line, file_col + remaining - 1
            remaining -= len(seg) + 1  # the folded space
            if remaining <= 0:
                return file_line, file_col + len(seg)
        return line0, col0
    if style is None and line_in_value == 1:
        return line0, col0 + col_in_value - 1
    return line0 + line_in_value - 1, col_in_value


def node_at(root: Optional[Node], loc: tuple) -> Optional[Node]:
    """The node at a key path (the nearest one on the way when the path goes further than the file)."""
    node = root
    for part in loc:
        if isinstance(node, MappingNode):
            found = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == part), None)
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            found = node.value[part]
        else:
            found = None
        if found is None:
            return node
        node = found
    return node
