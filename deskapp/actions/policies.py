"""The rules in force are the team's: packs published into the database, checked, versioned, audited.

Why here: a rules file on someone's disk (or an environment variable naming
one) let a handler run the desk with no rules. Now an admin publishes a pack
(`deskapp policy publish FILE`); every desk runs on the newest published pack
and every audit event records its sha256. A pack is checked exactly as
`deskapp policy check` checks a file (load, CEL compile, dry run) before it is
stored, and the stored text is verified against its sha256 when it is used.
`--policies FILE` on the desk is a trial: only on a demo desk or for an admin.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, Optional, Union

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, select, text as sql
from sqlmodel import Session

from deskapp.actions import audit
from deskapp.actions.permissions import require
from deskapp.actions.reads import handler_view
from deskapp.core.roles import NotAllowed, person_of
from deskapp.errors import DeskError
from deskapp.policy import PolicyFileError, PolicyPack, load_policies, load_policies_text
from deskapp.resources import shipped
from deskapp.store.changes import record as record_change
from deskapp.store.models import Handler
from deskapp.store.models import PolicyPack as PackRow
from deskapp.store.settings import is_demo

PUBLISH = "policy.publish"
DEFAULT_SOURCE = "policies.yaml"  # the packaged pack, as `deskapp init` publishes it
NOT_PUBLISHED = "no rules are published on this desk yet: run `deskapp init` (it publishes the packaged rules)"


class Published(BaseModel):
    """One published pack as people are shown it (`policy history`, what `publish` did)."""

    model_config = ConfigDict(frozen=True)

    version: int
    sha256: str
    source: str
    published_by: str
    published_at: datetime
    note: Optional[str] = None
    unchanged: bool = False  # publish found this exact pack already in force: nothing was written


class RulesInForce(NamedTuple):
    """The newest published pack, compiled: `pack, sha256, version = rules_in_force(engine)`."""

    pack: PolicyPack
    sha256: str
    version: int


class DeskRules(NamedTuple):
    """The pack a desk checks actions against: the published one, or a trial file (--policies)."""

    pack: PolicyPack
    sha256: str
    version: Optional[int]  # None for a trial pack (not published)
    trial: Optional[str] = None  # the trial file's name when --policies was given


class PackRefused(DeskError):
    """The pack fails `policy check`: one line naming file:line, nothing written."""


def sha256_of(data: Union[str, bytes]) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


# --- reading -----------------------------------------------------------------------------------


def newest(session: Session) -> Optional[PackRow]:
    return session.execute(select(PackRow).order_by(PackRow.version.desc()).limit(1)).scalar_one_or_none()


def _published(row: PackRow, unchanged: bool = False) -> Published:
    return Published(version=row.version, sha256=row.sha256, source=row.source, published_by=row.published_by,
                     published_at=row.published_at, note=row.note, unchanged=unchanged)


def rules_in_force(bind: Union[Engine, Session]) -> RulesInForce:
    """The newest published pack, compiled; DeskError (one line) if none or it does not check out."""
    if isinstance(bind, Session):
        row = newest(bind)
    else:
        with Session(bind) as session:
            row = newest(session)
    if row is None:
        raise DeskError(NOT_PUBLISHED)
    if sha256_of(row.text) != row.sha256:
        raise DeskError(f"the published rules (version {row.version}) do not match their sha256: the database "
                        "was changed outside deskapp; an admin must publish the pack again")
    try:
        pack = load_policies_text(row.text, row.source)
    except PolicyFileError as exc:  # passed when published: this deskapp reads it differently
        raise DeskError(f"the published rules (version {row.version}) fail this deskapp's checks: "
                        f"{_first_problem(exc)}; an admin can publish a fixed pack") from exc
    return RulesInForce(pack, row.sha256, row.version)


def history(bind: Union[Engine, Session]) -> list[Published]:
    """Every published pack, oldest first."""
    with _session(bind) as session:
        return [_published(r) for r in session.execute(select(PackRow).order_by(PackRow.version)).scalars()]


def pack_text(bind: Union[Engine, Session], version: Optional[int] = None) -> tuple[Published, str]:
    """A published pack's exact text (default: the one in force)."""
    with _session(bind) as session:
        if version is None:
            row = newest(session)
            if row is None:
                raise DeskError(NOT_PUBLISHED)
        else:
            row = session.execute(select(PackRow).where(PackRow.version == version)).scalar_one_or_none()
            if row is None:
                last = newest(session)
                known = f"versions 1 to {last.version}" if last is not None else "none yet"
                raise DeskError(f"no published rules version {version} ({known})")
        return _published(row), row.text


# --- the desk's rules --------------------------------------------------------------------------


