"""Supervision fixtures: a small team (two handlers, a supervisor, an admin) and a worked case."""

from __future__ import annotations

from datetime import datetime

import pytest

NOW = datetime(2026, 3, 10, 11, 0)


@pytest.fixture
def team(engine, db_url):
    from deskapp.actions import open_desk
    from deskapp.store.handlers import add_handler

    add_handler(engine, "sam", "handler", "Sam Reid")
    add_handler(engine, "jo", "handler", "Jo Park")
    add_handler(engine, "priya", "supervisor", "Priya Shah")
    add_handler(engine, "ada", "admin", "Ada Moss")
    desks = {name: open_desk(db_url, None, name, clock=lambda: NOW) for name in ("sam", "jo", "priya", "ada")}
    yield desks
    for desk in desks.values():
        desk.close()


@pytest.fixture
def worked_case(team):
    """A repairs complaint with a designated representative, a few contacts and notes: about 6 audit events."""
    from deskapp.actions import ActionRequest, Done, new_case, save_party, submit

    sam = team["sam"]
    case = new_case(sam, kind="complaint", category="repairs", title="Damp and a broken boiler", vulnerable=True,
                    received_at=datetime(2026, 3, 2, 9, 0), party={"role": "resident", "name": "Lee Price"})
    done = save_party(sam, case.id, case.version, role="representative", name="Dana Hill",
                      organisation="Social services", designated=True)
    case = done.case
    rep = next(p for p in case.parties if p.designated)
    for summary in ("Booked the repair for Thursday", "Confirmed access arrangements"):
        done = submit(sam, ActionRequest(kind="contact", case_id=case.id, version=case.version, channel="phone",
                                         direction="out", party_id=rep.id, outcome="reached", summary=summary))
        assert isinstance(done, Done), done
        case = done.case
    done = submit(sam, ActionRequest(kind="note", case_id=case.id, version=case.version,
                                     body="Contractor confirmed parts on order"))
    assert isinstance(done, Done)
    return done.case


def run_cli(*argv: str, capsys=None) -> tuple[int, str, str]:
    """Run `deskapp ARGV` in-process; returns (exit code, stdout, stderr)."""
    from deskapp.cli import main

    code = main(list(argv))
    if capsys is None:
        return code, "", ""
    captured = capsys.readouterr()
    return code, captured.out, captured.err
