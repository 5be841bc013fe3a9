"""Writing a case file as Markdown or HTML, with customer text kept inert.

Everything a customer or handler typed is untrusted. In HTML it goes through
html.escape (quotes too) and the page carries a Content-Security-Policy that
allows no scripts at all. In Markdown, short fields have every character
Markdown or HTML could act on backslash-escaped, and message bodies go in
fenced code blocks (a fence longer than any run of backticks inside), where
nothing is interpreted. In both, terminal control characters (ESC sequences
that would clear a screen when someone `cat`s the file) and bidirectional
overrides are written out visibly as \\xNN / \\uNNNN, so the reader sees that
they were there without them acting.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any, Optional

from deskapp.supervision.casefile import CaseFile, Entry, Milestone

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# md() output is always one line and never starts a line, so only characters that act mid-line are escaped:
# emphasis, code, links/images ([ ]), tables (|), raw HTML and entities (< > &), and the extensions' ~ ^ $ { }.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|<>&~^$])")
_SEVERITY_WORD = {"block": "BLOCK", "warn": "WARN", "advice": "advice"}


def inert(value: Any) -> str:
    """Text with control and direction-override characters written out visibly. None -> ""."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")

    def show(match: re.Match) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROLS.sub(show, text)


def _when(value: Optional[datetime]) -> str:
    return value.strftime("%a %d %b %Y %H:%M") if value else "—"


def _day(value: Optional[datetime]) -> str:
    return value.strftime("%a %d %b %Y") if value else "—"


def render(casefile: CaseFile, fmt: str) -> str:
    return markdown(casefile) if fmt == "md" else page(casefile)


def _facts(cf: CaseFile) -> list[tuple[str, str]]:
    c = cf.case
    rows = [
        ("Reference", c.ref),
        ("Imported as", cf.external_ref or ""),
        ("Title", c.title),
        ("Kind", c.kind.replace("_", " ")),
        ("Category", c.category),
        ("Stage", str(c.stage)),
        ("Status", c.status.replace("_", " ")),
        ("Priority", {1: "urgent", 2: "high", 3: "normal", 4: "low"}.get(c.priority, str(c.priority))),
        ("Vulnerable customer", "yes" if c.vulnerable else "no"),
        ("Received", _when(c.received_at)),
        ("Acknowledged", _when(c.acknowledged_at)),
        ("Responded", _when(c.responded_at)),
        ("Closed", _when(c.closed_at)),
        ("Handled by", cf.who(c.assigned_to)),
        ("Stage 1 handler", cf.who(c.stage1_handler) if c.stage1_handler else ""),
    ]
    return [(k, v) for k, v in rows if v]


def erased_words(cf: CaseFile) -> str:
    """The erasure in one sentence: when, by whom, why, and what [erased] means below."""
    e = cf.erasure
    assert e is not None
    why = f" Reason: {e.reason}" if e.reason else ""
    return (f"This case was erased on {_when(e.at)} by {cf.who(e.by)}: names, contact details and what was "
            f"said were replaced with [erased]; dates, statuses and who did what are kept.{why}")


def _party_marks(p: Any) -> str:
    marks = []
    if p.designated:
        marks.append("DESIGNATED REPRESENTATIVE — all contact goes through them")
    if p.authorised:
        marks.append("authorised to discuss the case")
    return "; ".join(marks)


def _done(m: Milestone) -> str:
    """When it was done; a response with no recorded final response reads "not sent"."""
    if m.done is None and m.what == "response":
        return "not sent"
    return _when(m.done)


def _milestone_words(m: Milestone) -> str:
    words = {"met": "MET", "missed": "MISSED", "overdue": "OVERDUE", "due": "not yet due",
             "not recorded": "not recorded"}[m.verdict]
    return words + (f" ({m.note})" if m.note else "")


# ----------------------------------------------------------------------------- Markdown


def md(value: Any) -> str:
    """One short field for Markdown: one line, every active character escaped."""
    text = " ".join(inert(value).split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def fenced(value: Any) -> list[str]:
    """A body of text as a fenced block: shown exactly, never interpreted."""
    text = inert(value)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *text.split("\n"), fence]


