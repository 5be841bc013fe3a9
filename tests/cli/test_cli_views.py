"""`deskapp views list` and `deskapp cases list --view NAME`: saved views for scripts, the desk's own filters."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from deskapp.config import os_username
from deskapp.core.saved_views import ViewSpec

from test_cli_cases import cli, rows


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The demo stories plus 10 generated cases; the OS account running the tests is a handler."""
    from deskapp.demo.load import fill_demo
    from deskapp.store.engine import connect
    from deskapp.store.migrate import upgrade

    path = tmp_path_factory.mktemp("cli-views") / "demo.db"
    engine = connect(f"sqlite:///{path}")
    try:
        upgrade(engine)
        fill_demo(engine, cases=10, seed=1, me=os_username())
    finally:
        engine.dispose()
    return path


@pytest.fixture
def db(tmp_path, template) -> str:
    target = tmp_path / "desk.db"
    shutil.copyfile(template, target)
    target.chmod(0o600)
    url = f"sqlite:///{target}"
    from deskapp.actions import open_desk
    from deskapp.actions.saved_views import publish_view, save_view

    me = open_desk(url, None, os_username())
    lead = open_desk(url, None, "priya")  # the demo's supervisor
    try:
        save_view(me, "Investigating", ViewSpec(statuses=("investigating",), sort="ref"))
        publish_view(lead, "Investigating", ViewSpec(statuses=("investigating", "new"), kinds=("complaint",)))
    finally:
        me.close()
        lead.close()
    return url


def test_views_list_numbers_mine_then_the_team_s(capsys, db):
    code, out, err = cli(capsys, "views", "list", "--db", db, "--format", "json")
    assert code == 0, err
    assert [(v["number"], v["name"], v["whose"], v["filters"], v["sort"], v["problem"]) for v in json.loads(out)] == [
        (1, "Investigating", "mine", "status=investigating", "ref", ""),
        (2, "Investigating", "team (by priya)", "status=investigating,new; kind=complaint", "due", ""),
    ]


def test_cases_list_view_is_the_view_s_filter_and_sort(capsys, db):
    code, out, err = cli(capsys, "cases", "list", "--db", db, "--view", "investigating", "--format", "csv",
                         "--limit", "0")
    assert code == 0, err
    listed = [r["ref"] for r in csv.DictReader(io.StringIO(out))]
    assert listed == sorted(ref for (ref,) in rows(db, "SELECT ref FROM cases WHERE status = 'investigating'"))
    assert listed, "the demo has cases being investigated"
    code, out, err = cli(capsys, "cases", "list", "--db", db, "--view", "team:Investigating", "--filter", "mine",
                         "--format", "csv", "--limit", "0")
    assert code == 0, err
    found = list(csv.DictReader(io.StringIO(out)))
    expected = rows(db, "SELECT c.ref FROM cases c JOIN handlers h ON h.id = c.assigned_to_id WHERE c.status IN "
                        "('investigating', 'new') AND c.kind = 'complaint' AND h.username = ?", os_username())
    assert sorted(r["ref"] for r in found) == sorted(ref for (ref,) in expected)


def test_a_missing_or_broken_view_is_one_line_exit_2(capsys, db):
    code, out, err = cli(capsys, "cases", "list", "--db", db, "--view", "nope")
    assert (code, out) == (2, "")
    assert err.strip() == "deskapp: no saved view called 'nope' (see `deskapp views list`)"
    with __import__("sqlite3").connect(db.removeprefix("sqlite:///")) as conn:
        conn.execute("""UPDATE saved_views SET spec = '{"statuses": ["waiting"]}' WHERE owner_id IS NOT NULL""")
    code, out, err = cli(capsys, "cases", "list", "--db", db, "--view", "Investigating")
    assert code == 2 and "Traceback" not in err
    assert err.startswith("deskapp: saved view 'Investigating' (mine) no longer fits the desk: statuses.0: ")
    code, out, err = cli(capsys, "views", "list", "--db", db, "--format", "csv")
    assert code == 0 and "statuses.0: Input should be" in out
