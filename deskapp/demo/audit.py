"""The demo's audit trail: what the handlers did, what the rules said, and why they went ahead.

A desk's audit log is where its supervisor dashboard (overrides per handler
and rule) and `deskapp audit verify` look; a demo without one shows an empty
panel. So, after the demo's rows are in (same transaction), this writes:

- an event for every handler-made contact of the named stories and of a
  seeded sample of the generated cases, with the findings the policy pack
  really gives for that action against the case as it stood before it
  (deskapp.policy.evaluate over deskapp.actions.facts snapshots). Where the
  rules warned, the event carries the handler's reason, so the history shows
  it and the dashboard counts it as an override;
- a few deliberate overrides on sampled generated cases that have a designated
  representative: a handler contacts the customer directly with a reason (a
  small demo, with few representatives, also gets calls ended without a warning).
  One handler (jo) does it far more often than the rest, so the dashboard has
  an outlier to show. Each adds its contact row too, so history and log agree;
- a closing `demo.load` event.

The events are returned in time order; the action that loads the demo
(deskapp.demo.action) chains them after whatever the log already holds
and writes them in bulk (deskapp.actions.audit.append_bulk). Every event's
detail says `"demo": true`, which is how `demo --force` recognises a demo's log.
Deterministic: the same (seed, today) gives the same events. The sample is a
fixed size, so a million-case load pays the same fraction of a second as a
small one.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any, Optional

from sqlalchemy import Connection

from deskapp.store import fill
from deskapp.store.bulk import BulkWriter, stamp
from deskapp.demo.generator import CONTACT_COLS
from deskapp.demo.stories import ME

# Generated cases whose existing contacts are replayed through the rules, and how many
# generated cases are looked at to find ones with a designated representative.
REPLAYED = 60
SCANNED = 3_000
# Deliberate overrides of the designated-representative rule, and who makes them (weights: jo stands out).
OVERRIDES = 24
MIN_OVERRIDES = 7
OVERRIDERS = (("jo", 14), ("sam", 3), (ME, 3), ("priya", 2))
# The dashboard's default period is 30 days: overrides fall inside it.
OVERRIDE_WINDOW_DAYS = 28

REASONS = {
    "designated-representative": (
        "Resident rang us herself and asked for a call back today; social worker copied in by email",
        "Social worker on leave until next week, her office agreed we could speak to him directly",
        "Urgent: no heating and the representative's number goes to voicemail",
        "Resident asked to be told the visit date directly; rep informed the same day",
        "Safeguarding concern raised on the call, needed to check he was safe",
    ),
    "hostile-tone": (
        "Quoted the customer's own words back to her; reviewed with my supervisor",
        "Firm wording agreed with legal for the final warning letter",
    ),
    "end-call-without-warning": (
        "Caller threatened to come to the office; ended the call for my safety",
        "Racist abuse from the first sentence, no chance to warn",
        "Caller was screaming over me; could not get a warning in",
    ),
    "stage2-same-handler": (
        "Only handler trained on parking appeals; supervisor agreed",
    ),
    "reassign-on-request": (
        "Customer is deaf and Jo signs: reasonable adjustment",
    ),
}
GENERIC_REASON = "Discussed with my supervisor before going ahead"
DIRECT_CONTACTS = (
    ("phone", "out", "reached", "Called the resident directly about the repair date"),
    ("phone", "out", "reached", "Rang the customer back as she asked, confirmed the visit"),
    ("email", "out", None, "Emailed the customer the contractor's appointment slot"),
    ("phone", "out", "no_reply", "Tried the resident's mobile, no answer"),
)

def write_trail(conn: Connection, writer: BulkWriter, pack: Any, *, ids: dict[str, int], story_ids: list[int],
                generated: range, seed: int, today: date, next_contact_id: int) -> list[dict[str, Any]]:
    """Write the override contacts; return the demo's events, in order, for the action to chain and append."""
    from sqlmodel import Session

    from deskapp.actions.reads import view_of
    from deskapp.store.models import Case

    rng = random.Random(f"demo-audit:{seed}:{today.isoformat()}")
    names = {hid: name for name, hid in ids.items() if name != ME}
    scanned = sorted(rng.sample(generated, min(SCANNED, len(generated))))
    replayed = sorted(rng.sample(scanned, min(REPLAYED, len(scanned))))
    with_rep = fill.with_designated_rep(conn, scanned)
    chosen = rng.sample(with_rep, min(OVERRIDES, len(with_rep)))
    # A small demo has few designated representatives: make up the rest with calls ended without a warning.
    others = sorted(set(fill.open_case_ids(conn, scanned)) - set(with_rep))
    chosen = sorted(chosen + rng.sample(others, min(max(MIN_OVERRIDES - len(chosen), 0), len(others))))
    # Overrides fall in the days before today, so a dashboard opened at any hour today counts them all.
    now = datetime.combine(today, time(0))

    events: list[dict[str, Any]] = []
    new_contacts: list[tuple] = []
    session = Session(bind=conn)
    try:
        for case_id in sorted(set(story_ids) | set(replayed) | set(chosen)):
            view = view_of(session, session.get(Case, case_id))
            events.extend(_replay(pack, view, names, ids, rng))
            if case_id in chosen:
                made = _override(pack, view, ids, rng, today, next_contact_id + len(new_contacts), now)
                if made is not None:
                    new_contacts.append(made[0])
                    events.append(made[1])
    finally:
        session.close()
    writer.insert("contacts", CONTACT_COLS, new_contacts)
    events.sort(key=lambda e: (e["at"], e["case_id"] or 0, e["contact_id"] or 0))
    last_at = max([e["at"] for e in events] + [now])
    events.append(_event(last_at, names[ids[ME]], ids[ME], None, "demo.load",
                         {"seed": seed, "today": today.isoformat(), "sampled_cases": len(replayed) + len(chosen)}))
    return events


