"""The handler's own settings file: config_dir()/config.yaml.

    theme: desk-light            # chosen theme, saved when the handler changes it
    keys:                        # remapped key bindings, by binding id (see the ? help screen)
      desk.log_contact: c
      desk.search: "/,ctrl+f"    # several keys: comma separated

A mistake in this file must never stop a handler working: every problem is
reported as one line naming file:line, the bad entry is ignored and the rest
applies. Saving the theme edits only the `theme:` line, so the handler's
comments and layout survive.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional

from deskapp import config
from deskapp.tui.parse_cache import ParseCache

if TYPE_CHECKING:  # PyYAML is imported only when a file is parsed (start-up time: parse_cache)
    import yaml

KNOWN_SETTINGS = ("theme", "keys")
# A key as Textual names it: a printable character, or a name like f5 / pageup / question_mark,
# optionally with modifiers (ctrl+shift+x).
_KEY = re.compile(r"^(?:(?:ctrl|shift|alt|meta|super|hyper)\+)*(?:[a-z0-9_]+|[!-~])$")


def config_path() -> Path:
    return config.config_dir() / "config.yaml"


@dataclass
class UserConfig:
    path: Path
    theme: Optional[str] = None
    theme_line: Optional[int] = None
    keys: dict[str, str] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    parsed: bool = True  # False when the YAML itself is broken (then nothing is written back)

    def problem(self, line: Optional[int], message: str) -> None:
        where = f"{self.path}:{line}" if line else str(self.path)
        self.problems.append(f"{where}: {message}")

    def check_binding_ids(self, known: Iterable[str]) -> dict[str, str]:
        """The keymap limited to binding ids that exist; a problem line for each unknown id."""
        known = list(known)
        good = {}
        for binding_id, keys in self.keys.items():
            if binding_id in known:
                good[binding_id] = keys
            else:
                close = difflib.get_close_matches(binding_id, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else " (press ? in the desk for the list)"
                self.problem(self.key_lines.get(binding_id), f"keys: unknown binding id {binding_id!r}{hint}")
        return good


def yaml_error_line(exc: yaml.YAMLError, text: str) -> Optional[int]:
    """The line to blame for a YAML error: where the problem is, unless that is just the end of
    the file (an unclosed bracket), then where the unclosed thing started."""
    problem = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    if problem is None:
        return context.line + 1 if context is not None else None
    at_end = problem.index >= len(text.rstrip())
    if at_end and context is not None:
        return context.line + 1
    return problem.line + 1


def _scalar(node: yaml.Node) -> Optional[str]:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return None


_REMEMBERED = ("theme", "theme_line", "keys", "key_lines")


def _remembered_shape(value: object) -> bool:
    """Whether a remembered config has the shape load_user_config stores (else it is parsed again)."""
    if not isinstance(value, dict) or set(value) != set(_REMEMBERED):
        return False
    keys, lines = value["keys"], value["key_lines"]
    return (isinstance(value["theme"], (str, type(None)))
            and isinstance(value["theme_line"], (int, type(None)))
            and isinstance(keys, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in keys.items())
            and isinstance(lines, dict)
            and all(isinstance(k, str) and isinstance(v, int) for k, v in lines.items()))


def load_user_config(path: Optional[Path] = None) -> UserConfig:
    """Read the settings file (missing file = defaults). Never raises for the file's content.

    A file read before without a problem is not parsed again while its text is unchanged
    (deskapp.tui.parse_cache); a file with problems is always parsed, so they are always reported.
    """
    path = path or config_path()
    cfg = UserConfig(path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return cfg
    except (OSError, UnicodeDecodeError) as exc:
        cfg.parsed = False
        cfg.problem(None, f"cannot read: {exc}")
        return cfg
    cache = ParseCache("config", valid=_remembered_shape)
    known = cache.get(path, text)
    if known is not None:
        for name in _REMEMBERED:
            setattr(cfg, name, known[name])
        return cfg
    _parse(cfg, text)
    if cfg.parsed and not cfg.problems:
        cache.put(path, text, {name: getattr(cfg, name) for name in _REMEMBERED})
    else:
        cache.forget(path)
    cache.save()
    return cfg


def _parse(cfg: UserConfig, text: str) -> None:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        cfg.parsed = False
        mark = yaml_error_line(exc, text)
        cfg.problem(mark, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")
        return
    if root is None:
        return
    if not isinstance(root, yaml.MappingNode):
        cfg.problem(root.start_mark.line + 1, "expected settings as 'name: value' lines (theme, keys)")
        return
    seen: set[str] = set()
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        name = _scalar(key_node)
        if name in seen:
            cfg.problem(line, f"{name!r} is set twice; the later one is used")
        seen.add(str(name))
        if name == "theme":
            value = _scalar(value_node)
            if not value or value_node.tag.endswith(":null"):
                cfg.problem(line, "theme: expected a theme name such as desk-dark")
                continue
            cfg.theme, cfg.theme_line = value.strip(), line
        elif name == "keys":
            _read_keys(cfg, value_node)
        else:
            close = difflib.get_close_matches(str(name), KNOWN_SETTINGS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(KNOWN_SETTINGS)})"
            cfg.problem(line, f"unknown setting {name!r}{hint}")


def _read_keys(cfg: UserConfig, node: yaml.Node) -> None:
    import yaml

    if node.tag.endswith(":null"):
        return
    if not isinstance(node, yaml.MappingNode):
        cfg.problem(node.start_mark.line + 1, "keys: expected 'binding.id: key' lines")
        return
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        binding_id = _scalar(key_node)
        value = _scalar(value_node)
        if not binding_id:
            cfg.problem(line, "keys: a binding id must be a word such as desk.log_contact")
            continue
        if value is None or value_node.tag.endswith(":null") or not value.strip():
            cfg.problem(line, f"keys: {binding_id}: expected a key such as c or ctrl+o")
            continue
        keys = [k.strip() for k in value.split(",")]
        bad = [k for k in keys if not _KEY.match(k)]
        if bad or not all(keys):
            cfg.problem(line, f"keys: {binding_id}: {', '.join(bad) or value!r} is not a key name "
                              "(examples: c, N, ctrl+o, f5, question_mark)")
            continue
        cfg.keys[binding_id] = ",".join(keys)
        cfg.key_lines[binding_id] = line


_THEME_LINE = re.compile(r"^theme\s*:.*$", re.MULTILINE)


def save_theme(name: str, path: Optional[Path] = None) -> Optional[str]:
    """Persist the chosen theme. Returns None on success, else a one-line reason it was not saved.

    Only the top-level `theme:` line is replaced (or added), so the rest of the file is untouched.
    A file that is not valid YAML is left alone rather than overwritten.
    """
    import yaml

    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        return f"{path}: cannot read: {exc}"
    if text.strip():
        try:
            yaml.safe_load(text)
        except yaml.YAMLError:
            return f"{path}: not saved, the file is not valid YAML; fix it first"
    entry = f"theme: {yaml.safe_dump(name, default_style=None).splitlines()[0]}"
    if _THEME_LINE.search(text):
        new_text = _THEME_LINE.sub(lambda _m: entry, text, count=1)
    else:
        new_text = text + ("" if not text or text.endswith("\n") else "\n") + entry + "\n"
    try:
        config.write_whole(path, new_text.encode("utf-8"))  # 0600, never through a planted link
    except OSError as exc:
        return f"{path}: cannot save: {exc}"
    return None
