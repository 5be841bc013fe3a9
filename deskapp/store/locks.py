"""Taking the database's write lock before reading the audit chain's tail.

The action layer always changes a case before it appends to the audit chain,
and that change already holds SQLite's write lock. An export, an import or a
refusal may append first; on SQLite (whose driver starts a transaction only at the first
write) another desk could then append between our read of the tail and our
insert. `begin_write` takes the lock up front (BEGIN IMMEDIATE, waiting out the
busy timeout) so the read and the insert are one step. PostgreSQL needs
nothing here: audit.append takes its advisory lock.
"""

from __future__ import annotations

from sqlmodel import Session


def begin_write(session: Session) -> None:
    """Call first thing inside `with session.begin():`."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
