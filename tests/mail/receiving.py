"""Fixtures for the receiving tests (kept apart from tests/mail/conftest.py, which the sending side owns)."""

from __future__ import annotations

from datetime import datetime

import pytest

NOW = datetime(2026, 3, 10, 11, 0)


def mail(subject: str = "My bin was not collected", *, sender: str = "Ann Smith <ann@example.org>",
         message_id: str = "m1@example.org", extra: str = "", body: str = "It has been two weeks.") -> bytes:
    return (f"From: {sender}\r\nTo: desk@desk.example.com\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n"
            f"{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode("utf-8")


@pytest.fixture
def admin_desk(engine, published, db_url):
    """An admin's desk (ada) and a handler's (sam) on a fresh database."""
    from deskapp.actions import open_desk
    from deskapp.store.handlers import add_handler

    add_handler(engine, "ada", "admin", "Ada Moss")
    add_handler(engine, "sam", "handler", "Sam Reid")
    ada = open_desk(db_url, None, "ada", clock=lambda: NOW)
    sam = open_desk(db_url, None, "sam", clock=lambda: NOW)
    yield ada, sam
    ada.close()
    sam.close()
