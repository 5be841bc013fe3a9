"""The policy sidebar: what the rules say about the selected case and the action being prepared.

Two halves, because they answer different questions:
  * standing advice ("before you do anything": the designated representative,
    deadlines with working days left, vulnerability, rules `on: case`), and
  * live findings for the action the handler is filling in right now, re-evaluated
    as they type (the forms call `show_live`).
Everything shown that came from the database or a rule message is untrusted text.

The sidebar is one Line-API widget (deskapp.tui.widgets.lines): resting on
another case repaints only the lines whose words changed, and nothing when the
advice is the same.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any, Iterable, Mapping

from textual.content import Content

from deskapp.tui.bindings import scroll_bindings
from deskapp.tui.text import line
from deskapp.tui.widgets.findings import ShownFindings
from deskapp.tui.widgets.lines import BLANK, Block, BlockLines

# Friendly labels for the deadline names the policy engine uses; others are title-cased.
_LABELS = {
    "acknowledge_by": "Acknowledge by",
    "respond_by": "Respond by",
    "next_due": "Next due",
    "extended_to": "Extended to",
    "summary_by": "Summary resolution by",
    "final_response_by": "Final response by",
}


def _items(obj: Any) -> list[tuple[str, Any]]:
    """Name/value pairs of a dataclass, mapping or plain object, in declaration order."""
    if obj is None:
        return []
    if isinstance(obj, Mapping):
        return [(str(k), v) for k, v in obj.items()]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    return [(k, v) for k, v in vars(obj).items() if not k.startswith("_")] if hasattr(obj, "__dict__") else []


# Deadline fields the policy engine's Deadlines carries, with the flag saying each was met.
_MET_FLAGS = {"acknowledge_by": "acknowledged", "respond_by": "responded"}
# `next_due` repeats one of the others; it is marked on that row instead of shown twice.
_SKIP = {"next_due"}


def deadline_rows(deadlines: Any) -> list[tuple[str, date | datetime, int | None, str]]:
    """(label, when, working days left or None, note) for every dated field of a Deadlines object.

    The working days left are taken from the companion field (`respond_by` ->
    `respond_days_left`); the sidebar never counts working days itself, so it
    always agrees with the rules. `note` is "met", "provisional", "next" or "".
    """
    items = _items(deadlines)
    values = dict(items)
    next_due = values.get("next_due")
    rows = []
    for name, value in items:
        if not isinstance(value, (date, datetime)):
            continue
        if name in _SKIP and any(v == value for k, v in items if k != name):
            continue
        stem = name
        for suffix in ("_by", "_at", "_due", "_on"):
            if stem.endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        left = None
        for candidate in (f"{stem}_days_left", f"{stem}_working_days_left", f"{name}_days_left",
                          f"{name}_working_days_left"):
            if isinstance(values.get(candidate), int) and not isinstance(values.get(candidate), bool):
                left = values[candidate]
                break
        note = ""
        if values.get(_MET_FLAGS.get(name, ""), False) is True:
            note, left = "met", None
        elif values.get(f"{name}_provisional") is True:
            note = "provisional"
        elif next_due is not None and value == next_due and name not in _SKIP:
            note = "next"
        rows.append((_LABELS.get(name, name.replace("_", " ").capitalize()), value, left, note))
    return rows


def format_when(value: date | datetime) -> str:
    """'Thu 12 Mar 2026' (dates) or 'Thu 12 Mar 2026 17:00' (times other than midnight/end of day)."""
    text = value.strftime("%a %d %b %Y")
    if isinstance(value, datetime) and (value.hour, value.minute) not in ((0, 0), (23, 59)):
        text += value.strftime(" %H:%M")
    return text


def days_left_text(left: int | None) -> tuple[str, str]:
    """Words and a style for a count of working days left (negative = overdue)."""
    if left is None:
        return "", ""
    if left < 0:
        n = -left
        return f"{n} working day{'s' if n != 1 else ''} overdue", "bold $text-error"
    if left == 0:
        return "due today", "bold $text-warning"
    style = "$text-warning" if left <= 2 else "$text-success"
    return f"{left} working day{'s' if left != 1 else ''} left", style


HEADING = "bold $text-accent"


class PolicySidebar(BlockLines):
    """Standing advice for the selected case and live findings for the action being prepared.

    API (used by the main screen and the action forms):
      show_standing(standing, case=None)  standing: has .findings and .deadlines (or None to clear)
      show_live(findings, action=None, case_id=None)
                                          findings for an action on case `case_id`; action = its title
      clear()
    Live findings belong to the case they were computed for: showing another case's standing
    advice drops them, so one case's last action never reads as advice on the next.
    Reading it (tests): .facts, .deadlines (Content), .standing_findings / .live_findings
    (ShownFindings: .findings, .worst, .text), .text.
    """

    # The scrollbar's columns are kept whether or not it shows: advice that needs a scrollbar after
    # advice that did not would otherwise rewrap every line, and Textual repaints a pane whole when
    # its scrollbar comes or goes (~9 KB at 120x40, a quarter of the moves down an overdue queue).
    DEFAULT_CSS = """
    PolicySidebar {
        height: 1fr;
        padding: 0 1;
        scrollbar-gutter: stable;
    }
    """

    BINDING_GROUP_TITLE = "Advice pane"
    BINDINGS = scroll_bindings("sidebar")
    can_focus = True

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.facts: Content = Content("No case selected.")
        self.deadlines: Content = Content("")
        self.standing_findings = ShownFindings("No standing advice.")
        self.live_heading: Content = Content("This action")
        self.live_findings = ShownFindings("No action being prepared.")
        self.live_case_id: int | None = None  # the case the live findings were computed for
        self._draw()

    def _draw(self) -> None:
        blocks = [Block(Content.styled("For this case", HEADING)), Block(self.facts)]
        if self.deadlines:
            blocks.append(Block(self.deadlines))
        blocks += self.standing_findings.blocks()
        blocks += [BLANK, Block(self.live_heading.stylize(HEADING)), *self.live_findings.blocks()]
        self.set_blocks(blocks)

    # --- standing advice -------------------------------------------------

    def show_standing(self, standing: Any, case: Any = None) -> None:
        """Show the rules' standing advice (and key facts from `case`, a CaseView, if given)."""
        self.facts = self._facts(case)
        deadlines = getattr(standing, "deadlines", None) if standing is not None else None
        self.deadlines = self._deadlines(deadlines)
        findings = getattr(standing, "findings", None) if standing is not None else None
        self.standing_findings = ShownFindings("No standing advice.", findings)
        if getattr(case, "id", None) != self.live_case_id:
            self._reset_live()
        self._draw()

    def _facts(self, case: Any) -> Content:
        if case is None:
            return Content("No case selected.")
        lines: list[Content] = []
        ref = getattr(case, "ref", "")
        # A vulnerable customer is marked on the case's own line: one line either way, so the advice
        # below stays in its place from one case to the next (and only the changed words are repainted).
        vulnerable = [(" · ", "$text-muted"), ("Vulnerable", "bold $text-warning")] if getattr(
            case, "vulnerable", False) or getattr(case, "vulnerable_persons", ()) else []
        lines.append(line(("Case ", "$text-muted"), (ref, "bold"), *vulnerable))
        rep = getattr(case, "designated_representative", None)
        if rep is not None:
            who = getattr(rep, "name", "")
            org = getattr(rep, "organisation", None)
            lines.append(line(("All contact via ", "bold $text-warning"), (who, "bold"),
                              (f" ({org})" if org else "", "")))
        pending = len(getattr(case, "pending_approvals", ()) or ())
        if pending:
            lines.append(line((f"{pending} approval request{'s' if pending != 1 else ''} pending",
                               "$text-warning")))
        return Content("\n").join(lines)

    def _deadlines(self, deadlines: Any) -> Content:
        rows = deadline_rows(deadlines)
        lines = []
        title = getattr(deadlines, "title", "") if deadlines is not None else ""
        if title:
            stage = getattr(deadlines, "stage", None)
            lines.append(line((title, "$text-muted"), (f", stage {stage}" if stage else "", "$text-muted")))
        if getattr(deadlines, "closed", False):
            lines.append(Content.styled("Case closed: no deadlines running.", "$text-muted"))
        for label, when, left, note in rows:
            # Date on one line, what it means on the next: both stay readable in a 30-column sidebar.
            lines.append(line((f"{label} ", "$text-muted"), (format_when(when), "bold")))
            words, style = days_left_text(left)
            if note == "met":
                lines.append(Content.styled("  met", "$text-success"))
            elif words:
                extra = " (until acknowledged)" if note == "provisional" else ""
                lines.append(line(("  ", ""), (words, style), (extra, "$text-muted")))
        used = getattr(deadlines, "extension_days", 0) if deadlines is not None else 0
        limit = getattr(deadlines, "extension_max", None) if deadlines is not None else None
        if isinstance(used, int) and used:
            of = f" of {limit}" if isinstance(limit, int) else ""
            lines.append(line(("Extended: ", "$text-muted"), (f"{used}{of} working days", "")))
        return Content("\n").join(lines)

    # --- live findings ---------------------------------------------------

    def show_live(self, findings: Iterable[Any] | None, action: str | None = None,
                  case_id: int | None = None) -> None:
        """Findings for an action on case `case_id`; `action` (e.g. "Log a contact") replaces the heading."""
        self.live_heading = line(action) if action else Content("This action")
        self.live_findings = ShownFindings("No action being prepared.", findings)
        self.live_case_id = case_id
        self._draw()

    def _reset_live(self) -> None:
        self.live_heading = Content("This action")
        self.live_findings = ShownFindings("No action being prepared.")
        self.live_case_id = None

    def clear_live(self) -> None:
        self.show_live([], None)

    def clear(self) -> None:
        self.show_standing(None, None)
        self.clear_live()
