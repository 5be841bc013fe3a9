"""A desk on trial rules says so in its header, before anything else, and a published desk does not."""

from __future__ import annotations

from tui_support import DEMO_USER, fixed_now, screen_lines, wait_until

from deskapp.actions import open_desk
from deskapp.store import settings
from deskapp.tui.app import DeskApp


async def test_trial_rules_are_named_in_the_header(demo_url, tmp_path, desk_setting):
    desk_setting(demo_url, settings.DEMO, "1")  # a demo desk (deskapp demo marks it so): anyone may try a pack
    rules = tmp_path / "[b]quiet[b].yaml"  # a file name is shown literally, never as markup
    rules.write_text("version: 1\nrules: []\n", encoding="utf-8")
    for trial, expected in ((str(rules), f"TRIAL RULES {rules}"), (None, None)):
        desk = open_desk(demo_url, trial, DEMO_USER, clock=fixed_now)
        app = DeskApp(desk, show_clock=False)
        try:
            async with app.run_test(size=(200, 30)) as pilot:
                await wait_until(pilot, lambda: "deskapp" in screen_lines(app)[0])
                header = screen_lines(app)[0]
                if expected:
                    assert expected in header and header.index("TRIAL") < header.index("(handler)"), header
                else:
                    assert "TRIAL" not in header, header
        finally:
            desk.close()
