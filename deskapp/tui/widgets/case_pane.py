"""The selected case: header, parties, appointments and the contact history timeline.

History is shown newest first, so the latest contact is on screen without
scrolling even at 80x24, directly under the parties it refers to. Every name,
title, summary, body and reason here was typed by a customer or a handler, so
all of it goes through deskapp.tui.text (literal, control characters stripped).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from deskapp.tui.bindings import scroll_bindings
from deskapp.tui.text import line, plain, safe_text
from deskapp.vocab import PRIORITIES

ARROWS = {"out": "→", "in": "←", "internal": "•"}
_PREPOSITION = {"out": "to", "in": "from", "internal": "about"}
_BAD_OUTCOMES = {"no_answer", "no_reply", "bounced", "voicemail"}
_ABUSE_OUTCOMES = {"warning_given", "ended_for_abuse"}
BODY_LINES = 8  # a long message body is cut here; the full text is in the case file export


def words(value: Optional[str]) -> str:
    """vocabulary word -> handler wording: 'awaiting_third_party' -> 'awaiting third party'."""
    return (value or "").replace("_", " ")


def when(value: Optional[datetime], with_time: bool = True) -> str:
    if value is None:
        return "-"
    return value.strftime("%a %d %b %Y %H:%M" if with_time else "%a %d %b %Y")


def header_content(case: Any) -> Content:
    top = [(case.ref, "bold $text-primary"), "  ",
           (f"{words(case.kind).capitalize()} · stage {case.stage} · {words(case.status)}", ""),
           (" · ", "$text-muted"), (PRIORITIES.get(case.priority, str(case.priority)),
                                    "bold $text-error" if case.priority == 1 else "")]
    if case.vulnerable:
        top += ["  ", (" VULNERABLE ", "bold reverse $warning")]
    lines = [line(*top), plain(case.title, "bold", single_line=True)]
    facts = [("Category ", "$text-muted"), words(case.category), ("  Received ", "$text-muted"),
             when(case.received_at), ("  Assigned ", "$text-muted"), case.assigned_to or "nobody"]
    if case.due_at is not None:
        facts += [("  Due ", "$text-muted"), when(case.due_at, with_time=False)]
    lines.append(line(*facts))
    pending = getattr(case, "pending_approvals", ()) or ()
    for approval in pending:
        lines.append(line((f"Approval #{approval.id} pending", "bold $text-warning"),
                          (" requested by ", "$text-muted"), approval.requested_by))
    return Content("\n").join(lines)

def appointments_content(case: Any) -> Content:
    if not case.appointments:
        return Content("")
    lines = [Content.styled("Appointments", "bold $text-accent")]
    for appt in case.appointments:
        party = case.party(appt.party_id)
        style = "bold $text-error" if appt.status == "missed" else ("$text-muted" if appt.status == "cancelled" else "")
        lines.append(line(when(appt.at), ("  ", ""), (f"{appt.status:<9}", style), ("  ", ""),
                          party.name if party else "-", (" · ", "$text-muted"), appt.purpose))
    return Content("\n").join(lines)


def party_entries(case: Any) -> list[tuple[Content, Content]]:
    """(name line, details) per party: the designated representative is marked and highlighted."""
    entries = []
    for party in case.parties:
        mark = ("» ", "bold $text-warning") if party.designated else ("  ", "")
        parts: list = [mark, (party.name, "bold $text-warning" if party.designated else "bold"),
                       ("  ", ""), (words(party.role), "$text-muted")]
        if party.organisation:
            parts += [(" · ", "$text-muted"), party.organisation]
        details: list = []
        if party.designated:
            details.append(("designated: all contact via them", "$text-warning"))
        if party.authorised:
            details.append(("authorised", "$text-success"))
        for reach in (party.phone, party.email):
            if reach:
                details.append((reach, "$text-muted"))
        spaced: list = []
        for piece in details:
            spaced += [piece, ("  ", "")]
        entries.append((line(*parts), line(*spaced[:-1]) if spaced else Content("")))
    return entries


def contact_heading(contact: Any) -> Content:
    """The first line of a timeline entry: when, direction, channel, with whom, by whom, outcome."""
    direction = contact.direction
    head: list = [(when(contact.at), "$text-muted"), "  ",
                  (ARROWS.get(direction, "?"), "bold $text-primary"), " ",
                  (f"{contact.channel} {direction}", "bold")]
    if contact.party_name:
        head += [(f"  {_PREPOSITION.get(direction, 'with')} ", "$text-muted"), contact.party_name]
    if contact.handler:
        head += [("  by ", "$text-muted"), contact.handler]
    if contact.outcome:
        style = ("bold $text-error" if contact.outcome in _ABUSE_OUTCOMES
                 else "$text-warning" if contact.outcome in _BAD_OUTCOMES else "$text-success")
        head += [("  ", ""), (words(contact.outcome), style)]
    return line(*head)


def contact_details(contact: Any) -> Content:
    """Summary, body (first BODY_LINES lines) and the recorded reason, if any."""
    lines: list[Content] = []
    if contact.summary:
        lines.append(plain(contact.summary, single_line=True))
    body = safe_text(contact.body or "").strip("\n")
    if body and body != safe_text(contact.summary or "").strip():
        body_lines = body.splitlines()
        for text in body_lines[:BODY_LINES]:
            lines.append(plain(text, "$text-muted"))
        if len(body_lines) > BODY_LINES:
            lines.append(Content.styled(f"… {len(body_lines) - BODY_LINES} more lines", "$text-muted"))
    if contact.reason:
        lines.append(line(("Went ahead against a warning. Reason: ", "bold $text-warning"), contact.reason))
    return Content("\n").join(lines)


class CasePane(VerticalScroll):
    """Shows one CaseView; `show_case(None)` for no selection, `show_loading()` while it loads.

    Parties and contacts are one small widget each, so wrapped lines stay indented
    under their entry at any width.
    """

    BINDING_GROUP_TITLE = "Case pane"
    BINDINGS = scroll_bindings("case")

    DEFAULT_CSS = """
    CasePane Static { height: auto; width: 1fr; }
    CasePane > #case-parties, CasePane > #case-appointments, CasePane > #case-history {
        height: auto; margin-top: 1;
    }
    CasePane > #case-appointments.-empty { display: none; }
    CasePane .party-details, CasePane .contact-details { padding-left: 4; }
    CasePane .section-heading { text-style: bold; color: $text-accent; }
    """

    can_focus = True

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.case: Any = None

    def compose(self) -> ComposeResult:
        yield Static(Content("No case selected. Pick one in the queue."), id="case-header", markup=False)
        yield Vertical(id="case-parties")
        yield Static(Content(""), id="case-appointments", markup=False, classes="-empty")
        yield Vertical(id="case-history")

    def show_loading(self) -> None:
        if self.case is None:
            self.query_one("#case-header", Static).update(Content("Loading…"))

    def show_message(self, message: str) -> None:
        """A one-line notice in place of the case (e.g. the case could not be loaded)."""
        self.case = None
        with self.app.batch_update():
            self.query_one("#case-header", Static).update(plain(message))
            self.query_one("#case-parties").remove_children()
            self.query_one("#case-history").remove_children()
            appointments = self.query_one("#case-appointments", Static)
            appointments.update(Content(""))
            appointments.add_class("-empty")

    def show_case(self, case: Any) -> None:
        if case is None:
            self.show_message("No case selected. Pick one in the queue.")
            return
        same_case = self.case is not None and self.case.id == case.id
        self.case = case
        with self.app.batch_update():
            self.query_one("#case-header", Static).update(header_content(case))
            parties = self.query_one("#case-parties")
            parties.remove_children()
            parties.mount_all(self._party_widgets(case))
            appointments = self.query_one("#case-appointments", Static)
            appointments.update(appointments_content(case))
            appointments.set_class(not case.appointments, "-empty")
            history = self.query_one("#case-history")
            history.remove_children()
            history.mount_all(self._history_widgets(case))
        if not same_case:
            self.scroll_home(animate=False)

    def _party_widgets(self, case: Any) -> list[Static]:
        if not case.parties:
            return [Static(Content.styled("No parties recorded.", "$text-muted"), markup=False)]
        widgets = []
        for name_line, details in party_entries(case):
            widgets.append(Static(name_line, classes="party", markup=False))
            if details:
                widgets.append(Static(details, classes="party-details", markup=False))
        return widgets

    def _history_widgets(self, case: Any) -> list[Static]:
        if not case.history:
            return [Static(Content.styled("No contacts yet.", "$text-muted"), markup=False)]
        widgets = [Static(Content(f"History ({len(case.history)}, newest first)"), classes="section-heading",
                          markup=False)]
        for contact in reversed(case.history):
            widgets.append(Static(contact_heading(contact), classes="contact", markup=False))
            details = contact_details(contact)
            if details:
                widgets.append(Static(details, classes="contact-details", markup=False))
        return widgets

    @property
    def text(self) -> str:
        """Everything the pane shows, as plain text (tests, screen readers)."""
        parts = []
        for widget in self.query(Static):
            content = widget.content
            parts.append(content.plain if isinstance(content, Content) else str(content))
        return "\n".join(p for p in parts if p)
