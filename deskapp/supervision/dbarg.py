"""The --db of the supervision commands: a database that exists, never one made by accident.

`deskapp init` and `deskapp demo` create databases; verify, export, import and
checkpoint only read or add to one, so a mistyped SQLite path is an error
rather than a new, empty desk that "verifies" cleanly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from deskapp import config
from deskapp.errors import DeskError

if TYPE_CHECKING:
    import argparse


def existing_db(option: str | None) -> str:
    """The database URL to use; a SQLite file that does not exist is an error, never silently created."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = config.db_url(option)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url  # connect() reports it in one line
    database = parsed.database or ""
    if parsed.drivername.startswith("sqlite") and database and database != ":memory:" \
            and not database.startswith("file:") and not Path(database).expanduser().exists():
        raise DeskError(f"no database at {database}: check --db or DESKAPP_DB (`deskapp init` creates one)")
    return url


def open_existing_desk(args: argparse.Namespace):
    """The desk a command acts on: its --db (which must exist), --policies and --as, checked as the desk checks them."""
    from deskapp.actions import open_desk

    return open_desk(existing_db(getattr(args, "db", None)), getattr(args, "policies", None), None,
                     as_name=getattr(args, "as_name", None))
