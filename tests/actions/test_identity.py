"""Who is at the desk: the OS account, or the handler --as / --as-key may name; refusals audited."""

from __future__ import annotations

import itertools
import os
import pwd
import sqlite3
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session

from deskapp import config
from deskapp.actions.desk import open_desk
from deskapp.actions.identity import acting, desk_user
from deskapp.core.roles import NotAllowed
from deskapp.errors import DeskError
from deskapp.store import settings
from deskapp.store.first_page import desk_identity
from deskapp.store.handlers import add_handler
from deskapp.store.models import AuditEvent, Handler

ME = config.os_username()
NOW = datetime(2026, 3, 10, 11, 0)


def events(engine) -> list[AuditEvent]:
    """The audit events, less the setup's publishing of the packaged rules (the `published` fixture)."""
    with Session(engine) as session:
        return [e for e in session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
                if e.action != "policy.publish"]


def put(engine, key: str, value: str) -> None:
    with Session(engine) as session, session.begin():
        settings.put(session, key, value, NOW)


def deactivate(engine, username: str) -> None:
    with Session(engine) as session, session.begin():
        session.execute(select(Handler).where(Handler.username == username)).scalar_one().active = False


def test_the_os_account_is_the_effective_uid_whatever_the_environment_says(monkeypatch):
    for name in ("DESKAPP_USER", "LOGNAME", "USER", "USERNAME", "LNAME"):
        monkeypatch.setenv(name, "admin")
    assert config.os_username() == pwd.getpwuid(os.geteuid()).pw_name != "admin"


def test_a_handler_cannot_act_as_another_on_a_real_desk(engine, db_url):
    add_handler(engine, ME, "handler")
    add_handler(engine, "sam", "handler")
    with pytest.raises(NotAllowed) as caught:
        open_desk(db_url, None, as_name="sam", clock=lambda: NOW)
    assert str(caught.value) == (f"--as sam: only an admin may act as another handler (or anyone on a demo desk), "
                                 f"and {ME} is a handler")
    [refusal] = events(engine)
    assert (refusal.actor, refusal.action, refusal.via, refusal.at) == (ME, "identity.refused", None, NOW)
    assert refusal.detail == {"as_name": "sam"} and refusal.handler_id is not None
    assert refusal.reason == str(caught.value)


def test_an_admin_acts_as_a_handler_and_is_recorded(published, db_url):
    engine = published  # a desk opens only on published rules
    add_handler(engine, ME, "admin")
    add_handler(engine, "sam", "handler")
    desk = open_desk(db_url, None, as_name="sam")
    try:
        assert (desk.me.username, desk.via) == ("sam", ME)
    finally:
        desk.close()
    assert events(engine) == []
    with pytest.raises(DeskError, match=r"^--as 'nobody': not a deskapp handler"):
        open_desk(db_url, None, as_name="nobody")
    assert events(engine) == [], "a name that is no handler is bad input, not a refusal"


def test_anyone_acts_as_anyone_on_a_demo_desk(published, db_url):
    engine = published  # a desk opens only on published rules
    add_handler(engine, "priya", "supervisor")
    put(engine, settings.DEMO, "1")
    desk = open_desk(db_url, None, as_name="priya")  # the OS account is not even a handler here
    try:
        assert (desk.me.username, desk.me.role, desk.via) == ("priya", "supervisor", ME)
    finally:
        desk.close()


def test_as_key_is_for_the_service_account_only(published, db_url):
    engine = published  # a desk opens only on published rules
    add_handler(engine, "sam", "handler")
    with pytest.raises(NotAllowed, match="--as-key is only for the desk's service account, and"):
        open_desk(db_url, None, as_key="sam", clock=lambda: NOW)
    put(engine, settings.SERVICE_ACCOUNT, "deskapp-svc")
    with pytest.raises(NotAllowed, match=rf"^--as-key is only for the desk's service account \(deskapp-svc\), "
                                         rf"and {ME} is not it$"):
        open_desk(db_url, None, as_key="sam", clock=lambda: NOW)
    assert [(e.actor, e.action, e.detail) for e in events(engine)] == [
        (ME, "identity.refused", {"as_key": "sam"}),
        (ME, "identity.refused", {"as_key": "sam", "service_account": "deskapp-svc"})]
    put(engine, settings.SERVICE_ACCOUNT, ME)
    desk = open_desk(db_url, None, as_key="sam")
    try:
        assert (desk.me.username, desk.via) == ("sam", None)
    finally:
        desk.close()
    with pytest.raises(DeskError, match="and --as-key cannot be used together"):
        acting(engine, as_name="sam", as_key="sam")


