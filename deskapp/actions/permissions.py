"""Role checks inside an action's transaction: the role and active flag are re-read first.

The matrix itself is deskapp.core.roles (pure); here it meets the database, so
demoting or deactivating someone takes effect on their very next action.
`why_not` asks the same questions up front, without a transaction, so the desk
(and any other front end) can say "no, because ..." before a form is filled in.
"""

from __future__ import annotations

from typing import Any, Optional

from deskapp.actions.validate import InvalidInput, check_case_allows
from deskapp.core.roles import ACTION_PERMISSIONS, PERMISSIONS, NotAllowed, allowed, check, person_of
from deskapp.store.models import Handler


def fresh_role(who: Any, session: Any) -> tuple[str, bool]:
    """(role, active) as the database has it now; NotAllowed if the handler row is gone."""
    person = person_of(who)
    row = session.get(Handler, person.id) if getattr(person, "id", None) is not None else None
    if row is None:
        raise NotAllowed(f"{person.username} is no longer a deskapp handler")
    return row.role, bool(row.active)


def require(who: Any, permission: str, *, session: Any = None) -> None:
    """Raise NotAllowed unless the person may do this. With a session, the role is re-read first."""
    if session is None:
        check(who, permission)
        return
    role, active = fresh_role(who, session)
    check(who, permission, role, active)


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


def _holds(who: Any, case: Any) -> bool:
    """The case is unassigned or assigned to this person."""
    assigned = getattr(case, "assigned_to_id", None)
    return assigned is None or assigned == getattr(person_of(who), "id", None)


# Desk forms that are not ActionRequest kinds but need more than case.work.
FORM_PERMISSIONS = {"merge": "case.merge"}


def why_not(who: Any, kind: str, case: Any) -> Optional[str]:
    """Why this person cannot start action `kind` on `case` (a CaseView) as it stands, or None if they can.

    One line for the handler, before any form opens: their role (as they carry it:
    no database read), a case already at stage 2 or closed, a colleague's case
    they may not take. Not a promise: submit checks everything again, in its
    transaction, against the case as it is then.
    """
    try:
        check(who, ACTION_PERMISSIONS.get(kind) or FORM_PERMISSIONS.get(kind, "case.work"))
        check_case_allows(kind, case)
    except NotAllowed as exc:
        return str(exc)
    except InvalidInput as exc:
        return str(exc).removeprefix(f"{exc.field}: ")
    holder = getattr(case, "assigned_to", None)
    if kind == "assign" and holder not in (None, getattr(person_of(who), "username", None)) \
            and not allowed(who, "case.reassign"):
        roles, what = PERMISSIONS["case.reassign"]
        return f"{case.ref} is {holder}'s case: {what} needs a {' or '.join(roles)}"
    return None
