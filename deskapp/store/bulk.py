"""Load many rows fast: executemany on SQLite, COPY on PostgreSQL, indexes rebuilt afterwards.

Used by the demo loader (and fit for importers): a million cases must load in
well under a minute, which row-by-row ORM inserts cannot do. Rows are plain
tuples in the table's column order given by the caller; datetimes must already
be text in the store's format (`stamp`), so both engines read back exactly what
the ORM would have written.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import Connection, insert

# SQLAlchemy's SQLite DateTime text format; PostgreSQL parses the same text.
_STAMP = "%Y-%m-%d %H:%M:%S.%f"


def stamp(value: datetime | None) -> str | None:
    """A datetime as the store keeps it (text identical to what the ORM writes on SQLite)."""
    return None if value is None else value.strftime(_STAMP)


def day_text(day: date) -> str:
    return day.strftime("%Y-%m-%d")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class BulkWriter:
    """Appends rows to tables inside the caller's transaction on `conn`."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.dialect = conn.dialect.name
        self.raw = conn.connection.dbapi_connection
        self.counts: dict[str, int] = {}

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        rows = rows if isinstance(rows, list) else list(rows)
        if not rows:
            return 0
        cols = ", ".join(_quote(c) for c in columns)
        if self.dialect == "sqlite":
            marks = ", ".join("?" * len(columns))
            cursor = self.raw.cursor()
            try:
                cursor.executemany(f"INSERT INTO {_quote(table)} ({cols}) VALUES ({marks})", rows)
            finally:
                cursor.close()
        else:
            with self.raw.cursor() as cursor:
                with cursor.copy(f"COPY {_quote(table)} ({cols}) FROM STDIN") as copy:
                    write = copy.write_row
                    for row in rows:
                        write(row)
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        return len(rows)

    def next_id(self, table: str) -> int:
        """The first free id, for callers that number rows themselves (to link children)."""
        value = self.conn.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {_quote(table)}").scalar()
        return int(value)

    def sync_sequences(self, tables: Iterable[str]) -> None:
        """After inserting explicit ids on PostgreSQL, move each id sequence past the largest id."""
        if self.dialect != "postgresql":
            return
        for table in tables:
            self.conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {_quote(table)}), 0) + 1, false)"
            )


def reserve_ids(conn: Connection, table: str, count: int) -> list[int]:
    """`count` ids for explicit inserts, in rising order, that no other desk can take.

    SQLite: after the largest id (the caller holds the write lock). PostgreSQL:
    taken from the table's sequence (moved past the largest id first if rows
    were ever loaded with explicit ids).
    """
    if count <= 0:
        return []
    top = conn.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {_quote(table)}").scalar() or 0
    if conn.dialect.name != "postgresql":
        return list(range(top + 1, top + 1 + count))
    seq = f"pg_get_serial_sequence('{table}', 'id')"
    ids = sorted(conn.exec_driver_sql(f"SELECT nextval({seq}) FROM generate_series(1, {int(count)})").scalars())
    if ids[0] <= top:
        conn.exec_driver_sql(f"SELECT setval({seq}, {int(top)})")
        ids = sorted(conn.exec_driver_sql(f"SELECT nextval({seq}) FROM generate_series(1, {int(count)})").scalars())
    return [int(i) for i in ids]


def insert_dicts(conn: Connection, table: Any, rows: list[dict[str, Any]], batch: int = 1000) -> None:
    """Multi-row INSERTs of mapping rows (SQLAlchemy Core), `batch` rows a statement."""
    for i in range(0, len(rows), batch):
        conn.execute(insert(table), rows[i:i + batch])


def _sqlite_indexes(conn: Connection, table: str) -> list[tuple[str, str]]:
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (table,),
    ).all()
    return [(name, sql) for name, sql in rows]


def _pg_indexes(conn: Connection, table: str) -> list[tuple[str, str]]:
    # Indexes that back a constraint (primary key, UNIQUE constraint) stay: they cannot be dropped alone.
    rows = conn.exec_driver_sql(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.oid = to_regclass(%(table)s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        """,
        {"table": table},
    ).all()
    return [(name, sql) for name, sql in rows]


@contextmanager
def indexes_suspended(conn: Connection, tables: Sequence[str], keep: Iterable[str] = ()) -> Iterator[None]:
    """Drop the tables' secondary indexes for a big load and recreate them, exactly as they were, after.

    Building an index once over sorted data is far quicker than updating it row
    by row. The definitions are read from the database itself, so indexes added
    by later migrations are kept too. Indexes named in `keep` stay live: worth
    it for those whose keys arrive in order (they only grow at their end). All
    inside the caller's transaction: if the load fails, the rollback restores them.
    """
    keep = set(keep)
    saved: list[tuple[str, str]] = []
    for table in tables:
        found = _sqlite_indexes(conn, table) if conn.dialect.name == "sqlite" else _pg_indexes(conn, table)
        saved.extend((name, sql) for name, sql in found if name not in keep)
    for name, _sql in saved:
        conn.exec_driver_sql(f"DROP INDEX {_quote(name)}")
    yield
    for _name, sql in saved:
        conn.exec_driver_sql(sql)


# --------------------------------------------------------------------------- staging files (parallel loads)


def stage_rows(path: str, tables: Sequence[tuple[str, Sequence[str]]],
               batches: Iterable[Sequence[Sequence[tuple]]]) -> dict[str, int]:
    """Worker side: write batches (one row list per table, in `tables` order) into a new SQLite file.

    Not the desk's database: a scratch file the loading connection copies from.
    Returns rows per table.
    """
    import sqlite3

    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        for table, cols in tables:
            con.execute(f"CREATE TABLE {_quote(table)} (id INTEGER PRIMARY KEY, {', '.join(cols[1:])})")
        con.execute("BEGIN")
        for batch in batches:
            for (table, cols), rows in zip(tables, batch):
                if rows:
                    con.executemany(f"INSERT INTO {_quote(table)} VALUES ({', '.join('?' * len(cols))})", rows)
        con.execute("COMMIT")
        return {table: con.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0] for table, _ in tables}
    finally:
        con.close()


def attach(conn: Connection, path: str, alias: str) -> None:
    """Attach a staging file (SQLite allows it only outside a transaction)."""
    conn.exec_driver_sql(f"ATTACH DATABASE ? AS {_quote(alias)}", (path,))


def detach(conn: Connection, alias: str) -> None:
    conn.exec_driver_sql(f"DETACH DATABASE {_quote(alias)}")


def copy_staged(conn: Connection, alias: str, table: str, columns: Sequence[str], shift: dict[str, int]) -> None:
    """INSERT ... SELECT one staged table into the desk's, adding `shift[column]` to the columns named."""
    select = ", ".join(f"{c} + {int(shift[c])}" if c in shift else c for c in columns)
    conn.exec_driver_sql(f"INSERT INTO main.{_quote(table)} ({', '.join(columns)}) "
                         f"SELECT {select} FROM {_quote(alias)}.{_quote(table)} ORDER BY id")
