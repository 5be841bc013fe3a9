"""Alembic environment for deskapp.

deskapp runs migrations itself (deskapp.store.migrate), handing Alembic an open
connection in `config.attributes["connection"]`; there is no alembic.ini at
run time. SQLite gets batch mode so later revisions can alter tables.

The full-text search index (deskapp.store.search: an FTS5 table and its shadow
tables on SQLite, a tsvector table on PostgreSQL) is made by raw SQL, not by a
model, so autogenerate is told to leave it out; otherwise every new revision
would propose dropping it. A caller may pass `process_revision_directives` in
`config.attributes` (tests use it to inspect what autogenerate proposes).
"""

from __future__ import annotations

from alembic import context

from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from deskapp.store import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from deskapp.store.masking import MaskedJSON, MaskedString, MaskedText
from deskapp.store.search import is_search_table

config = context.config
target_metadata = SQLModel.metadata


def _render_item(type_, obj, autogen_context):
    """Write SQLModel's AutoString and the masking types as plain sa types, so revisions import neither."""
    if type_ == "type" and isinstance(obj, AutoString):
        length = getattr(obj.impl, "length", None)
        return f"sa.String(length={length})" if length else "sa.String()"
    if type_ == "type" and isinstance(obj, (MaskedString, MaskedText, MaskedJSON)):
        # Masking happens on bind (deskapp.store.masking): in the database these are plain columns.
        impl = obj.impl
        if isinstance(obj, MaskedString):
            return f"sa.String(length={impl.length})" if impl.length else "sa.String()"
        return "sa.Text()" if isinstance(obj, MaskedText) else "sa.JSON()"
    return False


def include_name(name, type_, parent_names) -> bool:
    """Reflect neither the search tables nor their indexes (they are not in the models)."""
    if type_ == "table":
        return not (name and is_search_table(name))
    if type_ in ("index", "unique_constraint", "foreign_key_constraint", "column"):
        table = (parent_names or {}).get("table_name")
        return not (table and is_search_table(table))
    return True


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """The same rule for objects, in case one reaches the comparison another way."""
    table = getattr(obj, "table", None)
    owner = name if type_ == "table" else getattr(table, "name", None)
    return not (owner and is_search_table(owner))


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        render_item=_render_item,
        include_name=include_name,
        include_object=include_object,
        process_revision_directives=config.attributes.get("process_revision_directives"),
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
