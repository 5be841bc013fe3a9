"""Alembic environment for deskapp.

deskapp runs migrations itself (deskapp.store.migrate), handing Alembic an open
connection in `config.attributes["connection"]`; there is no alembic.ini at
run time. SQLite gets batch mode so later revisions can alter tables.
"""

from __future__ import annotations

from alembic import context

from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from deskapp.store import models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def _render_item(type_, obj, autogen_context):
    """Write SQLModel's AutoString as plain sa.String, so revisions need no sqlmodel import."""
    if type_ == "type" and isinstance(obj, AutoString):
        length = getattr(obj.impl, "length", None)
        return f"sa.String(length={length})" if length else "sa.String()"
    return False


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Developer use without deskapp.store.migrate: connect to --db/DESKAPP_DB.
    from deskapp.config import db_url
    from deskapp.store.engine import connect

    engine = connect(config.get_main_option("sqlalchemy.url") or db_url())
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("deskapp migrations run online only: use `deskapp init`")
run_migrations_online()
