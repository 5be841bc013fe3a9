"""Handlers in storage: login-like usernames, known roles, no duplicates (who may: tests/actions/test_users.py)."""

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
