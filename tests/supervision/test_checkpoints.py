"""Signed checkpoints outside the database: `audit verify` catches truncation, rewrites and forged appends
without anyone typing an anchor; bad keys, witnesses and settings are one-line errors (exit 2)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from deskapp.actions.audit import event_hash
from deskapp.store.guard import audit_unlocked
from deskapp.supervision.verify import _rows, verify

from .conftest import NOW, run_cli


def _ids(engine) -> list[int]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM audit_events ORDER BY id"))]


def _notes(desk, case, count: int):
    from deskapp.actions import ActionRequest, Done, submit

    for n in range(count):
        done = submit(desk, ActionRequest(kind="note", case_id=case.id, version=case.version, body=f"Note {n}"))
        assert isinstance(done, Done), done
        case = done.case
    return case


@pytest.fixture
def keys(capsys):
    """`deskapp audit keygen` in the test's private config folder: the settings it wrote."""
    from deskapp.actions.checkpoints import settings

    code, out, err = run_cli("audit", "keygen", capsys=capsys)
    assert code == 0, err
    return settings()


def _witness_lines(chosen) -> list[str]:
    return chosen.witness.read_text().splitlines()


def _verify(db_url, capsys) -> tuple[int, str, str]:
    return run_cli("audit", "verify", "--db", db_url, capsys=capsys)


def _one_line_error(err: str, code: int, expected_code: int) -> None:
    assert code == expected_code, err
    assert err.startswith("deskapp: ") and err.count("\n") == 1 and "Traceback" not in err, err


# --- taking one --------------------------------------------------------------------------------------------


def test_keygen_writes_a_private_key_and_refuses_to_replace_it(keys, capsys):
    assert oct(os.stat(keys.key).st_mode & 0o777) == "0o600"
    assert oct(os.stat(keys.key.parent).st_mode & 0o777) == "0o700"
    assert keys.public_key.parent == keys.witness.parent and keys.public_key.exists()
    assert keys.configured
    before = keys.key.read_bytes()
    code, _, err = run_cli("audit", "keygen", capsys=capsys)
    _one_line_error(err, code, 2)
    assert "already exists" in err and keys.key.read_bytes() == before


def test_checkpoint_is_signed_witnessed_and_recorded(worked_case, team, engine, db_url, keys, capsys):
    from deskapp.actions.checkpoints import ACTION, take
    from deskapp.core import signing, witness

    head_before = _ids(engine)[-1]
    taken = take(team["ada"], keys)
    lines = _witness_lines(keys)
    assert len(lines) == 1
    cp = signing.parse_line(lines[0])
    assert (cp.event_id, cp.events, cp.at) == (head_before, len(_ids(engine)) - 1, NOW)
    assert signing.signature_holds(witness.read_public_key(keys), cp)
    assert oct(os.stat(keys.witness).st_mode & 0o777) == "0o600"
    with engine.connect() as conn:
        action, detail = conn.execute(text("SELECT action, detail FROM audit_events WHERE id = :i"),
                                      {"i": taken.event_id}).one()
    detail = json.loads(detail) if isinstance(detail, str) else detail
    assert action == ACTION and detail["signature"] == cp.signature and detail["event_id"] == head_before
    code, out, err = _verify(db_url, capsys)
    assert code == 0, err
    assert f"1 checkpoint holds (latest {keys.witness}:1: event {head_before}" in out


def test_due_after_every_events_or_minutes(worked_case, team, engine, keys):
    from dataclasses import replace

    from deskapp.actions.checkpoints import due, take, take_if_due

    ada = team["ada"]
    assert due(ada, keys).due, "never checkpointed, events waiting"
    take(ada, keys)
    assert not due(ada, keys).due, "its own audit.checkpoint event does not make another due"
    assert take_if_due(ada, keys) is None
    _notes(team["sam"], worked_case, 3)
    assert due(ada, keys).uncovered == 3 and not due(ada, keys).due
    assert due(ada, replace(keys, every_events=3)).due
    later = SimpleNamespace(engine=ada.engine, now=lambda: NOW + timedelta(minutes=keys.every_minutes))
    assert due(later, keys).due
    assert take_if_due(ada, replace(keys, every_events=3)) is not None
    assert len(_witness_lines(keys)) == 2


