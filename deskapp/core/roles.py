"""Who may do what on the desk, enforced where the work is done (the action layer).

The UI hides what a person may not do, but the rule is enforced in the action layer: every action
function asks `deskapp.actions.permissions.require(...)` before it writes, so a handler cannot reach a
supervisor's power through an old screen, a script or a stale desk. Inside a
transaction the role is re-read from the database, so demoting or deactivating
someone takes effect on their very next action, not when they restart.

The matrix (documented for admins in docs/roles.md):

    permission        handler  supervisor  admin   what it covers
    case.view            x         x         x     queue, cases, history
    case.create          x         x         x     open a case
    case.work            x         x         x     contacts, messages, notes, status, extend,
                                                   escalate, appointments, parties, drafts — on any case
    case.assign          x         x         x     assign a case that is unassigned or your own
    case.reassign                  x         x     take a case off another handler
    approval.request     x         x         x     ask a supervisor to allow a blocked action
    approval.decide                x         x     approve / refuse (never your own request)
    dashboard.view                 x         x     the team dashboard
    views.publish                  x         x     publish, rename or delete a team saved view
    case.export                    x         x     `deskapp export` (a case file leaves the desk)
    case.import                              x     `deskapp import`
    mail.import                              x     `deskapp mail fetch|watch` (mail in as contacts and cases)
    case.erase                               x     `deskapp erase` (a case's personal text tombstoned)
    subject.export                 x         x     `deskapp export --subject` (all held about a person)
    person.merge                   x         x     `deskapp people duplicates|merge`: join two persons
    person.unmerge                           x     `deskapp people unmerge`: undo a merge (retention window)
    case.merge                     x         x     `deskapp case merge`: close a duplicate case into another
    case.unmerge                             x     `deskapp case unmerge`: undo a case merge (retention window)
    users.manage                             x     add, change and deactivate handlers
    policies.manage                          x     change policies.yaml
    demo.wipe                                x     `deskapp demo --force` on a demo desk nobody has worked
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
    "views.publish": (_LEADS, "publishing or changing the team's saved views"),
    "case.export": (_LEADS, "exporting a case file"),
    "case.import": (_ADMIN, "importing cases"),
    "mail.import": (_ADMIN, "fetching mail into the desk"),
    "case.erase": (_ADMIN, "erasing a case's personal text"),
    "subject.export": (_LEADS, "a subject-access export"),
    "person.merge": (_LEADS, "finding and merging duplicate persons"),
    "person.unmerge": (_ADMIN, "undoing a merge of persons"),
    "case.merge": (_LEADS, "merging a duplicate case into another"),
    "case.unmerge": (_ADMIN, "undoing a merge of cases"),
    "users.manage": (_ADMIN, "managing handlers"),
    "policies.manage": (_ADMIN, "changing the policies"),
    "demo.wipe": (_ADMIN, "wiping a demo desk (demo --force)"),
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
    "appointment": "case.work",
    "link": "case.work",
    "unlink": "case.work",
}

assert all(set(roles) <= set(HANDLER_ROLES) for roles, _ in PERMISSIONS.values())


class NotAllowed(DeskError):
    """The person's role does not allow this. One line, naming who, their role and what it needs."""


def _person(who: Any) -> Any:
    """A Desk, a HandlerView or a Handler row -> the object holding id, username and role."""
    return getattr(who, "me", who)


def allowed(who: Any, permission: str) -> bool:
    """Whether this person's role has `permission` (no database read: for showing or hiding UI)."""
    roles, _what = _spec(permission)
    return getattr(_person(who), "role", None) in roles


def check(who: Any, permission: str, role: Optional[str] = None, active: bool = True) -> None:
    """Raise NotAllowed unless a person with `role` (default: the one they carry) may do this.

    The action layer passes the role and active flag it has just re-read from the
    database (deskapp.actions.permissions), so a demotion counts at once.
    """
    roles, what = _spec(permission)
    person = _person(who)
    role = getattr(person, "role", None) if role is None else role
    if not active:
        raise NotAllowed(f"{person.username}'s account is inactive: nothing can be changed from it")
    if role not in roles:
        needs = " or ".join(roles)
        article = "an" if needs[0] in "aeiou" else "a"
        raise NotAllowed(f"{person.username} is {_a(role)}: {what} needs {article} {needs}")


def person_of(who: Any) -> Any:
    """A Desk, a HandlerView or a Handler row -> the object holding id, username and role."""
    return _person(who)


def _a(word: Any) -> str:
    text = str(word)
    return f"an {text}" if text[:1] in ("a", "e", "i", "o", "u") else f"a {text}"


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
