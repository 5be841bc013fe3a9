"""A list of policy findings with a severity badge each.

Used by the policy sidebar (standing advice, live findings, drawn as lines via
`finding_block`) and by the action forms and the reason modal (FindingsList),
so a handler sees a warning worded and coloured the same way everywhere.
Messages are rendered from rule templates filled with case data (names,
summaries), so they are untrusted text: shown literally.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Static

from deskapp.tui.text import line, plain
from deskapp.tui.widgets.lines import Block

# Worst first: a block matters more than a warning, a warning more than advice.
SEVERITY_ORDER = {"block": 0, "warn": 1, "advice": 2}
BADGES = {"block": "BLOCK", "warn": "WARN", "advice": "ADVICE"}
# The badge text itself carries the severity, so it still reads at 16 colours,
# in monochrome and with NO_COLOR; colour is a second cue, not the only one.
BADGE_STYLES = {
    # Reversed signal colours: a solid block of the colour with the panel's own colour as
    # text. Works the same with hex themes and with ANSI-only themes (desk-16).
    "block": "bold reverse $error",
    "warn": "bold reverse $warning",
    "advice": "bold reverse $success",
}


def _field(finding: Any, name: str) -> Any:
    if isinstance(finding, Mapping):
        return finding.get(name)
    return getattr(finding, name, None)


def finding_parts(finding: Any) -> tuple[str, str, str]:
    """(rule, severity, message) of a Finding object or a finding dict (as stored with approvals)."""
    severity = str(_field(finding, "severity") or "advice").lower()
    return str(_field(finding, "rule") or ""), severity, str(_field(finding, "message") or "")


def sort_findings(findings: Iterable[Any]) -> list[Any]:
    """Worst severity first, otherwise in the order the rules gave them."""
    return sorted(findings, key=lambda f: SEVERITY_ORDER.get(finding_parts(f)[1], 3))


def badge(severity: str) -> Content:
    """The fixed-width badge for a severity, e.g. ' WARN  '."""
    label = BADGES.get(severity, severity.upper()[:6])
    return Content.styled(f" {label:<6} ", BADGE_STYLES.get(severity, "bold reverse"))


def finding_line(finding: Any, *, show_rule: bool = True) -> Content:
    """One finding as one line of Content: badge, message, and the rule id dimmed (for plain-text uses)."""
    return line(badge(finding_parts(finding)[1]), message_content(finding, show_rule=show_rule))


BADGE_WIDTH = 9  # the badge column: badges are 8 cells, then a space before the message


def message_content(finding: Any, *, show_rule: bool = True) -> Content:
    """The message of a finding and, dimmed, the rule id: what sits beside the badge."""
    rule, _severity, message = finding_parts(finding)
    parts: list = [plain(message, single_line=True)]
    if show_rule and rule:
        parts += [" ", plain(f"({rule})", "$text-muted", single_line=True)]
    return line(*parts)


def finding_block(finding: Any, *, show_rule: bool = True) -> Block:
    """A finding as a Block for line-drawn panes (the sidebar): badge first, the message wrapping under itself."""
    return Block(message_content(finding, show_rule=show_rule), indent=BADGE_WIDTH,
                 lead=badge(finding_parts(finding)[1]))


class ShownFindings:
    """What a list of findings shows, worst first, without being a widget (the sidebar draws it as lines).

    FindingsList reads through one of these, so both give the same `.findings`, `.worst` and `.text`.
    """

    def __init__(self, empty: str, findings: Iterable[Any] | None = None, *, show_rule: bool = True) -> None:
        self.empty = empty
        self.show_rule = show_rule
        self.findings: list[Any] = sort_findings(findings or [])

    @property
    def worst(self) -> str | None:
        return finding_parts(self.findings[0])[1] if self.findings else None

    @property
    def text(self) -> str:
        if not self.findings:
            return self.empty
        return "\n".join(finding_line(f, show_rule=self.show_rule).plain for f in self.findings)

    def blocks(self) -> list[Block]:
        if not self.findings:
            return [Block(Content.styled(self.empty, "$text-muted"))]
        return [finding_block(f, show_rule=self.show_rule) for f in self.findings]


class FindingRow(Horizontal):
    """One finding: the badge in its own column so a long message wraps under itself, not under it."""

    DEFAULT_CSS = """
    FindingRow { height: auto; width: 1fr; }
    FindingRow > .finding-badge { width: 9; height: 1; }
    FindingRow > .finding-message { width: 1fr; height: auto; }
    """

    def __init__(self, finding: Any, show_rule: bool) -> None:
        super().__init__()
        self.finding = finding
        self.show_rule = show_rule

    def compose(self) -> ComposeResult:
        yield Static(badge(finding_parts(self.finding)[1]), classes="finding-badge", markup=False)
        yield Static(message_content(self.finding, show_rule=self.show_rule), classes="finding-message",
                     markup=False)


class FindingsList(Vertical):
    """Findings, worst first, one row each; `empty` text when there are none.

    Call `.show(findings)`; `.findings` holds what is shown (for tests and for
    forms deciding whether to ask for a reason), `.text` the same as plain text.
    """

    DEFAULT_CSS = """
    FindingsList {
        height: auto;
        width: 1fr;
    }
    FindingsList > .findings-empty {
        color: $text-muted;
    }
    """

    def __init__(self, empty: str = "Nothing to note.", *, show_rule: bool = True,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._empty = empty
        self._show_rule = show_rule
        self._shown = ShownFindings(empty, show_rule=show_rule)
        self.add_class("-empty")

    @property
    def findings(self) -> list[Any]:
        return self._shown.findings

    def compose(self) -> ComposeResult:
        yield from self._children_for(self.findings)

    def _children_for(self, findings: list[Any]) -> list:
        if not findings:
            return [Static(Content(self._empty), classes="findings-empty", markup=False)]
        return [FindingRow(f, self._show_rule) for f in findings]

    def show(self, findings: Iterable[Any] | None) -> None:
        """Replace what is shown. Accepts Finding objects or dicts with rule/severity/message."""
        self._shown = ShownFindings(self._empty, findings, show_rule=self._show_rule)
        self.set_class(not self.findings, "-empty")
        if not self.is_mounted:
            return  # compose() will build the rows
        with self.app.batch_update():
            self.remove_children()
            self.mount_all(self._children_for(self.findings))

    def clear(self) -> None:
        self.show([])

    @property
    def worst(self) -> str | None:
        """The worst severity shown, or None."""
        return self._shown.worst

    @property
    def text(self) -> str:
        """What the list shows, as plain text (for tests and screen readers)."""
        return self._shown.text
