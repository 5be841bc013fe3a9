"""The people who work the desk.

Handlers are OS users: the desk knows who is sitting at it from the login
name, so a handler's `username` must look like one, and a role decides who may
approve blocked actions (supervisor) or manage the desk (admin).
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from deskapp.errors import DeskError
from deskapp.store.engine import session_scope
from deskapp.store.models import Handler
from deskapp.vocab import HANDLER_ROLES

# Like a POSIX login name: starts with a letter or _, then letters, digits, _ . -
_USERNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
USERNAME_MAX = 32
DISPLAY_NAME_MAX = 120


def check_username(username: str) -> str:
    """The username, or DeskError saying what is wrong with it."""
    if not isinstance(username, str) or not username:
        raise DeskError("username is empty")
    if len(username) > USERNAME_MAX:
        raise DeskError(f"username {username[:40]!r} is longer than {USERNAME_MAX} characters")
    if not _USERNAME.fullmatch(username):
        raise DeskError(
            f"username {username!r} is not a login name: use letters, digits, _ . - "
            "and start with a letter or _"
        )
    return username


def check_role(role: str) -> str:
    if role not in HANDLER_ROLES:
        raise DeskError(f"role {role!r} is not one of: {', '.join(HANDLER_ROLES)}")
    return role


def _os_display_name(username: str) -> str | None:
    """The full name the OS has for this login, if it knows the user."""
    try:
        import pwd

        gecos = pwd.getpwnam(username).pw_gecos
    except (ImportError, KeyError):
        return None
    name = gecos.split(",")[0].strip()
    return name or None


def add_handler(engine: Engine, username: str, role: str = "handler", display_name: str | None = None) -> Handler:
    """Register a handler. Duplicate usernames, unknown roles and odd names are a DeskError."""
    check_username(username)
    check_role(role)
    try:
        with session_scope(engine) as session:
            handler = _new_handler(session, username, role, display_name)
    except IntegrityError as exc:  # another desk added the same name just now
        raise DeskError(f"handler {username!r} already exists") from exc
    return handler


def add_handler_as(engine: Engine, actor: str, username: str, role: str = "handler",
                   display_name: str | None = None) -> Handler:
    """`deskapp users add`, run by `actor` (the OS login or DESKAPP_USER): add a handler if they may.

    The rule: while the database has no active admin - a new desk being set up -
    anyone who can open it may add handlers (that is how the first admin gets
    there); from then on only an active admin may. The check and the insert are
    one transaction holding the write lock, so two people setting up a desk at
    once cannot both slip through. DeskError (one line) when refused.
    """
    check_username(username)
    check_role(role)
    try:
        with session_scope(engine) as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("LOCK TABLE handlers IN SHARE ROW EXCLUSIVE MODE"))
            else:
                session.execute(text("DELETE FROM handlers WHERE 0"))  # takes SQLite's write lock now
            admins = session.exec(select(Handler.username).where(Handler.role == "admin",
                                                                 Handler.active == True)).all()  # noqa: E712
            if admins and actor not in admins:
                me = session.exec(select(Handler).where(Handler.username == actor)).first()
                who = (f"{actor} is not a deskapp handler" if me is None
                       else f"{actor}'s account is inactive" if not me.active else f"{actor} is a {me.role}")
                raise DeskError(f"only an admin can add handlers and {who}: ask an admin "
                                f"({', '.join(sorted(admins)[:3])}) to run it, as themselves")
            handler = _new_handler(session, username, role, display_name)
    except IntegrityError as exc:  # another desk added the same name just now
        raise DeskError(f"handler {username!r} already exists") from exc
    return handler


def _new_handler(session, username: str, role: str, display_name: str | None) -> Handler:
    if display_name is not None:
        display_name = " ".join(display_name.split())
        if not display_name:
            raise DeskError("display name is empty")
        if len(display_name) > DISPLAY_NAME_MAX:
            raise DeskError(f"display name is longer than {DISPLAY_NAME_MAX} characters")
    else:
        display_name = _os_display_name(username) or username
    if session.exec(select(Handler).where(Handler.username == username)).first() is not None:
        raise DeskError(f"handler {username!r} already exists")
    handler = Handler(username=username, role=role, display_name=display_name)
    session.add(handler)
    session.flush()
    return handler


def get_handler(engine: Engine, username: str) -> Handler | None:
    """The handler with this username, or None."""
    with session_scope(engine) as session:
        return session.exec(select(Handler).where(Handler.username == username)).first()


def list_handlers(engine: Engine, include_inactive: bool = True) -> list[Handler]:
    """Every handler, by username."""
    with session_scope(engine) as session:
        query = select(Handler).order_by(Handler.username)
        if not include_inactive:
            query = query.where(Handler.active == True)  # noqa: E712 (SQL expression)
        return list(session.exec(query).all())
