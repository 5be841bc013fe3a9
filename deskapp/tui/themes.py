"""Desk themes as data files (themes/*.yaml), loaded into Textual themes.

Themes are data, not code, so a site can add or adjust one without touching
Python. A broken file never stops the desk: it is skipped with a one-line
warning naming the file and the setting (or the line, when the YAML is
broken). The file's shape is declared in deskapp.tui.theme_file; this module
finds the files and remembers them.
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
_ALLOWED = {  # the keys of deskapp.tui.theme_file.ThemeFile (a test keeps them equal)
    "name", "variables", "description", *_COLOUR_FIELDS, *_FLOAT_FIELDS, *_BOOL_FIELDS}


@dataclass
class ThemeSet:
    """Themes loaded from a folder, in file-name order, plus one warning per skipped file."""

    themes: list[Theme] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.themes]


def remembered_theme(value: object) -> bool:
    """Whether a remembered theme has the shape ThemeFile.settings() gives (else the file is read again).

    Checked by hand, not by the model, so a normal start needs neither pydantic nor PyYAML.
    """
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
    """One theme file -> Theme. Raises ValueError with a one-line 'file: setting: message'.

    With `cache`, a file whose text passed these checks before is not parsed or checked again
    (deskapp.tui.parse_cache: the text must match to the byte).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from None
    return Theme(**remembered(cache, path, text, lambda: _parse(path, text)))


def _parse(path: Path, text: str) -> dict:
    from deskapp.tui.theme_file import read_theme  # pydantic and PyYAML: only when a file is parsed

    return read_theme(path, text)


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
