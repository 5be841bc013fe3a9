"""One case as the command line prints it: text lines for people, JSON for scripts.

Every piece of customer or handler text goes through `safe_text` in the text
form (escape sequences and control characters never reach the terminal);
the JSON keeps the exact text with non-ASCII and controls escaped.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Iterable, Sequence

from deskapp.commands.tables import plain_value
from deskapp.core.views import CaseView
from deskapp.tui.text import safe_text


def finding_line(finding: Any) -> str:
    """`warn  designated-representative: All contact ...` — one line, safe."""
    return safe_text(f"{finding.severity:<6} {finding.rule}: {finding.message}", single_line=True)


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else "-"


def _one(value: Any) -> str:
    return safe_text(value, single_line=True) if value not in (None, "") else "-"


def _indented(text: Any, indent: str = "      ") -> list[str]:
    return [indent + line for line in safe_text(text).splitlines() if line.strip()]


def case_lines(case: CaseView, advice: Sequence[Any] = ()) -> list[str]:
    """The case for a person at a terminal: header, parties, history, appointments, advice."""
    lines = [
        f"{case.ref}  {_one(case.title)}",
        f"  {case.kind}, stage {case.stage}, {case.status}, priority {case.priority}"
        + (", VULNERABLE" if case.vulnerable or getattr(case, "vulnerable_persons", ()) else ""),
        f"  category: {_one(case.category)}   assigned to: {_one(case.assigned_to)}   due: {_when(case.due_at)}",
        f"  received: {_when(case.received_at)}   acknowledged: {_when(case.acknowledged_at)}   "
        f"responded: {_when(case.responded_at)}   closed: {_when(case.closed_at)}",
    ]
    merged = case.merged_into
    if merged is not None:
        lines.append(f"  MERGED into {merged.ref} on {_when(merged.at)}: see `deskapp case show {merged.ref}`")
    if case.links:
        lines += ["", "Linked cases:"]
        lines += [f"  {link.kind:<12} {link.ref:<12} {link.status:<20} {_one(link.title)}" for link in case.links]
    lines += ["", "Parties:"]
    for party in case.parties:
        marks = [m for m, on in (("designated representative", party.designated),
                                 ("authorised", party.authorised)) if on]
        lines.append(f"  #{party.id} {_one(party.name)} ({party.role}{', ' + ', '.join(marks) if marks else ''})")
        for label in ("organisation", "email", "phone", "address", "notes"):
            value = getattr(party, label)
            if value:
                lines.append(f"      {label}: {_one(value)}")
    lines += ["", "History:"]
    for contact in case.history:
        who = f" with {_one(contact.party_name)}" if contact.party_name else ""
        outcome = f" ({contact.outcome})" if contact.outcome else ""
        if contact.delivery is not None:  # an email through the outbox: where it stands
            outcome = f" ({_one(contact.delivery.words())})"
        origin = f" [from {contact.origin}]" if contact.origin else ""  # a merged duplicate's contact
        lines.append(f"  {_when(contact.at)}{origin} {contact.channel} {contact.direction}{who}{outcome} "
                     f"by {_one(contact.handler)}: {_one(contact.summary)}")
        lines += _indented(contact.body or "")
        if contact.reason:
            lines.append(f"      reason: {_one(contact.reason)}")
    if case.appointments:
        lines += ["", "Appointments:"]
        for a in case.appointments:  # numbered: `case appointment REF move ID`, `appointment ics ID`
            party = case.party(a.party_id)
            with_whom = f" with {_one(party.name)}" if party else ""
            lines.append(f"  #{a.id} {_when(a.at)} {a.status}{with_whom}: {_one(a.purpose)}")
    if case.attachments:
        lines += ["", "Attachments (deskapp case attachments REF --save ID PATH):"]
        lines += [f"  #{f.id} {f.size:,} bytes {f.content_type}: {_one(f.name)} (sha256 {f.sha256})"
                  for f in case.attachments]
    if case.pending_approvals:
        lines += ["", "Approvals asked for:"]
        lines += [f"  #{a.id} {a.action.get('kind', '?')} by {_one(a.requested_by)}: {a.status}"
                  for a in case.pending_approvals]
    lines += ["", "What the rules say:"]
    lines += [f"  {finding_line(f)}" for f in advice] or ["  nothing"]
    return lines


def case_json(case: CaseView, advice: Iterable[Any] = ()) -> str:
    """The whole CaseView and the standing advice as one JSON object (exact text, escaped)."""
    data = asdict(case)
    data["advice"] = [f.as_dict() for f in advice]
    return json.dumps(data, default=plain_value, ensure_ascii=True, indent=2)
