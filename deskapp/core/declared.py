"""Where a declared shape was broken: pydantic errors as `FILE:LINE:COL: field: message` lines.

deskapp's files (policies.yaml, themes, config.yaml, import files) are declared
as pydantic models; pydantic says *what* is wrong and at which key path
(`("rules", 3, "when")`), but not where in the file. Each source format keeps a
map from key paths to positions — YAML node marks, a JSON scan, CSV rows —
and this one module turns a ValidationError into lines a person can act on,
with one did-you-mean for every misspelt key or choice.
"""

from __future__ import annotations

import bisect
import difflib
import json
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Mapping, Optional, Protocol, Union

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Loc = tuple[Union[str, int], ...]
_SHOWN_BADLY = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True, order=True)
class Spot:
    """A 1-based position; col 0 when only the line is known (a CSV row, a JSON case)."""

    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, printed on one line."""

    file: str
    spot: Spot
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.spot.line:
            where += f":{self.spot.line}" + (f":{self.spot.col}" if self.spot.col else "")
        text = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        return _SHOWN_BADLY.sub("?", text)


class SourceMap(Protocol):
    def at(self, loc: Loc) -> Spot: ...  # where the value at loc starts

    def key_at(self, loc: Loc) -> Spot: ...  # where its key is written (for "unknown key")


class Spots(dict):
    """Key path -> Spot, filled by a reader; a path not recorded takes its nearest recorded parent's spot."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[Loc, Spot] = {}

    def at(self, loc: Loc) -> Spot:
        loc = tuple(loc)
        while loc not in self and loc:
            loc = loc[:-1]
        return self.get(loc, Spot(1, 1))

    def key_at(self, loc: Loc) -> Spot:
        return self.keys.get(tuple(loc)) or self.at(loc)

    def has(self, loc: Loc) -> bool:
        return tuple(loc) in self


def did_you_mean(word: Any, choices: Iterable[Any], quoted: bool = True) -> str:
    """` (did you mean 'x'?)` for the closest choice, or "" when none is close.

    `quoted=False` gives ` (did you mean x?)`: the import files' messages name columns and fields bare.
    """
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    if not close:
        return ""
    return f" (did you mean {close[0]!r}?)" if quoted else f" (did you mean {close[0]}?)"


def dotted(loc: Loc) -> str:
    """`rules[3].when` from ("rules", 3, "when")."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems(exc: ValidationError, where: SourceMap, file: str, model: Optional[type[BaseModel]] = None,
             prefix: Loc = (), field_name=dotted,
             words: Optional[typing.Callable[[Mapping[str, Any], Loc], Optional[str]]] = None) -> list[Problem]:
    """Each error of `exc` as a Problem at its place in the file, in file order.

    `model` (the class validated) lets unknown keys and bad choices suggest the
    nearest allowed word; `prefix` is where the validated data sits in the file.
    `words(error, loc)` may word an error itself (a file whose messages people
    already know); when it returns None, `explain` words it.
    """
    out = []
    for error in exc.errors(include_url=False):
        loc = _file_path(error["loc"], where, prefix)
        full = prefix + loc
        message = (words(error, loc) if words else None) or explain(error, model, loc)
        spot = where.key_at(full) if error["type"] == "extra_forbidden" else where.at(full)
        out.append(Problem(file, spot, field_name(full), message))
    return sorted(out, key=lambda p: p.spot)


def _file_path(loc: Loc, where: SourceMap, prefix: Loc) -> Loc:
    """The error's key path with pydantic's union branch names ("int", "function-after[...]") taken out.

    A branch-like word is dropped only when the file has no key of that name
    there, so a real key called `date`, `list` or `a[1]` stays in the path.
    """
    out: Loc = ()
    has = getattr(where, "has", None)
    for part in loc:
        branch_like = isinstance(part, str) and ("[" in part or part in _BRANCHES)
        if branch_like and not (has and has(prefix + out + (part,))):
            continue
        out += (part,)
    return out


_BRANCHES = {"int", "str", "float", "bool", "dict", "list", "none", "date", "datetime", "decimal", "bytes"}


def explain(error: Mapping[str, Any], model: Optional[type[BaseModel]] = None, loc: Loc = ()) -> str:
    """A pydantic error in plain words; our own validators' messages pass through as written."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return "missing (required)"
    if kind == "extra_forbidden":
        allowed = _keys_at(model, loc[:-1]) if model else []
        return "unknown key" + did_you_mean(loc[-1] if loc else "", allowed)
    if kind in ("literal_error", "enum"):
        allowed = _choices_at(model, loc) if model else []
        shown = ", ".join(str(c) for c in allowed) if allowed else ctx.get("expected", "")
        return f"{_short(value)!r} is not one of: {shown}" + did_you_mean(value, allowed)
    return str(error["msg"])


def allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the mapping at `loc` inside `model` may have (for a did-you-mean)."""
    return _keys_at(model, loc)


def allowed_choices(model: type[BaseModel], loc: Loc) -> list[Any]:
    """The values a Literal or Enum at `loc` inside `model` may take."""
    return _choices_at(model, loc)


def _short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _annotation_at(model: type[BaseModel], loc: Loc) -> Any:
    """The type annotation a key path leads to inside `model` (None when it cannot be followed)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part) if isinstance(part, str) else None
            if field is None and isinstance(part, str):
                field = next((f for f in current.model_fields.values() if f.alias == part), None)
            if field is None:
                return None
            current = field.annotation
        else:
            args = typing.get_args(current)
            origin = typing.get_origin(current)
            if origin in (list, tuple, set, frozenset) and args:
                current = args[0]
            elif origin is dict and len(args) == 2:
                current = args[1]
            else:
                return None
    return current


def _unwrap(annotation: Any) -> Any:
    """Optional[X] / Annotated[X, ...] -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


def _keys_at(model: type[BaseModel], loc: Loc) -> list[str]:
    inner = _unwrap(_annotation_at(model, loc))
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return [f.alias or name for name, f in inner.model_fields.items()]
    return []


def _choices_at(model: type[BaseModel], loc: Loc) -> list[Any]:
    inner = _unwrap(_annotation_at(model, loc))
    if typing.get_origin(inner) is Literal:
        return list(typing.get_args(inner))
    if isinstance(inner, type) and hasattr(inner, "__members__"):
        return [m.value for m in inner]  # an Enum
    return []


# ----------------------------------------------------------------------------- YAML


def yaml_tree(node: Optional[Node], typed: bool = False,
              max_values: Optional[int] = 200_000) -> tuple[Any, Spots, list[tuple[Spot, str]]]:
    """Plain data, each value's Spot, and structural problems (duplicate / non-text keys) of a node tree.

    Keys stay the text written (`on` is "on", not True). Scalars stay text too
    unless `typed` (pydantic's lax mode reads "5", "true", "2026-01-02" into the
    declared type), so a phrase like `no` is never silently a boolean; an empty
    or `null`/`~` plain scalar is None. `max_values` bounds the values built, so
    aliases repeated into a billion values end as one problem, not a hang.
    """
    spots, bad = Spots(), []
    built = [0]
    constructor = yaml.SafeLoader("") if typed else None

    def spot(n: Node) -> Spot:
        return Spot(n.start_mark.line + 1, n.start_mark.column + 1)

    def build(n: Node, loc: Loc, depth: int) -> Any:
        built[0] += 1
        if max_values is not None and built[0] > max_values:
            if built[0] == max_values + 1:
                bad.append((spot(n), f"more than {max_values} values (an alias repeated too often?)"))
            return None
        spots[loc] = spot(n)
        if depth > 100:
            bad.append((spot(n), "nested too deeply"))
            return None
        if isinstance(n, ScalarNode):
            if n.style in ("", None) and n.value in ("", "~", "null", "Null", "NULL"):
                return None
            if typed and n.style in ("", None):
                return constructor.construct_object(n, deep=True)
            return n.value
        if isinstance(n, SequenceNode):
            return [build(item, loc + (i,), depth + 1) for i, item in enumerate(n.value)]
        if isinstance(n, MappingNode):
            out: dict[str, Any] = {}
            first: dict[str, Spot] = {}
            for k, v in n.value:
                if not isinstance(k, ScalarNode):
                    bad.append((spot(k), "a key must be plain text"))
                    continue
                key = k.value
                if key in first:
                    bad.append((spot(k), f"duplicate key '{key}' (first given on line {first[key].line})"))
                    continue
                first[key] = spots.keys[loc + (key,)] = spot(k)
                out[key] = build(v, loc + (key,), depth + 1)
            return out
        return None

    data = build(node, (), 0) if node is not None else None
    return data, spots, bad


def yaml_error_spot(exc: yaml.YAMLError, text: str) -> Spot:
    """Where to blame a YAML syntax error: where the problem is, unless that is just the end of
    the file (an unclosed bracket), then where the unclosed thing started. Spot() when unknown."""
    problem = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    mark = problem
    if problem is None or (problem.index >= len(text.rstrip()) and context is not None):
        mark = context
    return Spot(mark.line + 1, mark.column + 1) if mark is not None else Spot()


# ----------------------------------------------------------------------------- JSON


_WS = re.compile(r"[ \t\n\r]*")


class JsonSpots:
    """Positions in a JSON text, found only when asked.

    The data itself comes from json.loads at C speed; this walks the text to the
    asked path with raw_decode skipping whole values. A container is scanned only
    as far as the child asked for (the rest later, if asked), so finding the
    "cases" list never decodes it again, and each case's line in a 100 MB import
    file costs one pass over its case list; lines are counted from the nearest
    position already placed, not from a table of every newline.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._children: dict[int, dict[Union[str, int], int]] = {}  # container offset -> child -> value offset
        self._keys: dict[int, dict[str, int]] = {}  # object offset -> key -> key offset
        self._resume: dict[int, tuple[int, int, bool]] = {}  # container -> (where its scan stopped, index, at a value)
        self._placed = [0]  # offsets whose line is known, ascending, and those lines
        self._lines = [1]
        self._decoder = json.JSONDecoder()

    def offset(self, loc: Loc) -> int:
        """Offset where the value at `loc` starts (the nearest reachable parent's when the path is not there)."""
        return self._walk_to(loc)[0]

    def at(self, loc: Loc) -> Spot:
        return self._spot(self.offset(loc))

    def has(self, loc: Loc) -> bool:
        return self._walk_to(loc)[1]

    def _walk_to(self, loc: Loc) -> tuple[int, bool]:
        """(offset of the deepest value reached along `loc`, whether all of `loc` was there)."""
        pos = _WS.match(self.text, 0).end()
        for part in loc:
            child = self._child(pos, part)
            if child is None:
                return pos, False
            pos = child
        return pos, True

    def key_at(self, loc: Loc) -> Spot:
        if loc and isinstance(loc[-1], str):
            parent = self.offset(loc[:-1])
            if self._child(parent, loc[-1]) is not None and loc[-1] in self._keys.get(parent, {}):
                return self._spot(self._keys[parent][loc[-1]])
        return self.at(loc)

    def _spot(self, pos: int) -> Spot:
        i = bisect.bisect_right(self._placed, pos) - 1
        line = self._lines[i] + self.text.count("\n", self._placed[i], pos)
        if self._placed[i] != pos:
            self._placed.insert(i + 1, pos)
            self._lines.insert(i + 1, line)
        return Spot(line, pos - self.text.rfind("\n", 0, pos))

    def _child(self, pos: int, part: Union[str, int]) -> Optional[int]:
        """Where child `part` of the container at `pos` starts, scanning on from where the last ask stopped."""
        found = self._children.setdefault(pos, {})
        if part in found:
            return found[part]
        text, ws = self.text, _WS
        i, index, at_value = self._resume.get(pos, (-1, 0, False))
        try:
            if i == -1:  # not started: past the bracket
                if text[pos] not in "[{":
                    return None
                i = ws.match(text, pos + 1).end()
            while True:
                if not at_value:
                    if text[i] in "]}":
                        break
                    if text[pos] == "[":
                        found[index] = i
                    else:
                        start = i
                        key, i = self._decoder.raw_decode(text, i)
                        self._keys.setdefault(pos, {}).setdefault(key, start)
                        i = ws.match(text, ws.match(text, i).end() + 1).end()  # past the colon
                        found.setdefault(key, i)
                    at_value = True
                    if part in found:  # stop before its value: the asked child is not decoded here
                        break
                _value, i = self._decoder.raw_decode(text, i)
                i = ws.match(text, i).end()
                if text[i] == ",":
                    i = ws.match(text, i + 1).end()
                index, at_value = index + 1, False
        except (ValueError, IndexError, RecursionError):
            i, at_value = len(text), False  # malformed past here: what was found so far still places errors
        self._resume[pos] = (i, index, at_value)
        return found.get(part)


def json_error_spot(exc: json.JSONDecodeError) -> Spot:
    return Spot(exc.lineno, exc.colno)