# --- tampering the log -------------------------------------------------------------------------------------


def test_deleting_the_tail_is_caught_without_an_anchor(worked_case, team, engine, db_url, keys, capsys):
    from deskapp.actions.checkpoints import take

    case = _notes(team["sam"], worked_case, 10)
    take(team["ada"], keys)
    _notes(team["sam"], case, 3)
    checkpointed = json.loads(_witness_lines(keys)[0])["event_id"]
    with engine.connect() as conn, conn.begin():
        with audit_unlocked(conn):
            conn.execute(text("DELETE FROM audit_events WHERE id > :i"), {"i": checkpointed - 8})
    # What is left is a valid chain (the rows the lost events wrote are named too, by the row check):
    # only the checkpoint shows that the log itself lost its tail.
    assert verify(engine).problem is None
    code, out, err = _verify(db_url, capsys)
    _one_line_error(err, code, 1)
    assert f"checkpoint {keys.witness}:1 signed event {checkpointed}" in out + err
    assert "deleted from its end" in out + err


def _rewrite_from(engine, start: int) -> None:
    """Change event `start` and recompute every hash after it with the public function, as a forger would."""
    rows = list(_rows(engine))
    with engine.connect() as conn, conn.begin():
        with audit_unlocked(conn):
            prev = None
            for row in rows:
                if row.id >= start:
                    if row.id == start:
                        row.reason = "rewritten after the fact"
                    row.prev_hash = prev.hash if prev is not None else ""
                    row.hash = event_hash(row)
                    conn.execute(text("UPDATE audit_events SET reason = :r, prev_hash = :p, hash = :h WHERE id = :i"),
                                 {"r": row.reason, "p": row.prev_hash, "h": row.hash, "i": row.id})
                prev = row


def test_rewriting_the_chain_from_the_middle_is_caught(worked_case, team, engine, db_url, keys, capsys):
    from deskapp.actions.checkpoints import take

    take(team["ada"], keys)
    case = _notes(team["sam"], worked_case, 2)
    take(team["ada"], keys)
    _notes(team["sam"], case, 2)
    first, second = (json.loads(line)["event_id"] for line in _witness_lines(keys))
    _rewrite_from(engine, 3)
    assert verify(engine).ok, "a recomputed chain passes the walk"
    code, _, err = _verify(db_url, capsys)
    _one_line_error(err, code, 1)
    # The earliest checkpoint it breaks is named: every checkpoint is checked, not only the latest.
    assert f"checkpoint {keys.witness}:1: event {first} no longer has the signed hash" in err


def test_rewriting_after_the_latest_checkpoint_is_not_its_business(worked_case, team, engine, db_url, keys, capsys):
    """Events after the latest checkpoint are rewritable: the schedule bounds how many and how old (below)."""
    from deskapp.actions.checkpoints import take

    take(team["ada"], keys)
    checkpointed = json.loads(_witness_lines(keys)[0])["event_id"]
    _notes(team["sam"], worked_case, 2)  # dated NOW, before the test's real clock: stale
    _rewrite_from(engine, checkpointed + 2)
    code, _, err = _verify(db_url, capsys)
    _one_line_error(err, code, 1)
    assert "not covered by a checkpoint although the desk should have taken one" in err


def _forge(engine, at: datetime, count: int = 1, action: str = "approval.approve", detail=None) -> None:
    """Append events made with the public hash function, dated `at`."""
    detail = {"kind": "message"} if detail is None else detail
    for _ in range(count):
        with engine.connect() as conn:
            last_id, prev = conn.execute(text("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")).one()
        event = SimpleNamespace(id=last_id + 1, at=at, actor="priya", handler_id=None, case_id=None,
                                action=action, detail=detail, findings=[],
                                reason="approved on the phone", contact_id=None, approval_id=None, prev_hash=prev,
                                policy_hash=None, via=None, rows=[])
        digest = event_hash(event)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_events (id, at, actor, action, detail, findings, reason, "
                              "prev_hash, hash) VALUES (:i, :at, 'priya', :a, :d, '[]', "
                              "'approved on the phone', :p, :h)"),
                         {"i": event.id, "at": at, "a": action, "d": json.dumps(event.detail), "p": prev,
                          "h": digest})


