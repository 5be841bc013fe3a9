"""A handler's desk: who is working, against which database, under which rules.

Opening a desk checks everything that could go wrong before the screen takes
over the terminal, so a problem is reported as one line, not a broken UI.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Optional

from sqlalchemy import Engine, select
from sqlmodel import Session

from deskapp import config
from deskapp.actions.reads import handler_view
from deskapp.core.views import HandlerView
from deskapp.errors import DeskError
from deskapp.policy import PolicyPack
from deskapp.store.engine import connect
from deskapp.store.migrate import require_current
from deskapp.store.models import Handler


def _clock() -> datetime:
    return datetime.now().replace(microsecond=0)


@dataclass
class Desk:
    engine: Engine
    policies: PolicyPack
    me: HandlerView
    db_url: str
    name: str = field(default_factory=lambda: os.environ.get("DESKAPP_DESK") or socket.gethostname())
    clock: Callable[[], datetime] = _clock
    via: Optional[str] = None  # the admin who opened this desk as `me` (deskapp desk --as), recorded on every event
    policy_hash: Optional[str] = None  # sha256 of the published pack in force, recorded on every event
    rules_version: Optional[int] = None  # the published pack's version (None for a trial pack)
    trial_rules: Optional[str] = None  # the file of a trial pack (--policies on a demo desk or by an admin)

    def now(self) -> datetime:
        return self.clock()

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()


def find_handler(engine: Engine, username: str) -> HandlerView:
    with Session(engine) as session:
        row = session.execute(select(Handler).where(Handler.username == username)).scalar_one_or_none()
    if row is None:
        raise DeskError(
            f"{username!r} is not a deskapp handler: ask an admin to run `deskapp users add {username}`"
        )
    if not row.active:
        raise DeskError(f"handler {username!r} is inactive: ask an admin to reactivate the account")
    return handler_view(row)


def open_desk(
    db_url: Optional[str] = None,
    policies_path: Optional[str] = None,
    username: Optional[str] = None,
    clock: Optional[Callable[[], datetime]] = None,
) -> Desk:
    """Connect, check the schema, find the handler and load the rules. Raises DeskError on any problem.

    The rules are the newest pack published into the database; `policies_path`
    (--policies) is a trial pack, allowed on a demo desk or for an admin only.
    """
    from deskapp.actions.policies import for_desk

    url = config.db_url(db_url)
    engine = connect(url)
    try:
        require_current(engine)
        me = find_handler(engine, username or config.current_username())
        rules = for_desk(engine, me, policies_path, at=(clock or _clock)())
    except Exception:
        engine.dispose()
        raise
    desk = Desk(engine=engine, policies=rules.pack, me=me, db_url=url, policy_hash=rules.sha256,
                rules_version=rules.version, trial_rules=rules.trial)
    if clock is not None:
        desk.clock = clock
    return desk
