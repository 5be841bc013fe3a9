"""The live policy panel beside a form: what the rules say about the action as it stands.

It uses the desk's FindingsList so a warning looks the same in the form, the
sidebar and the reason modal. A line under the heading says when the rules are
being re-checked and sums up what the handler will meet on submit. "No rule
applies" is a result, so it is shown only once a check has found nothing: never
beside "Checking the rules..." before the first answer, nor beside a line saying
the rules could not be checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from deskapp.tui.text import line
from deskapp.tui.widgets.findings import FindingsList, finding_parts

WHAT_HAPPENS = {
    "block": ("Submitting will be refused: a supervisor must approve it.", "bold $text-error"),
    "warn": ("Submitting will ask you for a reason.", "bold $text-warning"),
    "advice": ("Advice only: nothing stops you.", "$text-success"),
}


class LivePanel(VerticalScroll):
    """Heading, a one-line summary, and the findings (worst first)."""

    DEFAULT_CSS = """
    LivePanel {
        height: 1fr;
        padding: 0 1;
    }
    LivePanel > #live-heading {
        text-style: bold;
        color: $text-accent;
    }
    LivePanel > #live-summary {
        height: auto;
        margin-bottom: 1;
    }
    """

    def __init__(self, title: str = "Policy", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._title = title
        self.findings: list[Any] = []
        self.can_focus = False

    def compose(self) -> ComposeResult:
        yield Static(Content(self._title), id="live-heading")
        yield Static(Content("Checking the rules..."), id="live-summary", markup=False)
        findings = FindingsList("No rule applies to this action as it stands.", id="live-findings")
        findings.display = False  # until a check (or the hints) answers
        yield findings

    def checking(self) -> None:
        self.query_one("#live-summary", Static).update(Content.styled("Checking the rules...", "$text-muted"))

    def _show_findings(self, findings: list[Any]) -> FindingsList:
        shown = self.query_one("#live-findings", FindingsList)
        shown.show(findings)
        shown.display = True
        return shown

    def show(self, findings: Iterable[Any] | None) -> None:
        """Show the findings of the latest preview."""
        self.findings = list(findings or [])
        worst = self._show_findings(self.findings).worst
        text, style = WHAT_HAPPENS.get(worst or "", ("Nothing to note.", "$text-muted"))
        self.query_one("#live-summary", Static).update(line((text, style)))

    def show_problem(self, message: str) -> None:
        """The rules could not be checked (e.g. the form is incomplete): say so, keep the last findings.

        With none to keep, "No rule applies" would claim a result there is not: it is hidden.
        """
        self.query_one("#live-summary", Static).update(line((message, "$text-warning")))
        if not self.findings:
            self.query_one("#live-findings", FindingsList).display = False

    def show_hints(self, hints: Iterable[Any]) -> None:
        """For forms no rule watches (parties, new cases): local advice in the same look. Never stops a save."""
        self.findings = list(hints or [])
        self._show_findings(self.findings)
        text = "Worth checking before you save." if self.findings else "Nothing to note."
        self.query_one("#live-summary", Static).update(line((text, "$text-muted")))

    @property
    def text(self) -> str:
        summary = self.query_one("#live-summary", Static).content
        shown = self.query_one("#live-findings", FindingsList)
        findings = shown.text if shown.display else ""
        return f"{summary.plain if isinstance(summary, Content) else summary}\n{findings}"

    @property
    def severities(self) -> list[str]:
        return [finding_parts(f)[1] for f in self.findings]
