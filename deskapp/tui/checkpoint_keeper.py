"""The desk keeps the audit log checkpointed, off the UI thread, and says so when it cannot.

Once the desk is open, after each action it saves and every minute, a worker
asks whether a checkpoint is due (every_events / every_minutes of checkpoints.toml) and takes one
(deskapp.actions.checkpoints). The desk never waits for it and keeps working
whatever happens: a missing or unreadable key, or a witness that cannot be
appended to, turns into a warning that supervisors and admins see in the header
(and once as a notification); handlers are not bothered with it. Nothing runs
where checkpoints were never set up (no checkpoints.toml) or where a separate
signer takes them (desk_takes = false).
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from textual import work
from textual.message import Message

log = logging.getLogger(__name__)

EVERY_SECONDS = 60.0
HEADER_ALERT = "CHECKPOINTS FAILING"


class CheckpointStatus(Message):
    """What the last attempt came to: `problem` is None when checkpoints are fine (or none was due)."""

    def __init__(self, problem: Optional[str]) -> None:
        super().__init__()
        self.problem = problem


class CheckpointKeeping:
    """Mixed into DeskApp: start_checkpoints() once the desk is open."""

    checkpoint_problem: Optional[str] = None

    def start_checkpoints(self: Any) -> None:
        self.keep_checkpoints()
        self.set_interval(EVERY_SECONDS, self.keep_checkpoints, name="checkpoints")

    @work(thread=True, exclusive=True, group="checkpoints", exit_on_error=False)
    def keep_checkpoints(self: Any) -> None:
        from deskapp.actions.checkpoints import settings, take_if_due
        from deskapp.errors import DeskError

        try:
            chosen = settings()
            if not chosen.configured or not chosen.desk_takes:
                return
            take_if_due(self.desk, chosen)
            problem = None
        except DeskError as exc:
            problem = str(exc)
        except Exception as exc:  # noqa: BLE001 - the desk keeps working; the failure is shown, not raised
            log.exception("checkpoint failed")
            problem = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        self.post_message(CheckpointStatus(problem))

    def on_checkpoint_status(self: Any, message: CheckpointStatus) -> None:
        from deskapp.core.roles import allowed

        before, self.checkpoint_problem = self.checkpoint_problem, message.problem
        if not allowed(self.desk.me, "dashboard.view"):
            return  # supervisors and admins see it; a handler can do nothing about it
        if message.problem and message.problem != before:
            self.notify(f"Audit checkpoints are failing: {message.problem}", severity="error", timeout=30,
                        markup=False)
        if (before is None) != (message.problem is None):
            from deskapp.tui.widgets.header import DeskHeader

            for screen in self.screen_stack:
                for header in screen.query(DeskHeader):
                    header.refresh()

    def checkpoint_alert(self: Any) -> Optional[str]:
        """What the header says for this person: the alert for supervisors and admins while failing."""
        if self.checkpoint_problem is None:
            return None
        from deskapp.core.roles import allowed

        return HEADER_ALERT if allowed(self.desk.me, "dashboard.view") else None
