"""Turn a case snapshot and an action into the facts CEL rules read.

Why here and not in CEL: rules should say *what* matters ("3 unanswered
contacts", "a warning earlier in this call") in one line; the history walking
that finds it is Python, tested on its own.

Every map always has the same keys whatever the case holds (empty text, 0,
[] or null when there is nothing), so a rule that reads a field never fails
because one case lacks it. Only the top-level facts some rule mentions are
computed (see `needed`), because turning Python values into CEL values is the
costliest part of evaluation.

Definitions (also in policies.yaml and docs/policies.md):
- unanswered: per party, outbound contacts (not notes) since that party's last
  inbound contact; an outbound contact with outcome `reached` (a conversation)
  also counts as a reply.
- missed appointment followed up: any contact in or out (not an internal note)
  after the appointment with its party, with the case's designated
  representative, or with anyone when the appointment names no party.
- waiting on a third party: status awaiting_third_party since
  status_changed_at (else since the last outbound contact to a third party);
  otherwise, the last outbound contact to a party with role third_party that
  has had no inbound reply from that party.
- the same call: contacts sharing the action's call_id; without call ids,
  the phone contacts with the same party (any party when the action names
  none) on the same day, going back from now while the gap between entries is
  at most `call_gap_minutes` (default 60), stopping at a call ended for abuse.
- stage 1 handlers: case.stage1_handler when known; otherwise the handlers
  recorded on contacts before stage2_at (all contacts when stage2_at is not
  known), plus the assigned handler while the case is still at stage 1.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

from deskapp.core.cards import find_cards
from deskapp.policy.calendar import WorkingCalendar
from deskapp.policy.expressions import format_day, format_day_time
from deskapp.policy.snapshot import ActionSnap, CaseSnap, ContactSnap, PartySnap, PersonSnap, RepresentativeSnap
from deskapp.policy.timescales import Deadlines, TimescaleSet
from deskapp.policy.tone import ToneLexicon
from deskapp.policy.toneplugin import classify_tone

EMPTY_PARTY: dict[str, Any] = {
    "id": "",
    "name": "",
    "role": "",
    "designated": False,
    "authorised": False,
    "organisation": "",
    "label": "",
}

EMPTY_REPRESENTATIVE: dict[str, Any] = {
    "active": False,
    "name": "",
    "label": "",
    "organisation": "",
    "party": "",
    "authorised_by": "",
    "starts_at": None,
    "ends_at": None,
    "case": "",
    "recorded_at": None,
    "source": "",
}

EMPTY_PERSON: dict[str, Any] = {
    "id": "",
    "name": "",
    "vulnerable": False,
    "vulnerability_reason": "",
    "open_cases": 0,
    "other_open_cases": 0,
    "designated_representative": dict(EMPTY_REPRESENTATIVE),
    "authorised": [],
}

_TWO_WAY = "reached"


@dataclass(frozen=True)
class FactSettings:
    call_gap_minutes: int = 60


def party_label(p: PartySnap) -> str:
    """'Dana Hill (Social services)' - how a message names a party."""
    name = p.name or p.id
    return f"{name} ({p.organisation})" if p.organisation and p.organisation != name else name


def party_map(p: Optional[PartySnap]) -> dict[str, Any]:
    if p is None:
        return dict(EMPTY_PARTY)
    return {
        "id": p.id,
        "name": p.name or p.id,
        "role": p.role or "",
        "designated": bool(p.designated),
        "authorised": bool(p.authorised),
        "organisation": p.organisation or "",
        "label": party_label(p),
    }


def arrangement_active(a: RepresentativeSnap, now: datetime) -> bool:
    return (a.starts_at is None or a.starts_at <= now) and (a.ends_at is None or a.ends_at > now)


def arrangement_source(a: RepresentativeSnap) -> str:
    """Where a standing arrangement came from: 'designated by Lee Price on C-1001, Tue 3 Mar 2026, until ...'."""
    words = a.kind
    if a.authorised_by:
        words += f" by {a.authorised_by}"
    if a.case:
        words += f" on {a.case}"
    when = a.starts_at or a.recorded_at
    if when is not None:
        words += f", {format_day(when)}"
    words += f", until {format_day(a.ends_at)}" if a.ends_at is not None else ", until withdrawn"
    return words


def representative_map(a: Optional[RepresentativeSnap], now: datetime) -> dict[str, Any]:
    if a is None:
        return dict(EMPTY_REPRESENTATIVE)
    label = f"{a.name} ({a.organisation})" if a.organisation and a.organisation != a.name else a.name
    return {
        "active": arrangement_active(a, now),
        "name": a.name,
        "label": label,
        "organisation": a.organisation or "",
        "party": a.party or "",
        "authorised_by": a.authorised_by,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "case": a.case or "",
        "recorded_at": a.recorded_at,
        "source": arrangement_source(a),
    }


def person_map(p: Optional[PersonSnap], case: CaseSnap, now: datetime) -> dict[str, Any]:
    """The `person` facts: a person and what holds on every case of theirs (empty when none)."""
    if p is None:
        return dict(EMPTY_PERSON, designated_representative=dict(EMPTY_REPRESENTATIVE), authorised=[])
    live = [a for a in p.arrangements if arrangement_active(a, now)]
    designated = next((a for a in live if a.kind == "designated"), None)
    here = 1 if case.status != "closed" else 0
    return {
        "id": p.id,
        "name": p.name,
        "vulnerable": bool(p.vulnerable),
        "vulnerability_reason": p.vulnerability_reason or "",
        "open_cases": int(p.open_cases),
        "other_open_cases": max(0, int(p.open_cases) - here),
        "designated_representative": representative_map(designated, now),
        "authorised": [representative_map(a, now) for a in live if a.kind == "authorised"],
    }


def _unknown_party(pid: str) -> dict[str, Any]:
    return dict(EMPTY_PARTY, id=pid, name=pid, label=pid)


class CaseFacts:
    """Memoised analysis of one case at one moment; each fact is computed at most once."""

    def __init__(self, case: CaseSnap, now: datetime, calendar: WorkingCalendar, timescales: TimescaleSet,
                 settings: FactSettings = FactSettings()):
        self.case = case
        self.now = now
        self.cal = calendar
        self.timescales = timescales
        self.settings = settings
        self.parties = {p.id: p for p in case.parties}
        # History sorted by time (stable: same-time entries keep their order); only the past.
        self.history: list[ContactSnap] = sorted(case.history, key=lambda c: c.at)
        self._memo: dict[str, Any] = {}

    def _m(self, key: str, fn: Callable[[], Any]) -> Any:
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = fn()
            return value

    # ----- parties --------------------------------------------------------------------

    def party(self, pid: Optional[str]) -> dict[str, Any]:
        if not pid:
            return dict(EMPTY_PARTY)
        p = self.parties.get(pid)
        return party_map(p) if p else _unknown_party(pid)

    @property
    def designated(self) -> Optional[PartySnap]:
        def find():
            chosen = [p for p in self.case.parties if p.designated]
            if not chosen:
                return None
            reps = [p for p in chosen if p.role == "representative"]
            return (reps or chosen)[0]
        return self._m("designated", find)

    def person_for(self, action: Optional[ActionSnap]) -> Optional[PersonSnap]:
        """Whose `person` facts: the person the action addresses; without one (standing advice, a note),
        the case's customer or resident with a designated representative, else its first customer or
        resident, else its first person."""
        persons = self.case.persons
        if not persons:
            return None
        if action is not None and action.party:
            return next((p for p in persons if action.party in p.parties), None)
        roles = {p.id: p.role for p in self.case.parties}
        subjects = [p for p in persons if any(roles.get(pid) in ("customer", "resident") for pid in p.parties)]
        for p in subjects:
            if any(a.kind == "designated" and arrangement_active(a, self.now) for a in p.arrangements):
                return p
        return (subjects or list(persons))[0]

    # ----- deadlines ------------------------------------------------------------------

    @property
    def deadlines(self) -> Deadlines:
        return self._m("deadlines", lambda: self.timescales.deadlines(self.case, self.now))

    def sla(self) -> dict[str, Any]:
        d = self.deadlines
        ext_max = d.extension_max
        return {
            "applies": d.timescale is not None,
            "timescale": d.timescale or "",
            "title": d.title,
            "stage": d.stage,
            "acknowledge_by": d.acknowledge_by,
            "acknowledged": d.acknowledged,
            "acknowledge_pending": d.acknowledge_days_left is not None,
            "acknowledge_days_left": d.acknowledge_days_left,
            "acknowledge_overdue": d.acknowledge_overdue,
            "respond_by": d.respond_by,
            "responded": d.responded,
            "respond_pending": d.respond_days_left is not None,
            "respond_days_left": d.respond_days_left,
            "respond_overdue": d.respond_overdue,
            "respond_by_provisional": d.respond_by_provisional,
            "summary_by": d.summary_by,
            "summary_days_left": d.summary_days_left,
            "extension_max": ext_max,
            "extension_limited": ext_max is not None,
            "extension_days": d.extension_days,
            "extension_left": (ext_max - d.extension_days) if ext_max is not None else None,
            "next_due": d.next_due,
            "next_due_what": d.next_due_what or "",
            "next_due_days_left": d.next_due_days_left,
        }

    def final_response(self) -> Optional[ContactSnap]:
        """The first outbound contact recorded as the current stage's final response, if any.

        A recorded fact, never the status: "responded" set by hand is not a response.
        """
        stage = int(self.case.stage or 1)
        return self._m("final_response", lambda: next(
            (x for x in self.history if x.response_stage == stage and x.direction == "out"), None))

    def final_response_sent(self) -> bool:
        return self.final_response() is not None

    # ----- handlers -------------------------------------------------------------------

    def stage1_handlers(self) -> list[str]:
        def find():
            c = self.case
            if c.stage1_handler:
                return [c.stage1_handler]
            names: list[str] = []
            if c.stage <= 1 and c.assigned_to:
                names.append(c.assigned_to)
            for contact in self.history:
                if c.stage2_at is not None and contact.at >= c.stage2_at:
                    break
                if contact.handler and contact.handler not in names:
                    names.append(contact.handler)
            return names
        return self._m("stage1_handlers", find)

    def stage1_handler(self) -> str:
        c = self.case
        if c.stage1_handler:
            return c.stage1_handler
        if c.stage <= 1 and c.assigned_to:
            return c.assigned_to
        counts = Counter(
            x.handler for x in self.history
            if x.handler and (c.stage2_at is None or x.at < c.stage2_at)
        )
        return counts.most_common(1)[0][0] if counts else ""

    # ----- contact patterns -----------------------------------------------------------

    def unanswered(self) -> list[dict[str, Any]]:
        def find():
            runs: dict[str, list[ContactSnap]] = {}
            order: list[str] = []
            for x in self.history:
                if not x.party:
                    continue
                if x.direction == "in" or (x.direction == "out" and x.outcome == _TWO_WAY):
                    runs[x.party] = []
                elif x.direction == "out" and x.channel != "note":
                    runs.setdefault(x.party, []).append(x)
                    if x.party not in order:
                        order.append(x.party)
            out = []
            for pid in order:
                run = runs.get(pid) or []
                if not run:
                    continue
                p = self.party(pid)
                out.append({
                    "party": pid,
                    "name": p["name"],
                    "label": p["label"],
                    "role": p["role"],
                    "count": len(run),
                    "since": run[0].at,
                    "last": run[-1].at,
                })
            out.sort(key=lambda u: (-u["count"], u["since"]))
            return out
        return self._m("unanswered", find)

    def missed_appointments(self) -> list[dict[str, Any]]:
        def find():
            rep = self.designated
            out = []
            for a in sorted(self.case.appointments, key=lambda a: a.at):
                if a.status != "missed":
                    continue
                followed = False
                for x in self.history:
                    if x.at <= a.at or x.direction == "internal" or x.channel == "note":
                        continue
                    if a.party is None or x.party == a.party or (rep is not None and x.party == rep.id):
                        followed = True
                        break
                p = self.party(a.party) if a.party else dict(EMPTY_PARTY)
                label = format_day_time(a.at)
                if p["label"]:
                    label += f" with {p['label']}"
                if a.purpose:
                    label += f" ({a.purpose})"
                out.append({
                    "at": a.at,
                    "party": a.party or "",
                    "name": p["name"],
                    "purpose": a.purpose or "",
                    "label": label,
                    "followed_up": followed,
                    "working_days_since": max(0, self.cal.working_days_between(a.at, self.now)),
                })
            return out
        return self._m("missed", find)

    def third_party_wait(self) -> dict[str, Any]:
        def find():
            c = self.case
            last_out: Optional[ContactSnap] = None
            for x in self.history:
                p = self.parties.get(x.party) if x.party else None
                if p is None or p.role != "third_party":
                    continue
                if x.direction == "out" and x.channel != "note":
                    last_out = x
            replied = last_out is not None and any(
                x.direction == "in" and x.party == last_out.party and x.at > last_out.at for x in self.history
            )
            since: Optional[datetime] = None
            why = ""
            who: dict[str, Any] = dict(EMPTY_PARTY)
            if last_out is not None:
                who = self.party(last_out.party)
            if c.status == "awaiting_third_party":
                since = c.status_changed_at or (last_out.at if last_out is not None else None)
                why = "status"
            elif last_out is not None and not replied:
                since = last_out.at
                why = "contact"
            waiting = bool(why)
            days = max(0, self.cal.working_days_between(since, self.now)) if since is not None else 0
            label = who["label"] or "the third party"
            return {
                "waiting": waiting,
                "since": since,
                "working_days": days if waiting else 0,
                "party": who["id"],
                "name": who["name"],
                "label": label,
                "why": why,
            }
        return self._m("third_party", find)

    def contacts(self) -> list[dict[str, Any]]:
        return [
            {
                "at": x.at,
                "channel": x.channel,
                "direction": x.direction,
                "party": x.party or "",
                "outcome": x.outcome or "",
                "handler": x.handler or "",
                "call_id": x.call_id or "",
                "body": x.body or "",
            }
            for x in self.history
        ]

    def same_call(self, action: ActionSnap) -> list[ContactSnap]:
        """Earlier history entries that belong to the call the action is part of."""
        if action.call_id:
            return [x for x in self.history if x.call_id == action.call_id and x.at <= self.now]
        gap = timedelta(minutes=self.settings.call_gap_minutes)
        chain: list[ContactSnap] = []
        cursor = self.now
        for x in reversed(self.history):
            if x.at > self.now:
                continue
            if x.at.date() != self.now.date() or cursor - x.at > gap:
                break
            if x.channel != "phone":
                continue
            if action.party and x.party and x.party != action.party:
                continue
            if x.outcome == "ended_for_abuse":
                break  # that call already ended
            chain.append(x)
            cursor = x.at
        chain.reverse()
        return chain


# ---------------------------------------------------------------------------------------
# The fact maps


def _case_fact_functions() -> dict[str, Callable[[CaseFacts], Any]]:
    def cs(cf: CaseFacts) -> CaseSnap:
        return cf.case

    return {
        "ref": lambda cf: cs(cf).ref,
        "kind": lambda cf: cs(cf).kind,
        "category": lambda cf: cs(cf).category or "",
        "stage": lambda cf: int(cs(cf).stage),
        "status": lambda cf: cs(cf).status,
        "priority": lambda cf: int(cs(cf).priority),
        "vulnerable": lambda cf: bool(cs(cf).vulnerable),
        "assigned_to": lambda cf: cs(cf).assigned_to or "",
        "is_open": lambda cf: cs(cf).status != "closed",
        "is_complaint": lambda cf: cs(cf).kind == "complaint",
        "received_at": lambda cf: cs(cf).received_at,
        "acknowledged_at": lambda cf: cs(cf).acknowledged_at,
        "responded_at": lambda cf: cs(cf).responded_at,
        "closed_at": lambda cf: cs(cf).closed_at,
        "status_changed_at": lambda cf: cs(cf).status_changed_at,
        "stage2_at": lambda cf: cs(cf).stage2_at,
        "extension_days": lambda cf: int(cs(cf).extension_days or 0),
        "final_response_sent": lambda cf: cf.final_response_sent(),
        "final_response_at": lambda cf: cf.final_response().at if cf.final_response() else None,
        "parties": lambda cf: [party_map(p) for p in cs(cf).parties],
        "designated_representative": lambda cf: party_map(cf.designated),
        "has_designated_representative": lambda cf: cf.designated is not None,
        "stage1_handler": lambda cf: cf.stage1_handler(),
        "stage1_handlers": lambda cf: list(cf.stage1_handlers()),
        "contacts": lambda cf: cf.contacts(),
        "unanswered": lambda cf: cf.unanswered(),
        "max_unanswered": lambda cf: cf.unanswered()[0]["count"] if cf.unanswered() else 0,
        "most_unanswered": lambda cf: cf.unanswered()[0] if cf.unanswered() else {
            "party": "", "name": "", "label": "", "role": "", "count": 0, "since": None, "last": None},
        "missed_appointments": lambda cf: cf.missed_appointments(),
        "missed_not_followed_up": lambda cf: [a for a in cf.missed_appointments() if not a["followed_up"]],
        "third_party_wait": lambda cf: cf.third_party_wait(),
        "sla": lambda cf: cf.sla(),
    }


CASE_FACTS = _case_fact_functions()


def _action_fact_functions() -> dict[str, Callable[[CaseFacts, ActionSnap, ToneLexicon], Any]]:
    def target(cf: CaseFacts, a: ActionSnap) -> str:
        if a.to:
            return a.to
        if a.kind == "escalate":
            return cf.case.assigned_to or ""
        return ""

    def card_matches(a: ActionSnap) -> list[Any]:
        # Every text field of the request, each on its own (a number never spans two fields).
        texts = [a.body or "", a.reason or "", *_strings(a.extra or {})]
        seen: list[str] = []
        out = []
        for t in texts:
            if t in seen:  # reason is often the body again
                continue
            seen.append(t)
            out.extend(find_cards(t))
        return out

    def cards(a: ActionSnap) -> list[dict[str, Any]]:
        return [{"brand": m.brand, "masked": m.masked, "last4": m.last4, "label": m.label} for m in card_matches(a)]

    def appointment(cf: CaseFacts, a: ActionSnap) -> dict[str, Any]:
        # The appointment as the action leaves it: the one it names, with the new time, party or purpose.
        named = next((x for x in cf.case.appointments if a.appointment and x.id == a.appointment), None)
        at = a.at or (named.at if named else None)
        party = a.party or (named.party if named else None)
        p = cf.party(party) if party else dict(EMPTY_PARTY)
        return {
            "op": (a.to or "") if a.kind == "appointment" else "",
            "at": at,
            "was_at": named.at if named else None,
            "status": named.status if named else "",
            "party": party or "",
            "name": p["name"],
            "label": p["label"],
            "working_day": bool(at is not None and cf.cal.is_working_day(at)),
            "closed_for": (cf.cal.holiday_name(at) or "") if at is not None else "",
            "in_past": bool(at is not None and at < cf.now),
        }

    return {
        "kind": lambda cf, a, t: a.kind,
        "channel": lambda cf, a, t: a.channel or "",
        "direction": lambda cf, a, t: a.direction or "",
        "party": lambda cf, a, t: a.party or "",
        "handler": lambda cf, a, t: a.handler or "",
        "body": lambda cf, a, t: a.body or "",
        "to": lambda cf, a, t: a.to or "",
        "at_request_of": lambda cf, a, t: a.at_request_of or "",
        "working_days": lambda cf, a, t: int(a.working_days or 0),
        "reason": lambda cf, a, t: a.reason or "",
        "outcome": lambda cf, a, t: a.outcome or "",
        "call_id": lambda cf, a, t: a.call_id or "",
        "extra": lambda cf, a, t: {str(k): _plain(v) for k, v in (a.extra or {}).items()},
        "is_outbound": lambda cf, a, t: a.direction == "out",
        "recipient": lambda cf, a, t: cf.party(a.party),
        "to_designated_representative": lambda cf, a, t: bool(
            a.party and cf.designated is not None and a.party == cf.designated.id),
        "target_handler": lambda cf, a, t: target(cf, a),
        "requested_by": lambda cf, a, t: cf.party(a.at_request_of),
        "cards": lambda cf, a, t: cards(a),
        "card_numbers": lambda cf, a, t: [m.masked for m in card_matches(a)],
        "tone": lambda cf, a, t: classify_tone(a.body or "", a.channel, t).as_dict(),
        "warning_given_in_call": lambda cf, a, t: any(x.outcome == "warning_given" for x in cf.same_call(a)),
        "call_contacts": lambda cf, a, t: len(cf.same_call(a)),
        "new_extension_total": lambda cf, a, t: int(cf.case.extension_days or 0) + int(a.working_days or 0),
        "appointment": lambda cf, a, t: appointment(cf, a),
    }


ACTION_FACTS = _action_fact_functions()


def _plain(v: Any) -> Any:
    """Extra form values as CEL-friendly plain data."""
    if v is None or isinstance(v, (bool, int, float, str, datetime)):
        return v
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return str(v)


def build_facts(
    case: CaseSnap,
    action: Optional[ActionSnap],
    now: datetime,
    calendar: WorkingCalendar,
    timescales: TimescaleSet,
    tone: ToneLexicon,
    settings: FactSettings = FactSettings(),
    case_keys: Optional[frozenset[str]] = None,
    action_keys: Optional[frozenset[str]] = None,
) -> dict[str, Any]:
    """{"case": {...}, "action": {...}, "person": {...}, "now": now} with only the requested top-level keys
    of case and action (`person` is small: always there)."""
    cf = CaseFacts(case, now, calendar, timescales, settings)
    ck = CASE_FACTS.keys() if case_keys is None else case_keys
    case_map = {k: CASE_FACTS[k](cf) for k in ck if k in CASE_FACTS}
    action_map: dict[str, Any] = {}
    if action is not None:
        ak = ACTION_FACTS.keys() if action_keys is None else action_keys
        action_map = {k: ACTION_FACTS[k](cf, action, tone) for k in ak if k in ACTION_FACTS}
    person = person_map(cf.person_for(action), case, now)
    return {"case": case_map, "action": action_map, "person": person, "now": now}


def _strings(value: Any) -> list[str]:
    """Every string inside `value` (a request's `extra`), for the card detector."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []
