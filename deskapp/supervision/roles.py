"""Who may do what on the desk, enforced where the work is done (the action layer).

The UI hides what a person may not do, but the rule lives here: every action
function asks `require(...)` before it writes, so a handler cannot reach a
supervisor's power through an old screen, a script or a stale desk. Inside a
transaction the role is re-read from the database, so demoting or deactivating
someone takes effect on their very next action, not when they restart.

The matrix (documented for the README in notes/roles_readme.md):

    permission        handler  supervisor  admin   what it covers
    case.view            x         x         x     queue, cases, history
    case.create          x         x         x     open a case
    case.work            x         x         x     contacts, messages, notes, status, extend,
                                                   escalate, parties, drafts — on any case
    case.assign          x         x         x     assign a case that is unassigned or your own
    case.reassign                  x         x     take a case off another handler
    approval.request     x         x         x     ask a supervisor to allow a blocked action
    approval.decide                x         x     approve / refuse (never your own request)
    dashboard.view                 x         x     the team dashboard
    case.export                    x         x     `deskapp export` (a case file leaves the desk)
    case.import                              x     `deskapp import`
    users.manage                             x     add, change and deactivate handlers
    policies.manage                          x     change policies.yaml
"""

from __future__ import annotations

from typing import Any, Optional

from deskapp.errors import DeskError
from deskapp.vocab import HANDLER_ROLES

_ALL = ("handler", "supervisor", "admin")
_LEADS = ("supervisor", "admin")
_ADMIN = ("admin",)

# permission -> (roles allowed, what it is called in a refusal)
PERMISSIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "case.view": (_ALL, "viewing cases"),
    "case.create": (_ALL, "opening a case"),
    "case.work": (_ALL, "working a case"),
    "case.assign": (_ALL, "assigning a case"),
    "case.reassign": (_LEADS, "taking a case off another handler"),
    "approval.request": (_ALL, "asking for approval"),
    "approval.decide": (_LEADS, "approving or refusing approval requests"),
    "dashboard.view": (_LEADS, "the team dashboard"),
    "case.export": (_LEADS, "exporting a case file"),
    "case.import": (_ADMIN, "importing cases"),
    "users.manage": (_ADMIN, "managing handlers"),
    "policies.manage": (_ADMIN, "changing the policies"),
}

# Which permission each handler action (vocab.ACTION_KINDS) needs.
ACTION_PERMISSIONS = {
    "contact": "case.work",
    "message": "case.work",
    "note": "case.work",
    "end_call": "case.work",
    "status": "case.work",
    "extend": "case.work",
    "escalate": "case.work",
    "assign": "case.assign",
}

assert all(set(roles) <= set(HANDLER_ROLES) for roles, _ in PERMISSIONS.values())


class NotAllowed(DeskError):
    """The person's role does not allow this. One line, naming who, their role and what it needs."""


def _person(who: Any) -> Any:
    """A Desk, a HandlerView or a Handler row -> the object holding id, username and role."""
    return getattr(who, "me", who)


def _fresh(person: Any, session: Any) -> tuple[str, bool]:
    """(role, active) as the database has it now."""
    from deskapp.store.models import Handler

    row = session.get(Handler, person.id) if getattr(person, "id", None) is not None else None
    if row is None:
        raise NotAllowed(f"{person.username} is no longer a deskapp handler")
    return row.role, bool(row.active)


def allowed(who: Any, permission: str) -> bool:
    """Whether this person's role has `permission` (no database read: for showing or hiding UI)."""
    roles, _what = _spec(permission)
    return getattr(_person(who), "role", None) in roles


def require(who: Any, permission: str, *, session: Any = None) -> None:
    """Raise NotAllowed unless the person may do this. With a session, the role is re-read first."""
    roles, what = _spec(permission)
    person = _person(who)
    role = getattr(person, "role", None)
    if session is not None:
        role, active = _fresh(person, session)
        if not active:
            raise NotAllowed(f"{person.username}'s account is inactive: nothing can be changed from it")
    if role not in roles:
        needs = " or ".join(roles)
        article = "an" if needs[0] in "aeiou" else "a"
        raise NotAllowed(f"{person.username} is {_a(role)}: {what} needs {article} {needs}")


def require_action(who: Any, request: Any, case: Any, session: Any = None) -> None:
    """The check for one handler action (an ActionRequest) on a case row, inside its transaction.

    Handing a case on is open to everyone only while it is unassigned or theirs;
    moving someone else's case (assign, or escalate to a named handler) is a
    supervisor's call.
    """
    permission = ACTION_PERMISSIONS.get(getattr(request, "kind", None), "case.work")
    require(who, permission, session=session)
    moves_case = request.kind == "assign" or (request.kind == "escalate" and getattr(request, "to", None))
    if moves_case and not _holds(who, case):
        require(who, "case.reassign", session=session)


def _a(word: Any) -> str:
    text = str(word)
    return f"an {text}" if text[:1] in ("a", "e", "i", "o", "u") else f"a {text}"


def _holds(who: Any, case: Any) -> bool:
    """The case is unassigned or assigned to this person."""
    assigned = getattr(case, "assigned_to_id", None)
    return assigned is None or assigned == getattr(_person(who), "id", None)


def _spec(permission: str) -> tuple[tuple[str, ...], str]:
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise ValueError(f"unknown permission {permission!r}") from None


def matrix() -> list[tuple[str, str, dict[str, bool]]]:
    """(permission, what, {role: allowed}) for docs and the help screen."""
    return [(name, what, {role: role in roles for role in HANDLER_ROLES})
            for name, (roles, what) in PERMISSIONS.items()]


def role_of(who: Any) -> Optional[str]:
    return getattr(_person(who), "role", None)