def _kind(contact: Any) -> str:
    if contact.channel == "note":
        return "note"
    if contact.outcome == "ended_for_abuse":
        return "end_call"
    if contact.direction == "out" and contact.channel in ("email", "letter", "sms", "portal"):
        return "message"
    return "contact"


def _request(kind: str, case: Any, c: Any) -> Any:
    from deskapp.core.views import ActionRequest

    return ActionRequest(kind=kind, case_id=case.id, version=case.version, channel=c.channel,
                         direction=c.direction, party_id=c.party_id, outcome=c.outcome, summary=c.summary,
                         body=c.body or "", call_id=c.call_id, at=c.at)


def _findings(pack: Any, case: Any, before: tuple, request: Any, handler: str, at: datetime) -> list[dict]:
    from deskapp.actions.facts import action_snapshot, case_snapshot
    from deskapp.policy import evaluate

    snap = case_snapshot(replace(case, history=before))
    return [f.as_dict() for f in evaluate(pack, snap, action_snapshot(request, handler), at)]


def _reason(findings: list[dict], rng: random.Random) -> Optional[str]:
    warns = [f for f in findings if f.get("severity") == "warn"]
    if not warns:
        return None
    pool = REASONS.get(warns[0].get("rule"), (GENERIC_REASON,))
    return pool[int(rng.random() * len(pool))]


def _replay(pack: Any, case: Any, names: dict[int, str], ids: dict[str, int], rng: random.Random) -> list[dict]:
    """An event for each handler-made contact in the case's history, judged as the rules judge it."""
    from deskapp.actions.submit import request_json

    out = []
    for i, c in enumerate(case.history):
        if c.handler is None:
            continue
        kind = _kind(c)
        request = _request(kind, case, c)
        findings = _findings(pack, case, case.history[:i], request, c.handler, c.at)
        if any(f.get("severity") == "block" for f in findings):
            continue  # could not have been sent without an approval: the demo does not pretend it was
        out.append(_event(c.at, c.handler, ids.get(c.handler), case.id, kind,
                          {"request": request_json(request), "channel": c.channel, "direction": c.direction,
                           "outcome": c.outcome},
                          findings, _reason(findings, rng), c.id))
    return out


def _override(pack: Any, case: Any, ids: dict[str, int], rng: random.Random, today: date, contact_id: int,
              now: datetime) -> Optional[tuple[tuple, dict]]:
    """A handler contacts the customer directly although a representative is designated (or, on a case
    without one, ends an abusive call without a recorded warning), and says why."""
    customer = next((p for p in case.parties if not p.designated and p.role in ("customer", "resident")), None)
    if customer is None:
        return None
    direct = case.designated_representative is not None
    weights = [w for _name, w in OVERRIDERS]
    who = rng.choices([name for name, _w in OVERRIDERS], weights)[0]
    handler = next(n for n, i in ids.items() if i == ids[who] and n != ME)
    earliest = max(case.received_at, datetime.combine(today - timedelta(days=OVERRIDE_WINDOW_DAYS), time(9)))
    span = max(int((now - earliest).total_seconds() // 60), 1)
    at = min(earliest + timedelta(minutes=int(rng.random() * span)), now).replace(second=0, microsecond=0)
    if at.hour < 8 or at.hour >= 18:
        at = at.replace(hour=9 + int(rng.random() * 8))
    if at >= now or at < case.received_at:
        return None
    if direct:
        channel, direction, outcome, summary = DIRECT_CONTACTS[int(rng.random() * len(DIRECT_CONTACTS))]
        call_id = None
    else:
        channel, direction, outcome, summary = "phone", "in", "ended_for_abuse", "Call ended for abusive behaviour"
        call_id = f"{case.ref}-call-{contact_id}"
    row = SimpleNamespace(id=contact_id, at=at, channel=channel, direction=direction, party_id=customer.id,
                          outcome=outcome, summary=summary, body=None, call_id=call_id)
    kind = _kind(row)
    request = _request(kind, case, row)
    before = tuple(c for c in case.history if (c.at, c.id) < (at, contact_id))
    findings = _findings(pack, case, before, request, handler, at)
    if not any(f.get("severity") == "warn" for f in findings) or any(f.get("severity") == "block" for f in findings):
        return None
    from deskapp.actions.submit import request_json

    contact = (contact_id, case.id, stamp(at), channel, direction, customer.id, ids[who], outcome, summary, None,
               call_id, stamp(at), None)
    event = _event(at, handler, ids[who], case.id, kind,
                   {"request": request_json(request), "channel": channel, "direction": direction, "outcome": outcome},
                   findings, _reason(findings, rng), contact_id)
    return contact, event


def _event(at: datetime, actor: str, handler_id: Optional[int], case_id: Optional[int], action: str,
           detail: dict, findings: Optional[list] = None, reason: Optional[str] = None,
           contact_id: Optional[int] = None) -> dict[str, Any]:
    return {"at": at.replace(microsecond=0), "actor": actor, "handler_id": handler_id, "case_id": case_id,
            "action": action, "detail": {**detail, "demo": True}, "findings": findings or [], "reason": reason,
            "contact_id": contact_id, "approval_id": None}