def for_desk(engine: Engine, me: Any, trial_file: Optional[str] = None, *, at: Optional[datetime] = None,
             via: Optional[str] = None) -> DeskRules:
    """The rules a desk opened by `me` runs on: the published pack, or a trial file where allowed.

    A trial (`--policies FILE`) is for trying a pack on a demo desk or by an
    admin; anyone else is refused in one line, and the refusal is audited.
    """
    if not trial_file:
        return DeskRules(*rules_in_force(engine))
    if not (is_demo(engine) or _is_admin(engine, me) or (via is not None and _is_admin_named(engine, via))):
        person = person_of(me)
        message = (f"--policies: trying rules from a file is for an admin or on a demo desk; {person.username} "
                   f"is {_a(person.role)}: this desk runs on the published rules")
        _audit_refusal(engine, me, "policy.trial", message, {"file": str(trial_file)}, at, via)
        raise NotAllowed(message)
    pack = load_policies(Path(trial_file))
    return DeskRules(pack, pack.sha256 or sha256_of(Path(trial_file).read_bytes()), None, str(trial_file))


def _is_admin(engine: Engine, me: Any) -> bool:
    """Re-read: the role the database holds now, not one carried in from earlier."""
    person = person_of(me)
    with Session(engine) as session:
        row = session.get(Handler, getattr(person, "id", None)) if getattr(person, "id", None) else None
        return row is not None and bool(row.active) and row.role == "admin"


def _is_admin_named(engine: Engine, username: str) -> bool:
    """The admin who opened this desk as someone else (--as): still an active admin now."""
    with Session(engine) as session:
        row = session.execute(select(Handler).where(Handler.username == username)).scalar_one_or_none()
        return row is not None and bool(row.active) and row.role == "admin"


# --- publishing --------------------------------------------------------------------------------


def publish(who: Any, text: Union[str, bytes], *, source: str, note: Optional[str] = None,
            engine: Optional[Engine] = None, at: Optional[datetime] = None) -> Published:
    """Publish a pack as the newest version: checked, stored and audited in one transaction.

    `who` is a Desk or a handler (HandlerView / Handler row). Needs policies.manage,
    re-read inside the transaction; a refusal is audited and raised as NotAllowed.
    A pack that fails the checks raises PackRefused naming file:line; publishing
    the pack already in force writes nothing (`unchanged`).
    """
    engine = engine if engine is not None else who.engine
    at = (at or _now(who)).replace(microsecond=0)
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    sha256 = sha256_of(data)
    # Checked before the write lock is taken (compiling takes a moment); the verdict counts only
    # once the permission has been re-read, so a handler learns they may not, not what is wrong.
    try:
        pack: Optional[PolicyPack] = load_policies_text(data, source)
        problem = None
    except PolicyFileError as exc:
        pack, problem = None, exc
    person = person_of(who)
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            _write_lock(session)
            if getattr(person, "id", None) is None:
                raise NotAllowed(f"{person.username} is not a deskapp handler: changing the policies needs an admin")
            require(who, "policies.manage", session=session)
            last = newest(session)
            if problem is not None:
                raise PackRefused(f"not published: {_first_problem(problem)}")
            if last is not None and last.sha256 == sha256:
                return _published(last, unchanged=True)
            row = _store(session, data, sha256, source, note, person.username, at, last)
            audit.append(session, actor=person.username, handler_id=getattr(person, "id", None),
                         via=getattr(who, "via", None), action=PUBLISH, at=at,
                         detail=_detail(row, pack, last), policy_hash=sha256)
            record_change(session, kind=PUBLISH, actor=person.username, at=at)
            return _published(row)
    except NotAllowed as exc:
        _audit_refusal(engine, who, PUBLISH, str(exc), {"source": source, "sha256": sha256}, at,
                       getattr(who, "via", None))
        raise


def publish_as(engine: Engine, username: str, text: Union[str, bytes], *, source: str,
               note: Optional[str] = None) -> Published:
    """`deskapp policy publish`: publish as the OS user running it (who need not be a handler:
    then the refusal names them, and is audited all the same)."""
    with Session(engine) as session:
        row = session.execute(select(Handler).where(Handler.username == username)).scalar_one_or_none()
        who: Any = handler_view(row) if row is not None else _Stranger(username)
    return publish(who, text, source=source, note=note, engine=engine)


class _Stranger(NamedTuple):
    """An OS user who is not a handler: identified (so a refusal can be audited), allowed nothing."""

    username: str
    id: Optional[int] = None
    role: str = "not a handler"


