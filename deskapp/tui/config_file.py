"""The shape of the handler's config.yaml, declared once as a pydantic model, and the theme switch.

Imported only when the file is parsed or written (deskapp.tui.userconfig keeps
the result and remembers it), so a normal start needs neither pydantic nor
PyYAML. Problems are `file:line: message`: the file is short, a line is enough.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping, Optional

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode

from deskapp.core.declared import Loc, Problem, Spot, did_you_mean, problems, yaml_error_spot, yaml_tree
from deskapp.tui.widgets.queue_view import HIDEABLE_COLUMNS, SIZED_COLUMNS

# A key as Textual names it: a printable character, or a name like f5 / pageup / question_mark,
# optionally with modifiers (ctrl+shift+x).
_KEY = re.compile(r"^(?:(?:ctrl|shift|alt|meta|super|hyper)\+)*(?:[a-z0-9_]+|[!-~])$")


def _theme_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a theme name such as desk-dark")
    return value.strip()


def _keys(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a key such as c or ctrl+o")
    keys = [k.strip() for k in value.split(",")]
    bad = [k for k in keys if not _KEY.match(k)]
    if bad or not all(keys):
        raise ValueError(f"{', '.join(bad) or value!r} is not a key name (examples: c, N, ctrl+o, f5, question_mark)")
    return ",".join(keys)


def _keymap(value: Any) -> Any:
    if value is not None and not isinstance(value, Mapping):
        raise ValueError("expected 'binding.id: key' lines")
    return value


# The queue's own names (deskapp.tui.widgets.queue_view). Widths in cells: below 4 a name is
# unreadable, above 40 the title has no room at 80 columns.
Hideable = Literal[HIDEABLE_COLUMNS]  # type: ignore[valid-type]
Sized = Literal[SIZED_COLUMNS]  # type: ignore[valid-type]


class QueueColumns(BaseModel):
    """`queue:` in config.yaml: which columns are hidden and how wide the sized ones are."""

    model_config = ConfigDict(extra="forbid")

    hidden: list[Hideable] = []
    widths: dict[Sized, Annotated[int, Field(ge=4, le=40)]] = {}


class ConfigFile(BaseModel):
    """config.yaml: every setting optional; a missing file is all defaults."""

    model_config = ConfigDict(extra="forbid")

    theme: Annotated[Optional[str], BeforeValidator(_theme_name)] = None
    # binding id -> comma-separated keys, by binding id (the ? help screen lists them)
    keys: Annotated[Optional[dict[str, Annotated[str, BeforeValidator(_keys)]]], BeforeValidator(_keymap)] = None
    queue: Optional[QueueColumns] = None


def _wording(error: Mapping[str, Any], loc: Loc) -> Optional[str]:
    if error["type"] == "extra_forbidden":
        key = error["loc"][-1]  # as written: `loc` leaves out parts that look like pydantic's branch names
        return f"unknown setting {key!r}" + (did_you_mean(key, ConfigFile.model_fields)
                                             or f" (known: {', '.join(ConfigFile.model_fields)})")
    return None


def _field(loc: Loc) -> str:
    return ": ".join(str(part) for part in loc) if loc and loc[0] in ConfigFile.model_fields else ""


def read_config(path: Path, text: str) -> tuple[ConfigFile, dict[Loc, int], list[str], bool]:
    """The settings that are right, the line of each, one `file:line: message` per problem, and
    whether the YAML itself could be read. A bad entry is left out; the rest applies."""
    found: list[str] = []

    def problem(spot: Spot, message: str) -> None:
        found.append(str(Problem(str(path), Spot(spot.line), "", message)))

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        problem(yaml_error_spot(exc, text), f"not valid YAML: {getattr(exc, 'problem', None) or exc}")
        return ConfigFile(), {}, found, False
    if root is not None and not isinstance(root, MappingNode):
        problem(Spot(root.start_mark.line + 1), "expected settings as 'name: value' lines (theme, keys)")
        return ConfigFile(), {}, found, True
    for spot, message in _later_wins(root):
        problem(spot, message)
    data, spots, bad = yaml_tree(root)
    for spot, message in bad:
        problem(spot, message)
    data = data or {}
    try:
        settings = ConfigFile.model_validate(data)
    except ValidationError as exc:
        for each in problems(exc, spots, str(path), ConfigFile, field_name=_field, words=_wording):
            found.append(str(dataclasses.replace(each, spot=Spot(each.spot.line))))
        for error in exc.errors():
            _drop(data, error["loc"])
        try:
            settings = ConfigFile.model_validate(data)  # what is left is right
        except ValidationError:  # not expected; but a mistake in this file must never stop the desk
            settings = ConfigFile()
    lines = {loc: spot.line for loc, spot in spots.keys.items()}
    return settings, lines, found, True


def _later_wins(node: Optional[Node], binding_ids: bool = False) -> list[tuple[Spot, str]]:
    """Drop the earlier of two same keys in the settings (and the keys map), as the old reader did,
    and any binding id that is not plain text; a problem for each."""
    if not isinstance(node, MappingNode):
        return []
    seen: dict[str, int] = {}
    found = []
    for index, (key, value) in enumerate(node.value):
        if not isinstance(key, ScalarNode):
            if binding_ids:
                found.append((Spot(key.start_mark.line + 1),
                              "keys: a binding id must be a word such as desk.log_contact"))
            continue
        if key.value in seen:
            found.append((Spot(key.start_mark.line + 1), f"{key.value!r} is set twice; the later one is used"))
        seen[key.value] = index
        if key.value == "keys" and not binding_ids:
            found += _later_wins(value, binding_ids=True)
    keep = set(seen.values())
    node.value = [pair for index, pair in enumerate(node.value)
                  if index in keep or not (binding_ids or isinstance(pair[0], ScalarNode))]
    return found


def _drop(data: dict, loc: Loc) -> None:
    """Remove the entry a validation error is about (a setting, or one binding), so the rest can apply."""
    if len(loc) > 1 and isinstance(data.get(loc[0]), dict):
        data[loc[0]].pop(loc[1], None)
    else:
        data.pop(loc[0], None)


def with_theme(text: str, name: str) -> Optional[str]:
    """`text` with its top-level theme set to `name` (None when the text is not valid YAML settings)."""
    return with_setting(text, "theme", ConfigFile(theme=name).theme)


def with_queue_columns(text: str, hidden: list[str], widths: dict[str, int]) -> Optional[str]:
    """`text` with its `queue:` entry set to these columns (checked by QueueColumns first)."""
    columns = QueueColumns(hidden=hidden, widths=widths)
    return with_setting(text, "queue", columns.model_dump(mode="json"))


def with_setting(text: str, name: str, value: Any) -> Optional[str]:
    """`text` with its top-level `name` set to `value` (None when the text is not valid YAML settings).

    Only the lines of that entry are replaced (or one is added), so comments and layout
    elsewhere survive; a comment on the entry's own lines goes with the old value, and a file
    written as one flow mapping (`{theme: x}`) is written again whole, without its comments.
    The new entry is the model's validated value written by yaml.safe_dump.
    """
    entry = yaml.safe_dump({name: value}, default_flow_style=False, allow_unicode=True, sort_keys=False)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader) if text.strip() else None
    except yaml.YAMLError:
        return None
    if root is None:
        return text + ("" if not text or text.endswith("\n") else "\n") + entry
    if not isinstance(root, MappingNode):
        return None
    if root.flow_style:  # `{theme: x, keys: {...}}` on one line: written again whole
        return yaml.safe_dump({**yaml.safe_load(text), **yaml.safe_load(entry)}, default_flow_style=False,
                              sort_keys=False, allow_unicode=True)
    lines = text.splitlines(keepends=True)
    for key, value_node in root.value:
        if isinstance(key, ScalarNode) and key.value == name:
            end = value_node.end_mark
            last = end.line - (1 if end.column == 0 and end.line > key.start_mark.line else 0)
            return "".join(lines[:key.start_mark.line]) + entry + "".join(lines[last + 1:])
    return text + ("" if text.endswith("\n") else "\n") + entry
