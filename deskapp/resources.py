"""Find files shipped with deskapp: the default policies.yaml and the themes/ folder.

In a wheel they live under deskapp/data/; in a source checkout (editable
install, tests) they are at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """Path of a shipped file or folder, e.g. shipped("policies.yaml") or shipped("themes")."""
    packaged = _PACKAGE / "data" / name
    if packaged.exists():
        return packaged
    return _PACKAGE.parent / name
