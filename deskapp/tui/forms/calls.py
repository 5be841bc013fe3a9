"""Which phone call a handler is on, per case, for this desk session.

The rule "end-call-without-warning" asks whether a warning was given earlier
*in the same call*, which the policy engine reads from contacts sharing a
`call_id`. A call has no row of its own, so the desk keeps the current call
per case here:

* the first phone/visit contact or abuse warning logged on a case starts a
  call (a fresh id); later ones within `IDLE_LIMIT` continue it;
* ending the call for abuse ends it; so does `IDLE_LIMIT` without activity
  (the handler has moved on) or the handler ticking "new call" on a contact;
* after a restart of the desk, `recover` picks up a call this handler logged
  on the case within `IDLE_LIMIT` from the case history, so a crash or a
  dropped SSH link mid-call does not lose the earlier warning.

The module-level `registry` serves one desk process (one handler); tests
make their own `CallRegistry` or call `registry.clear()`.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

IDLE_LIMIT = timedelta(minutes=30)
CALL_CHANNELS = ("phone", "visit")


@dataclass(frozen=True)
class Call:
    """A call in progress on one case."""

    id: str
    case_id: int
    started_at: datetime
    last_at: datetime
    party_id: int | None = None
    channel: str = "phone"
    direction: str = "in"


def new_call_id() -> str:
    return f"call-{uuid.uuid4().hex[:16]}"


class CallRegistry:
    """The current call per case. Thread-safe: forms read it on the UI thread, workers update it."""

    def __init__(self, idle_limit: timedelta = IDLE_LIMIT) -> None:
        self.idle_limit = idle_limit
        self._calls: dict[int, Call] = {}
        self._lock = threading.Lock()

    def current(self, case_id: int, now: datetime) -> Call | None:
        """The call in progress on the case, or None if there is none or it has gone quiet."""
        with self._lock:
            call = self._calls.get(case_id)
            if call is not None and now - call.last_at > self.idle_limit:
                del self._calls[case_id]
                return None
            return call

    def current_call_id(self, case_id: int, now: datetime) -> str | None:
        call = self.current(case_id, now)
        return call.id if call else None

    def recover(self, case, me: str, now: datetime) -> Call | None:
        """Adopt the latest call `me` logged on `case` (a CaseView) if it is recent and not ended."""
        existing = self.current(case.id, now)
        if existing is not None:
            return existing
        for contact in reversed(case.history):
            if contact.handler != me or not contact.call_id:
                continue
            if now - contact.at > self.idle_limit or contact.outcome == "ended_for_abuse":
                return None
            first = min((c.at for c in case.history if c.call_id == contact.call_id), default=contact.at)
            call = Call(id=contact.call_id, case_id=case.id, started_at=first, last_at=contact.at,
                        party_id=contact.party_id, channel=contact.channel, direction=contact.direction)
            with self._lock:
                self._calls.setdefault(case.id, call)
                return self._calls[case.id]
        return None

    def plan(self, case_id: int, now: datetime, *, party_id: int | None = None,
             channel: str = "phone", direction: str = "in", new: bool = False) -> Call:
        """The call a contact logged now would belong to: the current one, or a new one if none (or `new`).

        Nothing is recorded until `remember` (after the write succeeded), so a
        cancelled form does not start a call.
        """
        call = None if new else self.current(case_id, now)
        if call is None:
            return Call(id=new_call_id(), case_id=case_id, started_at=now, last_at=now,
                        party_id=party_id, channel=channel, direction=direction)
        return call

    def remember(self, case_id: int, call_id: str, now: datetime, *, party_id: int | None = None,
                 channel: str = "phone", direction: str = "in") -> Call:
        """Record that a contact on call `call_id` was written (after the action layer said Done)."""
        with self._lock:
            call = self._calls.get(case_id)
            if call is not None and call.id == call_id:
                call = replace(call, last_at=max(now, call.last_at))
            else:
                call = Call(id=call_id, case_id=case_id, started_at=now, last_at=now, party_id=party_id,
                            channel=channel, direction=direction)
            self._calls[case_id] = call
            return call

    def end(self, case_id: int) -> None:
        with self._lock:
            self._calls.pop(case_id, None)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()


registry = CallRegistry()


def current_call_id(case_id: int, now: datetime | None = None) -> str | None:
    """The id of the call in progress on `case_id` at this desk, or None."""
    return registry.current_call_id(case_id, now or datetime.now())
