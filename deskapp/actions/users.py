"""Managing handlers: add, role, deactivate, activate, SSH keys. Each one audited action.

Who may: an active admin, re-read inside the transaction that makes the
change (a demoted admin cannot finish one last change). While the desk has no
active admin yet (a new desk being set up) anyone who can open it may; the
last active admin cannot be demoted or deactivated, so that window never
opens again by accident. A refusal is one line (NotAllowed, exit 2) and an
audit event naming who asked.

Keys live in handler_keys; the service account's authorized_keys is
regenerated from them (active handlers only) inside the same transaction, so
a file that cannot be written leaves the database unchanged too.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Optional

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from deskapp import config
from deskapp.actions import audit, identity
from deskapp.actions.identity import Actor
from deskapp.actions.permissions import require
from deskapp.actions.reads import handler_view
from deskapp.core import authorized_keys
from deskapp.core.logins import check_role, check_username
from deskapp.core.roles import NotAllowed
from deskapp.core.sshkeys import PublicKey
from deskapp.core.views import HandlerView
from deskapp.errors import DeskError
from deskapp.store import changes, handlers, settings
from deskapp.store.engine import session_scope
from deskapp.store.models import Handler


class UserRow(BaseModel):
    """One line of `deskapp users list`."""

    model_config = ConfigDict(frozen=True)

    username: str
    display_name: str
    role: str
    active: bool
    keys: int


class _Refused(Exception):
    """Raised inside the transaction; turned into an audited NotAllowed after it rolled back."""


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def keys_file_for(engine: Engine, option: Optional[str]) -> Optional[Path]:
    """Which authorized_keys to keep: `--authorized-keys PATH`, else the service account's own (when
    the OS account running this is the desk's service account), else None: keys cannot be written."""
    if option:
        return Path(option)
    service = settings.read(engine, settings.SERVICE_ACCOUNT)
    return authorized_keys.default_path() if service and service == config.os_username() else None


def _need_keys_file(engine: Engine, keys_file: Optional[Path]) -> Path:
    if keys_file is not None:
        return keys_file
    service = settings.read(engine, settings.SERVICE_ACCOUNT)
    owner = f"the desk's service account ({service})" if service else "the desk's service account"
    raise DeskError(f"SSH keys go into the authorized_keys of {owner}: run this as it "
                    f"(sudo -u {service or 'ACCOUNT'} deskapp ...) or give --authorized-keys PATH")


@contextmanager
def _managing(engine: Engine, actor: Actor, what: str, target: Optional[str], at: datetime,
              policy_hash: Optional[str]) -> Iterator[Session]:
    """A transaction in which `actor` may manage handlers: checked first, refusals audited after rollback."""
    try:
        with session_scope(engine) as session:
            handlers.lock(session)
            _may_manage(session, actor, what)
            yield session
    except _Refused as refused:
        raise identity.refuse(engine, actor, "users.refused", str(refused), at=at, policy_hash=policy_hash,
                              command=what, target=target) from None
    except IntegrityError as exc:  # another desk made the same change just now
        raise DeskError(f"could not {what}: another desk changed the same handler at the same time "
                        "(see `deskapp users list`)") from exc


def _may_manage(session: Session, actor: Actor, what: str) -> None:
    admins = handlers.active_admins(session)
    if not admins:
        return  # a new desk being set up: how the first admin gets there
    row = handlers.by_username(session, actor.username)
    if row is not None:
        try:
            require(row, "users.manage", session=session)
            return
        except NotAllowed:
            pass
    who = (f"{actor.username} is not a deskapp handler" if row is None
           else f"{actor.username}'s account is inactive" if not row.active
           else f"{actor.username} is {'an' if row.role[:1] in 'aeiou' else 'a'} {row.role}")
    raise _Refused(f"only an admin can {what} and {who}: ask an admin ({', '.join(admins[:3])}) to run it, "
                   "as themselves")


def _target(session: Session, username: str) -> Handler:
    row = handlers.by_username(session, username)
    if row is None:
        raise DeskError(f"{username!r} is not a deskapp handler (see `deskapp users list`)")
    return row


def _record(session: Session, actor: Actor, action: str, at: datetime, policy_hash: Optional[str],
            **detail: Any) -> None:
    """The audit event and the change-feed line of one change, in its transaction."""
    audit.append(session, **actor.audit_by, action=action, at=at, policy_hash=policy_hash,
                 detail={key: value for key, value in detail.items() if value is not None})
    changes.record(session, kind=action, actor=actor.username, at=at)


def _write_keys(session: Session, keys_file: Optional[Path]) -> None:
    """Regenerate deskapp's lines in `keys_file` from the transaction's view of handler_keys."""
    if keys_file is None:
        return
    program = authorized_keys.deskapp_program()
    lines = [authorized_keys.key_line(name, key_type, data, program)
             for name, key_type, data in handlers.active_keys(session)]
    authorized_keys.write(keys_file, lines)


def _store_key(session: Session, actor: Actor, handler: Handler, key: PublicKey, at: datetime) -> str:
    fingerprint = key.fingerprint
    holder = handlers.key_by_fingerprint(session, fingerprint)
    if holder is not None:
        owner = session.get(Handler, holder.handler_id)
        raise DeskError(f"key {fingerprint} is already {owner.username if owner else 'someone'}'s: "
                        "each key names one handler")
    handlers.add_key(session, handler, key.key_type, key.key_data, key.comment, fingerprint,
                     added_by=actor.via or actor.username, at=at)
    return fingerprint


