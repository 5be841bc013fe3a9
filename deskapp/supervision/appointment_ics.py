"""An appointment as an iCalendar file (RFC 5545), to attach to the confirmation email.

The `icalendar` package writes it, so the party's name and the purpose (customer
text) are escaped and folded by a library that knows the format, never pasted
into lines by hand. The file leaves the desk like a case file does: written
beside its target, recorded in the audit trail, then moved into place.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from deskapp.actions.appointments import AppointmentRow, appointment_row, record_calendar_file
from deskapp.core.cards import redact_cards
from deskapp.supervision.export import deliver, output_target
from deskapp.supervision.render import inert

# A cancelled appointment is still sent: a calendar that holds it then shows it cancelled.
_STATUS = {"booked": "CONFIRMED", "kept": "CONFIRMED", "missed": "CONFIRMED", "cancelled": "CANCELLED"}


def _utc(at: datetime) -> datetime:
    """Times are naive local on the desk; the file says UTC so every calendar places it right."""
    return at.astimezone(timezone.utc) if at.tzinfo else at.astimezone().astimezone(timezone.utc)


def render_ics(row: AppointmentRow, now: datetime, host: str = "deskapp") -> str:
    """The VCALENDAR text (CRLF lines) for one appointment."""
    from icalendar import Calendar, Event, vCalAddress, vText

    cal = Calendar()
    cal.add("prodid", "-//deskapp//appointments//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"appointment-{row.id}@{host}")  # the same for every copy: a move updates it
    event.add("dtstamp", _utc(now))
    event.add("dtstart", _utc(row.at))
    # Control characters are written out visibly, as in case files: the file may be printed to a terminal.
    purpose = inert(redact_cards(row.purpose or ""))
    event.add("summary", f"{purpose or 'Appointment'} ({row.case_ref})")
    event.add("description", f"Case {row.case_ref}: {purpose}".rstrip(": "))
    event.add("status", _STATUS.get(row.status, "CONFIRMED"))
    name = inert(row.party_name)
    if name:
        if row.party_email:
            attendee = vCalAddress(f"mailto:{inert(row.party_email)}")
            attendee.params["cn"] = vText(name)
            event.add("attendee", attendee, encode=0)
        else:
            event.add("contact", name)
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")


def default_name(row: AppointmentRow) -> str:
    return f"{row.case_ref}-appointment-{row.id}.ics"


def export_appointment(desk: Any, appointment_id: int, output: Optional[str]) -> tuple[str, AppointmentRow, str]:
    """Render appointment `appointment_id` and record it leaving the desk. Returns (text, row, where).

    With `output` None or "-" the caller prints the text after the record is made.
    """
    row = appointment_row(desk, appointment_id)
    target = output_target(output, default_name(row))
    now = desk.now()
    text = render_ics(row, now)
    where = str(target) if target else "stdout"
    deliver(text, target, output, ".deskapp-ics-", lambda: record_calendar_file(desk, row, where, now))
    return text, row, where


def export_folder() -> Path:
    """Where the desk writes files for the handler to attach: <data folder>/exports."""
    from deskapp.config import data_dir

    return data_dir() / "exports"


def export_to_folder(desk: Any, appointment_id: int, folder: Optional[Path] = None) -> Path:
    """Write the file into `folder` (default export_folder(); made if missing, 0700) under its default
    name; return its path."""
    folder = folder or export_folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    row = appointment_row(desk, appointment_id)
    target = folder / default_name(row)
    export_appointment(desk, appointment_id, str(target))
    return target
