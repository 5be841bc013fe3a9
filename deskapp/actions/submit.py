"""The one write path for a handler action.

In a single transaction: re-read the case, check nobody else changed it,
evaluate the rules against what is really there, apply the handler's
decision (go ahead / give a reason / ask a supervisor), write the change,
its contact and its audit record — or write nothing at all.
"""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from deskapp.actions import audit
from deskapp.actions.desk import Desk
from deskapp.actions.effects import EFFECTS
from deskapp.actions.facts import action_snapshot, case_snapshot
from deskapp.actions.outbox import queue_email
from deskapp.actions.outcomes import ApprovalRequested, Blocked, Conflict, Done, NeedsReason, Outcome
from deskapp.actions.reads import case_view, changed_view, usernames, view_of
from deskapp.actions.validate import InvalidInput, check_length, check_reason, check_request, clean_text
from deskapp.core.request_digest import differing_fields, request_digest
from deskapp.core.views import ActionRequest, CaseView
from deskapp.errors import DeskError
from deskapp.store.changes import record as record_change
from deskapp.store.retry import retry_on_busy
from deskapp.store.rowdigests import touch
from deskapp.policy import Finding, evaluate
from deskapp.store import search
from deskapp.store.models import ApprovalRequest, AuditEvent, Case
from deskapp.actions.permissions import require_action

MAX_REASON = 4_000


def findings_json(findings) -> list[dict[str, Any]]:
    return [f.as_dict() for f in findings]


def request_json(request: ActionRequest) -> dict[str, Any]:
    """The whole request, text included: what an approval request stores so it can be carried out later."""
    data = asdict(request)
    if data.get("at") is not None:
        data["at"] = data["at"].isoformat(timespec="seconds")
    return data


# What a request's audit detail leaves out: text a person wrote. The contact row holds it (its digest
# is in the event), where `deskapp erase` can tombstone it; the chain cannot be rewritten.
PERSONAL_REQUEST_FIELDS = ("summary", "body", "extra")


def request_shape(request: ActionRequest) -> dict[str, Any]:
    """The request for the audit detail: kind, channel, party, to, ... but no summary, body or extra text."""
    data = request_json(request)
    for name in PERSONAL_REQUEST_FIELDS:
        data.pop(name, None)
    return data


def _reason(text: Optional[str]) -> Optional[str]:
    cleaned = clean_text(text).strip()
    if cleaned:
        check_length("reason", cleaned, MAX_REASON)
    return cleaned or None


def set_due(desk: Desk, case: Case, view: CaseView, now: datetime) -> None:
    """Store the case's next deadline (the queue sorts on it), worked out from `view`, the case as it now stands."""
    due = desk.policies.deadlines(case_snapshot(view), now).next_due
    if case.due_at != due:
        case.due_at = due


def refresh_due(desk: Desk, session: Session, case: Case, now: datetime) -> CaseView:
    """Read the case as it now stands, store its next deadline and return the view (with that deadline)."""
    session.flush()
    view = view_of(session, case)
    set_due(desk, case, view, now)
    if view.due_at != case.due_at:
        session.flush()
        view = replace(view, due_at=case.due_at)  # the only field that changed: no second read
    return view


def reindex(session: Session, case_id: int) -> None:
    """Keep full-text search in step with the case, in the same transaction."""
    search.index_case(session, case_id)


def conflict_message(session: Session, case: Case, loaded_version: int) -> str:
    """Name who changed what since the handler loaded the case."""
    events = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.case_id == case.id, AuditEvent.id.is_not(None))
            .order_by(AuditEvent.id.desc())
            .limit(20)
        )
        .scalars()
        .all()
    )
    newer = [e for e in events if (e.detail or {}).get("version", 0) > loaded_version]
    if newer:
        latest = newer[0]
        what = latest.action
        to = (latest.detail or {}).get("to")
        if to:
            what += f" → {to}"
        more = f" (and {len(newer) - 1} more change{'s' if len(newer) > 2 else ''})" if len(newer) > 1 else ""
        who = f"{latest.actor} ({what}) at {latest.at:%H:%M}{more}"
    else:
        who = "another desk"
    return (
        f"{case.ref} was changed by {who} since you opened it. Nothing was saved; "
        f"your input is kept — check the case and submit again."
    )


