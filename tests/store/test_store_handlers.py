"""Handlers: login-like usernames, known roles, no duplicates."""

from __future__ import annotations

import pytest
from sqlmodel import select as sm_select

from deskapp.errors import DeskError
from deskapp.store.handlers import add_handler, get_handler, list_handlers


def test_add_get_list(engine):
    add_handler(engine, "sam", "handler", "Sam Okafor")
    add_handler(engine, "priya", role="supervisor")
    assert get_handler(engine, "sam").display_name == "Sam Okafor"
    assert get_handler(engine, "priya").role == "supervisor"
    assert get_handler(engine, "nobody") is None
    assert [h.username for h in list_handlers(engine)] == ["priya", "sam"]


def test_duplicate_is_refused(engine):
    add_handler(engine, "jo")
    with pytest.raises(DeskError, match="already exists"):
        add_handler(engine, "jo", role="admin")
    assert len(list_handlers(engine)) == 1


@pytest.mark.parametrize("role", ["boss", "", "Supervisor", "handlers"])
def test_unknown_role(engine, role):
    with pytest.raises(DeskError, match="handler, supervisor, admin"):
        add_handler(engine, "amy", role=role)
    assert list_handlers(engine) == []


@pytest.mark.parametrize("name", ["", "has space", "-dash", "1abc", "semi;colon", "new\nline", "x" * 33,
                                  "café", "a/b", "<b>bold</b>"])
def test_bad_usernames(engine, name):
    with pytest.raises(DeskError, match="username"):
        add_handler(engine, name)


@pytest.mark.parametrize("name", ["sam", "j.smith", "_svc", "ann-marie", "User01", "a" * 32])
def test_good_usernames(engine, name):
    assert add_handler(engine, name).username == name


def test_display_name_tidied_and_checked(engine):
    assert add_handler(engine, "amy", display_name="  Amy   Brown ").display_name == "Amy Brown"
    with pytest.raises(DeskError, match="display name is empty"):
        add_handler(engine, "bob", display_name="   ")
    with pytest.raises(DeskError, match="longer than"):
        add_handler(engine, "cat", display_name="x" * 121)


def test_display_name_defaults_to_os_name_or_username(engine):
    assert add_handler(engine, "zz_not_an_os_user").display_name == "zz_not_an_os_user"


# --------------------------------------------------------------------------- who may add handlers


def test_anyone_may_add_handlers_until_there_is_an_admin(engine):
    from deskapp.store.handlers import add_handler_as

    assert add_handler_as(engine, "whoever", "sam").role == "handler"  # setting up: no admin yet
    assert add_handler_as(engine, "sam", "kim", role="admin").role == "admin"
    with pytest.raises(DeskError, match=r"^only an admin can add handlers and sam is a handler: ask an admin \(kim\)"):
        add_handler_as(engine, "sam", "jo")
    with pytest.raises(DeskError, match="whoever is not a deskapp handler"):
        add_handler_as(engine, "whoever", "jo")
    assert add_handler_as(engine, "kim", "jo", role="supervisor").role == "supervisor"
    with pytest.raises(DeskError, match="already exists"):
        add_handler_as(engine, "kim", "jo")
    assert [h.username for h in list_handlers(engine)] == ["jo", "kim", "sam"]


def test_an_inactive_admin_cannot_add_handlers(engine):
    from sqlmodel import Session

    from deskapp.store.handlers import add_handler_as
    from deskapp.store.models import Handler

    add_handler(engine, "kim", "admin")
    add_handler(engine, "ann", "admin")
    with Session(engine) as session, session.begin():
        session.exec(sm_select(Handler).where(Handler.username == "ann")).one().active = False
    with pytest.raises(DeskError, match="ann's account is inactive"):
        add_handler_as(engine, "ann", "jo")
    assert get_handler(engine, "jo") is None


def test_users_add_command_refuses_a_non_admin_in_one_line(engine, db_url, monkeypatch, capsys):
    from deskapp.cli import main

    add_handler(engine, "kim", "admin")
    monkeypatch.setenv("DESKAPP_USER", "sam")
    assert main(["users", "add", "jo", "--db", db_url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("deskapp: only an admin can add handlers and sam is not a deskapp")
    monkeypatch.setenv("DESKAPP_USER", "kim")
    assert main(["users", "add", "jo", "--db", db_url]) == 0
    assert "added jo" in capsys.readouterr().out