def test_forged_appends_are_caught_when_the_schedule_rules_them_out(worked_case, team, engine, db_url, keys,
                                                                    capsys):
    from deskapp.actions.checkpoints import take

    take(team["ada"], keys)
    checkpointed = json.loads(_witness_lines(keys)[0])["event_id"]
    # Dated before the checkpoint was taken, yet after it in the log: backdated.
    _forge(engine, NOW - timedelta(days=1))
    assert verify(engine).ok
    code, _, err = _verify(db_url, capsys)
    _one_line_error(err, code, 1)
    assert f"comes after checkpoint {keys.witness}:1 (event {checkpointed}" in err and "backdated" in err


def test_forged_append_older_than_the_schedule_is_caught(worked_case, team, engine, db_url, keys, capsys):
    from deskapp.actions.checkpoints import take

    take(team["ada"], keys)
    _forge(engine, NOW + timedelta(minutes=5))  # after the checkpoint, but months before the real "now"
    code, _, err = _verify(db_url, capsys)
    _one_line_error(err, code, 1)
    assert "1 event after checkpoint" in err and "should have taken one" in err


def test_forged_appends_beyond_every_events_are_caught_and_fresh_ones_are_not(
        worked_case, team, engine, db_url, keys, capsys):
    from deskapp.actions.checkpoints import take

    keys.source.write_text(keys.source.read_text().replace("every_events = 200", "every_events = 2"))
    take(team["ada"], keys)
    now = datetime.now().replace(microsecond=0)
    _forge(engine, now, count=4)
    code, out, err = _verify(db_url, capsys)
    assert code == 0, err
    assert "4 events since" in out, "the documented limit: fresh appends within the schedule pass"
    _forge(engine, now)
    code, _, err = _verify(db_url, capsys)
    _one_line_error(err, code, 1)
    assert "5 events after checkpoint" in err and "every_events = 2" in err


def test_forged_checkpoint_events_with_odd_details_are_not_taken_for_real_ones(
        worked_case, team, engine, db_url, keys, capsys):
    from deskapp.actions.checkpoints import ACTION, due, take

    take(team["ada"], keys)
    _forge(engine, NOW + timedelta(minutes=1), action=ACTION, detail={"event_id": [1], "signature": ["x"]})
    _forge(engine, NOW + timedelta(minutes=2), action=ACTION, detail=["not", "a", "mapping"])
    assert due(team["ada"], keys).uncovered == 0, "the desk's own count skips checkpoint events"
    _forge(engine, NOW + timedelta(minutes=3), action=ACTION,
           detail={"event_id": 10**9, "signature": "x", "key_id": "y"})
    assert due(team["ada"], keys).uncovered == 0, "a forged checkpoint event does not tell the desk it is covered"
    _forge(engine, NOW + timedelta(minutes=3))
    assert due(team["ada"], keys).uncovered == 1
    code, _, err = _verify(db_url, capsys)
    _one_line_error(err, code, 1)
    assert "4 events after checkpoint" in err and "should have taken one" in err


# --- tampering the witness ---------------------------------------------------------------------------------


def test_corrupt_witness_line_is_a_one_line_error(worked_case, team, db_url, keys, capsys):
    from deskapp.actions.checkpoints import take

    take(team["ada"], keys)
    with open(keys.witness, "a") as handle:
        handle.write('{"v": 1, "event_id": 3\n')
    code, _, err = _verify(db_url, capsys)
    _one_line_error(err, code, 2)
    assert f"{keys.witness}:2: corrupt checkpoint line: not a JSON object" in err


def test_altered_witness_line_fails_its_signature(worked_case, team, engine, db_url, keys, capsys):
    from deskapp.actions.checkpoints import take

    take(team["ada"], keys)
    line = json.loads(_witness_lines(keys)[0])
    line["event_id"] -= 1  # pointing the checkpoint at an earlier event
    keys.witness.write_text(json.dumps(line) + "\n")
    code, _, err = _verify(db_url, capsys)
    _one_line_error(err, code, 1)
    assert f"{keys.witness}:1: checkpoint signature does not verify" in err


