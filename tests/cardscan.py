"""Look for full card numbers everywhere deskapp keeps things: every table's text, raw SQLite bytes, files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from deskapp.core.cards import find_cards


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def scan_database(engine) -> list[str]:
    """`table.column: card` for every full card number in any column of any table (read back as text).

    SQLite is read through the raw driver with bytes decoded leniently, so the full-text index's
    shadow tables (blobs) are read too; PostgreSQL casts every column (tsvectors included) to text.
    """
    found = []
    names = inspect(engine).get_table_names()
    if engine.dialect.name == "sqlite":
        names += [n for (n,) in _sqlite_shadow_tables(engine) if n not in names]
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        if engine.dialect.name == "sqlite":
            raw.text_factory = lambda b: b.decode("utf-8", "replace")
        for name in names:
            cursor = raw.cursor()
            if engine.dialect.name == "sqlite":
                cursor.execute(f'SELECT * FROM "{name}"')
            else:
                cols = [c["name"] for c in inspect(engine).get_columns(name)]
                cursor.execute("SELECT " + ", ".join(f'CAST("{c}" AS TEXT)' for c in cols) + f' FROM "{name}"')
            cols = [d[0] for d in cursor.description]
            for row in cursor.fetchall():
                for c, value in zip(cols, row):
                    if value is None:
                        continue
                    for m in find_cards(_text(value)):
                        found.append(f"{name}.{c}: {m.label}")
            cursor.close()
    return found


def _sqlite_shadow_tables(engine):
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").all()


def scan_sqlite_file(engine) -> list[str]:
    """Full card numbers in the raw bytes of a SQLite database, after the WAL is checkpointed into it."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(make_url(str(engine.url)).database)
    out = []
    for p in (path, Path(str(path) + "-wal")):
        if p.exists():
            out += [f"{p.name}: {m.label}" for m in find_cards(p.read_bytes().decode("latin-1"))]
    return out


def scan_text(name: str, text: str) -> list[str]:
    return [f"{name}: {m.label}" for m in find_cards(text)]

