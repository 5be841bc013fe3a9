"""The people who work the desk, and their SSH keys: storage only.

A role decides who may approve blocked actions (supervisor) or manage the
desk (admin); what a name or role may be is deskapp.core.logins. Who may
change any of this, and the audit of it, is deskapp.actions.users.
"""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from deskapp.core.logins import check_role, check_username, display_name_for
from deskapp.errors import DeskError
from deskapp.store.engine import session_scope
from deskapp.store.models import Handler, HandlerKey


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
    display_name = display_name_for(username, display_name)
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
