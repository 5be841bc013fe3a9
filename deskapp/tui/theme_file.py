"""The shape of a theme file (themes/*.yaml), declared once as a pydantic model.

Kept apart from deskapp.tui.themes so that pydantic and PyYAML are imported
only when a theme file is actually parsed: at a normal start the parse cache
already has every theme's settings (deskapp.tui.parse_cache).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any, Mapping, Optional

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator
from textual.color import Color, ColorParseError
from textual.theme import Theme

from deskapp.core.declared import Problem, Spot, did_you_mean, dotted, problems, yaml_error_spot, yaml_tree


def _colour(value: Any) -> str:
    text = str(value)
    try:
        Color.parse(text)
    except ColorParseError:
        raise ValueError(f"{value!r} is not a colour (use #rrggbb or ansi_red ...)") from None
    return text


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _variables(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping of name: value")
    return {str(k): str(v) for k, v in value.items()}


Colour = Annotated[str, BeforeValidator(_colour)]
Number = Annotated[float, BeforeValidator(_number)]
Flag = Annotated[bool, BeforeValidator(_flag)]


class ThemeFile(BaseModel):
    """A theme as written; `settings()` is what Textual's Theme takes."""

    model_config = ConfigDict(extra="forbid")

    name: str
    primary: Colour
    secondary: Optional[Colour] = None
    accent: Optional[Colour] = None
    foreground: Optional[Colour] = None
    background: Optional[Colour] = None
    surface: Optional[Colour] = None
    panel: Optional[Colour] = None
    boost: Optional[Colour] = None
    warning: Optional[Colour] = None
    error: Optional[Colour] = None
    success: Optional[Colour] = None
    luminosity_spread: Optional[Number] = None
    text_alpha: Optional[Number] = None
    dark: Optional[Flag] = None
    ansi: Optional[Flag] = None
    variables: Annotated[dict[str, str], BeforeValidator(_variables)] = {}
    description: Any = None  # for people reading the file; Textual is not told

    @model_validator(mode="before")
    @classmethod
    def _required(cls, data: Any) -> Any:
        # Checked before the fields so these read as they always have, with no field prefix.
        if not isinstance(data, Mapping):
            raise ValueError("a theme file must be a mapping of settings")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError("'name' is required (a word such as desk-dark)")
        if not data.get("primary"):
            raise ValueError("'primary' colour is required")
        return {**data, "name": name.strip()}

    @model_validator(mode="after")
    def _textual_accepts_it(self) -> "ThemeFile":
        try:
            # Derives every shade Textual needs; a bad value fails here, not at paint time.
            Theme(**self.settings()).to_color_system().generate()
        except Exception as exc:  # noqa: BLE001 - any failure means "skip this theme"
            raise ValueError(str(exc)) from None
        return self

    def settings(self) -> dict:
        return self.model_dump(exclude={"description"}, exclude_none=True)


def _wording(error: Mapping[str, Any], loc: tuple) -> Optional[str]:
    if error["type"] == "extra_forbidden":
        key = error["loc"][-1]  # as written: `loc` leaves out parts that look like pydantic's branch names
        return f"unknown setting {key!r}" + did_you_mean(key, ThemeFile.model_fields)
    return None


def _field(loc: tuple) -> str:
    return dotted(loc) if loc and loc[0] in ThemeFile.model_fields else ""  # an unknown one is in the message


def read_theme(path: Path, text: str) -> dict:
    """The checked Theme settings of one theme file's text. Raises ValueError('file: field: why'), one line
    (`file:line: why` when the YAML itself is broken)."""
    try:
        # libyaml's parser when PyYAML has it: a new theme is read before the first frame.
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "not valid YAML"
        line = Spot(yaml_error_spot(exc, text).line)  # the line: a syntax error's column is often past the cause
        raise ValueError(str(Problem(str(path), line, "", problem))) from None
    try:
        data, spots, bad = yaml_tree(root, typed=True)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:  # a typed scalar that is not one
        mark = getattr(exc, "problem_mark", None)
        line = Spot(mark.line + 1) if mark is not None else Spot()
        raise ValueError(str(Problem(str(path), line, "", f"not valid YAML: {getattr(exc, 'problem', None) or exc}")))
    if bad:
        spot, message = bad[0]
        raise ValueError(str(Problem(str(path), Spot(spot.line), "", message)))
    try:
        return ThemeFile.model_validate(data).settings()
    except ValidationError as exc:
        first = problems(exc, spots, str(path), ThemeFile, field_name=_field, words=_wording)[0]
        # `file: field: message`, as site theme authors have always read it: the field names the place.
        raise ValueError(str(dataclasses.replace(first, spot=Spot()))) from None
