"""Shared fixtures: a private home for every test, and databases on SQLite and PostgreSQL.

Every test gets its own data, config and cache folders (DESKAPP_DATA_DIR /
DESKAPP_CONFIG_DIR / DESKAPP_CACHE_DIR) so nothing touches the real user's database or settings.

`db_url` runs a test once per engine: a SQLite file in tmp, and PostgreSQL when
DESKAPP_TEST_POSTGRES_URL is set (a fresh schema per test, selected through
the URL's search_path, dropped afterwards). `engine` is the same database
migrated to head and empty.
"""

from __future__ import annotations

import os
import uuid

import pytest
from desk_support import set_desk_setting

PG_ENV = "DESKAPP_TEST_POSTGRES_URL"


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("DESKAPP_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("DESKAPP_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("DESKAPP_CACHE_DIR", str(home / "cache"))
    monkeypatch.delenv("DESKAPP_DB", raising=False)
    yield home


def postgres_base_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _pg_schema_url(base: str, schema: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _pg_admin(base: str, sql: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base)
    with psycopg.connect(
        host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
        password=url.password, dbname=url.database, autocommit=True, connect_timeout=5,
    ) as conn:
        conn.execute(sql)


def _fresh_pg_schema():
    base = postgres_base_url()
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    _pg_admin(base, f'CREATE SCHEMA "{schema}"')
    try:
        yield _pg_schema_url(base, schema)
    finally:
        _pg_admin(base, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def pg_url():
    """A PostgreSQL URL whose search_path is a fresh, empty schema (skips without a server)."""
    yield from _fresh_pg_schema()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'desk.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request):
    """An empty, unmigrated database: SQLite always, PostgreSQL when configured."""
    return request.getfixturevalue("pg_url" if request.param == "postgres" else "sqlite_url")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def module_db_url(request, tmp_path_factory):
    """Like `db_url`, but shared by one test module: for data that is loaded once and only read."""
    if request.param == "postgres":
        yield from _fresh_pg_schema()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('module_db') / 'desk.db'}"


@pytest.fixture
def engine(db_url):
    """The `db_url` database migrated to head, with no rows."""
    from deskapp.store.engine import connect
    from deskapp.store.migrate import upgrade

    eng = connect(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def published(engine):
    """`engine` as `deskapp init` leaves it: the packaged rules published as version 1 (one audit event).

    A desk opens only on published rules; fixtures that open desks ask for this.
    """
    from deskapp.actions.policies import publish_default

    publish_default(engine, "setup")
    return engine


@pytest.fixture
def desk_setting():
    """set_desk_setting(url, key, value) for tests: mark a desk demo, name its service account."""
    return set_desk_setting
