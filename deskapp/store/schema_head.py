"""The schema revision this deskapp expects, read straight from its migration files.

Plain text reading, no SQLAlchemy and no Alembic: the desk's start-up asks "is
the database at head?" before anything heavy is imported (deskapp.store.migrate
asks Alembic only when the answer is not a plain yes).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*['\"]([^'\"]+)['\"]\s*$", re.M)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=\n]+)?\s*=\s*(.+?)\s*$", re.M)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def quick_head() -> Optional[str]:
    """The single head revision read straight from the version files, or None if unsure.

    Only a plain `revision = '...'` / `down_revision = ...` per file counts;
    anything else (branches, labels, odd syntax) returns None and the caller
    asks Alembic.
    """
    revisions: set[str] = set()
    downs: set[str] = set()
    try:
        files = sorted((MIGRATIONS / "versions").glob("*.py"))
        for path in files:
            text = path.read_text(encoding="utf-8")
            rev, down = _REVISION.findall(text), _DOWN_REVISION.findall(text)
            if len(rev) != 1 or len(down) != 1:
                return None
            revisions.add(rev[0])
            if down[0] != "None":
                downs.update(_QUOTED.findall(down[0]))
    except OSError:
        return None
    heads = revisions - downs
    if len(heads) != 1 or not downs <= revisions or len(revisions) != len(files):
        return None
    return heads.pop()
