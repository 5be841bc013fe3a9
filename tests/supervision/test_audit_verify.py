"""`deskapp audit verify` catches an edited, deleted or inserted audit event; triggers refuse changes."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from deskapp.actions.audit import event_hash
from deskapp.store.migrate import MIGRATIONS
from deskapp.store.guard import audit_unlocked, is_guarded
from deskapp.supervision.verify import Row, check_chain, verify

from .conftest import run_cli

needs_sqlite3 = pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 command-line tool")
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
postgres_only = pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


def sqlite_path(url: str) -> str:
    assert url.startswith("sqlite:///")
    return url[len("sqlite:///"):]


def sqlite3_cli(url: str, sql: str) -> None:
    """Tamper as someone with the database file would: through the sqlite3 tool, not deskapp."""
    result = subprocess.run(["sqlite3", sqlite_path(url), sql], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def ids(engine) -> list[int]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM audit_events ORDER BY id"))]


# --- intact --------------------------------------------------------------------------------------


def test_intact_chain_prints_the_count_and_head(worked_case, engine, db_url, capsys):
    count = len(ids(engine))
    assert count >= 5
    code, out, err = run_cli("audit", "verify", "--db", db_url, capsys=capsys)
    assert code == 0, err
    assert f"{count} events checked" in out
    head = out.split("head ", 1)[1].split()[0]
    code, out, err = run_cli("audit", "verify", "--db", db_url, "--anchor", head, capsys=capsys)
    assert code == 0 and "1 anchor match" in out


def test_empty_log_is_fine(engine, db_url, capsys):
    code, out, _ = run_cli("audit", "verify", "--db", db_url, capsys=capsys)
    assert code == 0 and "empty" in out


def test_bad_database_is_exit_2(tmp_path, capsys):
    code, _, err = run_cli("audit", "verify", "--db", "mysql://nope/x", capsys=capsys)
    assert code == 2 and err.startswith("deskapp: ") and err.count("\n") == 1
    code, _, err = run_cli("audit", "verify", "--db", f"sqlite:///{tmp_path}/missing/desk.db", capsys=capsys)
    assert code == 2 and "no database" in err
    assert not (tmp_path / "missing").exists(), "verify must not create a database"
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    code, _, err = run_cli("audit", "verify", "--db", f"sqlite:///{empty}", capsys=capsys)
    assert code == 2 and "not a deskapp database" in err
    code, _, err = run_cli("audit", "verify", "--db", f"sqlite:///{empty}", "--anchor", "12:zz", capsys=capsys)
    assert code == 2 and "--anchor" in err


# --- the triggers --------------------------------------------------------------------------------


def test_triggers_refuse_update_and_delete(worked_case, engine):
    with engine.connect() as conn:
        assert is_guarded(conn)
    for sql in ("UPDATE audit_events SET reason = 'rewritten' WHERE id = 2",
                "DELETE FROM audit_events WHERE id = 2"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(sql))
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text("TRUNCATE audit_events CASCADE"))
    assert verify(engine).ok


def test_audit_unlocked_allows_a_wipe_and_restores_the_guard(worked_case, engine):
    def guarded() -> bool:
        with engine.connect() as conn:
            return is_guarded(conn)

    with pytest.raises(RuntimeError):
        with engine.connect() as conn, conn.begin():
            with audit_unlocked(conn):
                conn.execute(text("DELETE FROM audit_rows"))
                conn.execute(text("DELETE FROM audit_events"))
                raise RuntimeError("wipe failed half way")
    assert guarded() and ids(engine), "a failed wipe rolls back, the dropped triggers included"
    with engine.connect() as conn, conn.begin():
        with audit_unlocked(conn):
            conn.execute(text("DELETE FROM audit_rows"))
            conn.execute(text("DELETE FROM audit_events"))
    assert guarded() and ids(engine) == []
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_events (at, actor, action, detail, findings, prev_hash, hash) "
                              "VALUES ('2026-01-01 00:00:00', 'x', 'y', '{}', '[]', '', '')"))
            conn.execute(text("UPDATE audit_events SET actor = 'z'"))


# --- tampering with the file (sqlite3 CLI) ------------------------------------------------------

DROP_TRIGGERS = "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;"


@needs_sqlite3
@sqlite_only
def test_sqlite3_edit_is_refused_while_the_trigger_stands(worked_case, engine, db_url):
    result = subprocess.run(["sqlite3", sqlite_path(db_url), "UPDATE audit_events SET reason = 'x' WHERE id = 3"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "append-only" in result.stderr


@needs_sqlite3
@sqlite_only
@pytest.mark.parametrize("sql, expected", [
    ("UPDATE audit_events SET reason = 'I had permission' WHERE id = 3", "event 3 was altered"),
    ("UPDATE audit_events SET actor = 'jo' WHERE id = 3", "event 3 was altered"),
    ("UPDATE audit_events SET at = '2026-03-09 10:00:00.000000' WHERE id = 3", "event 3 was altered"),
    ("UPDATE audit_events SET detail = '{not json' WHERE id = 3", "event 3 was altered: its detail is not readable"),
    ("UPDATE audit_events SET at = 'yesterday' WHERE id = 3", "event 3 was altered: its at is not readable"),
    ("UPDATE audit_events SET hash = 'deadbeef' WHERE id = 3", "event 3 was altered"),
    ("DELETE FROM audit_events WHERE id = 3", "event 3 deleted"),
    ("DELETE FROM audit_events WHERE id IN (2, 3)", "events 2–3 deleted"),
    ("DELETE FROM audit_events WHERE id = 1", "events before 2 were deleted"),
])
def test_tampered_sqlite_file_is_caught(worked_case, engine, db_url, capsys, sql, expected):
    sqlite3_cli(db_url, DROP_TRIGGERS + sql)
    code, out, err = run_cli("audit", "verify", "--db", db_url, capsys=capsys)
    assert code == 1, (out, err)
    assert expected in err
    assert err.startswith("deskapp: audit chain broken: ") and err.count("\n") == 1


@needs_sqlite3
@sqlite_only
def test_inserted_rows_are_caught(worked_case, engine, db_url, capsys):
    last = max(ids(engine))
    # A naive insert at the end: a made-up row.
    sqlite3_cli(db_url, "INSERT INTO audit_events (id, at, actor, action, detail, findings, prev_hash, hash) VALUES "
                        f"({last + 1}, '2026-03-10 12:00:00.000000', 'sam', 'note', '{{}}', '[]', 'abc', 'def')")
    code, _, err = run_cli("audit", "verify", "--db", db_url, capsys=capsys)
    assert code == 1 and f"event {last + 1} (the last) was inserted" in err


@needs_sqlite3
@sqlite_only
def test_forged_insert_with_a_valid_hash_is_caught(worked_case, engine, db_url, capsys):
    """Someone who knows the algorithm forges a well-formed event before the first one."""
    forged = Row(id=0, at=datetime(2026, 3, 1, 9, 0), actor="priya", handler_id=None, case_id=None,
                 action="approval.approve", detail={"kind": "message"}, findings=[], reason="backdated approval",
                 contact_id=None, approval_id=None, prev_hash="", hash="")
    forged.hash = event_hash(forged)
    sqlite3_cli(db_url, "INSERT INTO audit_events (id, at, actor, action, detail, findings, reason, prev_hash, hash) "
                        "VALUES (0, '2026-03-01 09:00:00.000000', 'priya', 'approval.approve', "
                        f"'{json.dumps(forged.detail)}', '[]', 'backdated approval', '', '{forged.hash}')")
    code, _, err = run_cli("audit", "verify", "--db", db_url, capsys=capsys)
    assert code == 1 and "event 0 was inserted: event 1 links past it" in err


RESTORE_TRIGGERS = "".join(
    f"CREATE TRIGGER {t}_no_{op.lower()} BEFORE {op} ON {t} "
    f"BEGIN SELECT RAISE(ABORT, '{t} is append-only: {op} refused'); END;"
    for t in ("audit_events", "audit_rows") for op in ("UPDATE", "DELETE"))


@needs_sqlite3
@sqlite_only
def test_deleting_the_last_event_needs_an_anchor(worked_case, engine, db_url, capsys):
    """A careful attacker removes the last event, its digests and the row it wrote, then puts the
    triggers back: the rest is a valid chain and a consistent record. Only an anchor (or a checkpoint)
    kept elsewhere catches that."""
    code, out, _ = run_cli("audit", "verify", "--db", db_url, capsys=capsys)
    head = out.split("head ", 1)[1].split()[0]
    last = int(head.split(":")[0])
    drop_all = "".join(f"DROP TRIGGER {t}_no_{op};" for t in ("audit_events", "audit_rows") for op in ("update", "delete"))
    sqlite3_cli(db_url, drop_all + f"DELETE FROM contacts WHERE id IN (SELECT row_id FROM audit_rows WHERE "
                                   f"event_id = {last} AND tbl = 'contacts'); DELETE FROM audit_rows WHERE event_id = {last}; "
                                   f"DELETE FROM audit_events WHERE id = {last};" + RESTORE_TRIGGERS)
    code, out, err = run_cli("audit", "verify", "--db", db_url, capsys=capsys)
    assert code == 0, ("a truncated tail still forms a valid chain: that is what anchors are for", out, err)
    code, _, err = run_cli("audit", "verify", "--db", db_url, "--anchor", head, capsys=capsys)
    assert code == 1 and f"anchored event {last} is missing" in err


@postgres_only
def test_postgres_tampering_after_disabling_the_trigger_is_caught(worked_case, engine, db_url, capsys):
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
        conn.execute(text("UPDATE audit_events SET reason = 'quietly changed' WHERE id = 4"))
        conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change"))
    code, _, err = run_cli("audit", "verify", "--db", db_url, capsys=capsys)
    assert code == 1 and "event 4 was altered" in err
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
        conn.execute(text("DELETE FROM audit_events WHERE id = 4"))
    report = verify(engine)
    assert report.problem.kind == "deleted" and "event 4 deleted" in report.problem.message


# --- the pure chain walk -------------------------------------------------------------------------


def chain(*idents: int) -> list[Row]:
    rows, prev = [], ""
    for ident in idents:
        row = Row(id=ident, at=datetime(2026, 3, 1, 9, ident % 60), actor="sam", handler_id=1, case_id=1,
                  action="note", detail={"n": ident}, findings=[], reason=None, contact_id=None, approval_id=None,
                  prev_hash=prev, hash="")
        row.hash = event_hash(row)
        rows.append(row)
        prev = row.hash
    return rows


def test_gaps_with_intact_links_are_not_tampering():
    report = check_chain(iter(chain(10, 20, 30)))
    assert report.ok and report.checked == 3 and report.gaps == 2 and report.head_id == 30


def test_a_forged_event_in_a_gap_is_named():
    rows = chain(10, 20, 30)
    forged = Row(**{**rows[1].__dict__, "id": 15, "reason": "forged", "unreadable": None})
    forged.prev_hash = rows[0].hash
    forged.hash = event_hash(forged)
    report = check_chain(iter([rows[0], forged, rows[1], rows[2]]))
    assert report.problem.kind == "inserted" and report.problem.event_id == 15
    assert "event 20 links past it to event 10" in report.problem.message


def test_altered_and_rehashed_event_is_caught_at_the_next_link():
    rows = chain(1, 2, 3)
    rows[1].reason = "changed"
    rows[1].hash = event_hash(rows[1])
    report = check_chain(iter(rows))
    assert not report.ok and report.problem.event_id == 3
    assert "event 2 was altered and its hash recomputed" in report.problem.message


# --- migrations and concurrency ------------------------------------------------------------------


def test_migrations_have_a_single_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, f"migrations fork: heads {heads} (set down_revision to the current head)"


def test_concurrent_desks_keep_one_chain(team, engine):
    from deskapp.actions import ActionRequest, Done, new_case, submit

    cases = {name: new_case(team[name], kind="enquiry", category="billing", title=f"{name}'s case",
                            party={"name": "Ann"}) for name in ("sam", "jo")}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            case = cases[name]
            for i in range(15):
                done = submit(team[name], ActionRequest(kind="note", case_id=case.id, version=case.version,
                                                        body=f"note {i}"))
                assert isinstance(done, Done)
                case = done.case
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("sam", "jo")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    report = verify(engine)
    assert report.ok, report.problem
    assert report.checked == len(ids(engine)) >= 32


@sqlite_only  # PostgreSQL serialises appends with an advisory lock instead
def test_two_appends_from_the_same_tail_cannot_both_commit(engine):
    """The id is allocated from the tail, so a second writer that read the same tail collides instead of forking."""
    from deskapp.actions import audit

    with Session(engine) as s, s.begin():
        audit.append(s, actor="sam", action="note", at=datetime(2026, 3, 1, 9, 0))
    with Session(engine, expire_on_commit=False) as s, s.begin():
        first = audit.append(s, actor="sam", action="note", at=datetime(2026, 3, 1, 9, 1))
    # A stale writer that read the tail before `first` was written tries the same id.
    stale = dict(id=first.id, at=datetime(2026, 3, 1, 9, 2), actor="jo", action="note", detail={}, findings=[],
                 prev_hash=first.prev_hash)
    from deskapp.store.models import AuditEvent

    with pytest.raises(IntegrityError):
        with Session(engine) as s, s.begin():
            event = AuditEvent(**stale)
            event.hash = event_hash(event)
            s.add(event)
    assert verify(engine).ok
