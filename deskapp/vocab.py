"""The desk's vocabulary: the fixed sets of words a case, contact or rule may use.

Kept in one place so the store, the policy engine, the importers and the UI
agree on spelling, and so a validator can say "did you mean ...".
"""

from __future__ import annotations

CASE_KINDS = ("complaint", "enquiry", "compliment", "service_request")
CASE_STATUSES = (
    "new",
    "acknowledged",
    "investigating",
    "awaiting_customer",
    "awaiting_third_party",
    "responded",
    "closed",
)
OPEN_STATUSES = tuple(s for s in CASE_STATUSES if s != "closed")
STAGES = (1, 2)
# 1 is most urgent. Stored as an int so the queue can sort on it with an index.
PRIORITIES = {1: "urgent", 2: "high", 3: "normal", 4: "low"}

PARTY_ROLES = ("customer", "resident", "representative", "third_party")

CHANNELS = ("phone", "email", "letter", "sms", "visit", "portal", "note")
DIRECTIONS = ("in", "out", "internal")
OUTCOMES = (
    "reached",
    "no_answer",
    "voicemail",
    "no_reply",
    "bounced",
    "warning_given",
    "ended_for_abuse",
)
# What an inbound email contact no person wrote carries (deskapp.actions.mail): never a handler's choice.
MAIL_OUTCOMES = ("auto_reply", "bounce_notice", "mail_loop")

# An outbound email in the outbox (deskapp.store.models.Outbox): `unknown` = its sender died after
# the relay was given the text, so it may have gone; a person checks before sending it again.
OUTBOX_STATUSES = ("queued", "sending", "sent", "failed", "unknown")

APPOINTMENT_STATUSES = ("booked", "kept", "missed", "cancelled")
# What an `appointment` action does to one (its ActionRequest.to): book a new one, move or
# cancel a booked one, or record afterwards whether it was kept or missed.
APPOINTMENT_OPS = ("book", "move", "cancel", "kept", "missed")

ACTION_KINDS = ("contact", "message", "status", "assign", "escalate", "extend", "end_call", "note", "appointment",
                "link", "unlink")
# What another case is to this one (deskapp.actions.case_links): the same issue reported twice, related,
# or this case's parent / child. Read from the other side, parent and child swap.
LINK_KINDS = ("duplicate", "related", "parent", "child")
LINK_INVERSE = {"duplicate": "duplicate", "related": "related", "parent": "child", "child": "parent"}
# `case` is not an action: rules `on: case` give standing advice about the selected case.
RULE_TARGETS = ACTION_KINDS + ("case",)
SEVERITIES = ("advice", "warn", "block")

HANDLER_ROLES = ("handler", "supervisor", "admin")
# approved -> completed once the handler's desk carries the action out.
APPROVAL_STATUSES = ("pending", "approved", "refused", "withdrawn", "completed")
