"""Keeping one desk in step with the others: live refresh, "also open", approval and draft notices.

`LiveDesk` is an invisible widget the main screen mounts once. It starts the
change feed (deskapp.live.feed) and the presence heartbeat (deskapp.live.presence)
in background threads and turns what they report into screen updates:

- another desk changed something  -> the queue re-reads its rows; if it is the case
  on screen, the case and the sidebar reload too (within the feed's half second);
- another handler has the case open -> a line under the case header: "also open: jo, 2 min";
- a new approval request (supervisors), or a decision on mine (handlers) -> a notice;
- the case opened has an unsent message draft -> a notice saying how to continue it;
- approvals waiting and this handler's drafts -> a lasting count in the header and
  a mark on those cases in the queue (deskapp.actions.waiting), read in a worker at
  start, on every approval or own write the feed reports, and every PRESENCE_REFRESH_S.

Threads never touch widgets: the feed thread posts a message, handled here on the
UI thread. When the desk closes (quit, SIGHUP from a dropped SSH link) the widget
is unmounted and stops both threads; a desk killed outright simply stops
heartbeating and drops out of everyone's "also open" within 30 s.
"""

from __future__ import annotations

import logging
from typing import Any

from textual import work
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from deskapp.live import Change

log = logging.getLogger(__name__)

PRESENCE_ID = "case-presence"
# How often the "also open" line is re-read (ages move on; desks come and go).
PRESENCE_REFRESH_S = 10.0
# How often the watcher checks which case the screen shows (no database work).
FOLLOW_CASE_S = 0.3
# Stands for "the key for this action" in notices built off the UI thread (NUL never occurs in
# stored text, which is cleaned of control characters, so handler text cannot fake it).
KEY = "\x00key\x00"


class ChangesArrived(Message):
    """Posted from the feed thread: these changes were committed by some desk."""

    def __init__(self, changes: list[Change]) -> None:
        super().__init__()
        self.changes = changes


