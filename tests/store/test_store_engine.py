"""connect(): the right settings on every connection, and one-line errors for every way a URL can be wrong."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from deskapp.errors import StorageError
from deskapp.store.engine import connect, masked, session_scope
from deskapp.store.models import Handler


def _pragma(conn, name):
    return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_creates_folder_and_sets_pragmas_on_every_connection(tmp_path):
    path = tmp_path / "a" / "b" / "desk.db"
    engine = connect(f"sqlite:///{path}")
    try:
        assert path.parent.is_dir()
        with engine.connect() as first, engine.connect() as second:  # two pooled connections
            for conn in (first, second):
                assert _pragma(conn, "journal_mode") == "wal"
                assert _pragma(conn, "foreign_keys") == 1
                assert _pragma(conn, "busy_timeout") >= 5000
                assert _pragma(conn, "synchronous") == 1  # NORMAL
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", [
    "",
    "   ",
    "garbage",
    "not a url at all",
    "mysql://root@localhost/desk",
    "http://example.org/desk",
    "postgresql+psycopg2://postgres@127.0.0.1/test",
    "sqlite+unknown:///x.db",
])
def test_bad_urls_are_one_line_storage_errors(url):
    with pytest.raises(StorageError) as caught:
        connect(url)
    message = str(caught.value)
    assert "\n" not in message
    assert message


def test_sqlite_path_that_is_a_folder(tmp_path):
    with pytest.raises(StorageError, match="is a folder"):
        connect(f"sqlite:///{tmp_path}")


def test_sqlite_folder_that_cannot_be_made(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="cannot create folder") as caught:
        connect(f"sqlite:///{blocker}/sub/desk.db")
    assert str(blocker) in str(caught.value)


def test_sqlite_file_that_is_not_a_database(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"this is a text file, not SQLite " * 100)
    with pytest.raises(StorageError) as caught:
        connect(f"sqlite:///{bogus}")
    assert "not a database" in str(caught.value)
    assert str(bogus) in str(caught.value)


def test_unreachable_postgres_names_url_and_hides_password():
    url = "postgresql://desk:s3cret-pw@127.0.0.1:1/desk"
    with pytest.raises(StorageError) as caught:
        connect(url)
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert "127.0.0.1:1/desk" in message
    assert "\n" not in message


def test_masked_hides_passwords_even_in_garbage():
    assert "pw" not in masked("postgresql://u:pw@h/db")
    assert "pw" not in masked("weird://u:pw@h:x:y/db")
    assert masked("sqlite+pysqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_session_scope_commits_and_rolls_back(engine):
    with session_scope(engine) as session:
        session.add(Handler(username="kept", display_name="Kept"))
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:
            session.add(Handler(username="dropped", display_name="Dropped"))
            session.flush()
            raise RuntimeError("boom")
    with engine.connect() as conn:
        names = conn.execute(text("SELECT username FROM handlers ORDER BY username")).scalars().all()
    assert names == ["kept"]


def test_session_scope_objects_readable_after_commit(engine):
    with session_scope(engine) as session:
        handler = Handler(username="amy", display_name="Amy")
        session.add(handler)
    assert handler.id is not None and handler.display_name == "Amy"


@pytest.mark.postgres
def test_postgres_scheme_aliases_use_psycopg3(pg_url):
    for alias in ("postgresql://", "postgres://", "postgresql+psycopg://"):
        url = alias + pg_url.split("://", 1)[1]
        engine = connect(url)
        try:
            assert engine.dialect.name == "postgresql"
            assert engine.dialect.driver == "psycopg"
        finally:
            engine.dispose()


@pytest.mark.postgres
def test_postgres_missing_database(pg_url):
    from sqlalchemy.engine import make_url

    url = make_url(pg_url).set(database="deskapp_no_such_db").render_as_string(hide_password=False)
    with pytest.raises(StorageError) as caught:
        connect(url)
    assert "deskapp_no_such_db" in str(caught.value)
    assert "\n" not in str(caught.value)
