"""FindingsList and PolicySidebar through a running app: order, badges, untrusted messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pytest
from textual.app import App, ComposeResult

from deskapp.tui.widgets.findings import FindingsList
from deskapp.tui.widgets.sidebar import PolicySidebar, deadline_rows, days_left_text

HOSTILE = [
    "[@click=app.quit]x[/]",
    "[/]",
    "[$accent @click=app.quit]x",
    "wipe\x1b[2Jscreen",
    "clip\x1b]52;c;SGVsbG8=\x07board",
    "bell\x07",
]


@dataclass(frozen=True)
class F:
    rule: str
    severity: str
    message: str


@dataclass(frozen=True)
class Deadlines:
    acknowledge_by: datetime
    acknowledge_days_left: int
    respond_by: datetime
    respond_days_left: int
    stage: int = 1


@dataclass(frozen=True)
class Standing:
    findings: list
    deadlines: Deadlines | None = None


@dataclass(frozen=True)
class Party:
    name: str
    organisation: str | None = None


@dataclass(frozen=True)
class Case:
    ref: str
    vulnerable: bool
    designated_representative: Party | None
    pending_approvals: tuple = field(default_factory=tuple)


class Harness(App):
    def compose(self) -> ComposeResult:
        yield FindingsList("none", id="plain-list")
        yield PolicySidebar()


async def test_findings_worst_first_and_literal():
    app = Harness()
    async with app.run_test(size=(100, 30)) as pilot:
        fl = app.query_one("#plain-list", FindingsList)
        assert fl.text == "none" and fl.worst is None
        fl.show([F("a", "advice", "fyi"), F("b", "block", "stop"), F("w", "warn", "careful"),
                 {"rule": "d", "severity": "warn", "message": "from a dict"}])
        await pilot.pause()
        lines = fl.text.splitlines()
        assert [ln.split()[0] for ln in lines] == ["BLOCK", "WARN", "WARN", "ADVICE"]
        assert fl.worst == "block"
        assert "from a dict (d)" in fl.text


@pytest.mark.parametrize("message", HOSTILE)
async def test_hostile_messages_shown_literally(message):
    app = Harness()
    async with app.run_test(size=(100, 30)) as pilot:
        sidebar = app.query_one(PolicySidebar)
        sidebar.show_standing(Standing([F("r", "warn", message)]),
                              Case(ref=message, vulnerable=True,
                                   designated_representative=Party(message, organisation=message)))
        sidebar.show_live([F("live", "block", message)], action=message)
        await pilot.pause()
        shot = app.export_screenshot()
        assert app.is_running  # [@click=app.quit] was not a link that quit the app
        for widget in (sidebar.standing_findings, sidebar.live_findings):
            text = widget.text
            assert "\x1b" not in text and "\x07" not in text
            if message.startswith("["):
                assert message in text
            else:
                assert message.split("\x1b")[0].split("\x07")[0] in text
        assert "\x1b" not in shot.replace("&#27;", "")
        # The rendered screen holds the markup characters literally.
        if message.startswith("[@click"):
            assert "[@click=app.quit]x[/]" in shot.replace("&#160;", " ")


async def test_sidebar_standing_facts_and_deadlines():
    app = Harness()
    async with app.run_test(size=(100, 30)) as pilot:
        sidebar = app.query_one(PolicySidebar)
        standing = Standing(
            [F("acknowledgement-due", "warn", "Acknowledgement overdue")],
            Deadlines(datetime(2026, 3, 12), 1, datetime(2026, 3, 6), -2),
        )
        sidebar.show_standing(standing, Case("C-1", True, Party("Dana Hill", "Social services"), ("x",)))
        await pilot.pause()
        facts = sidebar.facts.plain
        assert "All contact via Dana Hill (Social services)" in facts
        assert "Vulnerable" in facts
        assert "1 approval request pending" in facts
        deadlines = sidebar.deadlines.plain
        assert "Acknowledge by Thu 12 Mar 2026\n  1 working day left" in deadlines
        assert "Respond by Fri 06 Mar 2026\n  2 working days overdue" in deadlines
        assert "Acknowledgement overdue" in sidebar.standing_findings.text
        sidebar.clear()
        await pilot.pause()
        assert sidebar.facts.plain == "No case selected."
        assert sidebar.standing_findings.findings == []


def test_deadline_rows_policy_deadlines():
    from deskapp.policy.timescales import Deadlines as PolicyDeadlines

    d = PolicyDeadlines(title="Housing Ombudsman", stage=1,
                        acknowledge_by=datetime(2026, 3, 9, 23, 59, 59), acknowledged=True,
                        respond_by=datetime(2026, 3, 23, 23, 59, 59), respond_days_left=9,
                        next_due=datetime(2026, 3, 23, 23, 59, 59), next_due_what="response",
                        next_due_days_left=9, extension_max=10, extension_days=2)
    rows = deadline_rows(d)
    assert rows == [("Acknowledge by", datetime(2026, 3, 9, 23, 59, 59), None, "met"),
                    ("Respond by", datetime(2026, 3, 23, 23, 59, 59), 9, "next")]


def test_deadline_rows_from_mapping_and_generic_next_due():
    rows = deadline_rows({"next_due": datetime(2026, 3, 16), "next_due_days_left": 0, "note": "x"})
    assert rows == [("Next due", datetime(2026, 3, 16), 0, "")]
    assert days_left_text(0)[0] == "due today"
    assert days_left_text(None) == ("", "")
    assert deadline_rows(None) == []