class PresenceRead(Message):
    """Posted from a worker: who else has `case_id` open, as the case view's line."""

    def __init__(self, case_id: int, text: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.text = text


class Notice(Message):
    """Posted from a worker: a toast to show; KEY in `text` becomes the key for `action`."""

    def __init__(self, text: str, action: str | None = None, **options: Any) -> None:
        super().__init__()
        self.text = text
        self.action = action
        self.options = options


class WaitingRead(Message):
    """Posted from a worker: approvals waiting and the cases to mark (deskapp.actions.waiting.Waiting)."""

    def __init__(self, waiting: Any) -> None:
        super().__init__()
        self.waiting = waiting


def waiting_words(approvals: int, deciding: bool, key: str = "A") -> str:
    """The header's count: '2 approvals to decide (A)' for supervisors, '1 approval pending (A)' for handlers."""
    if not approvals:
        return ""
    noun = "approval" if approvals == 1 else "approvals"
    return f"{approvals} {noun} {'to decide' if deciding else 'pending'} ({key})"


class LiveDesk(Widget):
    """Invisible: mount it on the main screen. Inert for desks without a database (UI tests)."""

    DEFAULT_CSS = "LiveDesk { display: none; }"

    def __init__(self, desk: Any, *, feed_interval: float | None = None,
                 presence_interval: float | None = None) -> None:
        super().__init__()
        self.desk = desk
        self.feed: Any = None
        self.presence: Any = None
        self.feed_interval = feed_interval
        self.presence_interval = presence_interval
        self.viewing: int | None = None  # the case presence was last told about
        self.presence_text = ""
        self._draft_told: set[int] = set()

    @property
    def enabled(self) -> bool:
        from deskapp.live import can_follow

        return can_follow(self.desk) and self.desk.me is not None

    # --- lifecycle ------------------------------------------------------------------------

    def on_mount(self) -> None:
        if not self.enabled:
            return
        self._start()
        self._read_waiting()
        self.set_interval(FOLLOW_CASE_S, self._follow_case)
        self.set_interval(PRESENCE_REFRESH_S, self._refresh_presence)
        # Drafts are saved without a change-feed line: look again now and then.
        self.set_interval(PRESENCE_REFRESH_S, self._read_waiting)

    @work(thread=True, group="live-start", exit_on_error=False)
    def _start(self) -> None:
        """Connect the feed and join presence off the UI thread (both touch the database)."""
        from deskapp.live import follow, join

        try:
            kwargs = {"interval": self.presence_interval} if self.presence_interval else {}
            presence = join(self.desk, **kwargs)
            presence.start()
            self.presence = presence
            feed_kwargs = {"interval": self.feed_interval} if self.feed_interval else {}
            feed = follow(self.desk, **feed_kwargs)
            feed.start(lambda changes: self.post_message(ChangesArrived(changes)))
            self.feed = feed
        except Exception as exc:  # noqa: BLE001 - live updates are a help, not a reason to stop the desk
            log.warning("live updates are off: %s", exc)
            self.post_message(Notice(f"Live updates are off: {' '.join(str(exc).split())[:150]} "
                                     "(r refreshes by hand)", severity="warning"))

    def on_unmount(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the threads; the presence row is removed so other desks stop showing this one."""
        feed, presence = self.feed, self.presence
        self.feed = self.presence = None
        for part in (feed, presence):
            if part is None:
                continue
            try:
                part.stop()
            except Exception as exc:  # noqa: BLE001 - closing down: nothing useful to tell anyone
                log.warning("stopping %s: %s", type(part).__name__, exc)

    # --- the case on screen ---------------------------------------------------------------

    def _screen_case_id(self) -> int | None:
        case = getattr(self.screen, "case", None)
        return getattr(case, "id", None)

    def _follow_case(self) -> None:
        case_id = self._screen_case_id()
        if case_id != self.viewing and self.presence is not None:
            self.viewing = case_id
            self._show_presence("")
            self._case_opened(case_id)

    @work(thread=True, exclusive=True, group="live-presence", exit_on_error=False)
    def _case_opened(self, case_id: int | None) -> None:
        presence = self.presence
        if presence is None:
            return
        try:
            presence.viewing(case_id)
            if case_id is not None:
                self.post_message(PresenceRead(case_id, presence.describe(case_id)))
        except Exception as exc:  # noqa: BLE001 - presence is best effort
            log.warning("presence: %s", exc)
        if case_id is not None:
            self._tell_about_draft(case_id)

    def _tell_about_draft(self, case_id: int) -> None:
        """A message started here earlier (before a crash or a dropped link) is waiting: say so once."""
        if case_id in self._draft_told:
            return
        try:
            from deskapp.actions import load_draft

            draft = load_draft(self.desk, case_id, "message")
        except Exception as exc:  # noqa: BLE001
            log.warning("draft check: %s", exc)
            return
        if draft is None:
            return
        self._draft_told.add(case_id)
        fields, _body = draft
        subject = str(fields.get("subject") or "").strip()
        what = f" ({subject[:40]})" if subject else ""
        self.post_message(Notice(f"You have an unsent message draft on this case{what}: press {KEY} to continue it.",
                                 "open_action('message')", title="Draft kept", timeout=10))

    def on_notice(self, message: Notice) -> None:
        """A toast naming the key for its action as the handler has it mapped."""
        text = message.text
        if message.action is not None:
            action = message.action
            key = self._key_for(action) or {"approvals": "A", "open_action('message')": "m"}.get(action, "?")
            text = text.replace(KEY, key)
        self.notify(text, markup=False, **message.options)

    def _key_for(self, action: str) -> str | None:
        """The key the handler presses for `action` (their keymap may have moved it)."""
        try:
            for active in self.screen.active_bindings.values():
                if active.binding.action == action:
                    return self.app.get_key_display(active.binding)
        except Exception:  # noqa: BLE001
            return None
        return None

    # --- approvals and drafts waiting --------------------------------------------------------

    @work(thread=True, exclusive=True, group="live-waiting", exit_on_error=False)
    def _read_waiting(self) -> None:
        from deskapp.actions.waiting import waiting

        try:
            self.post_message(WaitingRead(waiting(self.desk)))
        except Exception as exc:  # noqa: BLE001 - a sign on screen, not a reason to stop the desk
            log.warning("approvals waiting: %s", exc)

    def on_waiting_read(self, message: WaitingRead) -> None:
        found = message.waiting
        main = self._main_screen()
        if main is None:
            return
        key = self._key_for("approvals") or "A"
        for header in main.query("#header"):
            if hasattr(header, "show_waiting"):
                header.show_waiting(waiting_words(found.approvals, found.deciding, key))
        for view in main.query("#queue"):
            if hasattr(view, "set_marks"):
                view.set_marks(found.marks)

    def _refresh_presence(self) -> None:
        if self.viewing is not None and self.presence is not None:
            self._read_presence(self.viewing)

    @work(thread=True, exclusive=True, group="live-presence-read", exit_on_error=False)
    def _read_presence(self, case_id: int) -> None:
        presence = self.presence
        if presence is None:
            return
        try:
            self.post_message(PresenceRead(case_id, presence.describe(case_id)))
        except Exception as exc:  # noqa: BLE001
            log.warning("presence: %s", exc)

    def on_presence_read(self, message: PresenceRead) -> None:
        if message.case_id == self._screen_case_id():
            self._show_presence(message.text)

    def _show_presence(self, text: str) -> None:
        """The "also open: ..." line, right under the case header (hidden when nobody else is there)."""
        self.presence_text = text
        try:
            pane = self.screen.query_one("#case-pane")
        except Exception:  # noqa: BLE001 - no case pane on this screen
            return
        if hasattr(pane, "show_presence"):  # the case pane draws it as one of its lines
            pane.show_presence(text)
            return
        found = pane.query(f"#{PRESENCE_ID}")
        if found:
            widget = found.first(Static)
        else:
            if not text:
                return
            widget = Static(Content(""), id=PRESENCE_ID, markup=False)
            widget.styles.color = "yellow"
            header = pane.query("#case-header")
            if header:
                pane.mount(widget, after=header.first())
            else:
                pane.mount(widget, before=0)
        widget.update(Content(text))  # usernames only, but never as markup
        widget.display = bool(text)

    # --- changes from other desks ---------------------------------------------------------

    def on_changes_arrived(self, message: ChangesArrived) -> None:
        changes = message.changes
        me = self.desk.me.username
        data = [c for c in changes if not c.is_presence]
        shown = self._screen_case_id()
        if any(c.is_presence and c.case_id == shown and c.actor != me for c in changes) and shown is not None:
            self._read_presence(shown)
        if not data:
            return
        self._tell_about_new_rules(data)
        if any(c.is_approval or c.actor == me for c in data):
            self._read_waiting()  # a request, a decision, or a message sent here (its draft is gone)
        self._refresh_screen(data, shown)
        self._tell_about_approvals([c for c in data if c.is_approval and c.actor != me])
        self._refresh_approvals_screen(data)

    def _refresh_screen(self, data: list[Change], shown: int | None) -> None:
        main = self._main_screen()
        if main is None:
            return
        from deskapp.tui import queue_query

        case = getattr(main, "case", None)
        touches_case = shown is not None and any(
            c.case_id == shown and (c.version is None or case is None or c.version > case.version) for c in data
        )
        try:
            if touches_case:
                main.action_refresh()  # queue rows, the case (history) and the sidebar
                others = [c for c in data if c.case_id == shown and c.actor != self.desk.me.username
                          and not c.is_approval]
                if others:
                    latest = others[-1]
                    self.notify(f"{getattr(case, 'ref', 'This case')} was just changed at another desk: "
                                f"{latest.actor} ({latest.kind.replace('_', ' ')}).",
                                timeout=5, markup=False)
            else:
                queue_query.reload(main.query_one("#queue"))
        except Exception as exc:  # noqa: BLE001 - a refresh must never take the desk down
            log.warning("live refresh failed: %s", exc)

    def _tell_about_new_rules(self, data: list[Change]) -> None:
        """This desk keeps the rules it opened on: say that newer ones were published, and by whom."""
        published = [c for c in data if c.kind == "policy.publish"]
        if published:
            self.notify(f"{published[-1].actor} published new rules: they apply once you reopen the desk.",
                        title="New rules", severity="warning", timeout=20, markup=False)

    def _main_screen(self) -> Any:
        node = self.parent
        while node is not None and not hasattr(node, "action_refresh"):
            node = node.parent
        return node

    def _tell_about_approvals(self, changes: list[Change]) -> None:
        if changes:
            self._approval_notices(changes)

    @work(thread=True, group="live-approvals", exit_on_error=False)
    def _approval_notices(self, changes: list[Change]) -> None:
        """Supervisors hear about new requests; a handler hears the decision on their own."""
        from deskapp.actions.inbox import decided_for_me, pending_for_me

        me = self.desk.me
        try:
            if me.can_approve and any(c.kind == "approval.request" for c in changes):
                pending = pending_for_me(self.desk)
                new = [a for a in pending if a.case_id in {c.case_id for c in changes}]
                if new:
                    latest = new[-1]
                    self.post_message(Notice(
                        f"{latest.requested_by} asks approval for a {latest.action.get('kind', 'action')} on "
                        f"{latest.case_ref} ({len(pending)} waiting): press {KEY} to decide.", "approvals",
                        title="Approval requested", severity="warning", timeout=15))
            decisions = [c for c in changes if c.kind in ("approval.approved", "approval.refused")]
            if decisions:
                since = min(c.at for c in decisions)
                fresh = [a for a in decided_for_me(self.desk, {c.case_id for c in decisions})
                         if a.decided_at is None or a.decided_at >= since]
                for approval in fresh:
                    if approval.status not in ("approved", "refused"):
                        continue  # carried out, dropped or already expired by the time we looked
                    verb = approval.status
                    until = approval.expires_at.strftime(" by %a %d %b %H:%M") if approval.expires_at else ""
                    then = f": press {KEY} to carry it out{until}" if verb == "approved" else ""
                    self.post_message(Notice(
                        f"{approval.decided_by} {verb} your {approval.action.get('kind', 'action')} on "
                        f"{approval.case_ref} ({approval.decision_reason}){then}.", "approvals",
                        title=f"Approval {verb}", severity="information" if verb == "approved" else "warning",
                        timeout=15))
        except Exception as exc:  # noqa: BLE001
            log.warning("approval notice: %s", exc)

    def _refresh_approvals_screen(self, data: list[Change]) -> None:
        if not any(c.is_approval for c in data):
            return
        for screen in self.app.screen_stack:
            reload = getattr(screen, "reload_approvals", None)
            if callable(reload):
                reload()


def attach_live(app: Any) -> LiveDesk | None:
    """Mount a LiveDesk on the app's main screen (called once the main screen is up)."""
    from deskapp.tui.screens.main import MainScreen

    for screen in app.screen_stack:
        if isinstance(screen, MainScreen):
            if screen.query(LiveDesk):
                return screen.query_one(LiveDesk)
            watcher = LiveDesk(app.desk)
            screen.mount(watcher)
            return watcher
    return None