def add(engine: Engine, actor: Actor, username: str, *, role: str = "handler", display_name: Optional[str] = None,
        key: Optional[PublicKey] = None, keys_file: Optional[Path] = None, at: Optional[datetime] = None,
        policy_hash: Optional[str] = None) -> HandlerView:
    """`deskapp users add NAME [--role R] [--name DISPLAY] [--key FILE.pub]`."""
    check_username(username)
    check_role(role)
    at = at or _now()
    if key is not None:
        keys_file = _need_keys_file(engine, keys_file)
    with _managing(engine, actor, "add handlers", username, at, policy_hash) as session:
        row = handlers.new_handler(session, username, role, display_name)
        fingerprint = _store_key(session, actor, row, key, at) if key is not None else None
        _record(session, actor, "users.add", at, policy_hash, username=username, role=role,
                display_name=row.display_name, key=fingerprint)
        if key is not None:
            _write_keys(session, keys_file)
        return handler_view(row)


def set_role(engine: Engine, actor: Actor, username: str, role: str, *, at: Optional[datetime] = None,
             policy_hash: Optional[str] = None) -> HandlerView:
    """`deskapp users role NAME ROLE`."""
    check_role(role)
    at = at or _now()
    with _managing(engine, actor, "change roles", username, at, policy_hash) as session:
        row = _target(session, username)
        before = row.role
        if before == role:
            raise DeskError(f"{username} is already {'an' if role[:1] in 'aeiou' else 'a'} {role}")
        if before == "admin" and row.active:
            _not_the_last_admin(session, username)
        row.role = role
        session.flush()
        _record(session, actor, "users.role", at, policy_hash, username=username, role=role, was=before)
        return handler_view(row)


def set_active(engine: Engine, actor: Actor, username: str, active: bool, *, keys_file: Optional[Path] = None,
               at: Optional[datetime] = None, policy_hash: Optional[str] = None) -> HandlerView:
    """`deskapp users deactivate|activate NAME`: an inactive handler cannot open the desk or change anything,
    and their keys leave authorized_keys (they stay stored, for activate)."""
    at = at or _now()
    what = "activate handlers" if active else "deactivate handlers"
    with _managing(engine, actor, what, username, at, policy_hash) as session:
        row = _target(session, username)
        if bool(row.active) == active:
            raise DeskError(f"{username} is already {'active' if active else 'inactive'}")
        if not active and row.role == "admin":
            _not_the_last_admin(session, username)
        row.active = active
        session.flush()
        _record(session, actor, "users.activate" if active else "users.deactivate", at, policy_hash,
                username=username)
        _write_keys(session, keys_file)
        return handler_view(row)


def _not_the_last_admin(session: Session, username: str) -> None:
    if handlers.active_admins(session) == [username]:
        raise DeskError(f"{username} is the desk's last active admin: make someone else an admin first")


def add_key(engine: Engine, actor: Actor, username: str, key: PublicKey, *, keys_file: Optional[Path] = None,
            at: Optional[datetime] = None, policy_hash: Optional[str] = None) -> str:
    """`deskapp users key add NAME FILE`: the key's fingerprint."""
    at = at or _now()
    keys_file = _need_keys_file(engine, keys_file)
    with _managing(engine, actor, "add SSH keys", username, at, policy_hash) as session:
        row = _target(session, username)
        fingerprint = _store_key(session, actor, row, key, at)
        _record(session, actor, "users.key.add", at, policy_hash, username=username, key=fingerprint,
                key_type=key.key_type)
        _write_keys(session, keys_file)
        return fingerprint


def remove_key(engine: Engine, actor: Actor, username: str, fingerprint: str, *,
               keys_file: Optional[Path] = None, at: Optional[datetime] = None,
               policy_hash: Optional[str] = None) -> None:
    """`deskapp users key remove NAME FINGERPRINT`."""
    at = at or _now()
    keys_file = _need_keys_file(engine, keys_file)
    with _managing(engine, actor, "remove SSH keys", username, at, policy_hash) as session:
        row = _target(session, username)
        held = handlers.key_by_fingerprint(session, fingerprint)
        if held is None or held.handler_id != row.id:
            raise DeskError(f"{username} has no key {fingerprint} (see `deskapp users key list {username}`)")
        session.delete(held)
        session.flush()
        _record(session, actor, "users.key.remove", at, policy_hash, username=username, key=fingerprint)
        _write_keys(session, keys_file)


def sync_keys(engine: Engine, actor: Actor, *, keys_file: Optional[Path] = None, at: Optional[datetime] = None,
              policy_hash: Optional[str] = None) -> Path:
    """`deskapp users key sync`: write authorized_keys again from the database (after a change made
    by someone who could not write it). Changes no row, so it writes no audit event."""
    at = at or _now()
    keys_file = _need_keys_file(engine, keys_file)
    with _managing(engine, actor, "write authorized_keys", None, at, policy_hash) as session:
        _write_keys(session, keys_file)
    return keys_file


def key_list(engine: Engine, username: str) -> list[tuple[str, str, Optional[str]]]:
    """(fingerprint, type, comment) of a handler's keys."""
    with Session(engine) as session:
        row = _target(session, username)
        return [(k.fingerprint, k.key_type, k.comment) for k in handlers.keys_of(session, row.id)]


def roster(engine: Engine) -> list[UserRow]:
    """Every handler with role, active flag and key count, by username."""
    with Session(engine) as session:
        counts = handlers.key_counts(session)
        rows = session.exec(select(Handler).order_by(Handler.username)).all()
        return [UserRow(username=h.username, display_name=h.display_name, role=h.role, active=bool(h.active),
                        keys=counts.get(h.id, 0)) for h in rows]
