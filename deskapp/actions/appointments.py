"""Reading appointments across cases: a day's list for the "today" view, one for a calendar file.

Writing them is an ActionRequest of kind `appointment` through `submit`, like
every other change; this module only reads, plus the audit record of a
calendar file leaving the desk (it carries a party's name and the purpose).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Optional

from sqlalchemy import select

from deskapp.actions import audit
from deskapp.actions.permissions import require
from deskapp.errors import DeskError
from deskapp.store.locks import begin_write
from deskapp.store.models import Appointment, Case, Handler, Party


@dataclass(frozen=True)
class AppointmentRow:
    """One appointment with what a list or a calendar file needs of its case and party. Text is untrusted."""

    id: int
    at: datetime
    status: str
    purpose: str
    case_id: int
    case_ref: str
    case_title: str
    assigned_to: Optional[str]
    party_name: Optional[str]
    party_email: Optional[str]


def _rows(session: Any, where: list[Any]) -> list[AppointmentRow]:
    query = (
        select(Appointment, Case.ref, Case.title, Handler.username, Party.name, Party.email)
        .join(Case, Case.id == Appointment.case_id)
        .outerjoin(Handler, Handler.id == Case.assigned_to_id)
        .outerjoin(Party, Party.id == Appointment.party_id)
        .where(*where)
        .order_by(Appointment.at, Appointment.id)
    )
    return [
        AppointmentRow(id=a.id, at=a.at, status=a.status, purpose=a.purpose, case_id=a.case_id, case_ref=ref,
                       case_title=title, assigned_to=user, party_name=name, party_email=email)
        for a, ref, title, user, name, email in session.execute(query).all()
    ]


def appointments_on(desk: Any, day: date, *, team: bool = False) -> list[AppointmentRow]:
    """The day's appointments on the handler's own cases, cancelled ones included (they say so).

    team=True: everyone's, for a supervisor (needs dashboard.view, like the team dashboard).
    """
    start = datetime.combine(day, time())
    where = [Appointment.at >= start, Appointment.at < start + timedelta(days=1)]
    with desk.session() as session:
        require(desk, "dashboard.view" if team else "case.view", session=session)
        if not team:
            where.append(Case.assigned_to_id == desk.me.id)
        return _rows(session, where)


def appointment_row(desk: Any, appointment_id: int) -> AppointmentRow:
    """One appointment, or DeskError naming the id."""
    with desk.session() as session:
        require(desk, "case.view", session=session)
        found = _rows(session, [Appointment.id == appointment_id])
    if not found:
        raise DeskError(f"appointment {appointment_id} does not exist")
    return found[0]


def record_calendar_file(desk: Any, row: AppointmentRow, to: str, at: datetime) -> None:
    """The audit event for a calendar file of `row` written to `to`, after a fresh role check."""
    with desk.session() as session, session.begin():
        begin_write(session)
        require(desk, "case.work", session=session)
        audit.append(session, **audit.by(desk), action="appointment.ics", at=at, case_id=row.case_id,
                     detail={"appointment_id": row.id, "status": row.status, "to": to})
