"""Migrations: an empty database reaches head on both engines, and the result is exactly models.py."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from deskapp.errors import StorageError
from deskapp.store import migrate, models  # noqa: F401  (models registers the tables)
from deskapp.store.engine import connect

# SQLite cannot reflect expression indexes (natural ref order); test_every_model_index_exists covers them.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index"),
]


def _is_search_table(name: str) -> bool:
    try:
        from deskapp.store.search import is_search_table
    except ImportError:  # pragma: no cover - before the search module existed
        return False
    return is_search_table(name)


def _include_name(name, type_, parent_names):
    return not (type_ == "table" and name and _is_search_table(name))


def _diffs(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True, "include_name": _include_name}
        )
        return compare_metadata(context, SQLModel.metadata)


@pytest.fixture
def bare(db_url):
    engine = connect(db_url)
    yield engine
    engine.dispose()


def test_empty_database_upgrades_to_head(bare):
    assert migrate.current_revision(bare) is None
    with pytest.raises(StorageError, match="not initialised: run `deskapp init`"):
        migrate.require_current(bare)
    reached = migrate.upgrade(bare)
    assert reached == migrate.head_revision()
    migrate.require_current(bare)
    tables = set(inspect(bare).get_table_names())
    assert {t.name for t in SQLModel.metadata.sorted_tables} <= tables


def test_upgrade_twice_is_harmless(engine):
    assert migrate.upgrade(engine) == migrate.head_revision()


def test_migrated_schema_matches_models(engine):
    assert _diffs(engine) == []


def _index_names(engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
        else:
            rows = conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        return {name for (name,) in rows}


def test_every_model_index_exists(engine):
    wanted = {ix.name for table in SQLModel.metadata.sorted_tables for ix in table.indexes}
    assert wanted - _index_names(engine) == set()


def test_initial_revision_alone_matches_its_tables(bare):
    """Revision 0001 must stay what it was: every table it creates exists after it, with the models' columns."""
    cfg = migrate._config()
    with bare.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    insp = inspect(bare)
    for table in ("handlers", "cases", "parties", "contacts", "appointments", "approval_requests",
                  "audit_events", "drafts"):
        model_cols = set(SQLModel.metadata.tables[table].columns.keys())
        db_cols = {c["name"] for c in insp.get_columns(table)}
        # later revisions may add columns; 0001's columns are all still in the model
        assert db_cols <= model_cols, table


def test_downgrade_to_nothing_and_back(engine):
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert migrate.current_revision(engine) is None
    left = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert not {t.name for t in SQLModel.metadata.sorted_tables} & left
    migrate.upgrade(engine)
    assert _diffs(engine) == []


def test_old_revision_needs_upgrade(bare):
    cfg = migrate._config()
    with bare.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    if migrate.head_revision() == "0001":
        pytest.skip("only one revision so far")
    with pytest.raises(StorageError, match="needs upgrade .*run `deskapp init`"):
        migrate.require_current(bare)


def test_unknown_revision_is_reported(engine):
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    with pytest.raises(StorageError, match="from_the_future.*does not know"):
        migrate.require_current(engine)


def test_migrations_are_inside_the_package():
    import deskapp

    root = migrate.MIGRATIONS
    assert root.is_relative_to(__import__("pathlib").Path(deskapp.__file__).parent)
    assert (root / "env.py").is_file() and (root / "script.py.mako").is_file()
    assert any(p.name.startswith("0001") for p in (root / "versions").glob("*.py"))


def test_autogenerate_against_head_proposes_nothing(engine, tmp_path):
    """`python -m deskapp.store.migrate revision` runs env.py's autogenerate: on a database at head (with its
    search tables, which no model describes) it must propose no change - in particular not dropping them."""
    from alembic.script import ScriptDirectory

    from deskapp.store.search import SEARCH_TABLE

    assert SEARCH_TABLE in inspect(engine).get_table_names()
    proposed = []

    def capture(context, revision, directives):
        proposed.extend(directives[0].upgrade_ops.ops)
        directives[:] = []  # write no revision file

    cfg = migrate._config()
    cfg.attributes["process_revision_directives"] = capture
    before = {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message="nothing", autogenerate=True)
    assert proposed == []
    assert {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()} == before
