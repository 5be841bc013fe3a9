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

from sqlalchemy import Engine
from sqlmodel import Session

from deskapp import config
from deskapp.actions.identity import desk_user
from deskapp.core.views import HandlerView
from deskapp.policy import PolicyPack
from deskapp.store.engine import connect
from deskapp.store.migrate import require_current
from deskapp.store.rowdigests import audited_session


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
        """A session for one action: committing rows no audit event recorded is refused (rowdigests)."""
        return audited_session(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def open_desk(
    db_url: Optional[str] = None,
    policies_path: Optional[str] = None,
    username: Optional[str] = None,
    clock: Optional[Callable[[], datetime]] = None,
    *,
    as_name: Optional[str] = None,
    as_key: Optional[str] = None,
) -> Desk:
    """Connect, check the schema, find the handler and load the rules. Raises DeskError on any problem.

    Who is at the desk: `username` (Python API), else the OS account, or the
    handler `--as` / `--as-key` names if deskapp.actions.identity allows it.
    The rules are the newest pack published into the database; `policies_path`
    (--policies) is a trial pack, allowed on a demo desk or for an admin only
    (the admin who opened the desk with --as counts).
    """
    from deskapp.actions.policies import for_desk

    url = config.db_url(db_url)
    engine = connect(url)
    try:
        require_current(engine)
        me, via = desk_user(engine, username, as_name=as_name, as_key=as_key, clock=clock)
        rules = for_desk(engine, me, policies_path, at=(clock or _clock)(), via=via)
    except Exception:
        engine.dispose()
        raise
    desk = Desk(engine=engine, policies=rules.pack, me=me, db_url=url, via=via, policy_hash=rules.sha256,
                rules_version=rules.version, trial_rules=rules.trial)
    if clock is not None:
        desk.clock = clock
    return desk
