"""Writing a case file out: to a file or the terminal, and into the audit trail.

A case file leaving the desk is itself an event, so the export is recorded in
the audit trail, and a file is moved into place only once that record is
committed. Gathering (deskapp.supervision.casefile) and rendering
(deskapp.supervision.render) know nothing of files or audit; the subject export
(deskapp.supervision.subject) delivers its file the same way.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Optional

from deskapp.actions.exports import may_export, record_export
from deskapp.core.cards import redact_cards
from deskapp.errors import DeskError
from deskapp.supervision.casefile import FORMATS, CaseFile, gather
from deskapp.supervision.render import render


def output_target(output: Optional[str], example: str) -> Optional[Path]:
    """The file an export goes to (None: the terminal); DeskError if it names a folder or a missing folder."""
    if output in (None, "-"):
        return None
    target = Path(output).expanduser()
    if target.is_dir():
        raise DeskError(f"--output {output}: is a folder; give a file name, e.g. {target / example}")
    if not target.parent.is_dir():
        raise DeskError(f"--output {output}: folder {target.parent} does not exist")
    return target


def deliver(body: str, target: Optional[Path], output: Optional[str], prefix: str,
            record: Callable[[], Any]) -> None:
    """Write `body` beside `target` (0600), `record()` its audit event, then move it into place.

    So there is never an unrecorded export on disk: a failed record leaves no file. With no
    target (the terminal) only the record is made; the caller prints after it.
    """
    temp: Optional[str] = None
    try:
        if target is not None:
            fd, temp = tempfile.mkstemp(prefix=prefix, dir=str(target.parent))  # 0600
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
        record()
        if target is not None and temp is not None:
            os.replace(temp, target)
            temp = None
    except OSError as exc:
        raise DeskError(f"--output {output}: cannot write: {exc.strerror or exc}") from exc
    finally:
        if temp:
            Path(temp).unlink(missing_ok=True)


def export_case(desk: Any, ref: str, fmt: str, output: Optional[str]) -> tuple[str, CaseFile, str]:
    """Render the case file and record the export in the audit trail; nothing is left half done.

    Returns (the text, the case file, where it went). With `output` None or
    "-", the caller prints the text (after the export is recorded). A file is
    written beside its target and moved into place only once the audit record
    is committed, so there is never an unrecorded export on disk.
    """
    if fmt not in FORMATS:
        raise DeskError(f"--format must be one of: {', '.join(FORMATS)}")
    target = output_target(output, "case." + fmt)
    now = desk.now()
    may_export(desk)
    with desk.session() as session:
        casefile = gather(desk, ref, now, session=session)
    # The store holds masked text already; masking the output too covers rows written before
    # evidence2 on a desk not yet migrated (PCI DSS 3.4: no full card number leaves in an export).
    body = redact_cards(render(casefile, fmt))
    deliver(body, target, output, ".deskapp-export-",
            lambda: record_export(desk, case_id=casefile.case.id, fmt=fmt, to=str(target) if target else "stdout",
                                  audit_records=casefile.audit_records, at=now))
    return body, casefile, str(target) if target else "stdout"
