"""Test files need unique basenames: pytest imports them by basename (no packages), and a second
file of the same name stops the whole run at collection."""

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_two_test_files_share_a_name_outside_packages():
    names = Counter(p.name for p in TESTS.rglob("test_*.py") if not (p.parent / "__init__.py").exists())
    assert [name for name, count in names.items() if count > 1] == []