def bump_version(session: Session, case: Case, loaded_version: int, now: datetime) -> bool:
    """Claim the case for this write. False if another desk got there first.

    Done with a conditional UPDATE so two desks racing between read and write
    cannot both succeed; on SQLite it also takes the write lock, serialising
    the audit chain.
    """
    result = session.execute(
        update(Case)
        .where(Case.id == case.id, Case.version == loaded_version)
        .values(version=loaded_version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.refresh(case)
    return True


@retry_on_busy("save the action")
def submit(
    desk: Desk,
    request: ActionRequest,
    *,
    reason: Optional[str] = None,
    request_approval: bool = False,
    approval_id: Optional[int] = None,
) -> Outcome:
    """Carry out one handler action, or say why not. See deskapp.actions.outcomes."""
    now = desk.now()
    reason = _reason(reason)
    if reason is not None:  # every reason the desk records must say why (policies.yaml `reasons:`)
        check_reason(desk.policies.reasons, reason)
    try:
        return _submit(desk, request, reason, request_approval, approval_id, now)
    except _LostRace:
        with desk.session() as fresh:
            latest = fresh.get(Case, request.case_id)
            return Conflict(conflict_message(fresh, latest, request.version), view_of(fresh, latest))


class _LostRace(Exception):
    """Another desk bumped the version between our read and our write: roll back everything."""


def _submit(desk, request, reason, request_approval, approval_id, now) -> Outcome:
    with desk.session() as session:
        with session.begin():
            case = session.get(Case, request.case_id)
            if case is None:
                raise DeskError(f"case {request.case_id} does not exist")
            require_action(desk, request, case, session)  # roles: who may do this to this case
            if case.version != request.version:
                return Conflict(conflict_message(session, case, request.version), case_view(session, case.id))
            current = view_of(session, case)
            check_request(request, current)
            findings = evaluate(
                desk.policies, case_snapshot(current), action_snapshot(request, desk.me.username), now
            )
            blocks = [f for f in findings if f.severity == "block"]
            warns = [f for f in findings if f.severity == "warn"]

            approval = None
            if approval_id is not None:
                approval = _usable_approval(session, approval_id, desk, request, now)
                _covered_by(approval, findings)
            if blocks and approval is None:
                if not request_approval:
                    return Blocked(tuple(blocks))
                return _request_approval(desk, session, case, request, findings, reason, now)
            if warns and approval is None and reason is None:
                return NeedsReason(tuple(warns))

            if not bump_version(session, case, request.version, now):
                raise _LostRace()

            contact, change = EFFECTS[request.kind](session, case, request, desk.me.id, now)
            queued = None
            if contact is not None:
                session.add(contact)
                session.flush()
                # An outbound email goes to the outbox in this same transaction (when the desk sends mail).
                queued = queue_email(session, case, contact, request, now)
                if queued is not None:
                    change = {**change, "outbox_id": queued.id, "message_id": queued.message_id}
                change = {**change, **letter_record(request)}
            if approval is not None:
                _use_up(session, approval)
                reason = reason or approval.decision_reason or approval.reason
            # The deadline from the case as this write leaves it, built from what was read for the
            # rules plus the change; the view is read once, after the audit event (its reason shows).
            set_due(desk, case, changed_view(session, current, case, contact), now)
            event = audit.append(
                session,
                **audit.by(desk),
                action=request.kind,
                at=now,
                case_id=case.id,
                detail={"version": case.version, "request": request_shape(request), **change,
                        **({"approval_digest": approval.digest} if approval is not None else {})},
                findings=findings_json(findings),
                reason=reason if (warns or blocks or reason) else None,
                contact_id=contact.id if contact is not None else None,
                approval_id=approval.id if approval is not None else None,
            )
            record_change(session, kind=request.kind, actor=desk.me.username, at=now, case_id=case.id,
                          version=case.version)
            reindex(session, case.id)
            view = view_of(session, case)
        return Done(case=view, findings=tuple(findings), contact_id=contact.id if contact else None,
                    audit_id=event.id)


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def letter_record(request: ActionRequest) -> dict[str, Any]:
    """A printed letter's template and the sha256 of its HTML, for the audit event (deskapp.actions.letters).

    So the audit trail says which template produced the letter and which exact document was printed.
    """
    letter = (request.extra or {}).get("letter")
    if request.kind != "message" or request.channel != "letter" or not isinstance(letter, dict):
        return {}
    template, digest = letter.get("template"), letter.get("html_sha256")
    if not (isinstance(template, str) and 0 < len(template) <= 100 and isinstance(digest, str)
            and _SHA256.match(digest)):
        raise InvalidInput("letter", "a letter's record needs its template name and the sha256 of its HTML")
    return {"letter": {"template": template, "html_sha256": digest}}


def _usable_approval(session: Session, approval_id: int, desk: Desk, request: ActionRequest,
                     now: datetime) -> ApprovalRequest:
    """The approved request, locked, if it covers exactly this request; else InvalidInput("approval").

    Checked in order: this case, this handler, still approved (not used, refused or dropped),
    not expired, and the digest of what is submitted equals the digest stored when asking.
    """
    row = session.get(ApprovalRequest, approval_id, with_for_update=True)
    if row is None or row.case_id != request.case_id:
        raise InvalidInput("approval", f"approval {approval_id} is not for this case")
    names = usernames(session)
    if names.get(row.requested_by_id) != desk.me.username:
        raise InvalidInput("approval", f"approval {approval_id} was requested by someone else")
    if row.status == "completed":
        raise InvalidInput("approval", f"approval {approval_id} is completed, not approved: it was used "
                                       f"once already; ask for approval again")
    if row.status != "approved":
        raise InvalidInput("approval", f"approval {approval_id} is {row.status}, not approved")
    if row.expires_at is not None and now > row.expires_at:
        raise InvalidInput("approval", f"approval {approval_id} expired at {row.expires_at:%a %d %b %H:%M}; "
                                       f"nothing was done: ask for approval again")
    if row.digest is None:
        raise InvalidInput("approval", f"approval {approval_id} is not tied to an exact request (asked for "
                                       f"before this desk recorded one); ask for approval again")
    if request_digest(request) != row.digest:
        raise InvalidInput("approval", _not_what_was_approved(row, request))
    return row


def _not_what_was_approved(row: ApprovalRequest, request: ActionRequest) -> str:
    """Name what differs (field names only: the texts may hold what the rules blocked)."""
    asked = dict(row.action or {})
    changed = [_FIELD_WORDS.get(name, name) for name in differing_fields(asked, request)]
    if changed:
        what = f" ({', '.join(changed)} differ{'s' if len(changed) == 1 else ''})"
    else:  # what is submitted is the stored request, but that is no longer what was approved
        what = " (the stored request was changed after it was asked for)"
    return (f"approval {row.id} covers a different {asked.get('kind') or 'action'}{what}: it covers exactly "
            f"the request the supervisor saw. Nothing was done: ask for approval again for this {request.kind}")


_FIELD_WORDS = {"party_id": "party", "working_days": "working days", "at_request_of": "at request of",
                "call_id": "call", "case_id": "case", "to": "to / status"}


def _covered_by(approval: ApprovalRequest, findings: list[Finding]) -> None:
    """The approval covers the warnings and blocks the supervisor saw, not ones that came up since.

    The digest already fixes the text, so a different text's tone warning cannot ride on it;
    what can still change is the case (or the published rules): anything new is for a supervisor.
    """
    seen = {(f.get("rule"), f.get("severity")) for f in approval.findings or [] if isinstance(f, dict)}
    new = [f for f in findings if f.severity in ("warn", "block") and (f.rule, f.severity) not in seen]
    if new:
        said = "; ".join(f"{f.severity}: {f.message}" for f in new[:3])
        raise InvalidInput("approval", f"since approval {approval.id} was asked for, the rules also say: {said}. "
                                       f"Nothing was done: ask for approval again so a supervisor sees it")


def _use_up(session: Session, approval: ApprovalRequest) -> None:
    """Mark the approval used, once: a conditional UPDATE, so two desks racing cannot both use it."""
    result = session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.id == approval.id, ApprovalRequest.status == "approved",
               ApprovalRequest.digest == approval.digest)
        .values(status="completed")
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidInput("approval", f"approval {approval.id} was just used by another desk; "
                                       f"nothing was done here: ask for approval again if needed")
    set_committed_value(approval, "status", "completed")  # in step with the row, without a second UPDATE
    touch(session, "approval_requests", approval.id)  # the audit event records the approval as used


def _request_approval(desk, session, case, request, findings, reason, now) -> ApprovalRequested:
    """Store the blocked action whole, so a supervisor can approve it and the desk can complete it later."""
    row = ApprovalRequest(
        case_id=case.id,
        requested_by_id=desk.me.id,
        action=request_json(request),
        findings=findings_json(findings),
        reason=reason,
        status="pending",
        created_at=now,
        digest=request_digest(request),
        expires_at=desk.policies.approvals.expires_at(desk.policies.calendar, now),
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        **audit.by(desk),
        action="approval.request",
        at=now,
        case_id=case.id,
        detail={"kind": request.kind, "version": case.version, "digest": row.digest},
        findings=findings_json(findings),
        reason=reason,
        approval_id=row.id,
    )
    record_change(session, kind="approval.request", actor=desk.me.username, at=now, case_id=case.id)
    return ApprovalRequested(approval_id=row.id, findings=tuple(findings))


def preview(desk: Desk, case: CaseView, request: ActionRequest, now: Optional[datetime] = None) -> list[Finding]:
    """What the rules say about the action as the form stands. Pure: no database."""
    return evaluate(desk.policies, case_snapshot(case), action_snapshot(request, desk.me.username), now or desk.now())