def test_lines_removed_from_the_witness_are_caught(worked_case, team, db_url, keys, capsys):
    from deskapp.actions.checkpoints import take

    take(team["ada"], keys)
    _notes(team["sam"], worked_case, 1)
    take(team["ada"], keys)
    first = _witness_lines(keys)[0]
    keys.witness.write_text(first + "\n")
    code, _, err = _verify(db_url, capsys)
    _one_line_error(err, code, 1)
    assert "the witness does not have: lines were removed from the witness" in err
    keys.witness.unlink()
    code, _, err = _verify(db_url, capsys)
    _one_line_error(err, code, 2)
    assert f"{keys.witness}: witness missing, but the audit log records 2 checkpoints" in err


# --- bad set-up: exit 2, nothing written -------------------------------------------------------------------


@pytest.fixture
def admin_here(engine, published):
    """The OS account running the tests as a desk admin, so `deskapp audit checkpoint` opens its desk."""
    from deskapp.config import os_username
    from deskapp.store.handlers import add_handler

    add_handler(engine, os_username(), "admin", "Desk administrators")


def _checkpoint_events(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_events WHERE action = 'audit.checkpoint'")).scalar_one()


def test_missing_or_bad_key_is_exit_2_and_writes_nothing(worked_case, admin_here, engine, db_url, keys, capsys):
    code, out, err = run_cli("audit", "checkpoint", "--db", db_url, capsys=capsys)
    assert code == 0 and "checkpoint of event" in out, err
    saved = keys.key.read_bytes()
    keys.key.unlink()
    code, _, err = run_cli("audit", "checkpoint", "--db", db_url, capsys=capsys)
    _one_line_error(err, code, 2)
    assert f"{keys.key}: signing key missing" in err
    keys.key.write_bytes(b"not a key")
    os.chmod(keys.key, 0o600)
    code, _, err = run_cli("audit", "checkpoint", "--db", db_url, capsys=capsys)
    _one_line_error(err, code, 2)
    assert f"{keys.key}: not an unencrypted PEM private key" in err
    keys.key.write_bytes(saved)
    os.chmod(keys.key, 0o644)
    code, _, err = run_cli("audit", "checkpoint", "--db", db_url, capsys=capsys)
    _one_line_error(err, code, 2)
    assert "group or others may read the signing key (mode 0644)" in err
    assert len(_witness_lines(keys)) == 1 and _checkpoint_events(engine) == 1


def test_witness_that_cannot_be_appended_to_is_exit_2(worked_case, admin_here, engine, db_url, keys, capsys):
    keys.witness.parent.mkdir(parents=True, exist_ok=True)
    keys.witness.mkdir()  # a folder where the file should be
    code, _, err = run_cli("audit", "checkpoint", "--db", db_url, capsys=capsys)
    _one_line_error(err, code, 2)
    assert f"{keys.witness}: witness cannot be appended to" in err
    assert _checkpoint_events(engine) == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("setting, expected", [
    ("colour = 'blue'\n", "unknown setting 'colour'"),
    ("every_events = 0", "every_events: expected a whole number of at least 1"),
    ("syslog = 'yes'", "syslog: expected true or false"),
    ("key = \n", "checkpoints.toml:10: Invalid value"),
])
def test_bad_settings_file_is_a_one_line_error(worked_case, db_url, keys, capsys, setting, expected):
    text = keys.source.read_text()
    if setting.startswith(("every_events", "syslog")):
        name = setting.split()[0]
        text = "\n".join(setting if line.startswith(name + " ") else line for line in text.splitlines()) + "\n"
    else:
        text += setting
    keys.source.write_text(text)
    code, _, err = _verify(db_url, capsys)
    _one_line_error(err, code, 2)
    assert expected in err and str(keys.source) in err


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_settings_file_others_may_change_is_refused(worked_case, db_url, keys, capsys):
    os.chmod(keys.source, 0o666)
    code, _, err = _verify(db_url, capsys)
    _one_line_error(err, code, 2)
    assert "group or others may change the checkpoint settings (mode 0666)" in err
