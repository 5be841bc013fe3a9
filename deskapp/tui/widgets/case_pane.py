"""The selected case: header, parties, the contact history timeline and appointments.

History is shown newest first, so the latest contact is on screen without
scrolling even at 80x24, directly under the parties it refers to. Every name,
title, summary, body and reason here was typed by a customer or a handler, so
all of it goes through deskapp.tui.text (literal, control characters stripped).

The pane is one Line-API widget (deskapp.tui.widgets.lines): moving to another
case repaints only the lines that differ, which keeps the desk cheap over SSH.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from textual.content import Content
from textual.timer import Timer

from deskapp.tui.bindings import scroll_bindings
from deskapp.tui.text import line, plain, safe_text
from deskapp.tui.widgets.lines import BLANK, Block, BlockLines
from deskapp.vocab import PRIORITIES

ARROWS = {"out": "→", "in": "←", "internal": "•"}
_PREPOSITION = {"out": "to", "in": "from", "internal": "about"}
_BAD_OUTCOMES = {"no_answer", "no_reply", "bounced", "voicemail"}
_ABUSE_OUTCOMES = {"warning_given", "ended_for_abuse"}
BODY_LINES = 8  # a long message body is cut here; the full text is in the case file export
DETAILS_INDENT = 4  # party and contact details wrap under themselves, this far in
NO_CASE = "No case selected. Pick one in the queue."


def words(value: Optional[str]) -> str:
    """vocabulary word -> handler wording: 'awaiting_third_party' -> 'awaiting third party'."""
    return (value or "").replace("_", " ")


def when(value: Optional[datetime], with_time: bool = True) -> str:
    if value is None:
        return "-"
    return value.strftime("%a %d %b %Y %H:%M" if with_time else "%a %d %b %Y")


WIDE_HEADER = 64  # a case pane at least this wide shows the header's facts two to a line


def header_block(case: Any) -> Block:
    """Ref, priority and flags; the title; then kind, stage, status and the facts, one to a line.

    The first line is short enough for any case to fit a 40-column pane, and each
    fact after the title has its own line (who and when share the last), or in a
    wide pane two lines of them: every case puts each label in the same place, no
    label wraps away from its value, and the next case repaints only the values
    that differ.
    """
    top = [(case.ref, "bold $text-primary"), "  ",
           (f"{PRIORITIES.get(case.priority, str(case.priority))} priority",
            "bold $text-error" if case.priority == 1 else "")]
    # The case's own flag, or a person on it marked vulnerable (on the person: it shows on all their cases).
    if case.vulnerable or getattr(case, "vulnerable_persons", ()):
        top += ["  ", (" VULNERABLE ", "bold reverse $warning")]
    head = [line(*top), plain(case.title, "bold", single_line=True)]
    what = line(f"{words(case.kind).capitalize()} · stage {case.stage} · {words(case.status)}")
    category = line(("Category ", "$text-muted"), words(case.category))
    received = line(("Received ", "$text-muted"), when(case.received_at))
    who = [("Assigned ", "$text-muted"), case.assigned_to or "nobody"]
    if case.due_at is not None:
        who += [("  Due ", "$text-muted"), when(case.due_at, with_time=False)]
    assigned = line(*who)
    tail: list[Content] = []
    merged = getattr(case, "merged_into", None)
    if merged is not None:  # closed as a duplicate: say where its issue is now worked, and how to get there
        tail.append(line((f"Merged into {merged.ref}", "bold $text-warning"),
                         (" · L opens it", "$text-muted")))
    for approval in case.pending_approvals:
        tail.append(line((f"Approval #{approval.id} pending", "bold $text-warning"),
                         (" requested by ", "$text-muted"), approval.requested_by))
    gap = Content("  ")
    narrow = Content("\n").join([*head, what, category, received, assigned, *tail])
    wide = Content("\n").join([*head, what + gap + category, received + gap + assigned, *tail])
    return Block(narrow, wide=wide, wide_from=WIDE_HEADER)


def appointments_content(case: Any) -> Content:
    if not case.appointments:
        return Content("")
    lines = [Content.styled("Appointments", "bold $text-accent")]
    # Each starts with its number (as the today view shows it): what `deskapp appointment ics ID`
    # and `deskapp case appointment REF move ID` take, and what a handler reads out on the phone.
    width = max(len(str(appt.id)) for appt in case.appointments) + 1
    for appt in case.appointments:
        party = case.party(appt.party_id)
        style = "bold $text-error" if appt.status == "missed" else ("$text-muted" if appt.status == "cancelled" else "")
        lines.append(line((f"#{appt.id}".ljust(width), "$text-muted"), (" ", ""), when(appt.at), ("  ", ""),
                          (f"{appt.status:<9}", style), ("  ", ""),
                          party.name if party else "-", (" · ", "$text-muted"), appt.purpose))
    return Content("\n").join(lines)


def size_text(size: int) -> str:
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size} B"


def attachments_content(case: Any) -> Content:
    """The files received with the case's mail: id (for `case attachments --save`), size, name (`F` saves)."""
    lines = [Content.styled(f"Attachments ({len(case.attachments)})", "bold $text-accent")]
    for item in case.attachments:
        lines.append(line((f"#{item.id:<5}", "$text-muted"), (f"{size_text(item.size):>9}  ", ""), item.name,
                          (f"  {item.content_type}", "$text-muted")))
    return Content("\n").join(lines)


