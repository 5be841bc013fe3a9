"""Approval requests: supervisors decide them, handlers carry out or drop their own.

A blocked action (say, a message quoting a card number) is stored whole as a
request. Supervisors and admins see every pending request from other handlers
and approve or refuse it with a reason (y / n). A handler sees their own: still
pending, approved (enter carries the action out now, at the case's current
version; d drops it), refused (with the supervisor's reason) or expired. An
approval covers exactly the stored request shown (its digest), once, until the
time shown; the supervisor's decision dialog shows that request again, and a
carry-out the desk refuses says why and that the handler must ask again. The
list reloads by itself when any desk asks, decides or completes (the change
feed calls `reload_approvals`).

Everything shown here was typed by handlers or customers, so it is displayed
as literal text (deskapp.tui.text), never as markup. Card numbers show masked
(first six, last four): the store keeps them so, and the screen masks again in
case a row predates that (a desk not yet migrated).
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from deskapp.core.cards import redact_cards
from deskapp.tui.text import line, one_line, plain, safe_text

log = logging.getLogger(__name__)


def _when(value) -> str:
    return value.strftime("%a %d %b %H:%M") if value else "-"



def summary_line(approval: Any) -> Content:
    """One row of the list: '#12 C-1003 message · sam · Tue 10 Mar 10:42 · approved until Wed 11 Mar 23:59'."""
    kind = str((approval.action or {}).get("kind") or "action")
    status_style = {"pending": "bold $text-warning", "approved": "bold $text-success",
                    "refused": "bold $text-error", "expired": "bold $text-error"}.get(approval.status, "")
    until = []
    if approval.status in ("pending", "approved") and approval.expires_at:
        until = [(f" until {_when(approval.expires_at)}", "$text-muted")]
    return line((f"#{approval.id} ", "$text-muted"), (approval.case_ref, "bold"), (f"  {kind}", ""),
                ("  · ", "$text-muted"), approval.requested_by, ("  · ", "$text-muted"),
                (_when(approval.created_at), "$text-muted"), ("  ", ""), (approval.status, status_style), *until)


# Requests something can still be done with: decided or dropped (pending), carried out (approved).
OPEN_STATUSES = ("pending", "approved")


def preselected(approvals: list[Any]) -> int:
    """Which row the list opens on: the newest request still pending or approved, else the first.

    A refused or expired request stays listed for two days so its reason can be read, but opening
    on it would make Enter answer "#2 was refused" instead of acting on the one that waits.
    """
    open_rows = [i for i, a in enumerate(approvals) if a.status in OPEN_STATUSES]
    if not open_rows:
        return 0
    return max(open_rows, key=lambda i: (approvals[i].created_at, approvals[i].id))


# What a stored request holds, in the order shown: exactly what the approval covers.
_ACTION_FIELDS = (("Channel", "channel"), ("Direction", "direction"), ("Outcome", "outcome"),
                  ("To", "to"), ("At request of party", "at_request_of"), ("Working days", "working_days"),
                  ("Call", "call_id"), ("When", "at"))


def request_lines(approval: Any) -> list[Content]:
    """Every field of the stored request the digest covers, the whole text included (literal)."""
    action = dict(approval.action or {})
    lines: list[Content] = []
    if action.get("party_id") is not None:
        who = approval.party_name or f"party {action['party_id']}"
        lines.append(line(("Party: ", "$text-muted"), plain(redact_cards(who), single_line=True)))
    for label, key in _ACTION_FIELDS:
        if action.get(key) not in (None, ""):
            lines.append(line((f"{label}: ", "$text-muted"), plain(redact_cards(str(action[key])), single_line=True)))
    if action.get("summary"):
        lines.append(line(("Summary: ", "$text-muted"), plain(redact_cards(str(action["summary"])), single_line=True)))
    body = redact_cards(safe_text(str(action.get("body") or "")))
    if body.strip():
        lines.append(Content.styled("Text (exactly as it will be sent or recorded):", "$text-muted"))
        lines.append(plain(body))
    extra = action.get("extra") or {}
    if extra:
        lines.append(line(("Other: ", "$text-muted"), plain(redact_cards(str(extra)), single_line=True)))
    return lines


def expiry_line(approval: Any) -> Optional[Content]:
    expires = approval.expires_at
    if approval.status == "expired":
        return line(("Expired ", "bold $text-error"), (_when(expires), "bold"),
                    (": it can no longer be carried out; ask for approval again", "$text-muted"))
    if expires and approval.status in ("pending", "approved"):
        what = "Usable until " if approval.status == "approved" else "Must be decided by "
        return line((what, "bold"), (_when(expires), "bold"), (" (once, for exactly this request)", "$text-muted"))
    return None


def details_content(approval: Any) -> Content:
    """The whole request: what the handler wanted to do, why, what the rules said, and any decision."""
    action = dict(approval.action or {})
    kind = str(action.get("kind") or "action")
    lines = [line((f"Request #{approval.id}", "bold $text-accent"), ("  ", ""), (approval.case_ref, "bold"),
                  (f"  {kind}", "bold"), ("  by ", "$text-muted"), approval.requested_by,
                  ("  at ", "$text-muted"), _when(approval.created_at))]
    lines += request_lines(approval)
    lines.append(line(("Handler's note: ", "$text-muted"), plain(redact_cards(approval.reason or "(none)"), single_line=False)))
    for finding in approval.findings or []:
        severity = str(finding.get("severity", "")).upper()
        lines.append(line((f" {severity} ", "bold reverse $error" if severity == "BLOCK" else "bold $warning"),
                          (" ", ""), plain(redact_cards(str(finding.get("message", ""))), single_line=True),
                          (f"  [{finding.get('rule', '')}]", "$text-muted")))
    if approval.decided_by:
        verb = {"approved": "Approved", "refused": "Refused", "completed": "Approved",
                "expired": "Approved"}.get(approval.status, approval.status.capitalize())
        lines.append(line((f"{verb} by ", "bold"), (approval.decided_by, "bold"), ("  at ", "$text-muted"),
                          _when(approval.decided_at)))
        lines.append(line(("Reason: ", "$text-muted"), plain(redact_cards(approval.decision_reason or ""), single_line=False)))
    expiry = expiry_line(approval)
    if expiry is not None:
        lines.append(expiry)
    digest = approval.digest
    if digest:
        lines.append(line(("Request digest: ", "$text-muted"), (f"sha256 {digest[:16]}…", "$text-muted")))
    return Content("\n").join(lines)


class DecisionModal(ModalScreen[Optional[str]]):
    """Approve or refuse: the reason is required (it is audited and shown to the handler)."""

    BINDINGS = [
        Binding("ctrl+s", "confirm", "Confirm", id="decision.confirm", priority=True),
        Binding("escape", "back", "Back", id="decision.back"),
    ]
    DEFAULT_CSS = """
    DecisionModal { align: center middle; }
    DecisionModal > #decision {
        width: 90%; max-width: 90; height: auto; max-height: 100%;
        border: thick $border; background: $panel; padding: 0 1;
    }
    DecisionModal #decision-title { text-style: bold; height: auto; }
    DecisionModal #decision-request { height: auto; max-height: 12; border: round $panel-lighten-2; }
    DecisionModal SafeTextArea { height: 5; }
    DecisionModal #decision-error { height: auto; color: $text-error; text-style: bold; }
    """

    def __init__(self, approval: Any, approve: bool, reasons: Any = None) -> None:
        super().__init__()
        self.approval = approval
        self.approve = approve
        self.reasons = reasons  # policies.yaml `reasons:`: refused here as decide_approval would

    def compose(self) -> ComposeResult:
        from deskapp.tui.forms.inputs import SafeTextArea

        verb = "Approve" if self.approve else "Refuse"
        kind = (self.approval.action or {}).get("kind", "action")
        with Vertical(id="decision"):
            yield Static(line((f"{verb} {self.approval.requested_by}'s {kind} on {self.approval.case_ref}",
                               "bold $text-success" if self.approve else "bold $text-error")),
                         id="decision-title")
            # The request exactly as stored: what an approval will cover, and nothing else.
            with VerticalScroll(id="decision-request"):
                yield Static(Content("\n").join(request_lines(self.approval) or [Content("(no details)")]),
                             id="decision-request-body", markup=False)
            yield Static(Content("Give the reason for your decision: it is stored in the audit log and "
                                 "shown to the handler. ctrl+s confirm · esc back"))
            yield SafeTextArea("", id="decision-reason")
            yield Static(Content(""), id="decision-error")

    def on_mount(self) -> None:
        self.query_one("#decision-reason").focus()

    def action_confirm(self) -> None:
        from deskapp.tui.forms.modals import check_reason

        text = self.query_one("#decision-reason").text.strip()
        problem = check_reason(text, "reason", self.reasons)
        if problem:
            self.query_one("#decision-error", Static).update(Content(problem))
            return
        self.dismiss(text)

    def action_back(self) -> None:
        self.dismiss(None)


class ApprovalsScreen(Screen):
    """The approvals inbox. Esc goes back to the desk."""

    BINDING_GROUP_TITLE = "Approvals"
    BINDINGS = [
        Binding("y", "decide(True)", "Approve", id="approvals.approve"),
        Binding("n", "decide(False)", "Refuse", id="approvals.refuse"),
        Binding("c", "complete", "Carry out", id="approvals.complete"),
        Binding("d", "drop", "Drop", id="approvals.drop"),
        Binding("r", "reload", "Reload", id="approvals.reload", show=False),
        Binding("j", "cursor_down", "Down", id="approvals.down", show=False),
        Binding("k", "cursor_up", "Up", id="approvals.up", show=False),
        Binding("escape", "close", "Back", id="approvals.close"),
    ]
    DEFAULT_CSS = """
    ApprovalsScreen #approvals-title { height: auto; padding: 0 1; background: $panel; }
    ApprovalsScreen #approvals-list { height: auto; max-height: 40%; min-height: 3; border: round $panel-lighten-2; }
    ApprovalsScreen #approvals-list:focus { border: round $primary; }
    ApprovalsScreen #approvals-detail { height: 1fr; padding: 0 1; border: round $panel-lighten-2; }
    ApprovalsScreen #approvals-status { height: auto; padding: 0 1; }
    """

    class Loaded(Message):
        def __init__(self, approvals: list[Any], error: str = "") -> None:
            super().__init__()
            self.approvals = approvals
            self.error = error

    class Finished(Message):
        """A decision, completion or drop came back: say how it went, then reload."""

        def __init__(self, text: str, severity: str = "information") -> None:
            super().__init__()
            self.text = text
            self.severity = severity

    def __init__(self, desk: Any) -> None:
        super().__init__()
        self.desk = desk
        self.approvals: list[Any] = []
        self.busy = False

    @property
    def supervisor(self) -> bool:
        return self.desk.me.can_approve

    def compose(self) -> ComposeResult:
        if self.supervisor:
            title = "Approvals to decide: y approve · n refuse (with a reason) · esc back to the desk"
        else:
            title = "Your approval requests: c (or enter) carries out an approved action · d drops it · esc back"
        yield Static(line(("Approvals", "bold $text-accent"), ("  ", ""), (title, "$text-muted")),
                     id="approvals-title")
        yield OptionList(id="approvals-list")
        with VerticalScroll(id="approvals-detail"):
            yield Static(Content("Loading…"), id="approvals-body", markup=False)
        yield Static(Content(""), id="approvals-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#approvals-list").focus()
        self.reload_approvals()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "decide":
            return self.supervisor
        if action in ("complete", "drop"):
            return not self.supervisor or any(a.requested_by == self.desk.me.username for a in self.approvals)
        return True

    # --- loading ----------------------------------------------------------------------------

    def reload_approvals(self) -> None:
        """Re-read the list (called by the live feed when any desk asks or decides)."""
        self._load()

    def action_reload(self) -> None:
        self.reload_approvals()

    @work(thread=True, exclusive=True, group="approvals-load", exit_on_error=False)
    def _load(self) -> None:
        from deskapp.actions.inbox import my_requests, pending_for_me

        try:
            found = pending_for_me(self.desk) if self.supervisor else []
            found += my_requests(self.desk)
            self.post_message(self.Loaded(found))
        except Exception as exc:
            log.exception("loading approvals failed")
            self.post_message(self.Loaded([], one_line(exc, kind=True)))

    def on_approvals_screen_loaded(self, message: ApprovalsScreen.Loaded) -> None:
        options = self.query_one("#approvals-list", OptionList)
        keep = self.current.id if self.current is not None else None
        self.approvals = message.approvals
        options.clear_options()
        options.add_options([Option(summary_line(a), id=str(a.id)) for a in self.approvals])
        if message.error:
            self.show_status(f"Could not load approvals: {message.error}", "$text-error")
        if not self.approvals:
            empty = "No requests waiting for you." if self.supervisor else "You have no approval requests."
            self.query_one("#approvals-body", Static).update(Content(empty))
            self.refresh_bindings()
            return
        index = next((i for i, a in enumerate(self.approvals) if a.id == keep), None)
        if index is None:
            index = preselected(self.approvals)
        options.highlighted = index
        self._show(self.approvals[index])
        self.refresh_bindings()

    @property
    def current(self) -> Any | None:
        options = self.query_one("#approvals-list", OptionList)
        index = options.highlighted
        if index is None or not (0 <= index < len(self.approvals)):
            return None
        return self.approvals[index]

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if self.current is not None:
            self._show(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not self.supervisor:
            self.action_complete()

    def _show(self, approval: Any) -> None:
        self.query_one("#approvals-body", Static).update(details_content(approval))

    def show_status(self, text: str, style: str = "") -> None:
        self.query_one("#approvals-status", Static).update(line((text, style)))

    def action_cursor_down(self) -> None:
        self.query_one("#approvals-list", OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#approvals-list", OptionList).action_cursor_up()

    def action_close(self) -> None:
        self.dismiss(None)

    # --- deciding (supervisors) ---------------------------------------------------------------

    def action_decide(self, approve: bool) -> None:
        approval = self.current
        if approval is None or self.busy:
            return
        if approval.status != "pending" or approval.requested_by == self.desk.me.username:
            self.show_status("You can only decide other handlers' pending requests.", "$text-warning")
            return

        def decided(reason: str | None) -> None:
            if reason:
                self.busy = True
                self.show_status("Saving the decision…", "$text-muted")
                self._decide(approval, approve, reason)

        self.app.push_screen(DecisionModal(approval, approve,
                                           self.desk.policies.reasons),
                             decided)

    @work(thread=True, group="approvals-write", exit_on_error=False)
    def _decide(self, approval: Any, approve: bool, reason: str) -> None:
        from deskapp.actions import decide_approval

        try:
            decide_approval(self.desk, approval.id, approve=approve, reason=reason,
                            seen_digest=approval.digest)
        except Exception as exc:  # noqa: BLE001
            self.post_message(self.Finished(f"Not saved: {one_line(exc, kind=True)}", "error"))
            return
        verb = "Approved" if approve else "Refused"
        self.post_message(self.Finished(f"{verb} #{approval.id} on {approval.case_ref}; "
                                        f"{approval.requested_by}'s desk has been told."))

    # --- carrying out or dropping (the handler who asked) --------------------------------------

    def _mine(self) -> Any | None:
        approval = self.current
        if approval is None or self.busy:
            return None
        if approval.requested_by != self.desk.me.username:
            self.show_status("That is another handler's request.", "$text-warning")
            return None
        return approval

    def action_complete(self) -> None:
        approval = self._mine()
        if approval is None:
            return
        if approval.status != "approved":
            wording = {"pending": "still waits for a supervisor",
                       "refused": "was refused (the reason is shown); it leaves this list after two days",
                       "expired": "has expired: ask for approval again (it leaves this list after two days)"}
            self.show_status(f"#{approval.id} {wording.get(approval.status, 'is ' + approval.status)}.",
                             "$text-warning")
            return
        self.busy = True
        self.show_status(f"Carrying out #{approval.id}…", "$text-muted")
        self._complete(approval)

    @work(thread=True, group="approvals-write", exit_on_error=False)
    def _complete(self, approval: Any) -> None:
        from deskapp.actions import Conflict, Done
        from deskapp.actions.inbox import complete_approval

        try:
            outcome = complete_approval(self.desk, approval)
        except Exception as exc:  # noqa: BLE001
            self.post_message(self.Finished(f"Not done: {one_line(exc, kind=True)}", "error"))
            return
        kind = (approval.action or {}).get("kind", "action")
        if isinstance(outcome, Done):
            self.post_message(self.Finished(f"Done: the approved {kind} on {approval.case_ref} is saved."))
        elif isinstance(outcome, Conflict):
            self.post_message(self.Finished(f"Not done: {safe_text(outcome.message, single_line=True)}",
                                            "warning"))
        else:
            self.post_message(self.Finished(f"Not done: {type(outcome).__name__}", "warning"))

    def action_drop(self) -> None:
        approval = self._mine()
        if approval is None:
            return
        if approval.status not in ("pending", "approved"):
            self.show_status(f"#{approval.id} is {approval.status}: nothing to drop.", "$text-warning")
            return
        self.busy = True
        self._drop(approval)

    @work(thread=True, group="approvals-write", exit_on_error=False)
    def _drop(self, approval: Any) -> None:
        from deskapp.actions.inbox import withdraw_approval

        try:
            withdraw_approval(self.desk, approval.id)
        except Exception as exc:  # noqa: BLE001
            self.post_message(self.Finished(f"Not dropped: {one_line(exc, kind=True)}", "error"))
            return
        self.post_message(self.Finished(f"Dropped #{approval.id}: the action will not be carried out."))

    def on_approvals_screen_finished(self, message: ApprovalsScreen.Finished) -> None:
        self.busy = False
        style = {"error": "bold $text-error", "warning": "$text-warning"}.get(message.severity, "$text-success")
        self.show_status(message.text, style)
        self.notify(message.text, severity=message.severity, markup=False, timeout=6)
        self.reload_approvals()
