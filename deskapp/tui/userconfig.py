"""The handler's own settings file: config_dir()/config.yaml.

    theme: desk-light            # chosen theme, saved when the handler changes it
    keys:                        # remapped key bindings, by binding id (see the ? help screen)
      desk.log_contact: c
      desk.search: "/,ctrl+f"    # several keys: comma separated
    queue:                       # queue columns, saved when the handler hides or resizes one
      hidden: [kind]
      widths: {customer: 20}

A mistake in this file must never stop a handler working: every problem is
reported as one line naming file:line, the bad entry is ignored and the rest
applies. Saving the theme edits only the `theme:` entry, so the handler's
comments and layout survive. The file's shape is declared in
deskapp.tui.config_file; this module keeps the result and remembers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from deskapp import config
from deskapp.tui.parse_cache import ParseCache


def config_path() -> Path:
    return config.config_dir() / "config.yaml"


@dataclass
class UserConfig:
    path: Path
    theme: Optional[str] = None
    theme_line: Optional[int] = None
    keys: dict[str, str] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)
    queue_hidden: list[str] = field(default_factory=list)
    queue_widths: dict[str, int] = field(default_factory=dict)
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
                from deskapp.core.declared import did_you_mean  # PyYAML and pydantic: only for a mistake

                hint = did_you_mean(binding_id, known) or " (press ? in the desk for the list)"
                self.problem(self.key_lines.get(binding_id), f"keys: unknown binding id {binding_id!r}{hint}")
        return good


_REMEMBERED = ("theme", "theme_line", "keys", "key_lines", "queue_hidden", "queue_widths")


def _remembered_shape(value: object) -> bool:
    """Whether a remembered config has the shape load_user_config stores (else it is parsed again)."""
    if not isinstance(value, dict) or set(value) != set(_REMEMBERED):
        return False
    keys, lines = value["keys"], value["key_lines"]
    hidden, widths = value["queue_hidden"], value["queue_widths"]
    return (isinstance(value["theme"], (str, type(None)))
            and isinstance(hidden, list) and all(isinstance(name, str) for name in hidden)
            and isinstance(widths, dict)
            and all(isinstance(k, str) and isinstance(v, int) for k, v in widths.items())
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
    from deskapp.tui.config_file import read_config  # pydantic and PyYAML: only when the file is parsed

    settings, lines, cfg.problems[len(cfg.problems):], cfg.parsed = read_config(cfg.path, text)
    cfg.theme, cfg.keys = settings.theme, dict(settings.keys or {})
    cfg.theme_line = lines.get(("theme",)) if cfg.theme else None
    cfg.key_lines = {binding_id: lines[("keys", binding_id)] for binding_id in cfg.keys}
    if settings.queue is not None:
        cfg.queue_hidden, cfg.queue_widths = list(settings.queue.hidden), dict(settings.queue.widths)


def save_queue_columns(hidden: Iterable[str], widths: dict[str, int], path: Optional[Path] = None) -> Optional[str]:
    """Persist the queue's hidden columns and widths. None on success, else a one-line reason."""
    from deskapp.tui.config_file import with_queue_columns

    return _save(path or config_path(), lambda text: with_queue_columns(text, sorted(hidden), dict(widths)))


def save_theme(name: str, path: Optional[Path] = None) -> Optional[str]:
    """Persist the chosen theme. Returns None on success, else a one-line reason it was not saved."""
    from deskapp.tui.config_file import with_theme

    return _save(path or config_path(), lambda text: with_theme(text, name))


def _save(path: Path, edit) -> Optional[str]:
    """Write `edit(text)` over the file (an edit of one entry); None on success, else why not."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        return f"{path}: cannot read: {exc}"
    new_text = edit(text)
    if new_text is None:
        return f"{path}: not saved, the file is not valid YAML; fix it first"
    try:
        config.write_whole(path, new_text.encode("utf-8"))  # 0600, never through a planted link
    except OSError as exc:
        return f"{path}: cannot save: {exc}"
    return None
