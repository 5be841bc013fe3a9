"""`deskapp export --subject QUERY`: a subject-access export of everything held about one person.

deskapp.actions.subject finds the person's party records (by exact name,
email or digits-only phone, across all cases) and records the export; here the
rest is gathered — each case's facts, the person's records as held, the
contacts with or about them, the case's internal notes, their appointments and
the approval requests that name them — and written as Markdown, customer text
kept inert exactly as in a case file (deskapp.supervision.render). A file is
written whole (0600, moved into place only once the export is recorded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select

from deskapp.actions.reads import approval_view, usernames, view_of
from deskapp.actions.subject import (Ambiguous, SubjectKey, conflicts, matching_parties, may_export_subject,
                                     parse_subject, record_subject_export)
from deskapp.core.views import ApprovalView, CaseView, ContactView, PartyView
from deskapp.errors import DeskError
from deskapp.store.models import ApprovalRequest, Case, Handler
from deskapp.supervision.render import _when, fenced, md

MAX_LISTED = 20  # matches shown when a query is ambiguous


@dataclass(frozen=True)
class SubjectCase:
    """One case the person is on: the case, their records on it, and what concerns them."""

    case: CaseView
    records: tuple[PartyView, ...]
    contacts: tuple[ContactView, ...]  # with or about them (party_id), oldest first
    notes: tuple[ContactView, ...]  # the case's internal notes
    approvals: tuple[ApprovalView, ...]  # requests whose action names them


@dataclass(frozen=True)
class SubjectFile:
    key: SubjectKey
    cases: tuple[SubjectCase, ...]
    handler_names: dict[str, str]
    generated_at: datetime
    generated_by: str

    @property
    def party_ids(self) -> list[int]:
        return [p.id for c in self.cases for p in c.records]

    def who(self, username: Optional[str]) -> str:
        if not username:
            return "—"
        name = self.handler_names.get(username)
        return f"{name} ({username})" if name and name != username else username


def _ambiguous(key: SubjectKey, parties: list[Any], refs: dict[int, str], disagree: list[str]) -> Ambiguous:
    lines = [f"  {refs.get(p.case_id, '?')}: party {p.id} {p.name}"
             + "".join(f", {v}" for v in (p.email, p.phone) if v) for p in parties[:MAX_LISTED]]
    if len(parties) > MAX_LISTED:
        lines.append(f"  … and {len(parties) - MAX_LISTED} more")
    return Ambiguous(f"--subject: that {key.describe()} matches {len(parties)} records with different "
                     f"{' and '.join(disagree)}; narrow it (give an email address or phone number)", lines)


def gather(desk: Any, query: str, now: Optional[datetime] = None) -> SubjectFile:
    """Everything held about the person the query names. DeskError if none; Ambiguous if unclear who."""
    key = parse_subject(query)
    now = now or desk.now()
    with desk.session() as session:
        parties = matching_parties(session, key)
        if not parties:
            raise DeskError(f"--subject: no party on any case has that {key.describe()}")
        refs = dict(session.execute(select(Case.id, Case.ref).where(
            Case.id.in_({p.case_id for p in parties}))).all())
        disagree = conflicts(parties)
        if disagree:
            raise _ambiguous(key, parties, refs, disagree)
        names = usernames(session)
        cases = []
        for case_id in sorted({p.case_id for p in parties}, key=lambda i: refs[i]):
            row = session.get(Case, case_id)
            view = view_of(session, row)
            ids = {p.id for p in parties if p.case_id == case_id}
            approvals = session.execute(select(ApprovalRequest).where(ApprovalRequest.case_id == case_id)
                                        .order_by(ApprovalRequest.id)).scalars().all()
            cases.append(SubjectCase(
                case=view,
                records=tuple(p for p in view.parties if p.id in ids),
                contacts=tuple(c for c in view.history if c.party_id in ids),
                notes=tuple(c for c in view.history if c.direction == "internal" and c.party_id not in ids),
                approvals=tuple(approval_view(session, a, row.ref, names) for a in approvals
                                if (a.action or {}).get("party_id") in ids),
            ))
        handler_names = dict(session.execute(select(Handler.username, Handler.display_name)).all())
    return SubjectFile(key=key, cases=tuple(cases), handler_names=handler_names, generated_at=now,
                       generated_by=desk.me.username)


def _record_lines(p: PartyView) -> list[str]:
    marks = [m for m, on in (("designated representative", p.designated), ("authorised", p.authorised)) if on]
    lines = [f"- **{md(p.name)}** — {md(p.role.replace('_', ' '))}" + (f", {md(p.organisation)}" if p.organisation
                                                                      else "")
             + (f" ({md('; '.join(marks))})" if marks else "")]
    for label, value in (("Email", p.email), ("Phone", p.phone), ("Address", p.address), ("Notes", p.notes)):
        if value:
            lines.append(f"  - {label}: {md(value)}")
    return lines


def _contact_lines(c: ContactView, sf: SubjectFile) -> list[str]:
    way = {"in": "from them", "out": "to them", "internal": "internal"}.get(c.direction, md(c.direction))
    head = f"#### {_when(c.at)} — {md(c.channel)} {way}" + (f" ({md(c.outcome.replace('_', ' '))})" if c.outcome
                                                            else "")
    lines = [head, "", f"Handler: {md(sf.who(c.handler))}."]
    if c.summary:
        lines.append(f"Summary: {md(c.summary)}")
    if c.body:
        lines += ["", *fenced(c.body)]
    if c.reason:
        lines.append(f"Reason recorded for going ahead: {md(c.reason)}")
    return lines + [""]


def markdown(sf: SubjectFile) -> str:
    refs = ", ".join(c.case.ref for c in sf.cases)
    out = [f"# Subject-access export: {len(sf.party_ids)} record{'s' if len(sf.party_ids) != 1 else ''} "
           f"on {len(sf.cases)} case{'s' if len(sf.cases) != 1 else ''}", "",
           f"Prepared {_when(sf.generated_at)} by {md(sf.who(sf.generated_by))} with deskapp, matching on "
           f"{sf.key.describe()}. Cases: {md(refs)}.", ""]
    for sc in sf.cases:
        c = sc.case
        out += [f"## Case {md(c.ref)}: {md(c.title)}", "", "| | |", "|---|---|"]
        for label, value in (("Kind", c.kind.replace("_", " ")), ("Category", c.category), ("Stage", str(c.stage)),
                             ("Status", c.status.replace("_", " ")), ("Received", _when(c.received_at)),
                             ("Acknowledged", _when(c.acknowledged_at)), ("Responded", _when(c.responded_at)),
                             ("Closed", _when(c.closed_at)), ("Handled by", sf.who(c.assigned_to))):
            out.append(f"| {label} | {md(value)} |")
        out += ["", "### Held about them", ""]
        for p in sc.records:
            out += _record_lines(p)
        out += ["", "### Contacts with or about them", ""]
        out += [line for contact in sc.contacts for line in _contact_lines(contact, sf)] or ["None.", ""]
        out += ["### Internal notes on the case", ""]
        out += [line for note in sc.notes for line in _contact_lines(note, sf)] or ["None.", ""]
        mine = [a for a in c.appointments if a.party_id in {p.id for p in sc.records}]
        out += ["### Appointments", ""]
        out += [f"- {_when(a.at)}: {md(a.purpose)} ({md(a.status)})" for a in mine] or ["None."]
        out += ["", "### Approval requests naming them", ""]
        for a in sc.approvals:
            out.append(f"- Request {a.id} ({md(a.action.get('kind', 'action'))}) by {md(sf.who(a.requested_by))}, "
                       f"{_when(a.created_at)}: {md(a.status)}")
            for name in ("summary", "body"):
                if a.action.get(name):
                    out.append(f"  - {name.capitalize()}: {md(a.action[name])}")
            if a.reason:
                out.append(f"  - Reason given: {md(a.reason)}")
            if a.decided_by:
                out.append(f"  - Decided by {md(sf.who(a.decided_by))}: {md(a.decision_reason)}")
        if not sc.approvals:
            out.append("None.")
        out.append("")
    return "\n".join(out)


def export_subject(desk: Any, query: str, output: Optional[str]) -> tuple[str, SubjectFile, str]:
    """Gather, render and record a subject-access export; nothing is left half done.

    Returns (the text, the file, where it went: "stdout" or the path). A file is
    written beside its target (0600) and moved into place once the audit record is committed.
    """
    from deskapp.supervision.export import deliver, output_target

    target = output_target(output, "subject.md")
    now = desk.now()
    may_export_subject(desk)
    found = gather(desk, query, now)
    body = markdown(found)
    deliver(body, target, output, ".deskapp-subject-",
            lambda: record_subject_export(desk, key=found.key, party_ids=found.party_ids,
                                          case_ids=[c.case.id for c in found.cases],
                                          to=str(target) if target else "stdout", at=now))
    return body, found, str(target) if target else "stdout"
