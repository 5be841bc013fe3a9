"""The documentation site builds with no broken link, anchor or page left out of the navigation.

`mkdocs build --strict` (mkdocs.yml sets what counts as a problem) fails on any
of them; CI runs it here, so a page that moves or a heading that is renamed
cannot leave a dead link behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _build(config: Path, site: Path) -> subprocess.CompletedProcess:
    try:
        import material  # noqa: F401  (the theme mkdocs.yml names)
    except ImportError:
        pytest.fail("mkdocs-material is not installed: pip install -e '.[test]'")
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
                           "--site-dir", str(site)], cwd=config.parent, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


def test_the_docs_build_strictly(tmp_path):
    done = _build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert (tmp_path / "site" / "index.html").exists()


def test_a_broken_link_fails_the_build(tmp_path):
    """The check can fail: a copy of the docs with one dead link and one page missing from the nav."""
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    with (tmp_path / "docs" / "backup.md").open("a", encoding="utf-8") as page:
        page.write("\nSee [the old page](no-such-page.md) and [a section](deploying.md#no-such-section).\n")
    (tmp_path / "docs" / "stray.md").write_text("# Not in the nav\n", encoding="utf-8")
    done = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert done.returncode != 0
    assert "no-such-page.md" in done.stderr
    assert "no-such-section" in done.stderr
    assert "stray.md" in done.stderr


def test_readme_stays_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; the guide allows 200 (move detail into docs/)"


def test_the_user_guide_gives_the_widths_the_layout_changes_at():
    """The guide once said 140 columns while the desk went to three panes at 100: its table follows the code."""
    from deskapp.tui.screens.main import MainScreen

    widths = sorted(width for width, _name in MainScreen.HORIZONTAL_BREAKPOINTS if width > 0)
    guide = " ".join((ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8").split())
    assert f"| under {widths[0]} columns" in guide
    for low, high in zip(widths, widths[1:]):
        assert f"| {low} to {high - 1} columns |" in guide
    assert f"| {widths[-1]} columns and more |" in guide


def test_the_demo_page_calls_closed_exactly_the_stories_that_are_closed():
    """A reader looking for C-1007 in the queue must not be told it is closed, nor miss that C-1005 is."""
    import re
    from datetime import date

    from deskapp.demo.stories import stories

    closed = {s.ref for s in stories(date(2026, 3, 10)) if s.status == "closed"}
    table = re.findall(r"^\| (C-\d+(?:, C-\d+)*) \| (.*) \|$", (ROOT / "docs" / "demo.md").read_text(encoding="utf-8"),
                       re.MULTILINE)
    said_closed = {ref for refs, story in table for ref in refs.split(", ") if "closed" in story}
    assert said_closed == closed, table
