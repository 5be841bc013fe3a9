"""Read YAML with line numbers, so every problem can be reported as PATH:LINE:COL: message.

Why nodes, not plain data: PyYAML's safe_load forgets where values came from
and reads the key `on` as the boolean True. Walking the composed node tree
keeps each value's position and its text exactly as written, and a validator
only descends into the shapes it expects, so hostile input (deep nesting,
alias bombs, binary junk) ends as a reported problem, never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Optional

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from deskapp.core.declared import did_you_mean

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


def in_file_order(items: list[str]) -> list[str]:
    """Problems sorted by line and column (checks that run later add theirs at the end)."""
    def key(line: str):
        m = re.match(r".*?:(\d+):(\d+): ", line)
        return (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    return sorted(items, key=key)


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


def kind_name(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"'{short(node.value)}'" if isinstance(node, ScalarNode) and node.value != "" else "empty"


def short(text: str, n: int = 40) -> str:
    text = str(text).replace("\n", " ")
    return text if len(text) <= n else text[: n - 3] + "..."


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and not node.style and node.value in ("", "~", "null", "Null", "NULL")


def mapping(node: Node, problems: Problems, what: str) -> Optional[list[tuple[str, Node, Node]]]:
    """(key text, key node, value node) of a mapping; duplicate or non-text keys are problems."""
    if not isinstance(node, MappingNode):
        problems.add(node, f"{what} must be a mapping of keys to values, not {kind_name(node)}")
        return None
    out: list[tuple[str, Node, Node]] = []
    seen: dict[str, Node] = {}
    for k, v in node.value:
        if not isinstance(k, ScalarNode):
            problems.add(k, f"{what}: keys must be plain words, not {kind_name(k)}")
            continue
        if k.tag == "tag:yaml.org,2002:merge" or k.value == "<<":
            problems.add(k, f"{what}: '<<' merge keys are not supported; write the keys out")
            continue
        key = k.value
        if key in seen:
            line, _ = position(seen[key])
            problems.add(k, f"{what}: duplicate key '{key}' (first given on line {line})")
            continue
        seen[key] = k
        out.append((key, k, v))
    return out


def check_keys(
    items: list[tuple[str, Node, Node]],
    allowed: Iterable[str],
    problems: Problems,
    what: str,
    required: Iterable[str] = (),
    parent: Optional[Node] = None,
) -> dict[str, tuple[Node, Node]]:
    """Map of known key -> (key node, value node); unknown keys get a did-you-mean."""
    allowed = list(allowed)
    found: dict[str, tuple[Node, Node]] = {}
    for key, k, v in items:
        if key not in allowed:
            problems.add(k, f"{what}: unknown key '{short(key)}'{did_you_mean(key, allowed)}")
            continue
        found[key] = (k, v)
    for key in required:
        if key not in found:
            problems.add(parent, f"{what}: missing required key '{key}'")
    return found


def sequence(node: Node, problems: Problems, what: str, allow_scalar: bool = False) -> Optional[list[Node]]:
    """Items of a list (a lone scalar counts as a one-item list when allow_scalar)."""
    if isinstance(node, SequenceNode):
        return list(node.value)
    if allow_scalar and isinstance(node, ScalarNode) and not is_null(node):
        return [node]
    problems.add(node, f"{what} must be a list, not {kind_name(node)}")
    return None


_MISSING = object()


def text(node: Node, problems: Problems, what: str, allow_empty: bool = True) -> Optional[str]:
    if not isinstance(node, ScalarNode):
        problems.add(node, f"{what} must be text, not {kind_name(node)}")
        return None
    if is_null(node):
        if allow_empty:
            return ""
        problems.add(node, f"{what} must not be empty")
        return None
    value = node.value
    if not allow_empty and not value.strip():
        problems.add(node, f"{what} must not be empty")
        return None
    return value


def integer(node: Node, problems: Problems, what: str, minimum: Optional[int] = None, maximum: Optional[int] = None) -> Optional[int]:
    if not isinstance(node, ScalarNode) or not re.fullmatch(r"[+-]?\d{1,12}", node.value.strip() or "x"):
        problems.add(node, f"{what} must be a whole number, not {kind_name(node)}")
        return None
    value = int(node.value)
    if minimum is not None and value < minimum:
        problems.add(node, f"{what} must be at least {minimum}, not {value}")
        return None
    if maximum is not None and value > maximum:
        problems.add(node, f"{what} must be at most {maximum}, not {value}")
        return None
    return value


_TRUE = {"true", "yes", "on", "y"}
_FALSE = {"false", "no", "off", "n"}


def boolean(node: Node, problems: Problems, what: str) -> Optional[bool]:
    if isinstance(node, ScalarNode):
        low = node.value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    problems.add(node, f"{what} must be true or false, not {kind_name(node)}")
    return None


def choice(node: Node, problems: Problems, what: str, choices: Iterable[str]) -> Optional[str]:
    choices = list(choices)
    value = text(node, problems, what, allow_empty=False)
    if value is None:
        return None
    if value not in choices:
        problems.add(node, f"{what}: unknown value '{short(value)}'{did_you_mean(value, choices)}; "
                           f"expected one of: {', '.join(choices)}")
        return None
    return value


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,6})?)?")


def a_datetime(node: Node, problems: Problems, what: str) -> Optional[datetime]:
    """Local time like 2026-03-10T11:00 (a bare date means midnight). Time zones are refused."""
    value = text(node, problems, what, allow_empty=False)
    if value is None:
        return None
    value = value.strip()
    if _DATE.fullmatch(value):
        try:
            return datetime.fromisoformat(value + "T00:00")
        except ValueError as exc:
            problems.add(node, f"{what}: {exc}")
            return None
    if re.fullmatch(r".+(Z|[+-]\d{2}:?\d{2})", value) and _DATETIME.match(value):
        problems.add(node, f"{what}: times are local; drop the time zone ('{short(value)}')")
        return None
    if not _DATETIME.fullmatch(value):
        problems.add(node, f"{what} must be a local date and time like 2026-03-10T11:00, not '{short(value)}'")
        return None
    try:
        return datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError as exc:
        problems.add(node, f"{what}: {exc}")
        return None


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