def test_a_deactivated_handler_is_turned_away_and_that_is_audited(engine, db_url):
    put(engine, settings.SERVICE_ACCOUNT, ME)
    add_handler(engine, ME, "handler")
    add_handler(engine, "sam", "handler")
    deactivate(engine, ME)
    deactivate(engine, "sam")
    for kwargs, who in (({}, ME), ({"as_key": "sam"}, "sam"), ({"username": "sam"}, "sam")):
        with pytest.raises(DeskError, match=rf"^handler '{who}' is inactive: ask an admin"):
            desk_user(engine, **kwargs)
    assert [(e.actor, e.action, e.detail) for e in events(engine)] == [
        (who, "desk.refused", {"why": "inactive"}) for who in (ME, "sam", "sam")]


def test_someone_who_is_no_handler_is_told_how_to_become_one(engine, db_url):
    with pytest.raises(DeskError, match=rf"^'{ME}' is not a deskapp handler: ask an admin to run "
                                        rf"`deskapp users add {ME}`"):
        open_desk(db_url, None)


# --------------------------------------------------------------------------- the quick first screen agrees


def _careful(engine, as_name, as_key):
    try:
        me, via = desk_user(engine, as_name=as_name, as_key=as_key)
    except DeskError:
        return None
    return me.username, via


@pytest.mark.parametrize("my_role, demo, service", list(itertools.product(
    [None, "handler", "admin", "inactive admin"], [False, True], [None, "me", "other"])))
def test_the_quick_reader_allows_exactly_what_open_desk_allows(db_url, my_role, demo, service):
    """deskapp.store.first_page applies the identity rules with a driver alone; never more (or less)."""
    from deskapp.store import first_page
    from deskapp.store.engine import connect
    from deskapp.store.migrate import upgrade

    def quick_connection():  # a plain sqlite3 connection, or the quick reader's own on PostgreSQL
        path = first_page.sqlite_file(db_url)
        return sqlite3.connect(path) if path else first_page._Reader(first_page.postgresql_url(db_url))

    engine = connect(db_url)
    try:
        upgrade(engine)
        add_handler(engine, "sam", "handler")
        add_handler(engine, "gone", "handler")
        deactivate(engine, "gone")
        if my_role is not None:
            add_handler(engine, ME, my_role.split()[-1])
            if my_role.startswith("inactive"):
                deactivate(engine, ME)
        if demo:
            put(engine, settings.DEMO, "1")
        if service is not None:
            put(engine, settings.SERVICE_ACCOUNT, ME if service == "me" else "deskapp-svc")
        for as_name, as_key in [(None, None), ("sam", None), ("gone", None), ("nobody", None), (ME, None),
                                (None, "sam"), (None, "gone"), (None, "nobody"), ("sam", "sam")]:
            conn = quick_connection()
            try:
                quick = desk_identity(conn, ME, as_name, as_key)
            finally:
                conn.close()
            quick = None if quick is None else (quick[0].username, quick[1])
            assert quick == _careful(engine, as_name, as_key), (as_name, as_key)
    finally:
        engine.dispose()


def test_work_done_on_a_desk_opened_as_someone_else_records_both_names(published, db_url):
    engine = published  # a desk opens only on published rules
    from deskapp.actions import new_case

    add_handler(engine, ME, "admin")
    add_handler(engine, "sam", "handler")
    desk = open_desk(db_url, None, as_name="sam", clock=lambda: NOW)
    try:
        new_case(desk, kind="complaint", category="repairs", title="Roof leak", received_at=NOW,
                 party={"role": "customer", "name": "Ada Brook"})
    finally:
        desk.close()
    [event] = events(engine)
    assert (event.actor, event.via, event.action) == ("sam", ME, "case.new")
    from deskapp.supervision.verify import verify

    assert verify(engine).ok, "via is in the chain hash"
