"""SVG snapshots of the action forms (pytest-textual-snapshot). Update: pytest tests/tui/forms --snapshot-update

Deterministic: the demo built with a fixed seed and day, the desk clock pinned
at Tue 10 Mar 2026 11:00, the header clock hidden, the desk's own theme.
The form is pushed over the real DeskApp, so what is pictured is what a
handler sees.
"""

from __future__ import annotations

import pytest
from forms_support import NOW, case_id, rules, settle

from deskapp.actions import load_case
from deskapp.tui.app import DeskApp
from deskapp.tui.forms import BlockedModal, ReasonModal, open_form

pytestmark = pytest.mark.slow

CARD_MESSAGE = ("Dear Mr Whitlock, as I have already explained, the card used was 4242 4242 4242 4242. "
                "You never read our letters.")


def desk_app(desk, theme: str = "desk-dark") -> DeskApp:
    return DeskApp(desk, theme=theme, now=lambda: NOW, show_clock=False, database_label="sqlite demo.db")


async def _open(pilot, form):
    await pilot.pause()
    pilot.app.push_screen(form)
    await settle(pilot)


def contact_to_the_resident(desk, case_ref_id):
    """C-1001: choosing the resident instead of the social worker shows the representative warning."""

    async def run_before(pilot) -> None:
        case = load_case(desk, case_ref_id)
        form = open_form("contact", desk, case)
        await _open(pilot, form)
        form.widget("party").value = next(p.id for p in case.parties if p.name == "Arthur Penrose")
        form.widget("summary").value = "Rang about access for the roofer"
        await settle(pilot)
        assert ("designated-representative", "warn") in rules(form.live_findings)

    return run_before


@pytest.mark.parametrize("size", [(120, 34), (80, 24)])
def test_contact_form_with_live_warning(snap_compare, desk, size):
    assert snap_compare(desk_app(desk), terminal_size=size,
                        run_before=contact_to_the_resident(desk, case_id(desk, "C-1001")))


def test_message_form_with_live_block_and_warning(snap_compare, desk):
    async def run_before(pilot) -> None:
        case = load_case(desk, case_id(desk, "C-1002"))
        form = open_form("message", desk, case, drafts=False)
        await _open(pilot, form)
        form.widget("subject").value = "Your old invoices"
        form.widget("body").load_text(CARD_MESSAGE)
        await settle(pilot)
        assert {"card-number-disclosure", "hostile-tone"} <= {r for r, _ in rules(form.live_findings)}

    assert snap_compare(desk_app(desk), terminal_size=(120, 34), run_before=run_before)


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
def test_reason_modal(snap_compare, desk, size):
    async def run_before(pilot) -> None:
        await contact_to_the_resident(desk, case_id(desk, "C-1001"))(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReasonModal)
        await pilot.press(*"Nadia asked")
        await pilot.pause()

    assert snap_compare(desk_app(desk), terminal_size=size, run_before=run_before)


def test_blocked_modal_asking_for_approval(snap_compare, desk):
    async def run_before(pilot) -> None:
        case = load_case(desk, case_id(desk, "C-1002"))
        form = open_form("message", desk, case, drafts=False)
        await _open(pilot, form)
        form.widget("body").load_text("Card on file: 4242 4242 4242 4242")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, BlockedModal)
        await pilot.press("shift+tab", "enter")
        await pilot.pause()

    assert snap_compare(desk_app(desk), terminal_size=(100, 30), run_before=run_before)