def markdown(cf: CaseFile) -> str:
    c = cf.case
    out: list[str] = [f"# Case file {md(c.ref)}: {md(c.title)}", ""]
    out += [f"Prepared {_when(cf.generated_at)} by {md(cf.who(cf.generated_by))} with deskapp.", ""]
    if cf.erasure is not None:
        out += [f"**{md(erased_words(cf))}**", ""]
    out += ["## The case", "", "| | |", "|---|---|"]
    out += [f"| {k} | {md(v)} |" for k, v in _facts(cf)]
    out.append("")

    out += ["## Parties", ""]
    if not c.parties:
        out += ["No parties recorded.", ""]
    for p in c.parties:
        line = f"- **{md(p.name)}** — {md(p.role.replace('_', ' '))}"
        if p.organisation:
            line += f", {md(p.organisation)}"
        marks = _party_marks(p)
        if marks:
            line += f" — **{md(marks)}**"
        out.append(line)
        for label, value in (("Email", p.email), ("Phone", p.phone), ("Address", p.address), ("Notes", p.notes)):
            if value:
                out.append(f"  - {label}: {md(value)}")
    out.append("")

    out += ["## Deadlines", ""]
    if cf.timescale:
        out += [f"Timescale: {md(cf.timescale)}", ""]
    if cf.milestones:
        out += ["| Stage | Deadline | Due | Done | Result |", "|---|---|---|---|---|"]
        for m in cf.milestones:
            out.append(f"| {m.stage} | {m.what} | {_day(m.due)} | {_done(m)} | {md(_milestone_words(m))} |")
    else:
        out.append("No statutory deadlines apply to this kind of case.")
    out.append("")

    if c.appointments:
        out += ["## Appointments", "", "| No. | When | Purpose | With | Status |", "|---|---|---|---|---|"]
        for a in c.appointments:  # numbered as the timeline's "Booked appointment 12" names them
            party = c.party(a.party_id)
            out.append(f"| #{a.id} | {_when(a.at)} | {md(a.purpose)} | {md(party.name) if party else '—'} "
                       f"| {md(a.status)} |")
        out.append("")

    if c.attachments:
        out += ["## Attachments", "", "Files received with the case's mail, with the sha256 of the stored bytes.", "",
                "| Id | Received | Name | Type | Bytes | sha256 |", "|---|---|---|---|---|---|"]
        for f in c.attachments:
            out.append(f"| {f.id} | {_when(f.at)} | {md(f.name)} | {md(f.content_type)} | {f.size} | `{f.sha256}` |")
        out.append("")

    out += ["## Timeline", "",
            "Every contact and action in order, with what the desk's rules said at that moment and the reason "
            "given when the handler went ahead.", ""]
    for e in cf.timeline:
        out += _md_entry(e, cf)

    out += ["## Approvals", ""]
    if not cf.approvals:
        out += ["No blocked action needed a supervisor's approval.", ""]
    for a in cf.approvals:
        out.append(f"- **Request {a.id}** ({md(a.kind)}) by {md(cf.who(a.requested_by))}, {_when(a.requested_at)}: "
                   f"**{md(a.status)}**")
        for f in a.findings:
            out.append(f"  - Rule {md(f.get('rule'))} ({_SEVERITY_WORD.get(f.get('severity'), md(f.get('severity')))}): "
                       f"{md(f.get('message'))}")
        if a.reason:
            out.append(f"  - Reason given: {md(a.reason)}")
        if a.decided_by:
            out.append(f"  - Decided by {md(cf.who(a.decided_by))}, {_when(a.decided_at)}: {md(a.decision_reason)}")
        if a.differs:
            out.append(f"  - **{md(_row_warning(a.differs))}**")
    out.append("")

    out += ["## Record integrity", "", _integrity(cf, md), ""]
    return "\n".join(out)


def _md_entry(e: Entry, cf: CaseFile) -> list[str]:
    who = md(cf.who(e.actor)) if e.actor else "—"
    lines = [f"### {_when(e.at)} — {md(e.summary)}", "", f"By {who}."]
    if e.audit_id is None:
        lines[-1] += " (History brought in without an audit record.)"
    if not e.intact:
        lines.append("**This audit record no longer matches its hash: it was altered after it was written.**")
    if e.differs:
        lines.append(f"**{md(_row_warning(e.differs))}**")
    contact = e.contact
    if contact is not None:
        if contact.summary:
            lines.append(f"Summary: {md(contact.summary)}")
        if contact.body:
            lines += ["", *fenced(contact.body)]
    if e.findings:
        lines += ["", "What the rules said:"]
        for f in e.findings:
            sev = _SEVERITY_WORD.get(f.get("severity"), md(f.get("severity")))
            lines.append(f"- {sev} — {md(f.get('rule'))}: {md(f.get('message'))}")
    if e.approved_by:
        lines += ["", f"{_approval_words(e, md)}: {md(e.reason or '')} (approval request {e.approval_id})"]
    elif e.reason:
        lines += ["", f"{_reason_label(e)}: {md(e.reason)}"]
    if (e.approval_id is not None and not e.approved_by
            and e.action not in ("approval.request", "approval.approve", "approval.refuse")):
        lines.append(f"Carried out with supervisor approval (request {e.approval_id}).")
    lines.append("")
    return lines


def _approval_words(e: Entry, esc) -> str:
    """"Carried out with supervisor approval (priya)": the reason that follows is the supervisor's."""
    return f"Carried out with supervisor approval ({esc(e.approved_by)})"


