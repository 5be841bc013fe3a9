"""Checking a handler's input before anything is written.

Each problem is one line naming the field, so the form can show it beside
the field and nothing is half-written.
"""

from __future__ import annotations

from typing import Optional

from deskapp import vocab
from deskapp.core.parties import PARTY_LIMITS
from deskapp.core.views import ActionRequest, CaseView
from deskapp.errors import DeskError

MAX_SUMMARY = 300
MAX_TITLE = 200
MAX_NAME = PARTY_LIMITS["name"]
MAX_BODY = 100_000
MAX_PURPOSE = 200  # the appointments.purpose column
MAX_EXTENSION = 60  # working days; the policy pack decides what is allowed, this only stops typos like 1000

MESSAGE_CHANNELS = ("email", "letter", "sms", "portal")
# A stage's final response is written: a letter, an email or a portal message (never a call or a text).
FINAL_RESPONSE_CHANNELS = ("email", "letter", "portal")


class InvalidInput(DeskError):
    """One field of a form is wrong. `field` names it so the form can show the message beside it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def clean_text(value: str | None) -> str:
    """Text as typed, minus NUL (PostgreSQL cannot store it). Other characters are kept and escaped on display."""
    return (value or "").replace("\x00", "")


def check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidInput(field, f"too long ({len(value):,} characters; the limit is {limit:,})")


def required_text(field: str, text: Optional[str], example: str, limit: int) -> str:
    """A free-text why that must say something (merges, erasure): cleaned, bounded; `example` follows "say why"."""
    cleaned = clean_text(text).strip()
    if not cleaned:
        raise InvalidInput(field, f"say why {example}")
    check_length(field, cleaned, limit)
    return cleaned


def check_reason(settings, text: str | None, field: str = "reason") -> None:
    """Refuse an empty or meaningless reason ("ok", "n/a", too short): settings is the pack's ReasonSettings."""
    problem = settings.problem(text)
    if problem:
        raise InvalidInput(field, problem)


def check_choice(field: str, value, choices) -> None:
    if value not in choices:
        raise InvalidInput(field, f"{value!r} is not one of: {', '.join(str(c) for c in choices)}")


def check_final_response(request: ActionRequest, case: CaseView) -> None:
    """Only a written, outbound message or letter to a party can be a stage's final response."""
    channel = request.channel or ("email" if request.kind == "message" else None)
    if request.kind not in ("message", "contact"):
        raise InvalidInput("final_response", f"a {request.kind} cannot be a final response; send a message "
                                             f"or log the letter")
    if request.kind == "contact" and (request.direction or "out") != "out":
        raise InvalidInput("final_response", "only something we sent can be the final response")
    if channel not in FINAL_RESPONSE_CHANNELS:
        raise InvalidInput("final_response", f"a final response is written: send it by "
                                             f"{', '.join(FINAL_RESPONSE_CHANNELS)}, not {channel}")
    if request.party_id is None:
        raise InvalidInput("party", "choose who the final response is to")
    if case.status == "closed":
        raise InvalidInput("final_response", f"case {case.ref} is closed; reopen it (set status) first")


def appointment_of(request: ActionRequest, case: CaseView):
    """The case's appointment the request names (extra["appointment_id"]), or InvalidInput("appointment")."""
    wanted = (request.extra or {}).get("appointment_id")
    found = next((a for a in case.appointments if a.id == wanted), None)
    if found is None:
        raise InvalidInput("appointment", f"appointment {wanted} is not on case {case.ref}")
    return found


# Which statuses each op may change: a booked appointment moves, is cancelled, kept or missed;
# kept and missed may be corrected into each other; a cancelled one is booked again, not revived.
APPOINTMENT_FROM = {"move": ("booked",), "cancel": ("booked",),
                    "kept": ("booked", "missed"), "missed": ("booked", "kept")}


def check_appointment(request: ActionRequest, case: CaseView) -> None:
    """Book needs a time, a party and a purpose; the other ops need an appointment in a status they apply to."""
    op = request.to
    check_choice("appointment", op, vocab.APPOINTMENT_OPS)
    check_length("purpose", request.summary, MAX_PURPOSE)
    if op in ("book", "move") and case.status == "closed":  # how one went, or cancelling it, is still logged
        raise InvalidInput("status", f"case {case.ref} is closed; reopen it (set status) first")
    if op == "book":
        if request.at is None:
            raise InvalidInput("at", "say when the appointment is")
        if request.party_id is None:
            raise InvalidInput("party", "choose who the appointment is with")
        if not request.summary.strip():
            raise InvalidInput("purpose", "say what the appointment is for")
        return
    current = appointment_of(request, case)
    if current.status not in APPOINTMENT_FROM[op]:
        raise InvalidInput("appointment", f"the appointment is {current.status}; only a "
                                          f"{' or '.join(APPOINTMENT_FROM[op])} one can be {_DONE[op]}")
    if op == "move":
        if request.at is None:
            raise InvalidInput("at", "say when the appointment moves to")
        if request.at == current.at and request.party_id in (None, current.party_id) \
                and request.summary.strip() in ("", current.purpose):
            raise InvalidInput("at", "nothing changes: give a new time, party or purpose")


