"""The people who work the desk, and their SSH keys: storage only.

Handlers are OS users (or reach the service account with their own SSH key),
so a handler's `username` must look like a login name; a role decides who may
approve blocked actions (supervisor) or manage the desk (admin). Who may
change any of this, and the audit of it, is deskapp.actions.users.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from deskapp.errors import DeskError
from deskapp.store.engine import session_scope
from deskapp.store.models import Handler, HandlerKey
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
    """Register a handler: storage only, no role check and no audit event (tests and fixtures).

    People add handlers through deskapp.actions.users.add (admin-only, audited).
    Duplicate usernames, unknown roles and odd names are a DeskError.
    """
    check_username(username)
    check_role(role)
    try:
        with session_scope(engine) as session:
            handler = _new_handler(session, username, role, display_name)
    except IntegrityError as exc:  # another desk added the same name just now
        raise DeskError(f"handler {username!r} already exists") from exc
    return handler


def lock(session) -> None:
    """Take the write lock on handlers now, so a check and the change after it cannot interleave with another."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE handlers IN SHARE ROW EXCLUSIVE MODE"))
    else:
        session.execute(text("DELETE FROM handlers WHERE 0"))  # takes SQLite's write lock now


def active_admins(session) -> list[str]:
    return sorted(session.exec(select(Handler.username).where(Handler.role == "admin",
                                                              Handler.active == True)).all())  # noqa: E712


def by_username(session, username: str) -> Handler | None:
    return session.exec(select(Handler).where(Handler.username == username)).first()


def new_handler(session, username: str, role: str, display_name: str | None) -> Handler:
    """Insert a handler row in the caller's transaction (username and role already checked)."""
    return _new_handler(session, username, role, display_name)


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


# --------------------------------------------------------------------------- SSH keys


def add_key(session, handler: Handler, key_type: str, key_data: str, comment: str | None, fingerprint: str,
            added_by: str, at) -> HandlerKey:
    row = HandlerKey(handler_id=handler.id, key_type=key_type, key_data=key_data, comment=comment,
                     fingerprint=fingerprint, added_by=added_by, added_at=at)
    session.add(row)
    session.flush()
    return row


def key_by_fingerprint(session, fingerprint: str) -> HandlerKey | None:
    return session.exec(select(HandlerKey).where(HandlerKey.fingerprint == fingerprint)).first()


def keys_of(session, handler_id: int) -> list[HandlerKey]:
    return list(session.exec(select(HandlerKey).where(HandlerKey.handler_id == handler_id)
                             .order_by(HandlerKey.id)).all())


def key_counts(session) -> dict[int, int]:
    """handler id -> how many keys they have."""
    counts: dict[int, int] = {}
    for handler_id in session.exec(select(HandlerKey.handler_id)).all():
        counts[handler_id] = counts.get(handler_id, 0) + 1
    return counts


def active_keys(session) -> list[tuple[str, str, str]]:
    """(username, key type, key data) of every active handler's keys, by username then key: authorized_keys."""
    query = (select(Handler.username, HandlerKey.key_type, HandlerKey.key_data)
             .join(HandlerKey, HandlerKey.handler_id == Handler.id)
             .where(Handler.active == True)  # noqa: E712 (SQL expression)
             .order_by(Handler.username, HandlerKey.id))
    return [tuple(row) for row in session.exec(query).all()]