def _reason_label(e: Entry) -> str:
    if e.action in ("approval.approve", "approval.refuse"):
        return "Reason for the decision"
    if e.action == "approval.request":
        return "Reason given for asking"
    if any(f.get("severity") in ("warn", "block") for f in e.findings):
        return "Reason for going ahead"
    return "Reason"


def _integrity(cf: CaseFile, esc) -> str:
    """The verdict on the record: "Verified" only when every audit record and every row printed matched."""
    if not cf.audit_records:
        return "There are no audit records for this case: its history was brought in from outside deskapp."
    if cf.verified:
        return (f"Verified: all {cf.audit_records} audit records for this case match their hashes, and all "
                f"{cf.rows_checked} rows printed here (the case, its parties, contacts, appointments and approval "
                "requests) match the digests the audit records hold of them. Each record's hash also covers the "
                "record before it across the whole desk; `deskapp audit verify` checks that chain.")
    parts = ["NOT VERIFIED: this case file differs from its audit trail."]
    if cf.altered_records:
        ids = ", ".join(str(i) for i in cf.altered_records)
        parts.append(f"WARNING: {len(cf.altered_records)} of the {cf.audit_records} audit records for this case do "
                     f"not match their hashes (records {ids}): they were changed after they were written.")
    if cf.rows_differ:
        parts.append(f"{len(cf.rows_differ)} of the {cf.rows_checked} rows printed here do not match what the audit "
                     "trail recorded: " + "; ".join(cf.rows_differ) + ".")
    return " ".join(parts)


def _row_warning(differs: str) -> str:
    return f"This entry does not match the audit trail: it was {differs}."


# ----------------------------------------------------------------------------- HTML


def h(value: Any) -> str:
    """Text for HTML: controls made visible, then every markup character escaped (quotes too)."""
    return html.escape(inert(value), quote=True)


