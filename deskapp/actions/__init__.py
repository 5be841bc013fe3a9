"""The action layer: one function per thing a handler does, each one transaction.

The UI calls only this package (never SQL); this package asks the pure policy
engine what the rules say and writes through the store. See
docs/architecture.md.

Names are imported on first use (PEP 562): `deskapp.core.views` holds plain
dataclasses the desk's first screen needs, and importing it must not pull in
SQLAlchemy, the models and the policy engine (~0.5 s of start-up CPU).
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

_WHERE = {
    "decide_approval": "approvals", "my_approvals": "approvals", "pending_approvals": "approvals",
    "new_case": "cases", "save_party": "cases",
    "record_arrangement": "people", "end_arrangement": "people", "set_vulnerability": "people",
    "prospective_case": "person_pick", "add_picked_party": "person_pick", "party_of_person": "person_pick",
    "find_persons": "person_search",
    "Desk": "desk", "open_desk": "desk",
    "discard_draft": "drafts", "load_draft": "drafts", "save_draft": "drafts",
    "case_snapshot": "facts",
    "ApprovalRequested": "outcomes", "Blocked": "outcomes", "Conflict": "outcomes", "Done": "outcomes",
    "NeedsReason": "outcomes", "Outcome": "outcomes",
    "why_not": "permissions",
    "case_view": "reads", "handler_view": "reads",
    "preview": "submit", "submit": "submit",
    "InvalidInput": "validate",
    "ActionRequest": "deskapp.core.views", "CaseView": "deskapp.core.views", "HandlerView": "deskapp.core.views",
    "Standing": "pane_reads", "load_case": "pane_reads", "standing": "pane_reads", "list_handlers": "pane_reads",
}
_FROM_POLICY = ("Finding", "evaluate")


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        where = _WHERE[name]
        value = getattr(import_module(where if "." in where else f"deskapp.actions.{where}"), name)
    elif name in _FROM_POLICY:
        value = getattr(import_module("deskapp.policy"), name)
    elif name == "Handler":
        from deskapp.store.models import Handler as value
    else:
        raise AttributeError(f"module 'deskapp.actions' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE) | set(_FROM_POLICY))


class _ActionsPackage(types.ModuleType):
    """Keeps `deskapp.actions.submit` the function, as the eager imports used to.

    Importing a submodule sets it as an attribute of its package; for `submit`
    (a module and the function it defines) that would hide the function.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _WHERE.get(name) == name:
            value = getattr(value, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _ActionsPackage


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from deskapp.actions.approvals import decide_approval, my_approvals, pending_approvals
    from deskapp.actions.cases import new_case, save_party
    from deskapp.actions.people import end_arrangement, record_arrangement, set_vulnerability
    from deskapp.actions.desk import Desk, open_desk
    from deskapp.actions.drafts import discard_draft, load_draft, save_draft
    from deskapp.actions.facts import case_snapshot
    from deskapp.actions.permissions import why_not
    from deskapp.actions.outcomes import ApprovalRequested, Blocked, Conflict, Done, NeedsReason, Outcome
    from deskapp.actions.reads import case_view, handler_view
    from deskapp.actions.pane_reads import Standing, list_handlers, load_case, standing
    from deskapp.actions.submit import preview, submit
    from deskapp.actions.validate import InvalidInput
    from deskapp.core.views import ActionRequest, CaseView, HandlerView
    from deskapp.policy import Finding, evaluate

__all__ = [
    "ActionRequest", "ApprovalRequested", "Blocked", "CaseView", "Conflict", "Desk", "Done", "HandlerView",
    "InvalidInput", "NeedsReason", "Outcome", "Standing", "decide_approval", "discard_draft", "list_handlers",
    "load_case", "load_draft", "my_approvals", "new_case", "open_desk", "pending_approvals", "preview",
    "save_draft", "save_party", "standing", "submit",
]
