"""`deskapp export --subject QUERY`: a subject-access export of everything held about one person.

deskapp.actions.subject finds the person (`person:ID`, or the persons behind
the party records an exact name, email or digits-only phone matches) and
records the export; here the rest is gathered — their person record (contact
points, vulnerability, accessibility), the standing arrangements naming them
(as the person and as someone's representative), the merges touching them,
and on every case they are on: the case's facts, their records as held, the
contacts with or about them, the case's internal notes, their appointments,
the emails sent to them (outbox), the files on their contacts (name, size) and
the approval requests that name them; and the saved views whose search words
name them — written as Markdown, customer text kept inert exactly as in a case
file (deskapp.supervision.render). A file is written whole (0600, moved into
place only once the export is recorded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select

from deskapp.actions.erasure import views_naming
from deskapp.actions.reads import approval_view, usernames, view_of
from deskapp.actions.subject import (Ambiguous, SubjectKey, conflicts, matching_parties, may_export_subject,
                                     parse_subject, parties_of_persons, record_subject_export, subject_persons)
from deskapp.core.views import ApprovalView, CaseView, ContactView, PartyView
from deskapp.errors import DeskError
from deskapp.store.models import (ApprovalRequest, Arrangement, Case, ContactAttachment, Handler, Organisation, Outbox,
                                  Person, PersonMerge, SavedView)
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
    emails: tuple["SentEmail", ...] = ()  # outbound emails to them (outbox)
    files: tuple["HeldFile", ...] = ()  # files on their contacts


@dataclass(frozen=True)
class SentEmail:
    at: datetime
    to: str
    subject: str
    status: str


@dataclass(frozen=True)
class HeldFile:
    name: str
    size: int
    contact_at: Optional[datetime]


@dataclass(frozen=True)
class Standing:
    """One standing arrangement naming them: as the person (`other` is their representative) or as the
    representative (`other` is the person they speak for)."""

    id: int
    theirs: bool  # True: an arrangement on them; False: they are the representative
    kind: str
    other_id: int
    other_name: str
    authorised_by: str
    starts_at: Optional[datetime]
    ends_at: Optional[datetime]
    ended_at: Optional[datetime]
    evidence_note: Optional[str]
    case_ref: Optional[str]


@dataclass(frozen=True)
class SubjectPerson:
    """The person record as held, with the arrangements and merges naming them."""

    id: int
    fields: tuple[tuple[str, str], ...]  # (label, value) of what is held, in a fixed order
    merged_into: Optional[int]
    arrangements: tuple[Standing, ...]
    merges: tuple[str, ...]  # one line each (ids, when, who, reason)


@dataclass(frozen=True)
class HeldView:
    id: int
    name: str
    owner: Optional[str]  # username; None: a team view
    search: str


@dataclass(frozen=True)
class SubjectFile:
    key: SubjectKey
    cases: tuple[SubjectCase, ...]
    handler_names: dict[str, str]
    generated_at: datetime
    generated_by: str
    persons: tuple[SubjectPerson, ...] = ()
    views: tuple[HeldView, ...] = ()

    @property
    def person_ids(self) -> list[int]:
        return [p.id for p in self.persons]

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
        if parties:
            disagree = conflicts(parties)
            if disagree:
                refs = dict(session.execute(select(Case.id, Case.ref).where(
                    Case.id.in_({p.case_id for p in parties}))).all())
                raise _ambiguous(key, parties, refs, disagree)
        persons = subject_persons(session, key, parties)
        # Their every record: the ones the query matched and every other party record of the persons found.
        found = {p.id: p for p in [*parties, *parties_of_persons(session, [p.id for p in persons])]}
        parties = sorted(found.values(), key=lambda p: (p.case_id, p.id))
        if not parties and not persons:
            raise DeskError(f"--subject: no party on any case has that {key.describe()}")
        refs = dict(session.execute(select(Case.id, Case.ref).where(
            Case.id.in_({p.case_id for p in parties}))).all()) if parties else {}
        names = usernames(session)
        emails = {e.strip().casefold() for e in (h.email for h in [*persons, *parties]) if e and e.strip()}
        cases = []
        for case_id in sorted({p.case_id for p in parties}, key=lambda i: refs[i]):
            row = session.get(Case, case_id)
            view = view_of(session, row)
            ids = {p.id for p in parties if p.case_id == case_id}
            approvals = session.execute(select(ApprovalRequest).where(ApprovalRequest.case_id == case_id)
                                        .order_by(ApprovalRequest.id)).scalars().all()
            contacts = tuple(c for c in view.history if c.party_id in ids)
            sent = [o for o in session.execute(select(Outbox).where(Outbox.case_id == case_id)
                                               .order_by(Outbox.id)).scalars()
                    if o.contact_id in {c.id for c in contacts} or (o.to_addr or "").strip().casefold() in emails]
            when = {c.id: c.at for c in view.history}
            files = session.execute(select(ContactAttachment).where(
                ContactAttachment.case_id == case_id,
                ContactAttachment.contact_id.in_({c.id for c in contacts} | {o.contact_id for o in sent} or {-1}))
                .order_by(ContactAttachment.id)).scalars().all()
            cases.append(SubjectCase(
                case=view,
                records=tuple(p for p in view.parties if p.id in ids),
                contacts=contacts,
                notes=tuple(c for c in view.history if c.direction == "internal" and c.party_id not in ids),
                approvals=tuple(approval_view(session, a, row.ref, names) for a in approvals
                                if (a.action or {}).get("party_id") in ids),
                emails=tuple(SentEmail(at=o.sent_at or o.created_at, to=o.to_addr, subject=o.subject, status=o.status)
                             for o in sent),
                files=tuple(HeldFile(name=f.name, size=f.size, contact_at=when.get(f.contact_id)) for f in files),
            ))
        handler_names = dict(session.execute(select(Handler.username, Handler.display_name)).all())
        people = _persons(session, persons)
        views = _views(session, [*persons, *parties])
    return SubjectFile(key=key, cases=tuple(cases), handler_names=handler_names, generated_at=now,
                       generated_by=desk.me.username, persons=people, views=views)


_PERSON_FIELDS = (("Name", "name"), ("Email", "email"), ("Phone", "phone"), ("Address", "address"),
                  ("Preferred channel", "preferred_channel"), ("Accessibility needs", "accessibility"),
                  ("Notes", "notes"))


def _persons(session: Any, persons: list[Person]) -> tuple[SubjectPerson, ...]:
    if not persons:
        return ()
    ids = [p.id for p in persons]
    arrangements = session.execute(select(Arrangement).where(
        Arrangement.person_id.in_(ids) | Arrangement.representative_id.in_(ids))
        .order_by(Arrangement.id)).scalars().all()
    others = {a.representative_id for a in arrangements} | {a.person_id for a in arrangements}
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(others))).all()) if others else {}
    case_ids = {a.case_id for a in arrangements if a.case_id is not None}
    refs = dict(session.execute(select(Case.id, Case.ref).where(Case.id.in_(case_ids))).all()) if case_ids else {}
    org_ids = {p.organisation_id for p in persons if p.organisation_id is not None}
    orgs = dict(session.execute(select(Organisation.id, Organisation.name)
                                .where(Organisation.id.in_(org_ids))).all()) if org_ids else {}
    merges = session.execute(select(PersonMerge).where(PersonMerge.keep_id.in_(ids) | PersonMerge.other_id.in_(ids))
                             .order_by(PersonMerge.id)).scalars().all()
    out = []
    for person in persons:
        fields = [(label, str(getattr(person, name))) for label, name in _PERSON_FIELDS if getattr(person, name)]
        if person.phone and not person.phone_valid:
            fields = [(lab, val + " (kept as written: not a phone number we could read)" if lab == "Phone" else val)
                      for lab, val in fields]
        if person.organisation_id in orgs:
            fields.append(("Organisation", orgs[person.organisation_id]))
        if person.vulnerable:
            fields.append(("Vulnerable", "yes" + (f": {person.vulnerability_reason}" if person.vulnerability_reason
                                                  else "")
                           + (f" (review {person.vulnerability_review:%d %b %Y})" if person.vulnerability_review
                              else "")))
        standing = []
        for a in arrangements:
            for theirs, other in ((True, a.representative_id), (False, a.person_id)):
                if (a.person_id if theirs else a.representative_id) == person.id:
                    standing.append(Standing(id=a.id, theirs=theirs, kind=a.kind, other_id=other,
                                             other_name=names.get(other, "?"), authorised_by=a.authorised_by or "",
                                             starts_at=a.starts_at, ends_at=a.ends_at, ended_at=a.ended_at,
                                             evidence_note=a.evidence_note, case_ref=refs.get(a.case_id)))
        lines = tuple(f"Merge {m.id}: person #{m.other_id} into #{m.keep_id}, {_when(m.at)}, by {m.actor}"
                      + (f": {m.reason}" if m.reason else "")
                      + (f" (undone {_when(m.undone_at)} by {m.undone_by})" if m.undone_at else "")
                      for m in merges if person.id in (m.keep_id, m.other_id))
        out.append(SubjectPerson(id=person.id, fields=tuple(fields), merged_into=person.merged_into_id,
                                 arrangements=tuple(standing), merges=lines))
    return tuple(out)


def _views(session: Any, holders: list[Any]) -> tuple[HeldView, ...]:
    found = views_naming(session, holders)
    if not found:
        return ()
    owners = dict(session.execute(select(Handler.id, Handler.username)).all())
    return tuple(HeldView(id=v.id, name=v.name, owner=owners.get(v.owner_id) if v.owner_id else None,
                          search=str((v.spec or {}).get("search", ""))) for v in found)


def _owner(v: HeldView) -> str:
    return "team view" if v.owner is None else f"{md(v.owner)}'s view"


def _person_lines(p: SubjectPerson) -> list[str]:
    out = [f"## Person #{p.id}" + (f" (merged into #{p.merged_into})" if p.merged_into else ""), ""]
    out += [f"- {label}: {md(value)}" for label, value in p.fields] or ["- Nothing held but the record itself."]
    out += ["", "### Standing arrangements", ""]
    for a in p.arrangements:
        kind = "designated" if a.kind == "designated" else "authorised"
        head = (f"- {kind.capitalize()} representative: {md(a.other_name)} (person #{a.other_id})" if a.theirs
                else f"- Representative of person #{a.other_id} {md(a.other_name)} ({kind})")
        out.append(head + (f", recorded on {md(a.case_ref)}" if a.case_ref else ""))
        for label, value in (("Authorised by", a.authorised_by), ("From", _when(a.starts_at) if a.starts_at else ""),
                             ("Until", _when(a.ends_at) if a.ends_at else ""),
                             ("Ended", _when(a.ended_at) if a.ended_at else ""), ("Evidence", a.evidence_note)):
            if value:
                out.append(f"  - {label}: {md(value)}")
    if not p.arrangements:
        out.append("None.")
    out += ["", "### Merges of their records", ""]
    out += [f"- {md(line)}" for line in p.merges] or ["None."]
    return out + [""]


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
           f"{sf.key.describe()}. Cases: {md(refs) or 'none'}."
           + (f" Persons: {', '.join(f'#{i}' for i in sf.person_ids)}." if sf.persons else ""), ""]
    for person in sf.persons:
        out += _person_lines(person)
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
        out += ["", "### Emails sent to them", ""]
        out += [f"- {_when(e.at)} to {md(e.to)}: {md(e.subject)} ({md(e.status)})" for e in sc.emails] or ["None."]
        out += ["", "### Files with their contacts", ""]
        out += [f"- {md(f.name)} ({f.size:,} bytes), with the contact of {_when(f.contact_at)}"
                for f in sc.files] or ["None."]
        out.append("")
    out += ["## Saved views naming them", ""]
    out += [f"- {md(v.name)} ({_owner(v)}): search {md(v.search)}" for v in sf.views] or ["None."]
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
                                          to=str(target) if target else "stdout", at=now,
                                          person_ids=found.person_ids))
    return body, found, str(target) if target else "stdout"
