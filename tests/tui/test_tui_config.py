"""config.yaml and theme files: problems reported as file:line, saving the theme edits one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from deskapp.tui.themes import load_theme_file, load_themes, terminal_colours
from deskapp.tui.userconfig import load_user_config, save_theme


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_is_defaults(tmp_path):
    cfg = load_user_config(tmp_path / "nope.yaml")
    assert cfg.theme is None and cfg.keys == {} and cfg.problems == []


def test_keys_and_theme_with_lines(tmp_path):
    cfg = load_user_config(write(tmp_path / "c.yaml", "# mine\ntheme: desk-light\nkeys:\n  desk.note: ctrl+n\n"
                                                      "  desk.search: '/, ctrl+f'\n"))
    assert cfg.theme == "desk-light" and cfg.theme_line == 2
    assert cfg.keys == {"desk.note": "ctrl+n", "desk.search": "/,ctrl+f"}
    assert cfg.key_lines == {"desk.note": 4, "desk.search": 5}
    assert cfg.problems == []


@pytest.mark.parametrize("text, line", [
    ("theme:\n", 1),
    ("theme: desk-dark\ntheme: desk-light\n", 2),
    ("keys:\n  desk.note:\n", 2),
    ("keys:\n  desk.note: [a, b]\n", 2),
    ("keys:\n  - desk.note\n", 2),
    ("\tkeys: x\n", 1),
])
def test_problems_name_the_line(tmp_path, text, line):
    path = write(tmp_path / "c.yaml", text)
    cfg = load_user_config(path)
    assert cfg.problems, text
    assert cfg.problems[0].startswith(f"{path}:{line}: "), cfg.problems


def test_binary_file_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    cfg = load_user_config(path)
    assert cfg.problems and not cfg.parsed


def test_save_theme_replaces_only_the_top_level_line(tmp_path):
    path = write(tmp_path / "c.yaml", "# comment\nkeys:\n  theme: not-me\ntheme: desk-dark # old\n")
    assert save_theme("desk-light", path) is None
    assert path.read_text() == "# comment\nkeys:\n  theme: not-me\ntheme: desk-light\n"


def test_save_theme_appends_and_creates(tmp_path):
    path = tmp_path / "deep" / "c.yaml"
    assert save_theme("desk-16", path) is None
    assert path.read_text() == "theme: desk-16\n"
    write(path, "keys: {}")
    assert save_theme("desk-dark", path) is None
    assert path.read_text() == "keys: {}\ntheme: desk-dark\n"


def test_save_theme_leaves_a_broken_file_alone(tmp_path):
    path = write(tmp_path / "c.yaml", "keys: [\n")
    message = save_theme("desk-light", path)
    assert message and "not valid YAML" in message
    assert path.read_text() == "keys: [\n"


def test_shipped_themes_load_cleanly():
    themes = load_themes()
    assert themes.warnings == []
    assert {"desk-dark", "desk-light", "desk-high-contrast", "desk-16"} <= set(themes.names)
    sixteen = next(t for t in themes.themes if t.name == "desk-16")
    assert sixteen.ansi
    colours = [sixteen.primary, sixteen.secondary, sixteen.accent, sixteen.warning, sixteen.error,
               sixteen.success, sixteen.background, sixteen.foreground, *sixteen.variables.values()]
    assert all(c.startswith("ansi_") or c in ("bold", "none") for c in colours), colours


@pytest.mark.parametrize("text, message", [
    ("name: x\n", "'primary' colour is required"),
    ("primary: '#fff'\n", "'name' is required"),
    ("name: x\nprimary: '#fff'\ncolour: red\n", "unknown setting 'colour'"),
    ("name: x\nprimary: '#fff'\ndark: maybe\n", "dark: expected true or false"),
    ("name: x\nprimary: '#fff'\ntext_alpha: lots\n", "text_alpha: expected a number"),
    ("name: x\nprimary: '#fff'\nvariables: [1]\n", "variables: expected a mapping"),
    ("- a\n", "a theme file must be a mapping"),
    ("name: x\nprimary: '#fff\n", ":2: "),
])
def test_theme_file_problems(tmp_path, text, message):
    path = write(tmp_path / "t.yaml", text)
    with pytest.raises(ValueError) as err:
        load_theme_file(path)
    assert message in str(err.value) and str(path) in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("env, colours", [
    ({"TERM": "xterm"}, 16),
    ({"TERM": "xterm-256color"}, 256),
    ({"TERM": "screen-256color"}, 256),
    ({"TERM": "xterm", "COLORTERM": "truecolor"}, 16_777_216),
    ({"TERM": "dumb"}, 0),
    ({"TERM": "xterm-256color", "TEXTUAL_COLOR_SYSTEM": "standard"}, 16),
])
def test_terminal_colours(env, colours):
    assert terminal_colours(env) == colours


def test_theme_file_model_and_the_remembered_shape_name_the_same_settings():
    from deskapp.tui import themes
    from deskapp.tui.theme_file import ThemeFile

    assert set(ThemeFile.model_fields) == themes._ALLOWED
    assert themes.remembered_theme(ThemeFile(name="x", primary="#fff", dark=True).settings())


@pytest.mark.parametrize("text, saved", [
    ("theme:\n  desk-dark\nkeys: {}\n", "theme: desk-light\nkeys: {}\n"),
    ("note: |\n  theme: keep me\ntheme: desk-dark\n", "note: |\n  theme: keep me\ntheme: desk-light\n"),
    ("{theme: desk-dark, keys: {desk.note: n}}\n", "theme: desk-light\nkeys:\n  desk.note: n\n"),
])
def test_save_theme_rewrites_only_the_theme_entry(tmp_path, text, saved):
    path = write(tmp_path / "c.yaml", text)
    assert save_theme("desk-light", path) is None
    assert path.read_text() == saved
    assert load_user_config(path).theme == "desk-light"


def test_save_theme_refuses_a_file_that_is_not_settings(tmp_path):
    path = write(tmp_path / "c.yaml", "- a\n")
    assert "not valid YAML" in save_theme("desk-light", path)
    assert path.read_text() == "- a\n"


def test_a_binding_given_twice_keeps_the_later_and_says_so(tmp_path):
    path = write(tmp_path / "c.yaml", "keys:\n  desk.note: a\n  desk.note: b\n")
    cfg = load_user_config(path)
    assert cfg.keys == {"desk.note": "b"} and cfg.key_lines == {"desk.note": 3}
    assert cfg.problems == [f"{path}:3: 'desk.note' is set twice; the later one is used"]


def test_bad_entries_are_left_out_and_the_rest_applies(tmp_path):
    path = write(tmp_path / "c.yaml", "theme: desk-light\nkeys:\n  desk.note: 'ctrl+'\n  desk.search: f\nthem: x\n")
    cfg = load_user_config(path)
    assert cfg.theme == "desk-light" and cfg.keys == {"desk.search": "f"} and cfg.key_lines == {"desk.search": 4}
    assert cfg.problems == [
        f"{path}:3: keys: desk.note: 'ctrl+' is not a key name (examples: c, N, ctrl+o, f5, question_mark)",
        f"{path}:5: unknown setting 'them' (did you mean 'theme'?)"]


@pytest.mark.parametrize("text, message", [
    ("name: x\nprimary: !!binary zz\n", ":2: not valid YAML: failed to decode base64 data"),
    ("name: !!int abc\nprimary: '#fff'\n", "not valid YAML: invalid literal for int()"),
    ("name: x\nprimary: '#fff'\ndescription: 2026-13-45\n", "not valid YAML: month must be in 1..12"),
])
def test_a_typed_value_that_is_not_one_skips_the_theme_with_its_file(tmp_path, text, message):
    path = write(tmp_path / "t.yaml", text)
    with pytest.raises(ValueError) as err:
        load_theme_file(path)
    assert str(err.value).startswith(str(path)) and message in str(err.value), err.value


_yaml_bits = st.sampled_from(["name: ", "primary: ", "theme: ", "keys:\n  ", "desk.note: ", "dark: ", "text_alpha: ",
                              "variables:\n  a: ", "'#fff'", "!!binary zz", "!!int x", "2026-13-45", "&a x", "*a",
                              "[", "]", "{", "}", ",", ":", "- ", "\n", "\t", "? ", "~", "yes", "0.5", "ctrl+o"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_yaml_bits | st.text(max_size=5), max_size=30).map("".join))
def test_any_theme_or_config_text_is_settings_or_one_line_problems(tmp_path, text):
    path = write(tmp_path / "fuzz.yaml", text)
    try:
        load_theme_file(path)
    except ValueError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
    cfg = load_user_config(path)
    assert all(p.startswith(str(path)) and "\n" not in p for p in cfg.problems)
