"""Saved views: list, save, rename, delete a handler's own; publish and change the team's.

A view is a name and a ViewSpec (deskapp.core.saved_views) kept in the
database, so it follows the handler to any desk. Each change is one audited
transaction with its change-feed line; the role is re-read inside it, so only
a supervisor or admin (views.publish) can publish, rename or delete a team
view — anyone else gets one NotAllowed line and nothing is written. Names are
trimmed, 1-40 characters and unique per owner regardless of case (the team's
views are one owner); a personal view and a team view may share a name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from deskapp.actions import audit
from deskapp.actions.permissions import require
from deskapp.actions.validate import InvalidInput
from deskapp.core.saved_views import SavedView, ViewNameError, ViewSpec, clean_view_name, read_spec
from deskapp.errors import DeskError
from deskapp.store import changes
from deskapp.store.locks import begin_write
from deskapp.store.models import SavedView as SavedViewRow
from deskapp.store.retry import retry_on_busy


def _as_view(row: SavedViewRow, owner: Optional[str]) -> SavedView:
    spec, problem = read_spec(row.spec)
    return SavedView(id=row.id, name=row.name, owner=owner, published_by=row.published_by, spec=spec,
                     problem=problem, updated_at=row.updated_at)


def list_views(desk: Any) -> list[SavedView]:
    """The handler's own views (by name), then the team's (by name). Broken ones too, with their reason."""
    me = desk.me
    with desk.session() as session:
        require(desk, "case.view", session=session)
        rows = session.execute(
            select(SavedViewRow).where(or_(SavedViewRow.owner_id == me.id, SavedViewRow.owner_id.is_(None)))
        ).scalars().all()
        views = [_as_view(row, me.username if row.owner_id is not None else None) for row in rows]
    return sorted(views, key=lambda v: (v.team, v.name.casefold(), v.id))


def find_view(desk: Any, name: str, *, team: Optional[bool] = None) -> SavedView:
    """The view called `name` (any case): the handler's own first, else the team's. DeskError if none."""
    wanted = " ".join(name.split()).casefold()
    views = [v for v in list_views(desk) if v.name.casefold() == wanted and (team is None or v.team == team)]
    if not views:
        whose = "team " if team else "personal " if team is False else ""
        raise DeskError(f"no {whose}saved view called {name!r} (see `deskapp views list`)")
    return views[0]


def _name(name: Any) -> str:
    try:
        return clean_view_name(name)
    except ViewNameError as exc:
        raise InvalidInput("name", str(exc)) from None


def _spec(spec: Any) -> ViewSpec:
    if isinstance(spec, ViewSpec):
        return spec
    found, problem = read_spec(spec)
    if found is None:
        raise InvalidInput("view", problem or "not a view")
    return found


def _name_taken(session: Session, owner_id: Optional[int], name: str, *, but: Optional[int] = None) -> bool:
    owner = SavedViewRow.owner_id.is_(None) if owner_id is None else SavedViewRow.owner_id == owner_id
    query = select(SavedViewRow.id).where(owner, func.lower(SavedViewRow.name) == name.lower())
    if but is not None:
        query = query.where(SavedViewRow.id != but)
    return session.execute(query.limit(1)).first() is not None


def _taken_message(name: str, team: bool) -> str:
    whose = "the team already has a view" if team else "you already have a view"
    return f"{whose} called {name!r}: choose another name, or rename or delete that one"


def _record(session: Session, desk: Any, action: str, at: datetime, row: SavedViewRow, **detail: Any) -> None:
    """The audit event and change-feed line of one change to a view, in its transaction."""
    detail = {"view_id": row.id, "name": row.name, "team": row.owner_id is None, **detail}
    audit.append(session, **audit.by(desk), action=action, at=at, detail=detail)
    changes.record(session, kind=action, actor=desk.me.username, at=at)


def _write(desk: Any, what: str, fn) -> Any:
    """Run fn(session, at) in one transaction; a name that raced in from another desk is one line."""
    at = desk.now()
    try:
        with desk.session() as session, session.begin():
            begin_write(session)
            return fn(session, at)
    except IntegrityError as exc:
        raise DeskError(f"could not {what}: another desk saved a view with that name just now") from exc


@retry_on_busy("save the view")
def save_view(desk: Any, name: str, spec: Any, *, team: bool = False) -> SavedView:
    """Save the queue's filter + sort as a new view: the handler's own, or (team=True) the team's."""
    name, spec = _name(name), _spec(spec)

    def write(session: Session, at: datetime) -> SavedView:
        require(desk, "views.publish" if team else "case.view", session=session)
        owner_id = None if team else desk.me.id
        if _name_taken(session, owner_id, name):
            raise InvalidInput("name", _taken_message(name, team))
        row = SavedViewRow(owner_id=owner_id, name=name, spec=spec.stored(),
                           published_by=desk.me.username if team else None, created_at=at, updated_at=at)
        session.add(row)
        session.flush()
        _record(session, desk, "view.publish" if team else "view.save", at, row, spec=row.spec)
        return _as_view(row, None if team else desk.me.username)

    return _write(desk, "save the view", write)


def publish_view(desk: Any, name: str, spec: Any) -> SavedView:
    """A team view every handler sees (supervisors and admins only)."""
    return save_view(desk, name, spec, team=True)


def _mine_to_change(session: Session, desk: Any, view_id: int) -> SavedViewRow:
    """The view row if this handler may change it (their own, or a team view and views.publish)."""
    row = session.get(SavedViewRow, view_id)
    if row is None or (row.owner_id is not None and row.owner_id != desk.me.id):
        raise DeskError(f"saved view {view_id} does not exist (or is another handler's)")
    require(desk, "views.publish" if row.owner_id is None else "case.view", session=session)
    return row


@retry_on_busy("rename the view")
def rename_view(desk: Any, view_id: int, new_name: str) -> SavedView:
    """Give a view a new name (unique among its owner's views)."""
    new_name = _name(new_name)

    def write(session: Session, at: datetime) -> SavedView:
        row = _mine_to_change(session, desk, view_id)
        if _name_taken(session, row.owner_id, new_name, but=row.id):
            raise InvalidInput("name", _taken_message(new_name, row.owner_id is None))
        old = row.name
        row.name, row.updated_at = new_name, at
        session.add(row)
        session.flush()
        _record(session, desk, "view.rename", at, row, old_name=old)
        return _as_view(row, None if row.owner_id is None else desk.me.username)

    return _write(desk, "rename the view", write)


@retry_on_busy("delete the view")
def delete_view(desk: Any, view_id: int) -> str:
    """Delete a view; returns its name. The audit event keeps what it was."""

    def write(session: Session, at: datetime) -> str:
        row = _mine_to_change(session, desk, view_id)
        _record(session, desk, "view.delete", at, row, spec=row.spec)
        session.delete(row)
        return row.name

    return _write(desk, "delete the view", write)