_DONE = {"move": "moved", "cancel": "cancelled", "kept": "marked kept", "missed": "marked missed"}


def check_request(request: ActionRequest, case: CaseView) -> None:
    """Raise InvalidInput for the first problem in the form, given the case as it stands."""
    kind = request.kind
    check_choice("kind", kind, vocab.ACTION_KINDS)
    check_length("summary", request.summary, MAX_SUMMARY)
    check_length("body", request.body, MAX_BODY)
    if request.party_id is not None and case.party(request.party_id) is None:
        raise InvalidInput("party", f"party {request.party_id} is not on case {case.ref}")
    if request.outcome is not None:
        check_choice("outcome", request.outcome, vocab.OUTCOMES)
    if kind == "contact":
        check_choice("channel", request.channel, vocab.CHANNELS)
        check_choice("direction", request.direction or "out", vocab.DIRECTIONS)
        if request.direction != "internal" and request.party_id is None:
            raise InvalidInput("party", "choose who the contact was with")
        if not (request.summary.strip() or request.body.strip()):
            raise InvalidInput("summary", "say what was discussed")
    elif kind == "message":
        check_choice("channel", request.channel or "email", MESSAGE_CHANNELS)
        if request.party_id is None:
            raise InvalidInput("party", "choose who the message is to")
        if not request.body.strip():
            raise InvalidInput("body", "the message is empty")
    elif kind == "status":
        check_choice("status", request.to, vocab.CASE_STATUSES)
        if request.to == case.status:
            raise InvalidInput("status", f"the case is already {case.status}")
    elif kind == "assign":
        if not request.to:
            raise InvalidInput("to", "choose a handler")
        if request.at_request_of is not None and case.party(request.at_request_of) is None:
            raise InvalidInput("at_request_of", f"party {request.at_request_of} is not on case {case.ref}")
    elif kind == "escalate":
        _check_escalation(case)
    elif kind == "extend":
        days = request.working_days
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise InvalidInput("working_days", "give a whole number of working days, 1 or more")
        if days > MAX_EXTENSION:
            raise InvalidInput("working_days", f"{days} working days is more than {MAX_EXTENSION}; check the figure")
        if not (request.body.strip() or request.summary.strip()):
            raise InvalidInput("reason", "say why the deadline is extended (the customer will be told)")
    elif kind == "note":
        if not (request.body.strip() or request.summary.strip()):
            raise InvalidInput("body", "the note is empty")
    elif kind == "appointment":
        check_appointment(request, case)
    elif kind == "link":
        check_choice("link", request.to, vocab.LINK_KINDS)
        other = str((request.extra or {}).get("other_ref") or "").strip()
        if not other:
            raise InvalidInput("other", "give the reference of the case to link, e.g. C-1002")
        check_length("other", other, 64)
        if other.casefold() == case.ref.casefold():
            raise InvalidInput("other", f"{case.ref} cannot be linked to itself")
    elif kind == "unlink":
        link_id = (request.extra or {}).get("link_id")
        links = {link.link_id for link in getattr(case, "links", ()) if link.link_id is not None}
        if not isinstance(link_id, int) or isinstance(link_id, bool) or link_id not in links:
            raise InvalidInput("link", f"that link is not on case {case.ref} (it may have been removed)")
    if request.final_response:
        check_final_response(request, case)
    _check_open(kind, case)


def check_case_allows(kind: str, case: CaseView) -> None:
    """Raise InvalidInput if the case as it stands rules out `kind`, whatever a form would say.

    The part of check_request that needs no form: asked before a form opens, so
    a handler is not left to find out on submit (which checks it all again).
    """
    if kind == "escalate":
        _check_escalation(case)
    _check_open(kind, case)


def _check_escalation(case: CaseView) -> None:
    if case.stage >= 2:
        raise InvalidInput("stage", f"case {case.ref} is already at stage {case.stage}")
    if case.kind != "complaint":
        raise InvalidInput("kind", f"only complaints go to stage 2; {case.ref} is a {case.kind}")


def _check_open(kind: str, case: CaseView) -> None:
    # Contacts and notes are still logged on a closed case (customers call back); changing its course is not.
    if case.status == "closed" and kind in ("assign", "escalate", "extend"):
        raise InvalidInput("status", f"case {case.ref} is closed; reopen it (set status) first")
