"""Who is acting: the OS account of this process, or the handler it may act as.

Identity comes from authenticated sources only: the effective uid (through
pwd) and, on a shared host, the SSH key sshd matched, which names the handler
in the forced command `deskapp desk --as-key NAME`. No environment variable
counts. Acting as someone else is allowed to:

* `--as NAME`: an active admin helping a handler (events record via=<admin>),
  anyone on a demo desk (marked at creation by `deskapp demo`), and the
  desk's service account (it can already be anyone through `--as-key`);
* `--as-key NAME`: the desk's service account only (desk_settings).

A refusal is one line (NotAllowed, exit 2) and an audit event naming the OS
account that asked. deskapp.store.first_page applies the same rules with plain
sqlite3 for the quick first screen; a test keeps the two in step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Optional

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, select
from sqlmodel import Session

from deskapp import config
from deskapp.actions import audit
from deskapp.actions.reads import handler_view
from deskapp.core.roles import NotAllowed
from deskapp.core.views import HandlerView
from deskapp.errors import DeskError
from deskapp.store import settings
from deskapp.store.engine import session_scope
from deskapp.store.models import Handler


class Actor(BaseModel):
    """Who is acting: `username`, their handler row if they have one, and who acts for them (`via`)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    username: str
    handler: Optional[HandlerView] = None
    active: bool = False
    via: Optional[str] = None

    @property
    def audit_by(self) -> dict[str, Any]:
        """actor, handler_id and via for deskapp.actions.audit.append."""
        return {"actor": self.username, "handler_id": self.handler.id if self.handler else None, "via": self.via}


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _row(session: Session, username: str) -> Optional[Handler]:
    return session.execute(select(Handler).where(Handler.username == username)).scalar_one_or_none()


def _actor(row: Optional[Handler], username: str, via: Optional[str] = None) -> Actor:
    if row is None:
        return Actor(username=username, via=via)
    return Actor(username=row.username, handler=handler_view(row), active=bool(row.active), via=via)


def refuse(engine: Engine, actor: Actor, action: str, message: str, *, at: Optional[datetime] = None,
           policy_hash: Optional[str] = None, **detail: Any) -> NotAllowed:
    """Write the audit event of a refusal (its own transaction) and return the NotAllowed to raise."""
    with session_scope(engine) as session:
        audit.append(session, **actor.audit_by, action=action, at=at or _now(), policy_hash=policy_hash,
                     detail={key: value for key, value in detail.items() if value is not None},
                     reason=message)
    return NotAllowed(message)


def acting(engine: Engine, *, as_name: Optional[str] = None, as_key: Optional[str] = None,
           clock: Optional[Callable[[], datetime]] = None, policy_hash: Optional[str] = None) -> Actor:
    """Who is acting for a command or desk, with `--as` / `--as-key` checked; refusals audited.

    The Actor may be no handler at all (setting up a new desk); commands that
    need one say so (`desk_user`, deskapp.actions.users).
    """
    now = (clock or _now)()
    os_user = config.os_username()
    if as_name is not None and as_key is not None:
        raise DeskError("--as and --as-key cannot be used together")
    with Session(engine) as session:
        me = _row(session, os_user)
        service = settings.get(session, settings.SERVICE_ACCOUNT)
        demo = settings.get(session, settings.DEMO) == "1"
        target = _row(session, as_key if as_key is not None else as_name) if (as_key or as_name) else None
    asker = _actor(me, os_user)
    if as_key is not None:
        if service is None or service != os_user:
            owner = f"the desk's service account ({service})" if service else "the desk's service account"
            raise refuse(engine, asker, "identity.refused",
                         f"--as-key is only for {owner}, and {os_user} is not it", at=now,
                         policy_hash=policy_hash, as_key=as_key, service_account=service)
        if target is None:
            raise DeskError(f"--as-key {as_key!r}: not a deskapp handler")
        return _actor(target, as_key)
    if as_name is None or as_name == os_user:
        return asker
    is_admin = me is not None and bool(me.active) and me.role == "admin"
    if not (is_admin or demo or (service is not None and service == os_user)):
        who = (f"{os_user} is not a deskapp handler" if me is None
               else f"{os_user}'s account is inactive" if not me.active else f"{os_user} is {_a(me.role)}")
        raise refuse(engine, asker, "identity.refused",
                     f"--as {as_name}: only an admin may act as another handler (or anyone on a demo desk), "
                     f"and {who}", at=now, policy_hash=policy_hash, as_name=as_name)
    if target is None:
        raise DeskError(f"--as {as_name!r}: not a deskapp handler (see `deskapp users list`)")
    return _actor(target, as_name, via=os_user)


def desk_user(engine: Engine, username: Optional[str] = None, *, as_name: Optional[str] = None,
              as_key: Optional[str] = None, clock: Optional[Callable[[], datetime]] = None,
              policy_hash: Optional[str] = None) -> tuple[HandlerView, Optional[str]]:
    """(who is at the desk, who acts for them) for open_desk; DeskError if they may not open it.

    `username` is the Python API's choice (tests, the quick first screen that
    already resolved it); commands leave it None and the OS account decides.
    An inactive handler is turned away, and that is audited.
    """
    if username is not None:
        with Session(engine) as session:
            actor = _actor(_row(session, username), username)
    else:
        actor = acting(engine, as_name=as_name, as_key=as_key, clock=clock, policy_hash=policy_hash)
    if actor.handler is None:
        raise DeskError(f"{actor.username!r} is not a deskapp handler: ask an admin to run "
                        f"`deskapp users add {actor.username}`")
    if not actor.active:
        raise refuse(engine, actor, "desk.refused",
                     f"handler {actor.username!r} is inactive: ask an admin to reactivate the account",
                     at=(clock or _now)(), policy_hash=policy_hash, why="inactive")
    return actor.handler, actor.via


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def claim_service_account(engine: Engine, *, at: Optional[datetime] = None) -> tuple[str, bool]:
    """`deskapp init`: the OS account running it becomes the desk's service account, if none is recorded.

    (account, True if recorded now). Set once, when the desk is made, and never
    changed by deskapp after that; the row keeps when it was set. No audit
    event: it comes before any work (and `demo --force` counts on a log that
    holds nothing but the demo's).
    """
    os_user = config.os_username()
    with session_scope(engine) as session:
        recorded = settings.get(session, settings.SERVICE_ACCOUNT)
        if recorded is not None:
            return recorded, False
        settings.put(session, settings.SERVICE_ACCOUNT, os_user, at or _now())
    return os_user, True