def links_content(case: Any) -> Content:
    """The linked and merged cases: kind, ref, status and title, one to a line (`L` opens one)."""
    links = getattr(case, "links", ())
    lines = [line((f"Linked cases ({len(links)})", "bold $text-accent"), ("  L opens one", "$text-muted"))]
    for link in links:
        lines.append(line((f"{link.kind:<12}", "$text-muted"), (f"{link.ref}", "bold"), ("  ", ""),
                          (words(link.status), "$text-muted" if link.status == "closed" else ""), ("  ", ""),
                          link.title))
    return Content("\n").join(lines)


def party_entries(case: Any) -> list[tuple[Content, Content]]:
    """(name line, details) per party: the designated representative is marked and highlighted.

    The details end with the party's address and the notes kept on them ("arrange
    everything through his social worker"): a handler must see them before
    calling or writing, not only in the edit form or the export.
    """
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
        lines = [line(*spaced[:-1])] if spaced else []
        if party.address:
            lines.append(line(("Address ", "$text-muted"), party.address))
        if party.notes:
            lines.append(line(("Notes ", "$text-muted"), party.notes))
        entries.append((line(*parts), Content("\n").join(lines)))
    return entries


def other_cases_entries(case: Any) -> list[Content]:
    """Per person on the case with other cases: a heading, then those cases (open first, newest first; the
    first few, then "and N more"), each ref, status, title and their role there. `o` opens them."""
    entries = []
    for person in getattr(case, "persons", ()):
        if not person.other_total:
            continue
        count = f"{person.other_total} other case{'s' if person.other_total != 1 else ''}"
        lines = [line(("Other cases of ", "bold $text-accent"), (person.name, "bold"), (f"  {count}", "$text-muted"),
                      ("  o opens", "$text-muted"))]
        for other in person.other_cases:
            lines.append(line((other.ref, "$text-accent"), "  ",
                              (f"{words(other.status):<14}", "bold" if other.open else "dim"), " ", other.title,
                              (f"  ({words(other.role)})", "$text-muted")))
        more = person.other_total - len(person.other_cases)
        if more > 0:
            lines.append(line((f"and {more} more", "$text-muted"), ("  u lists them", "$text-muted")))
        entries.append(Content("\n").join(lines))
    return entries


def contact_heading(contact: Any) -> Content:
    """The first line of a timeline entry: when, direction, channel, with whom, by whom, outcome."""
    direction = contact.direction
    head: list = [(when(contact.at), "$text-muted"), "  "]
    origin = getattr(contact, "origin", None)
    if origin:  # a contact of a duplicate case merged into this one: where it was logged
        head += [(f"[{origin}]", "bold $text-accent"), " "]
    head += [(ARROWS.get(direction, "?"), "bold $text-primary"), " ", (f"{contact.channel} {direction}", "bold")]
    if contact.party_name:
        head += [(f"  {_PREPOSITION.get(direction, 'with')} ", "$text-muted"), contact.party_name]
    if contact.handler:
        head += [("  by ", "$text-muted"), contact.handler]
    delivery = getattr(contact, "delivery", None)
    if contact.outcome and not (delivery is not None and delivery.status == "bounced"):
        style = ("bold $text-error" if contact.outcome in _ABUSE_OUTCOMES
                 else "$text-warning" if contact.outcome in _BAD_OUTCOMES else "$text-success")
        head += [("  ", ""), (words(contact.outcome), style)]
    if delivery is not None:  # the relay's answer is outside text: a plain piece, never markup
        head += [("  ", ""), (delivery.words(), _DELIVERY_STYLE.get(delivery.status, "$text-muted"))]
    stage = contact.response_stage
    if stage:
        head += [Content("  "), (f"final response, stage {stage}", "bold $text-success")]
    return line(*head)


_DELIVERY_STYLE = {"sent": "$text-success", "failed": "bold $text-error", "bounced": "bold $text-error",
                   "unknown": "$text-warning"}


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
    approved_by = contact.approved_by
    if approved_by:
        lines.append(line((f"Carried out with supervisor approval ({approved_by}): ", "bold $text-warning"),
                          contact.reason or ""))
    elif contact.reason:
        # The reason starts its own line, so its label is never left at the end of the line above.
        lines.append(Content.styled("Went ahead against a warning.", "bold $text-warning"))
        lines.append(line(("Reason: ", "bold $text-warning"), contact.reason))
    return Content("\n").join(lines)


