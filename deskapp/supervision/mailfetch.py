"""`deskapp mail fetch` / `watch`: each waiting message parsed, stored by the action, then marked processed.

The order is the whole point: the transaction commits first
(deskapp.actions.mail.receive_many, up to BATCH messages, each its own
contact and event), the mailbox is told second. Killed in between, the
messages are still unseen; the next run finds their Message-IDs stored and
only marks them. Nothing is half-imported and nothing twice.

A message over the size limit is not even downloaded: its headers are read
for its Message-ID and it is recorded as rejected. The report is one line per
message, printed as each one is done (a killed fetch still shows its work).
"""

from __future__ import annotations

import signal
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from deskapp.actions.mail import Received, receive_many
from deskapp.core.mailparse import Limits, Rejected, parse_message
from deskapp.core.mailparse.parse import first_id, header
from deskapp.errors import DeskError
from deskapp.supervision.mailbox import Source


@dataclass
class FetchReport:
    counts: Counter = field(default_factory=Counter)

    def add(self, got: Received) -> None:
        self.counts[got.status] += 1

    def summary(self, source: str) -> str:
        c = self.counts
        total = sum(c.values())
        if not total:
            return f"{source}: no new mail"
        parts = [f"{c[k]:,} {label}" for k, label in (("threaded", "threaded"), ("new_case", "new cases"),
                                                      ("recorded", "machine mail recorded"),
                                                      ("duplicate", "duplicates skipped"), ("rejected", "rejected"))
                 if c[k]]
        return f"{source}: {total:,} message{'s' if total != 1 else ''}: {', '.join(parts)}"


def _oversized(source: Source, item: Any, limits: Limits) -> tuple[Rejected, bytes]:
    import email
    import email.policy

    head = source.headers(item)
    msg = email.message_from_bytes(head, policy=email.policy.compat32)
    ident = first_id(header(msg, "Message-ID"))
    reason = f"message is {item.size / 1_048_576:,.1f} MB, over the {limits.max_bytes / 1_048_576:,.1f} MB limit"
    return Rejected(reason=reason, message_id=ident), head


BATCH = 50  # messages stored in one transaction (and then marked processed together)
BATCH_BYTES = 16 * 1024 * 1024


def fetch(desk: Any, source: Source, limits: Limits, *, out: Callable[[str], None] = print,
          stop: Optional[threading.Event] = None) -> FetchReport:
    """Take every waiting message, a batch per transaction; `stop` set (SIGTERM) ends the run between batches.

    A batch is marked processed only after its transaction has committed; a run killed in
    between leaves at most one batch stored but unmarked, which the next run skips as duplicates.
    """
    report = FetchReport()
    batch: list[tuple[Any, Any, bytes]] = []
    size = 0

    def flush() -> None:
        nonlocal size
        got = receive_many(desk, [(parsed, raw) for _item, parsed, raw in batch], mailbox=source.name)
        source.done_all([item for item, _parsed, _raw in batch])  # only now: the batch is stored (or was already)
        for received in got:
            report.add(received)
            out(received.line())
        batch.clear()
        size = 0

    for item in source.pending():
        if stop is not None and stop.is_set():
            break
        if item.size > limits.max_bytes:
            parsed, raw = _oversized(source, item, limits)
        else:
            raw = source.read(item)
            parsed = parse_message(raw, limits)
        batch.append((item, parsed, raw))
        size += len(raw)
        if len(batch) >= BATCH or size >= BATCH_BYTES:
            flush()
    if batch:
        flush()
    return report


class Stopper:
    """SIGTERM / SIGINT set an event: the message in hand is finished, then the watch ends (exit 0)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._old: dict[int, Any] = {}

    def __enter__(self) -> threading.Event:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._old[sig] = signal.signal(sig, self._set)
        return self.event

    def _set(self, _signum: int, _frame: Any) -> None:
        self.event.set()

    def __exit__(self, *_exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def watch(desk: Any, connect: Callable[[], Source], limits: Limits, *, every: float,
          out: Callable[[str], None], err: Callable[[str], None]) -> int:
    """Fetch, wait `every` seconds, again, until SIGTERM. A lost server is retried with backoff.

    A login refused on the first connection is a configuration error: exit 2 at once (systemd shows it).
    """
    backoff = every
    first = True
    with Stopper() as stop:
        source: Optional[Source] = None
        while not stop.is_set():
            try:
                if source is None:
                    source = connect()
                fetch(desk, source, limits, out=out, stop=stop)
                first, backoff = False, every
            except DeskError as exc:
                if first:
                    raise
                err(f"deskapp mail watch: {exc}; trying again in {backoff:.0f} s")
                if source is not None:
                    source.close()
                source = None
                stop.wait(backoff)
                backoff = min(backoff * 2, 15 * 60)
                continue
            stop.wait(every)
        if source is not None:
            source.close()
    err("deskapp mail watch: stopped")
    return 0
