"""Desk themes as data files (themes/*.yaml), loaded into Textual themes.

Themes are data, not code, so a site can add or adjust one without touching
Python. A broken file never stops the desk: it is skipped with a one-line
warning naming the file (and line, when the YAML itself is bad).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from textual.color import Color, ColorParseError
from textual.theme import Theme

from deskapp.resources import shipped
from deskapp.tui.parse_cache import ParseCache, remembered

DEFAULT_THEME = "desk-dark"
SIXTEEN_COLOUR_THEME = "desk-16"

_COLOUR_FIELDS = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel",
                  "boost", "warning", "error", "success")
_FLOAT_FIELDS = ("luminosity_spread", "text_alpha")
_BOOL_FIELDS = ("dark", "ansi")
_ALLOWED = {"name", "variables", "description", *_COLOUR_FIELDS, *_FLOAT_FIELDS, *_BOOL_FIELDS}


@dataclass
class ThemeSet:
    """Themes loaded from a folder, in file-name order, plus one warning per skipped file."""

    themes: list[Theme] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.themes]


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def theme_settings(data: object, source: str) -> dict:
    """The checked settings of a Theme (plain data: see load_theme_file). Raises ValueError('source: why')."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{source}: a theme file must be a mapping of settings")
    unknown = [k for k in data if k not in _ALLOWED]
    if unknown:
        key = str(unknown[0])
        raise ValueError(f"{source}: unknown setting {key!r}{_did_you_mean(key, _ALLOWED)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{source}: 'name' is required (a word such as desk-dark)")
    if not data.get("primary"):
        raise ValueError(f"{source}: 'primary' colour is required")
    kwargs: dict = {"name": name.strip()}
    for key in _COLOUR_FIELDS:
        value = data.get(key)
        if value is None:
            continue
        try:
            Color.parse(str(value))
        except ColorParseError:
            raise ValueError(f"{source}: {key}: {value!r} is not a colour (use #rrggbb or ansi_red ...)") from None
        kwargs[key] = str(value)
    for key in _FLOAT_FIELDS:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{source}: {key}: expected a number, got {value!r}")
            kwargs[key] = float(value)
    for key in _BOOL_FIELDS:
        if key in data:
            if not isinstance(data[key], bool):
                raise ValueError(f"{source}: {key}: expected true or false, got {data[key]!r}")
            kwargs[key] = data[key]
    variables = data.get("variables") or {}
    if not isinstance(variables, Mapping):
        raise ValueError(f"{source}: variables: expected a mapping of name: value")
    kwargs["variables"] = {str(k): str(v) for k, v in variables.items()}
    try:
        # Derives every shade Textual needs; a bad value fails here, not at paint time.
        Theme(**kwargs).to_color_system().generate()
    except Exception as exc:  # noqa: BLE001 - any failure means "skip this theme"
        raise ValueError(f"{source}: {exc}") from None
    return kwargs


def remembered_theme(value: object) -> bool:
    """Whether a remembered theme has the shape theme_settings gives (else the file is read again)."""
    if not isinstance(value, dict) or not set(value) <= _ALLOWED - {"description"} or not isinstance(value.get("name"), str):
        return False
    for key in _COLOUR_FIELDS:
        if key in value:
            if not isinstance(value[key], str):
                return False
            try:
                Color.parse(value[key])
            except ColorParseError:
                return False
    variables = value.get("variables", {})
    return (isinstance(value.get("primary"), str)
            and all(isinstance(value[key], float) for key in _FLOAT_FIELDS if key in value)
            and all(isinstance(value[key], bool) for key in _BOOL_FIELDS if key in value)
            and isinstance(variables, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in variables.items()))


def load_theme_file(path: Path, cache: ParseCache | None = None) -> Theme:
    """One theme file -> Theme. Raises ValueError with a one-line 'file:line: message'.

    With `cache`, a file whose text passed these checks before is not parsed or checked again
    (deskapp.tui.parse_cache: the text must match to the byte).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from None
    return Theme(**remembered(cache, path, text, lambda: theme_settings(_parse(path, text), str(path))))


def _parse(path: Path, text: str) -> object:
    import yaml

    try:
        # libyaml's parser when PyYAML has it: every theme is read at start-up, before the first frame.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        from deskapp.tui.userconfig import yaml_error_line

        line = yaml_error_line(exc, text)
        where = f"{path}:{line}" if line else str(path)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ValueError(f"{where}: {problem}") from None
    return data


def theme_folders() -> list[Path]:
    """Where themes come from: the shipped folder, then DESKAPP_THEMES (extra folders, os.pathsep separated)."""
    folders = [shipped("themes")]
    extra = os.environ.get("DESKAPP_THEMES")
    if extra:
        folders += [Path(p) for p in extra.split(os.pathsep) if p]
    return folders


def load_themes(folders: Iterable[Path] | None = None) -> ThemeSet:
    """Every *.yaml / *.yml theme in `folders`; a later theme with the same name replaces an earlier one."""
    result = ThemeSet()
    by_name: dict[str, Theme] = {}
    cache = ParseCache("themes", valid=remembered_theme)
    for folder in folders if folders is not None else theme_folders():
        if not folder.is_dir():
            continue
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            try:
                theme = load_theme_file(path, cache)
            except ValueError as exc:
                cache.forget(path)
                result.warnings.append(f"theme skipped: {exc}")
                continue
            by_name[theme.name] = theme
    cache.save()
    result.themes = list(by_name.values())
    return result


def terminal_colours(environ: Mapping[str, str] | None = None) -> int:
    """How many colours the terminal offers, judged exactly as Rich (under Textual) judges it:
    0 (dumb), 16, 256 or 16_777_216.

    TERM=xterm (no -256color suffix) and no COLORTERM means 16 colours; the desk
    then defaults to the theme built for that rather than approximating a hex theme.
    """
    env = os.environ if environ is None else environ
    forced = (env.get("TEXTUAL_COLOR_SYSTEM") or "").lower()
    if forced in ("standard", "windows"):
        return 16
    if forced == "256":
        return 256
    if forced == "truecolor":
        return 16_777_216
    if (env.get("COLORTERM") or "").strip().lower() in ("truecolor", "24bit"):
        return 16_777_216
    term = (env.get("TERM") or "").strip().lower()
    if term in ("dumb", "unknown"):
        return 0
    suffix = term.rpartition("-")[2]
    return 256 if suffix in ("256color", "kitty") else 16
