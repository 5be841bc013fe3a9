"""Theme files and config.yaml remembered by their exact text: never an old answer, never a lost problem."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from deskapp import config
from deskapp.tui import parse_cache
from deskapp.tui.themes import load_themes
from deskapp.tui.userconfig import load_user_config

THEME = """name: site-blue
dark: true
primary: "#1f6feb"
background: "#0d1117"
"""


def theme_folder(tmp_path: Path, text: str = THEME) -> Path:
    folder = tmp_path / "themes"
    folder.mkdir(exist_ok=True)
    (folder / "site.yaml").write_text(text, encoding="utf-8")
    return folder


def cache_file(kind: str) -> Path:
    return config.cache_dir() / f"{kind}.marshal"


def test_a_theme_read_once_is_not_parsed_again(tmp_path, monkeypatch):
    folder = theme_folder(tmp_path)
    first = load_themes([folder])
    assert first.names == ["site-blue"] and cache_file("themes").is_file()

    def no_yaml(*_a, **_k):
        raise AssertionError("parsed again")

    monkeypatch.setattr("deskapp.tui.themes._parse", no_yaml)
    again = load_themes([folder])
    assert again.names == ["site-blue"]
    assert again.themes[0] == first.themes[0]


def test_a_changed_theme_is_read_again(tmp_path):
    folder = theme_folder(tmp_path)
    assert load_themes([folder]).themes[0].primary == "#1f6feb"
    (folder / "site.yaml").write_text(THEME.replace("#1f6feb", "#ff0000"), encoding="utf-8")
    assert load_themes([folder]).themes[0].primary == "#ff0000"


def test_a_theme_broken_after_it_was_remembered_still_gives_its_line(tmp_path):
    folder = theme_folder(tmp_path)
    assert load_themes([folder]).names == ["site-blue"]
    (folder / "site.yaml").write_text(THEME + "variables: [unclosed\n", encoding="utf-8")
    broken = load_themes([folder])
    assert broken.names == [] and len(broken.warnings) == 1
    assert f"{folder / 'site.yaml'}:5" in broken.warnings[0]
    # ... and every start says so, not just the first one after the change.
    assert load_themes([folder]).warnings == broken.warnings


def test_a_corrupt_or_foreign_cache_is_ignored_and_rebuilt(tmp_path):
    folder = theme_folder(tmp_path)
    load_themes([folder])
    for junk in (b"", b"\x00\x01garbage", b"not marshal at all" * 50):
        cache_file("themes").write_bytes(junk)
        assert load_themes([folder]).names == ["site-blue"]
    import marshal

    cache_file("themes").write_bytes(marshal.dumps({"stamp": "another deskapp", "entries": {
        str(folder / "site.yaml"): (THEME, {"name": "evil", "primary": "#000000"})}}))
    assert load_themes([folder]).names == ["site-blue"]


def test_an_unwritable_cache_never_stops_the_desk(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("DESKAPP_CACHE_DIR", str(blocker))
    folder = theme_folder(tmp_path)
    assert load_themes([folder]).names == ["site-blue"]
    assert load_themes([folder]).names == ["site-blue"]


def test_the_cache_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    folder = theme_folder(tmp_path)

    def fail(fd, data):
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr("deskapp.core.ownfiles.os.write", fail)
        assert load_themes([folder]).names == ["site-blue"]
    folder_of_cache = cache_file("themes").parent
    assert not cache_file("themes").exists()
    assert list(folder_of_cache.glob("*")) == [] if folder_of_cache.is_dir() else True


def test_config_read_once_gives_the_same_settings_without_parsing(tmp_path, monkeypatch):
    path = tmp_path / "config.yaml"
    path.write_text("theme: desk-light\nkeys:\n  desk.note: ctrl+n\n", encoding="utf-8")
    first = load_user_config(path)

    def no_yaml(*_a, **_k):
        raise AssertionError("parsed again")

    monkeypatch.setattr("deskapp.tui.userconfig._parse", no_yaml)
    again = load_user_config(path)
    for name in ("theme", "theme_line", "keys", "key_lines", "problems", "parsed"):
        assert getattr(again, name) == getattr(first, name), name


def test_config_problems_are_reported_on_every_start(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("theme: desk-light\n", encoding="utf-8")
    assert load_user_config(path).problems == []
    path.write_text("theme: desk-light\ncolour: red\n", encoding="utf-8")
    for _ in range(2):
        cfg = load_user_config(path)
        assert cfg.problems and cfg.problems[0].startswith(f"{path}:2: ")


def test_the_desk_starts_without_pyyaml_once_its_files_are_remembered(tmp_path):
    """The point of the cache: the second start imports no YAML parser before the first frame."""
    code = ("import sys\n"
            "import textual.app\n"
            "from deskapp.tui.themes import load_themes\n"
            "from deskapp.tui.userconfig import load_user_config\n"
            "names = load_themes().names\n"
            "load_user_config()\n"
            "print(len(names), 'yaml' in sys.modules)\n")
    (Path(os.environ["DESKAPP_CONFIG_DIR"])).mkdir(parents=True, exist_ok=True)
    (Path(os.environ["DESKAPP_CONFIG_DIR"]) / "config.yaml").write_text("theme: desk-light\n", encoding="utf-8")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
            for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    assert runs[0].stdout.split()[1] == "True"  # the first start parses
    assert runs[1].stdout.split() == [runs[0].stdout.split()[0], "False"]


def test_stamp_tells_deskapp_versions_apart(monkeypatch):
    before = parse_cache._stamp()
    monkeypatch.setattr(parse_cache, "__version__", "0.0.0-other")
    assert parse_cache._stamp() != before
