"""Open the desk's database: one function that turns a URL into a working engine.

SQLite is the embedded default (one host, handlers SSH in); PostgreSQL serves
several app hosts. Either way a bad URL, a missing server or an unusable file
must be reported at start as one line naming the database — not as a traceback
halfway through a handler's work — so `connect` tries the database once before
returning.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from deskapp.core.ownfiles import make_private_folder
from deskapp.errors import StorageError
from deskapp.store import dbfile

# How long a writer waits for another desk's write to finish before giving up.
SQLITE_BUSY_TIMEOUT_MS = 10_000
# How long to wait for a PostgreSQL server before saying it is unreachable.
PG_CONNECT_TIMEOUT_S = 5

_PG_NAMES = ("postgresql", "postgres", "postgresql+psycopg")


def masked(url: str | URL) -> str:
    """The URL as it may be shown to people: any password replaced by ***."""
    try:
        parsed = url if isinstance(url, URL) else make_url(str(url))
    except (ArgumentError, ValueError, TypeError):
        # Not parseable: still hide anything that looks like user:password@.
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", str(url))
    # Show the scheme people type (sqlite://, postgresql://), not the driver deskapp picked.
    plain = {"sqlite+pysqlite": "sqlite", "postgresql+psycopg": "postgresql"}.get(parsed.drivername)
    if plain:
        parsed = parsed.set(drivername=plain)
    return parsed.render_as_string(hide_password=True)


def one_line(exc: BaseException) -> str:
    """The useful part of a driver error, squeezed onto one line."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split())
    return text or type(orig).__name__


def _parse(url: str) -> URL:
    if not isinstance(url, str) or not url.strip():
        raise StorageError("no database URL given: use sqlite:///PATH or postgresql://USER@HOST/DB")
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError) as exc:
        raise StorageError(
            f"not a database URL: {masked(url)} (use sqlite:///PATH or postgresql://USER@HOST/DB)"
        ) from exc
    backend = parsed.drivername
    if backend in ("sqlite", "sqlite+pysqlite"):
        return parsed.set(drivername="sqlite+pysqlite")
    if backend in _PG_NAMES:
        return parsed.set(drivername="postgresql+psycopg")
    raise StorageError(
        f"unsupported database {masked(parsed)}: deskapp works with sqlite:///PATH or postgresql://USER@HOST/DB"
    )


def _sqlite_path(parsed: URL) -> Path | None:
    """The file behind a sqlite URL, created private if missing (deskapp.store.dbfile: 0600 in folders
    made 0700, so its -wal/-shm are 0600 too); None for an in-memory database."""
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    path = Path(database).expanduser()
    if path.is_dir():
        raise StorageError(f"cannot open database {masked(parsed)}: {path} is a folder, not a file")
    try:
        make_private_folder(path.parent)
    except OSError as exc:
        raise StorageError(
            f"cannot open database {masked(parsed)}: cannot create folder {path.parent}: {exc.strerror or exc}"
        ) from exc
    try:
        dbfile.create_private(path)
    except OSError as exc:
        raise StorageError(f"cannot open database {masked(parsed)}: cannot create {path}: {exc.strerror or exc}") from exc
    return path


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    """Settings SQLite keeps per connection, so every pooled connection gets them."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def connect(url: str, *, warn: bool = True) -> Engine:
    """An engine for `url`, checked by connecting once. Raises StorageError with a one-line reason.

    sqlite:///PATH  creates PATH (0600) and its folders (0700) if missing; WAL, foreign keys,
                    busy timeout and synchronous=NORMAL are set on every connection. A file
                    others may read or write is used, with a one-line warning on stderr (once
                    per process; `warn=False` for `deskapp init`, which fixes it instead).
    postgresql://   (or postgres://) uses psycopg 3.
    """
    parsed = _parse(url)
    shown = masked(parsed)
    try:
        if parsed.drivername.startswith("sqlite"):
            path = _sqlite_path(parsed)
            if path is None:
                engine = create_engine(
                    parsed, poolclass=StaticPool, connect_args={"check_same_thread": False}
                )
            else:
                if warn:
                    dbfile.warn_once(path)
                engine = create_engine(
                    parsed.set(database=str(path)),
                    connect_args={"check_same_thread": False},
                )
            event.listen(engine, "connect", _on_sqlite_connect)
        else:
            connect_args = {}
            if "connect_timeout" not in parsed.query:
                connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
            engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, SQLAlchemyError, ImportError, ValueError, TypeError) as exc:
        raise StorageError(f"cannot use database {shown}: {one_line(exc)}") from exc

    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except (SQLAlchemyError, OSError, ValueError) as exc:
        engine.dispose()
        raise StorageError(f"cannot open database {shown}: {one_line(exc)}") from exc
    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite engine; None for PostgreSQL or an in-memory database."""
    if not is_sqlite(engine):
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session for one unit of work: commits if the block finishes, rolls back if it raises.

    Objects stay readable after the commit (expire_on_commit=False) so callers
    can hand them to the UI without another round trip.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
