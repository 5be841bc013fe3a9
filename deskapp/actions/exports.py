"""`deskapp export` as an action: who may take a case file off the desk, and its audit record.

The case file is gathered and rendered above (deskapp.supervision); what
happens here is the permission (case.export, re-read in the transaction that
writes the record) and the `case.export` event itself. A refusal is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deskapp.actions import audit, refusals
from deskapp.actions.permissions import require
from deskapp.store.locks import begin_write

PERMISSION = "case.export"


def may_export(desk: Any) -> None:
    """NotAllowed (audited) unless this person may export now: checked before any work is done."""
    with refusals.audited(desk, PERMISSION):
        with desk.session() as session:
            require(desk, PERMISSION, session=session)


def record_export(desk: Any, *, case_id: int, fmt: str, to: str, audit_records: int, at: datetime) -> None:
    """The export's audit event, in one transaction with a fresh role check (NotAllowed, audited)."""
    with refusals.audited(desk, PERMISSION, case_id=case_id):
        with desk.session() as session, session.begin():
            begin_write(session)
            require(desk, PERMISSION, session=session)
            audit.append(session, **audit.by(desk), action="case.export", at=at, case_id=case_id,
                         detail={"format": fmt, "to": to, "audit_records": audit_records})
