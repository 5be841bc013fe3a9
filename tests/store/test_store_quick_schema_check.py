"""The start-up schema check answers "at head?" without importing Alembic, and defers to it when unsure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deskapp.errors import StorageError
from deskapp.store import migrate, schema_head
from deskapp.store.engine import connect


def test_quick_head_is_alembics_head():
    assert migrate._quick_head() == migrate.head_revision()


def test_desk_start_up_check_does_not_import_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    engine = connect(url)
    migrate.upgrade(engine)
    engine.dispose()
    code = (
        "import sys\n"
        "from deskapp.store.engine import connect\n"
        "from deskapp.store.migrate import require_current\n"
        f"require_current(connect({url!r}))\n"
        "print('alembic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_database_behind_head_is_still_refused(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    if migrate.head_revision() != "0001":
        with pytest.raises(StorageError, match="needs upgrade"):
            migrate.require_current(engine)
    engine.dispose()


def test_empty_database_is_still_refused(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(StorageError, match="not initialised"):
        migrate.require_current(engine)
    engine.dispose()


def _versions(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "migrations" / "versions"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder.parent


def _rev(rev: str, down: str) -> str:
    return (f"revision: str = '{rev}'\n"
            f"down_revision: Union[str, Sequence[str], None] = {down}\n")


@pytest.mark.parametrize("files, head", [
    ({"a.py": _rev("a", "None"), "b.py": _rev("b", "'a'")}, "b"),
    # a merge revision names both parents
    ({"a.py": _rev("a", "None"), "b.py": _rev("b", "'a'"), "c.py": _rev("c", "'a'"),
      "m.py": _rev("m", "('b', 'c')")}, "m"),
    # two heads: unsure, so Alembic decides
    ({"a.py": _rev("a", "None"), "b.py": _rev("b", "'a'"), "c.py": _rev("c", "'a'")}, None),
    # a file it cannot read plainly
    ({"a.py": _rev("a", "None"), "b.py": "revision = make_id()\ndown_revision = 'a'\n"}, None),
    # a parent that is not shipped
    ({"b.py": _rev("b", "'a'")}, None),
])
def test_quick_head_reads_plain_files_and_gives_up_otherwise(tmp_path, monkeypatch, files, head):
    monkeypatch.setattr(schema_head, "MIGRATIONS", _versions(tmp_path, files))
    assert migrate._quick_head() == head
