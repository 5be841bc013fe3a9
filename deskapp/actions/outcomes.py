"""What happened when a handler submitted an action.

The action layer never raises for a rule finding: it returns one of these so
the UI can ask for a reason, offer supervisor approval, or show a conflict
while keeping what the handler typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from deskapp.core.views import CaseView
from deskapp.policy import Finding


@dataclass(frozen=True)
class Done:
    """Written: the change, its contact (if any) and the audit event, in one transaction."""

    case: Optional[CaseView]
    findings: tuple[Finding, ...] = ()
    contact_id: Optional[int] = None
    audit_id: Optional[int] = None


@dataclass(frozen=True)
class NeedsReason:
    """Warn findings: nothing written. Submit again with `reason=` to go ahead."""

    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Blocked:
    """Block findings: nothing written. Submit again with `request_approval=True` to ask a supervisor."""

    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class ApprovalRequested:
    """The blocked action was stored as a pending approval request (and audited)."""

    approval_id: int
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Conflict:
    """Another desk changed the case since it was loaded. Nothing written; keep the handler's input."""

    message: str
    case: Optional[CaseView] = None


Outcome = Done | NeedsReason | Blocked | ApprovalRequested | Conflict
