"""Bring a database's schema to the version this deskapp expects, with Alembic.

The migration scripts ship inside the package (deskapp/store/migrations), so an
installed deskapp can create or upgrade a database without an alembic.ini.
Commands that use the database call `require_current` first, so an old or
empty database is reported as one line ("run `deskapp init`") rather than
failing later on a missing table.

Developers add a revision with:
    python -m deskapp.store.migrate revision "what changed"
which autogenerates it against a scratch SQLite database at head; review it
before committing (SQLite and PostgreSQL must both run it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from deskapp.errors import StorageError
from deskapp.store.engine import masked, one_line
from deskapp.store.schema_head import quick_head as _quick_head

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic (with mako and pygments) is imported only when a migration must be read or run:
# it costs ~0.1 s of CPU, and every desk start-up only needs "is the schema at head?",
# which `_quick_head` and `_quick_current` answer from the version files and one SELECT.

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config() -> "Config":
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    return cfg


def head_revision() -> str:
    """The newest revision this deskapp ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships the initial revision
        raise StorageError("deskapp ships no migrations: the installation is broken")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None if it was never initialised."""
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot read the schema version of {masked(engine.url)}: {one_line(exc)}") from exc


def upgrade(engine: Engine) -> str | None:
    """Create or upgrade the schema to head in one transaction; returns the revision reached."""
    from alembic import command
    from alembic.util import CommandError

    cfg = _config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except (CommandError, SQLAlchemyError) as exc:
        raise StorageError(f"cannot upgrade {masked(engine.url)}: {one_line(exc)}") from exc
    return current_revision(engine)


def _quick_current(engine: Engine) -> Optional[str]:
    """The database's one revision by a plain SELECT; None if unsure (no table, several rows, an error)."""
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except SQLAlchemyError:
        return None
    return rows[0][0] if len(rows) == 1 else None


def require_current(engine: Engine) -> None:
    """Refuse to work on a database whose schema is missing or not at head."""
    head = _quick_head()
    if head is not None and _quick_current(engine) == head:
        return  # the usual case, answered without importing Alembic
    from alembic.script import ScriptDirectory

    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    shown = masked(engine.url)
    if current is None:
        raise StorageError(f"database {shown} is not initialised: run `deskapp init`")
    known = {rev.revision for rev in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current not in known:
        raise StorageError(
            f"database {shown} is at revision {current}, which this deskapp does not know "
            f"(it expects {head}): upgrade deskapp"
        )
    raise StorageError(f"database {shown} is at revision {current} and needs upgrade to {head}: run `deskapp init`")


def _make_revision(message: str) -> None:
    """Autogenerate a revision against a scratch SQLite database at head (developer tool)."""
    import tempfile

    from alembic import command

    from deskapp.store.engine import connect

    with tempfile.TemporaryDirectory() as tmp:
        engine = connect(f"sqlite:///{tmp}/scratch.db")
        upgrade(engine)
        cfg = _config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message=message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":  # pragma: no cover - developer tool
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        raise SystemExit('usage: python -m deskapp.store.migrate revision "what changed"')
    _make_revision(sys.argv[2])
