"""What each handler action changes in the case, once the rules have had their say.

Every function here runs inside the write transaction opened by
`deskapp.actions.submit`; it returns the contact it logged (if any) and a
dict describing the change for the audit record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Optional

from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions.validate import InvalidInput, clean_text
from deskapp.core.views import ActionRequest
from deskapp.policy.expressions import format_day_time
from deskapp.store.changes import record as record_change
from deskapp.store.models import Appointment, Case, CaseLink, Contact, Handler
from deskapp.vocab import LINK_INVERSE

Change = tuple[Optional[Contact], dict[str, Any]]


def _handler_id(session: Session, username: str, field: str = "to") -> int:
    row = session.execute(select(Handler).where(Handler.username == username)).scalar_one_or_none()
    if row is None:
        raise InvalidInput(field, f"no handler called {username!r}")
    if not row.active:
        raise InvalidInput(field, f"handler {username!r} is inactive")
    return row.id


def _contact(case: Case, request: ActionRequest, me_id: int, now: datetime, **fields) -> Contact:
    values = dict(
        case_id=case.id,
        at=request.at or now,
        channel=request.channel,
        direction=request.direction or "out",
        party_id=request.party_id,
        handler_id=me_id,
        outcome=request.outcome,
        summary=clean_text(request.summary),
        body=clean_text(request.body) or None,
        call_id=request.call_id,
    )
    values.update(fields)
    return Contact(**values)


def _first_line(text: str, limit: int = 120) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _final_response(case: Case, row: Contact, request: ActionRequest) -> dict[str, Any]:
    """Mark `row` as the current stage's final response: the fact `responded` and `closed` need.

    responded_at is when the first final response of the stage went (the deadline is judged on it).
    """
    if not request.final_response:
        return {}
    row.response_stage = case.stage
    if case.responded_at is None or row.at < case.responded_at:
        case.responded_at = row.at
    return {"final_response": {"stage": case.stage}}


def contact(session, case, request, me_id, now) -> Change:
    row = _contact(case, request, me_id, now)
    return row, {"channel": row.channel, "direction": row.direction, "outcome": row.outcome,
                 **_final_response(case, row, request)}


def message(session, case, request, me_id, now) -> Change:
    row = _contact(case, request, me_id, now, channel=request.channel or "email", direction="out", outcome=None)
    if not row.summary:
        row.summary = _first_line(row.body or "")
    return row, {"channel": row.channel, **_final_response(case, row, request)}


def end_call(session, case, request, me_id, now) -> Change:
    row = _contact(
        case, request, me_id, now,
        channel="phone", direction=request.direction or "in", outcome="ended_for_abuse",
        summary=clean_text(request.summary) or "Call ended for abusive behaviour",
    )
    return row, {"call_id": request.call_id}


def note(session, case, request, me_id, now) -> Change:
    body = clean_text(request.body)
    row = _contact(case, request, me_id, now, channel="note", direction="internal", party_id=None,
                   outcome=None, summary=clean_text(request.summary) or _first_line(body))
    return row, {}


def _internal(case, me_id, now, summary, body=None) -> Contact:
    return Contact(case_id=case.id, at=now, channel="note", direction="internal", handler_id=me_id,
                   summary=summary[:300], body=body)


def status(session, case, request, me_id, now) -> Change:
    before, after = case.status, request.to
    case.status = after
    case.status_changed_at = now
    if after == "acknowledged" and case.acknowledged_at is None:
        case.acknowledged_at = now
    # responded_at is set by the final response itself (see _final_response), never by the status:
    # a status is a claim, the response is the fact.
    if after == "closed":
        case.closed_at = now
    elif before == "closed":
        case.closed_at = None  # reopened
    row = _internal(case, me_id, now, f"Status: {before} → {after}", clean_text(request.body) or None)
    return row, {"from": before, "to": after}


def assign(session, case, request, me_id, now) -> Change:
    new_id = _handler_id(session, request.to)
    before = case.assigned_to_id
    case.assigned_to_id = new_id
    note_text = f"Assigned to {request.to}"
    if request.at_request_of is not None:
        note_text += " at the customer's request"
    row = _internal(case, me_id, now, note_text, clean_text(request.body) or None)
    return row, {"from_handler_id": before, "to": request.to, "at_request_of": request.at_request_of}


def escalate(session, case, request, me_id, now) -> Change:
    previous = {
        "stage": case.stage,
        "acknowledged_at": case.acknowledged_at,
        "responded_at": case.responded_at,
        "extension_days": case.extension_days,
        "assigned_to_id": case.assigned_to_id,
    }
    if case.stage1_handler_id is None:
        case.stage1_handler_id = case.assigned_to_id or me_id
    case.stage = 2
    case.stage2_at = now
    # Stage 2 runs its own clock: a new acknowledgement and response are due.
    case.acknowledged_at = None
    case.responded_at = None
    case.extension_days = 0
    case.status = "new"
    case.status_changed_at = now
    if request.to:
        case.assigned_to_id = _handler_id(session, request.to)
    why = clean_text(request.body or request.summary)
    row = _internal(case, me_id, now, "Escalated to stage 2" + (f" ({request.to})" if request.to else ""), why or None)
    return row, {"stage1": previous, "to": request.to}


def extend(session, case, request, me_id, now) -> Change:
    before = case.extension_days
    case.extension_days = before + int(request.working_days)
    why = clean_text(request.body or request.summary)
    row = _internal(case, me_id, now, f"Deadline extended by {request.working_days} working days", why)
    return row, {"from": before, "to": case.extension_days}


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="minutes")


def appointment(session, case, request, me_id, now) -> Change:
    """Book, move, cancel or mark kept/missed one appointment; an internal note tells the history.

    The note is internal, so it never counts as following a missed appointment up (policies.yaml).
    """
    op = request.to
    if op == "book":
        row = Appointment(case_id=case.id, party_id=request.party_id, at=request.at,
                          purpose=clean_text(request.summary).strip(), status="booked", created_at=now)
        session.add(row)
        session.flush()
        before = {}
    else:
        row = session.get(Appointment, request.extra["appointment_id"])  # validated against the case view
        before = {"from_at": _iso(row.at), "from_status": row.status}
        if op in ("kept", "missed") and row.at > now:
            raise InvalidInput("appointment", f"the appointment is at {format_day_time(row.at)}, still to "
                                              f"come: it can be marked {op} once its time has passed")
        if op == "move":
            row.at = request.at
            if request.party_id is not None:
                row.party_id = request.party_id
            if clean_text(request.summary).strip():
                row.purpose = clean_text(request.summary).strip()
        else:
            row.status = {"cancel": "cancelled"}.get(op, op)
    words = {"book": "booked", "move": "moved", "cancel": "cancelled", "kept": "kept", "missed": "missed"}[op]
    note = _internal(case, me_id, now, f"Appointment {words}: {format_day_time(row.at)}",
                     clean_text(request.body) or None)
    return note, {"appointment_id": row.id, "op": op, **before, "at": _iso(row.at), "status": row.status}


def _active_link(session: Session, a: int, b: int) -> Optional[CaseLink]:
    """The link in force between cases a and b (either way round), if any."""
    return session.execute(select(CaseLink).where(
        ((CaseLink.case_id == a) & (CaseLink.other_id == b)) | ((CaseLink.case_id == b) & (CaseLink.other_id == a)),
        CaseLink.removed_at.is_(None)).order_by(CaseLink.id).limit(1)).scalar_one_or_none()


def _username(session: Session, handler_id: int) -> str:
    row = session.get(Handler, handler_id)
    return row.username if row is not None else ""


def seen_from(link: CaseLink, case_id: int) -> str:
    """What the other case is to `case_id` under this link (parent and child swap across it)."""
    return link.kind if link.case_id == case_id else LINK_INVERSE[link.kind]


def link(session, case, request, me_id, now) -> Change:
    """Link the case to another (extra["other_ref"]) as duplicate, related, parent or child (request.to):
    one row read from both sides; a note on this case's history; the other case's desks refresh."""
    ref = str(request.extra["other_ref"]).strip()
    other = session.execute(select(Case).where(Case.ref == ref)).scalar_one_or_none()
    if other is None:
        raise InvalidInput("other", f"there is no case {ref}")
    if other.id == case.id:
        raise InvalidInput("other", f"{case.ref} cannot be linked to itself")
    existing = _active_link(session, case.id, other.id)
    if existing is not None:
        raise InvalidInput("other", f"{case.ref} is already linked to {other.ref} "
                                    f"({seen_from(existing, case.id)}): unlink it first to change how")
    row = CaseLink(case_id=case.id, other_id=other.id, kind=request.to, created_by_id=me_id, created_at=now)
    session.add(row)
    session.flush()
    record_change(session, kind="link", actor=_username(session, me_id), at=now, case_id=other.id, version=other.version)
    what = {"duplicate": "a duplicate of this", "related": "related", "parent": "this case's parent",
            "child": "a child of this case"}[request.to]
    note = _internal(case, me_id, now, f"Linked {other.ref} ({what})", clean_text(request.body) or None)
    return note, {"link_id": row.id, "other_id": other.id, "other_ref": other.ref, "as": request.to}


def unlink(session, case, request, me_id, now) -> Change:
    """Remove a link (kept on record: removed_at) with a note on this case's history."""
    row = session.get(CaseLink, request.extra["link_id"])
    if row is None or row.removed_at is not None or case.id not in (row.case_id, row.other_id):
        raise InvalidInput("link", f"that link is not on case {case.ref} (it may have been removed)")
    other_id = row.other_id if row.case_id == case.id else row.case_id
    other = session.get(Case, other_id)
    kind = seen_from(row, case.id)
    row.removed_at, row.removed_by_id = now, me_id
    record_change(session, kind="unlink", actor=_username(session, me_id), at=now, case_id=other.id, version=other.version)
    note = _internal(case, me_id, now, f"Unlinked {other.ref} (was {kind})", clean_text(request.body) or None)
    return note, {"link_id": row.id, "other_id": other.id, "other_ref": other.ref, "was": kind}


EFFECTS: dict[str, Callable[..., Change]] = {
    "contact": contact,
    "message": message,
    "end_call": end_call,
    "note": note,
    "status": status,
    "assign": assign,
    "escalate": escalate,
    "extend": extend,
    "appointment": appointment,
    "link": link,
    "unlink": unlink,
}
