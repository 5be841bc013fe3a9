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
# The service account's database URL (with its password, if any), kept in its config folder.
URL_FILE = "database.url"


def data_dir() -> Path:
    """Per-user data folder (DESKAPP_DATA_DIR overrides, e.g. for tests)."""
    override = os.environ.get("DESKAPP_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    """Per-user config folder holding config.yaml (theme, key bindings). DESKAPP_CONFIG_DIR overrides."""
    override = os.environ.get("DESKAPP_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP, appauthor=False))


def cache_dir() -> Path:
    """This user's cache folder: platformdirs' user cache folder (DESKAPP_CACHE_DIR overrides), then
    a folder named for the effective uid, so two accounts sharing a HOME never share a cache."""
    override = os.environ.get("DESKAPP_CACHE_DIR")
    base = Path(override) if override else Path(platformdirs.user_cache_dir(APP, appauthor=False))
    return base / str(os.geteuid())


def write_whole(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all, 0600 in folders made 0700 (deskapp.core.ownfiles)."""
    from deskapp.core.ownfiles import write_whole as whole

    whole(path, data)


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'deskapp.db'}"


def db_url(option: str | None = None) -> str:
    """The database to use: --db, else DESKAPP_DB, else the URL in <config folder>/database.url
    (checked private: deskapp.core.urlfile), else a SQLite file in the user's data folder."""
    chosen = option or os.environ.get("DESKAPP_DB")
    if chosen:
        return chosen
    from deskapp.core.urlfile import read_url_file

    return read_url_file(config_dir() / URL_FILE) or default_db_url()


def policies_path(option: str | None = None) -> Path:
    """A policies file to check or try: --policies, else the packaged default.

    The desk itself runs on the pack published into its database
    (deskapp.actions.policies); no environment variable chooses its rules.
    """
    return Path(option) if option else shipped("policies.yaml")


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
