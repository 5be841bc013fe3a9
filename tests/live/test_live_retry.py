"""Lock races are retried, then reported as one line; other errors pass straight through."""

from __future__ import annotations

import sqlite3
import threading

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from deskapp.errors import DeskError
from deskapp.store.retry import BusyError, is_transient, retry_on_busy, retry_transient
from deskapp.store.engine import connect


def _wrapped(orig):
    return OperationalError("statement", {}, orig)


def test_which_errors_are_transient():
    assert is_transient(_wrapped(sqlite3.OperationalError("database is locked")))
    assert is_transient(_wrapped(psycopg.errors.SerializationFailure("could not serialize access")))
    assert is_transient(_wrapped(psycopg.errors.DeadlockDetected("deadlock detected")))
    assert not is_transient(_wrapped(sqlite3.OperationalError("no such table: cases")))
    assert not is_transient(_wrapped(psycopg.errors.UndefinedTable("no such table")))
    assert not is_transient(IntegrityError("statement", {}, sqlite3.IntegrityError("UNIQUE constraint failed")))
    assert not is_transient(ValueError("database is locked"))


def test_retries_until_it_goes_through():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise _wrapped(sqlite3.OperationalError("database is locked"))
        return "saved"

    assert retry_transient(flaky, sleep=lambda s: None) == "saved"
    assert len(calls) == 3


def test_gives_up_with_one_line():
    delays = []

    def always_locked():
        raise _wrapped(sqlite3.OperationalError("database is locked"))

    with pytest.raises(BusyError) as info:
        retry_transient(always_locked, what="save the contact", attempts=4, sleep=delays.append)
    assert isinstance(info.value, DeskError)
    message = str(info.value)
    assert "\n" not in message and "could not save the contact" in message and "nothing was saved" in message
    assert len(delays) == 3 and delays[0] < delays[-1], "backs off"


def test_other_errors_are_not_retried():
    calls = []

    @retry_on_busy("save")
    def broken():
        calls.append(1)
        raise IntegrityError("statement", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    with pytest.raises(IntegrityError):
        broken()
    assert calls == [1]


def test_real_sqlite_lock_is_waited_out(tmp_path):
    """Another desk holds the write lock past our busy timeout; the retry gets through after it lets go."""
    path = tmp_path / "desk.db"
    engine = connect(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    threading.Timer(0.4, holder.commit).start()

    def write():
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout = 50")  # make the lock show up as an error quickly
            conn.execute(text("INSERT INTO t VALUES (2)"))

    retry_transient(write, attempts=10, first_delay=0.05)
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT x FROM t")).scalars()) == [1, 2]
    holder.close()
    engine.dispose()