_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.5rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
.designated { font-weight: bold; color: #7a2e00; }
.met, .kept { color: #1d6b2f; font-weight: bold; } .missed, .overdue { color: #a30000; font-weight: bold; }
.entry { border-left: 3px solid #ccc; padding: .25rem .75rem; margin: 1rem 0; }
.entry h3 { font-size: 1rem; margin: 0; }
.body { white-space: pre-wrap; background: #f5f5f5; padding: .5rem; font-family: ui-monospace, monospace; }
.block { color: #a30000; font-weight: bold; } .warn { color: #8a5a00; font-weight: bold; } .advice { color: #555; }
.reason { background: #fff7e0; padding: .25rem .5rem; }
.altered { color: #a30000; font-weight: bold; }
.meta { color: #555; }
"""


def page(cf: CaseFile) -> str:
    c = cf.case
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>Case file {h(c.ref)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Case file {h(c.ref)}: {h(c.title)}</h1>",
        f'<p class="meta">Prepared {h(_when(cf.generated_at))} by {h(cf.who(cf.generated_by))} with deskapp.</p>',
        *([f'<p class="altered">{h(erased_words(cf))}</p>'] if cf.erasure is not None else []),
        "<h2>The case</h2>", "<table>",
    ]
    out += [f"<tr><th>{h(k)}</th><td>{h(v)}</td></tr>" for k, v in _facts(cf)]
    out += ["</table>", "<h2>Parties</h2>"]
    if not c.parties:
        out.append("<p>No parties recorded.</p>")
    else:
        out.append("<ul>")
        for p in c.parties:
            item = f"<strong>{h(p.name)}</strong> — {h(p.role.replace('_', ' '))}"
            if p.organisation:
                item += f", {h(p.organisation)}"
            marks = _party_marks(p)
            if marks:
                item += f' — <span class="designated">{h(marks)}</span>'
            details = [f"<li>{label}: {h(value)}</li>" for label, value in
                       (("Email", p.email), ("Phone", p.phone), ("Address", p.address), ("Notes", p.notes)) if value]
            if details:
                item += "<ul>" + "".join(details) + "</ul>"
            out.append(f"<li>{item}</li>")
        out.append("</ul>")

    out.append("<h2>Deadlines</h2>")
    if cf.timescale:
        out.append(f"<p>Timescale: {h(cf.timescale)}</p>")
    if cf.milestones:
        out.append("<table><tr><th>Stage</th><th>Deadline</th><th>Due</th><th>Done</th><th>Result</th></tr>")
        for m in cf.milestones:
            out.append(f"<tr><td>{m.stage}</td><td>{h(m.what)}</td><td>{h(_day(m.due))}</td><td>{h(_done(m))}</td>"
                       f'<td class="{m.verdict.replace(" ", "-")}">{h(_milestone_words(m))}</td></tr>')
        out.append("</table>")
    else:
        out.append("<p>No statutory deadlines apply to this kind of case.</p>")

    if c.appointments:
        out.append("<h2>Appointments</h2><table><tr><th>No.</th><th>When</th><th>Purpose</th><th>With</th>"
                   "<th>Status</th></tr>")
        for a in c.appointments:
            party = c.party(a.party_id)
            out.append(f"<tr><td>#{a.id}</td><td>{h(_when(a.at))}</td><td>{h(a.purpose)}</td>"
                       f"<td>{h(party.name) if party else '—'}</td>"
                       f'<td class="{h(a.status)}">{h(a.status)}</td></tr>')
        out.append("</table>")

    if c.attachments:
        out.append("<h2>Attachments</h2><p>Files received with the case's mail, with the sha256 of the stored "
                   "bytes.</p><table><tr><th>Id</th><th>Received</th><th>Name</th><th>Type</th><th>Bytes</th>"
                   "<th>sha256</th></tr>")
        for f in c.attachments:
            out.append(f"<tr><td>{f.id}</td><td>{h(_when(f.at))}</td><td>{h(f.name)}</td><td>{h(f.content_type)}</td>"
                       f"<td>{f.size}</td><td><code>{h(f.sha256)}</code></td></tr>")
        out.append("</table>")

    out += ["<h2>Timeline</h2>",
            "<p>Every contact and action in order, with what the desk's rules said at that moment and the reason "
            "given when the handler went ahead.</p>"]
    for e in cf.timeline:
        out += _html_entry(e, cf)

    out.append("<h2>Approvals</h2>")
    if not cf.approvals:
        out.append("<p>No blocked action needed a supervisor's approval.</p>")
    else:
        out.append("<ul>")
        for a in cf.approvals:
            parts = [f"<strong>Request {a.id}</strong> ({h(a.kind)}) by {h(cf.who(a.requested_by))}, "
                     f"{h(_when(a.requested_at))}: <strong>{h(a.status)}</strong><ul>"]
            for f in a.findings:
                sev = str(f.get("severity", ""))
                parts.append(f'<li><span class="{h(sev if sev in _SEVERITY_WORD else "advice")}">'
                             f"{h(_SEVERITY_WORD.get(sev, sev))}</span> {h(f.get('rule'))}: {h(f.get('message'))}</li>")
            if a.reason:
                parts.append(f'<li class="reason">Reason given: {h(a.reason)}</li>')
            if a.decided_by:
                parts.append(f"<li>Decided by {h(cf.who(a.decided_by))}, {h(_when(a.decided_at))}: "
                             f"{h(a.decision_reason)}</li>")
            if a.differs:
                parts.append(f'<li class="altered">{h(_row_warning(a.differs))}</li>')
            parts.append("</ul>")
            out.append("<li>" + "".join(parts) + "</li>")
        out.append("</ul>")
    css = "meta" if cf.verified or not cf.audit_records else "altered"
    out += ["<h2>Record integrity</h2>", f'<p class="{css}">{h(_integrity(cf, h))}</p>', "</body></html>", ""]
    return "\n".join(out)


def _html_entry(e: Entry, cf: CaseFile) -> list[str]:
    who = h(cf.who(e.actor)) if e.actor else "—"
    out = ['<div class="entry">', f"<h3>{h(_when(e.at))} — {h(e.summary)}</h3>", f'<p class="meta">By {who}.'
           + (" History brought in without an audit record." if e.audit_id is None else "") + "</p>"]
    if not e.intact:
        out.append('<p class="altered">This audit record no longer matches its hash: it was altered after it was '
                   "written.</p>")
    if e.differs:
        out.append(f'<p class="altered">{h(_row_warning(e.differs))}</p>')
    contact = e.contact
    if contact is not None:
        if contact.summary:
            out.append(f"<p>Summary: {h(contact.summary)}</p>")
        if contact.body:
            out.append(f'<div class="body">{h(contact.body)}</div>')
    if e.findings:
        out.append("<p>What the rules said:</p><ul>")
        for f in e.findings:
            sev = str(f.get("severity", ""))
            out.append(f'<li><span class="{h(sev if sev in _SEVERITY_WORD else "advice")}">'
                       f"{h(_SEVERITY_WORD.get(sev, sev))}</span> {h(f.get('rule'))}: {h(f.get('message'))}</li>")
        out.append("</ul>")
    if e.approved_by:
        out.append(f'<p class="reason">{_approval_words(e, h)}: {h(e.reason or "")} '
                   f"(approval request {e.approval_id})</p>")
    elif e.reason:
        out.append(f'<p class="reason">{_reason_label(e)}: {h(e.reason)}</p>')
    if (e.approval_id is not None and not e.approved_by
            and e.action not in ("approval.request", "approval.approve", "approval.refuse")):
        out.append(f"<p>Carried out with supervisor approval (request {e.approval_id}).</p>")
    out.append("</div>")
    return out