def case_blocks(case: Any, presence: str = "") -> list[Block]:
    """The whole pane for `case`: header, who else has it open, parties (and their other cases), history,
    appointments.

    Party details and contact details are indented 4 and wrap under themselves.
    The history comes straight after the parties, before the appointments: the
    parties' addresses and notes take lines, and the newest contact (what a
    handler just saved) must stay in view at 120x40.
    """
    blocks = [header_block(case)]
    if presence:
        blocks.append(Block(Content.styled(safe_text(presence, single_line=True), "yellow")))
    blocks.append(BLANK)
    if not case.parties:
        blocks.append(Block(Content.styled("No parties recorded.", "$text-muted")))
    for name_line, details in party_entries(case):
        blocks.append(Block(name_line, phrases=True, hang=2))  # wrapped under the name, not the mark
        if details:
            blocks.append(Block(details, indent=DETAILS_INDENT, phrases=True))
    for entry in other_cases_entries(case):
        blocks.append(Block(entry, hang=DETAILS_INDENT, phrases=True))
    if getattr(case, "links", ()):
        blocks += [BLANK, Block(links_content(case), hang=DETAILS_INDENT)]
    blocks.append(BLANK)
    if not case.history:
        blocks.append(Block(Content.styled("No contacts yet.", "$text-muted")))
    else:
        blocks.append(Block(Content.styled(f"History ({len(case.history)}, newest first)", "bold $text-accent")))
    for contact in reversed(case.history):
        blocks.append(Block(contact_heading(contact), hang=DETAILS_INDENT, phrases=True))
        details = contact_details(contact)
        if details:
            blocks.append(Block(details, indent=DETAILS_INDENT))
    if case.appointments:
        blocks += [BLANK, Block(appointments_content(case), hang=DETAILS_INDENT)]
    if getattr(case, "attachments", ()):
        blocks += [BLANK, Block(attachments_content(case), hang=DETAILS_INDENT)]
    return blocks


class CasePane(BlockLines):
    """Shows one CaseView; `show_case(None)` for no selection, `show_loading()` while one loads.

    A case that arrives within LOADING_DELAY replaces the one shown without a
    "loading" flash in between; if it takes longer, a notice at the top says the
    case shown is still the previous one. The header always names the case whose
    details are below it, never the one still loading.
    """

    BINDING_GROUP_TITLE = "Case pane"
    BINDINGS = scroll_bindings("case")
    LOADING_DELAY = 0.25  # seconds before a slow load says so

    can_focus = True

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.case: Any = None
        self.presence = ""
        self._loading_timer: Optional[Timer] = None

    def on_mount(self) -> None:
        super().on_mount()
        if not self.blocks:
            self.set_blocks([Block(Content(NO_CASE))])

    def show_loading(self, case_id: Optional[int] = None) -> None:
        """Case `case_id` is being loaded: say so at once if nothing is shown, else only if it is slow."""
        self._stop_loading_timer()
        if self.case is None:
            self.set_blocks([Block(Content("Loading…"))], home=True)
        else:
            self._loading_timer = self.set_timer(self.LOADING_DELAY, lambda: self._show_slow_loading(case_id))

    def _show_slow_loading(self, case_id: Optional[int]) -> None:
        self._loading_timer = None
        if self.case is None:
            return
        if case_id == self.case.id:  # the same case read again (after an action, a change elsewhere)
            notice = line(("Reloading ", "bold $text-warning"), (self.case.ref, "bold"), ("…", "bold $text-warning"))
        else:
            notice = line(("Loading the next case…", "bold $text-warning"), ("  still showing ", "$text-muted"),
                          (self.case.ref, "bold"))
        self.set_blocks([Block(notice), *case_blocks(self.case, self.presence)])

    def _stop_loading_timer(self) -> None:
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None

    def show_message(self, message: str) -> None:
        """A one-line notice in place of the case (e.g. the case could not be loaded)."""
        self._stop_loading_timer()
        self.case = None
        self.set_blocks([Block(plain(message))], home=True)

    def show_case(self, case: Any, *, home: bool = False) -> None:
        """Show `case` from its header; the same case re-read keeps its scroll position unless `home`
        (a save reloads the case: the handler looks for what changed at the top)."""
        if case is None:
            self.show_message(NO_CASE)
            return
        self._stop_loading_timer()
        same_case = self.case is not None and self.case.id == case.id
        if not same_case:
            self.presence = ""  # it was about the previous case; live.py says again for this one
        self.case = case
        self.set_blocks(case_blocks(case, self.presence), home=home or not same_case)

    def show_presence(self, text: str) -> None:
        """The "also open: ..." line under the header (deskapp.tui.live); "" hides it."""
        if text == self.presence:
            return
        self.presence = text
        if self.case is not None:
            self.set_blocks(case_blocks(self.case, text))
