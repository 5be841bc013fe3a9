"""Plain, read-only views of desk data handed to the UI.

The UI renders these and never sees a database row or a session, so a screen
cannot accidentally write or run SQL. Text fields are untrusted customer and
handler text: render them literally (Content(text), Text(text), markup=False).

Only what the first screen needs (HandlerView, QueueRow) is defined here; the
case's views and ActionRequest live in deskapp.core.case_views and are
loaded on first use (PEP 562): making a frozen dataclass costs ~1 ms, six of
them ~6 ms of every start before the queue shows. Import them from here as
always (`from deskapp.core.views import CaseView`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional


@dataclass(frozen=True)
class HandlerView:
    id: int
    username: str
    display_name: str
    role: str  # handler | supervisor | admin

    @property
    def can_approve(self) -> bool:
        return self.role in ("supervisor", "admin")


@dataclass(frozen=True)
class QueueRow:
    """One line of the case queue."""

    id: int
    ref: str
    kind: str
    category: str
    title: str
    stage: int
    status: str
    priority: int
    vulnerable: bool
    received_at: datetime
    due_at: Optional[datetime]
    assigned_to: Optional[str]  # username
    customer: Optional[str] = None  # name of the first customer/resident party, if the query provides it


_LATER = ("PartyView", "PersonView", "OtherCaseView", "ArrangementView", "ContactView", "LinkView", "DeliveryView",
          "AppointmentView", "ApprovalView", "AttachmentView", "CaseView", "ActionRequest")


def __getattr__(name: str) -> Any:
    if name in _LATER:
        from deskapp.core import case_views

        return getattr(case_views, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["HandlerView", "QueueRow", *_LATER]
