"""Caches are per user: kept 0600 under the user's cache folder, and one that another account wrote
(or could have rewritten), or that is damaged, never changes what the desk draws."""

from __future__ import annotations

import marshal
import os
import stat
from dataclasses import dataclass

import pytest

from deskapp import config
from deskapp.resources import shipped
from deskapp.tui import parse_cache
from deskapp.tui.app import DeskApp
from deskapp.tui.themes import load_themes
from deskapp.tui.widgets.sidebar import PolicySidebar

from tui_support import FakeDesk, fixed_now

NOBODY = 65534
DESK_DARK = shipped("themes") / "desk-dark.yaml"


@dataclass(frozen=True)
class F:
    rule: str
    severity: str
    message: str


def themes_cache():
    return config.cache_dir() / "themes.marshal"


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


async def warn_badge_style() -> tuple[str, str]:
    """(foreground, background) of a WARN badge as the desk paints it, and no crash getting there."""
    app = DeskApp(FakeDesk(), now=fixed_now, show_clock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        sidebar = app.screen.query_one(PolicySidebar)
        sidebar.show_live([F("tone", "warn", "careful")], action="message")
        await pilot.pause()
        for y in range(sidebar.size.height):
            for segment in sidebar.render_line(y):
                if "WARN" in segment.text:
                    style = segment.style
                    assert style is not None and style.reverse
                    return style.color.name, style.bgcolor.name
    raise AssertionError("no WARN badge painted")


def black_on_black_cache() -> bytes:
    """The themes cache as the desk wrote it, with desk-dark's warning colour made its background."""
    load_themes()
    data = marshal.loads(themes_cache().read_bytes())
    text, settings = data["entries"][str(DESK_DARK)]
    data["entries"][str(DESK_DARK)] = (text, dict(settings, warning="#000000", background="#000000"))
    return marshal.dumps(data)


def test_the_cache_is_private_and_kept_per_uid():
    load_themes()
    path = themes_cache()
    assert path.parent.name == str(os.geteuid())
    assert path.parent.parent == config.cache_dir().parent
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    assert not (config.data_dir() / "cache").exists()


def test_writing_keeps_other_files_and_leaves_no_partial_file():
    load_themes()
    folder = themes_cache().parent
    os.chmod(folder, 0o755)  # a folder that exists is not changed behind the user's back
    themes_cache().unlink()
    load_themes()
    assert mode(folder) == 0o755
    assert sorted(p.name for p in folder.iterdir()) == ["themes.marshal"]


def _chown(path, uid):
    try:
        os.chown(path, uid, -1)
    except PermissionError:
        pytest.skip("changing a file's owner needs root")


def plant(kind: str, good: bytes, tampered: bytes) -> None:
    path = themes_cache()
    if kind == "another-uid":
        path.write_bytes(tampered)
        os.chmod(path, 0o600)
        _chown(path, NOBODY)
    elif kind == "group-writable":
        path.write_bytes(tampered)
        os.chmod(path, 0o620)
    elif kind == "world-writable":
        path.write_bytes(tampered)
        os.chmod(path, 0o666)
    elif kind == "symlink":
        elsewhere = path.with_name("elsewhere")
        elsewhere.write_bytes(tampered)
        os.chmod(elsewhere, 0o600)
        path.unlink()
        path.symlink_to(elsewhere)
    elif kind == "garbage":
        path.write_bytes(b"\x00\xffgarbage" * 100)
    elif kind == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif kind == "wrong-shape":
        data = marshal.loads(good)
        text, _settings = data["entries"][str(DESK_DARK)]
        data["entries"][str(DESK_DARK)] = (text, ["name", "desk-dark"])
        data["entries"]["/elsewhere.yaml"] = "not a pair"
        path.write_bytes(marshal.dumps(data))
    elif kind == "bad-colour":
        data = marshal.loads(good)
        text, settings = data["entries"][str(DESK_DARK)]
        data["entries"][str(DESK_DARK)] = (text, dict(settings, warning="not a colour", dark="yes"))
        path.write_bytes(marshal.dumps(data))
    else:  # pragma: no cover
        raise AssertionError(kind)


async def test_a_trusted_cache_is_used_so_the_checks_below_can_fail():
    """Control: the black-on-black cache, written by this user 0600, does change the badge."""
    normal = await warn_badge_style()
    tampered = black_on_black_cache()
    themes_cache().write_bytes(tampered)
    os.chmod(themes_cache(), 0o600)
    assert await warn_badge_style() == ("#000000", "#000000") != normal


@pytest.mark.parametrize("kind", ["another-uid", "group-writable", "world-writable", "symlink", "garbage",
                                  "truncated", "wrong-shape", "bad-colour"])
async def test_a_foreign_or_damaged_cache_is_ignored_and_rebuilt(kind):
    normal = await warn_badge_style()
    assert normal[0] != normal[1]
    good = themes_cache().read_bytes()
    tampered = black_on_black_cache()
    plant(kind, good, tampered)
    assert await warn_badge_style() == normal
    # ... and the desk wrote its own in its place: a plain file of this user, 0600.
    rebuilt = themes_cache()
    info = os.lstat(rebuilt)
    assert stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() and mode(rebuilt) == 0o600
    assert marshal.loads(rebuilt.read_bytes())["stamp"] == parse_cache._stamp()


def test_a_foreign_config_cache_is_ignored(tmp_path):
    from deskapp.tui.userconfig import load_user_config

    path = tmp_path / "config.yaml"
    path.write_text("theme: desk-light\n", encoding="utf-8")
    assert load_user_config(path).theme == "desk-light"
    cache = config.cache_dir() / "config.marshal"
    data = marshal.loads(cache.read_bytes())
    data["entries"][str(path)] = ("theme: desk-light\n", dict(data["entries"][str(path)][1], theme="desk-16"))
    cache.write_bytes(marshal.dumps(data))
    os.chmod(cache, 0o600)
    assert load_user_config(path).theme == "desk-16"  # trusted: this user's own file
    cache.write_bytes(marshal.dumps(data))
    os.chmod(cache, 0o600)
    _chown(cache, NOBODY)
    assert load_user_config(path).theme == "desk-light"
    data["entries"][str(path)] = ("theme: desk-light\n", dict(data["entries"][str(path)][1], keys=["x"]))
    cache.unlink()
    cache.write_bytes(marshal.dumps(data))
    os.chmod(cache, 0o600)
    assert load_user_config(path).keys == {}


def test_a_note_of_checked_rules_counts_only_if_this_user_wrote_it(tmp_path):
    from deskapp.actions import opening

    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nrules: []\n", encoding="utf-8")
    opening.remember_policies(rules)
    notes = list((config.cache_dir() / "checked-policies").iterdir())
    assert len(notes) == 1 and mode(notes[0]) == 0o600
    assert opening.policies_known_good(rules)
    os.chmod(notes[0], 0o602)
    assert not opening.policies_known_good(rules)
    os.chmod(notes[0], 0o600)
    _chown(notes[0], NOBODY)
    assert not opening.policies_known_good(rules)
