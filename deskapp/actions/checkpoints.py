"""Taking a checkpoint: sign the audit log's head, append it to the witness, record it in the log.

Order, so nothing is half-written: the key is read and the witness opened
first (a missing key or a witness that cannot be appended to stops here, with
nothing written anywhere); then the head is read and signed, the line is
appended with one write(2); then an `audit.checkpoint` event records it in the
desk's own log. If that last step fails the checkpoint in the witness is still
whole and valid (it signs the head before the event); the error is reported.

No role check: whoever can read the signing key (the service account, and the
desks it runs for handlers) may take one, and the event names who did.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import func, select

from deskapp import config
from deskapp.actions.audit import append, by
from deskapp.core import signing, witness
from deskapp.store.models import AuditEvent

ACTION = "audit.checkpoint"


@dataclass(frozen=True)
class Taken:
    checkpoint: signing.Checkpoint
    witness: str
    event_id: Optional[int]  # the audit.checkpoint event recording it
    syslog_problem: Optional[str] = None

    def summary(self) -> str:
        cp = self.checkpoint
        extra = f"; syslog: {self.syslog_problem}" if self.syslog_problem else ""
        return (f"checkpoint of event {cp.event_id} ({cp.events:,} events, key {cp.key_id}) appended to "
                f"{self.witness}{extra}")


def settings() -> witness.Settings:
    """The service account's checkpoint settings (<config folder>/checkpoints.toml)."""
    return witness.load_settings(config.config_dir(), config.data_dir())


@dataclass(frozen=True)
class Due:
    due: bool
    uncovered: int  # events since the last checkpoint the log records (checkpoint events not counted)
    last_at: Optional[datetime]


def due(desk: Any, chosen: witness.Settings) -> Due:
    """Whether the desk should take a checkpoint now: N events, or M minutes with something new, since the last.

    The last checkpoint is the witness's last line, not an audit.checkpoint event: a row
    someone wrote into the database must not be able to tell the desk it is covered.
    """
    last = witness.last_checkpoint(chosen)
    with desk.engine.connect() as conn:
        if last is None:  # never checkpointed: due as soon as there is anything (no count over the whole log)
            anything = conn.execute(select(AuditEvent.id).limit(1)).first() is not None
            return Due(anything, int(anything), None)
        uncovered = conn.execute(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.id > last.event_id, AuditEvent.action != ACTION)).scalar_one()
    if uncovered == 0:
        return Due(False, 0, last.at)
    if uncovered >= chosen.every_events:
        return Due(True, uncovered, last.at)
    stale = chosen.every_minutes and desk.now() - last.at >= timedelta(minutes=chosen.every_minutes)
    return Due(bool(stale), uncovered, last.at)


def take(desk: Any, chosen: Optional[witness.Settings] = None) -> Taken:
    """Sign the current head and append it to the witness (and syslog); record it as an audit event.

    ConfigError (exit 2) for a missing/unreadable key or a witness that cannot be appended to:
    then nothing was written.
    """
    chosen = chosen or settings()
    key = witness.read_private_key(chosen)
    fd = witness.open_witness(chosen)
    try:
        with desk.engine.connect() as conn:
            head = conn.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
            if head is None:
                from deskapp.errors import DeskError

                raise DeskError("the audit log is empty: nothing to checkpoint yet")
            head_id, head_hash = int(head[0]), head[1]
            events = conn.execute(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.id <= head_id)).scalar_one()
        checkpoint = signing.sign(key, event_id=head_id, hash=head_hash, events=int(events), at=desk.now())
        line = checkpoint.line()
        witness.append_line(chosen, fd, line)
    finally:
        os.close(fd)
    problem = witness.to_syslog(line) if chosen.syslog else None
    with desk.session() as session, session.begin():
        event = append(session, **by(desk), action=ACTION, at=desk.now(),
                       detail={"event_id": checkpoint.event_id, "hash": checkpoint.hash, "events": checkpoint.events,
                               "checkpoint_at": checkpoint.at.isoformat(timespec="seconds"),
                               "key_id": checkpoint.key_id, "signature": checkpoint.signature,
                               "witness": str(chosen.witness)})
        event_id = event.id
    return Taken(checkpoint, str(chosen.witness), event_id, problem)


def take_if_due(desk: Any, chosen: Optional[witness.Settings] = None) -> Optional[Taken]:
    """A checkpoint if one is due (deskapp.actions.checkpoints.due), else None."""
    chosen = chosen or settings()
    witness.read_private_key(chosen)  # a missing key fails here, before any query (desks retry every minute)
    return take(desk, chosen) if due(desk, chosen).due else None


def keygen() -> tuple[witness.Settings, str, list[str]]:
    """Make the signing key pair where the settings say (writing a settings file if there is none).

    Returns (settings, key id, files written). Files only: the database is not touched.
    """
    from deskapp.core.ownfiles import write_whole

    chosen = settings()
    key = signing.new_private_key()
    witness.write_key_pair(chosen, key)
    written = [str(chosen.key), str(chosen.public_key)]
    if not chosen.configured:
        path = config.config_dir() / witness.SETTINGS_FILE
        try:
            write_whole(path, witness.settings_text(chosen).encode("utf-8"), 0o600, durable=True)
        except OSError as exc:
            from deskapp.errors import ConfigError

            raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None
        written.append(str(path))
        chosen = settings()  # as read back from the file just written
    return chosen, signing.key_id(key.public_key()), written
