"""Where things are: the database URL, the policies file, the user's config and the OS account.

Precedence everywhere: command-line option, then environment variable, then default.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import platformdirs

from deskapp.resources import shipped

APP = "deskapp"


def data_dir() -> Path:
    """Per-user data folder (DESKAPP_DATA_DIR overrides, e.g. for tests)."""
    override = os.environ.get("DESKAPP_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    """Per-user config folder holding config.yaml (theme, key bindings). DESKAPP_CONFIG_DIR overrides."""
    override = os.environ.get("DESKAPP_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP, appauthor=False))


def write_whole(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all: written beside it, then renamed over it.

    A desk killed mid-write (or two desks writing at once) never leaves a half-written file
    that a later start would misread. Makes the folder if needed; raises OSError.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(data)
    partial.replace(path)


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'deskapp.db'}"


def db_url(option: str | None = None) -> str:
    """The database to use: --db, else DESKAPP_DB, else a SQLite file in the user's data folder."""
    return option or os.environ.get("DESKAPP_DB") or default_db_url()


def policies_path(option: str | None = None) -> Path:
    """The policies file: --policies, else DESKAPP_POLICIES, else the packaged default."""
    chosen = option or os.environ.get("DESKAPP_POLICIES")
    return Path(chosen) if chosen else shipped("policies.yaml")


def os_username() -> str:
    """The OS account running this process (its effective uid, through pwd): who is at the desk.

    Nothing a handler sets (DESKAPP_USER, LOGNAME, USER: what getpass reads) changes it;
    acting as someone else is `--as` / `--as-key`, checked by deskapp.actions.identity.
    """
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid with no passwd entry (some containers): named by its number
        return str(uid)
