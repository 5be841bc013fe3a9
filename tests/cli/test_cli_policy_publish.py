"""The rules are the team's, as people run them: real `deskapp` processes on SQLite and PostgreSQL.

The OS user running the tests (root in CI) is the person at the keyboard: a
handler first (refused), then an admin (allowed). No environment variable is
involved in who they are or which rules apply.
"""

from __future__ import annotations

import pwd
import os

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from deskapp.store.handlers import add_handler
from deskapp.store.models import AuditEvent, Handler
from deskapp.store.models import PolicyPack as PackRow

from test_cli_store import assert_one_line_error, run

ME = pwd.getpwuid(os.geteuid()).pw_name
NO_RULES = "version: 1\nrules: []\n"


@pytest.fixture(autouse=True)
def _no_identity_from_the_environment(monkeypatch):
    monkeypatch.delenv("DESKAPP_USER", raising=False)


@pytest.fixture
def desk(engine, published, db_url, tmp_path):
    """An initialised desk (packaged rules published as version 1) where the OS user is a handler."""
    add_handler(engine, ME, "handler", "Me")
    (tmp_path / "norules.yaml").write_text(NO_RULES, encoding="utf-8")
    return db_url


def packs(engine) -> list[tuple[int, str]]:
    with Session(engine) as s:
        return [(r.version, r.sha256) for r in s.execute(select(PackRow).order_by(PackRow.version)).scalars()]


def events(engine, action: str) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def audit_count(engine) -> int:
    with Session(engine) as s:
        return s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def make_admin(engine) -> None:
    with Session(engine) as s, s.begin():
        s.execute(select(Handler).where(Handler.username == ME)).scalar_one().role = "admin"


def test_a_handler_cannot_run_the_desk_on_a_rules_file_of_their_own(desk, engine, tmp_path):
    before = packs(engine)
    code, out, err = run("--db", desk, "--policies", str(tmp_path / "norules.yaml"))
    assert_one_line_error(code, out, err, "--policies", "admin", "demo desk", f"{ME} is a handler")
    refused = events(engine, "policy.trial.refused")
    assert [e.actor for e in refused] == [ME]
    assert refused[0].policy_hash == before[-1][1], "the refusal names the rules that stay in force"
    assert packs(engine) == before


def test_a_handler_cannot_publish_and_the_refusal_is_audited(desk, engine, tmp_path):
    before, count = packs(engine), audit_count(engine)
    code, out, err = run("policy", "publish", str(tmp_path / "norules.yaml"), "--db", desk)
    assert_one_line_error(code, out, err, f"{ME} is a handler", "needs an admin")
    assert packs(engine) == before, "nothing published"
    refused = events(engine, "policy.publish.refused")
    assert audit_count(engine) == count + 1 and [e.actor for e in refused] == [ME]
    assert refused[0].detail["source"] == str(tmp_path / "norules.yaml")


def test_a_pack_that_fails_check_is_refused_with_file_line_and_nothing_is_written(desk, engine, tmp_path):
    make_admin(engine)
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nrules:\n  - id: x\n    on: [mesage]\n    when: 'true'\n    severity: warn\n"
                   "    say: hi\n", encoding="utf-8")
    before, count = packs(engine), audit_count(engine)
    code, out, err = run("policy", "publish", str(bad), "--db", desk)
    assert_one_line_error(code, out, err, f"{bad}:4:", "mesage")
    assert packs(engine) == before and audit_count(engine) == count
    missing = tmp_path / "nowhere.yaml"
    code, out, err = run("policy", "publish", str(missing), "--db", desk)
    assert code == 2 and err.strip() == f"{missing}:1:1: file not found", err
    assert packs(engine) == before and audit_count(engine) == count


def test_an_admin_publishes_then_history_and_show(desk, engine, tmp_path):
    make_admin(engine)
    rules = tmp_path / "norules.yaml"
    code, out, err = run("policy", "publish", str(rules), "--note", "quiet week", "--db", desk)
    assert code == 0, err
    assert out.startswith(f"published {rules} as version 2 (sha256 ")
    assert [v for v, _sha in packs(engine)] == [1, 2]
    (event,) = events(engine, "policy.publish")[-1:]
    assert event.actor == ME and event.detail["version"] == 2 and event.detail["rules"] == 0
    assert event.policy_hash == packs(engine)[-1][1] == event.detail["sha256"]
    code, out, _ = run("policy", "publish", str(rules), "--db", desk)
    assert code == 0 and "already the rules in force (version 2" in out, "publishing it again writes nothing"
    assert len(packs(engine)) == 2

    code, out, err = run("policy", "history", "--db", desk)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["version", "sha256", "published", "by", "at", "source"]
    assert lines[1].split()[:2] == ["1", packs(engine)[0][1][:12]] and "policies.yaml" in lines[1]
    assert lines[2].split()[:3] == ["2", packs(engine)[1][1][:12], ME]
    assert lines[2].endswith(f"{rules}  (in force)  - quiet week")

    code, out, err = run("policy", "show", "--db", desk)
    assert code == 0 and out == NO_RULES, err
    code, out, _ = run("policy", "show", "1", "--db", desk)
    assert out.startswith("# deskapp policies") and "card-number-disclosure" in out
    code, out, err = run("policy", "show", "7", "--db", desk)
    assert_one_line_error(code, out, err, "no published rules version 7", "versions 1 to 2")


def test_the_file_commands_still_work_on_any_file_without_a_database(tmp_path):
    rules = tmp_path / "norules.yaml"
    rules.write_text(NO_RULES, encoding="utf-8")
    code, out, err = run("policy", "check", str(rules))
    assert code == 0 and out.startswith(f"{rules}: OK - 0 rules"), err