def ensure_published(session: Session, *, actor: str, at: datetime, handler_id: Optional[int] = None,
                     demo: bool = False) -> Optional[Published]:
    """Publish the packaged policies.yaml as version 1 if nothing is published yet (init, demo).

    No permission is asked: a desk with no published rules is being set up, and
    what is published is deskapp's own pack, not anything the caller chose.
    Runs inside the caller's transaction; None when a pack is already published.
    """
    _write_lock(session)
    if newest(session) is not None:
        return None
    path = shipped(DEFAULT_SOURCE)
    data = path.read_bytes()
    pack = load_policies_text(data, DEFAULT_SOURCE, path=path)
    at = at.replace(microsecond=0)
    row = _store(session, data, pack.sha256 or sha256_of(data), DEFAULT_SOURCE,
                 "the rules packaged with deskapp", actor, at, None)
    detail = _detail(row, pack, None)
    if demo:
        detail["demo"] = True  # a demo desk's own setup (deskapp.demo.load tells its events by this mark)
    audit.append(session, actor=actor, handler_id=handler_id, action=PUBLISH, at=at, detail=detail,
                 policy_hash=row.sha256)
    record_change(session, kind=PUBLISH, actor=actor, at=at)
    return _published(row)


def publish_default(engine: Engine, actor: str, at: Optional[datetime] = None) -> Optional[Published]:
    """`deskapp init`: ensure_published in its own transaction, as the OS user running it."""
    at = at or datetime.now()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        handler = session.execute(select(Handler).where(Handler.username == actor)).scalar_one_or_none()
        return ensure_published(session, actor=actor, at=at, handler_id=handler.id if handler else None)


def _store(session: Session, data: bytes, sha256: str, source: str, note: Optional[str], by: str,
           at: datetime, last: Optional[PackRow]) -> PackRow:
    row = PackRow(version=(last.version + 1) if last is not None else 1, sha256=sha256,
                  text=data.decode("utf-8"), source=source[-300:], published_by=by[:64], published_at=at,
                  note=note)
    session.add(row)
    session.flush()
    return row


def _detail(row: PackRow, pack: Optional[PolicyPack], last: Optional[PackRow]) -> dict[str, Any]:
    rules = list(pack.rules) if pack is not None else []
    by_severity: dict[str, int] = {}  # enabled rules that can end in each severity (as `policy check` counts)
    for rule in rules:
        if rule.enabled:
            for severity in set(rule.severities):
                by_severity[severity] = by_severity.get(severity, 0) + 1
    detail: dict[str, Any] = {"version": row.version, "sha256": row.sha256, "source": row.source,
                              "rules": len(rules), "enabled": sum(1 for r in rules if r.enabled),
                              "severity": by_severity}
    if last is not None:
        detail["replaces"] = {"version": last.version, "sha256": last.sha256}
    if row.note:
        detail["note"] = row.note
    return detail


# --- small pieces ------------------------------------------------------------------------------


def _audit_refusal(engine: Engine, who: Any, what: str, message: str, detail: dict[str, Any],
                   at: Optional[datetime], via: Optional[str]) -> None:
    """Record a refused attempt in its own transaction (the refused one wrote nothing)."""
    person = person_of(who)
    at = (at or _now(who)).replace(microsecond=0)
    with Session(engine) as session, session.begin():
        _write_lock(session)
        last = newest(session)
        audit.append(session, actor=person.username, handler_id=getattr(person, "id", None), via=via,
                     action=f"{what}.refused", at=at, detail={**detail, "refusal": message},
                     policy_hash=last.sha256 if last is not None else None)


def _write_lock(session: Session) -> None:
    """Take the write lock before reading the newest version, so two publishers cannot both be 'next'.

    SQLite: BEGIN IMMEDIATE (waits out the busy timeout). PostgreSQL: the audit
    chain's advisory lock, which audit.append takes anyway (re-entrant).
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.execute(sql("SELECT pg_advisory_xact_lock(:k)"), {"k": audit._PG_AUDIT_LOCK})


def _now(who: Any) -> datetime:
    now = getattr(who, "now", None)
    return now() if callable(now) else datetime.now()


def _first_problem(exc: PolicyFileError) -> str:
    first = exc.problems[0]
    more = len(exc.problems) - 1
    return first if not more else f"{first} (and {more} more: see `deskapp policy check`)"


def _a(word: Any) -> str:
    text = str(word)
    return f"an {text}" if text[:1] in "aeiou" else f"a {text}"


class _session:
    """A Session for an Engine, or the caller's own Session left open."""

    def __init__(self, bind: Union[Engine, Session]) -> None:
        self._own = not isinstance(bind, Session)
        self._session = Session(bind) if self._own else bind

    def __enter__(self) -> Session:
        return self._session

    def __exit__(self, *exc: Any) -> None:
        if self._own:
            self._session.close()
