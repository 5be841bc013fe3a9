"""`deskapp import FILE`: bring cases in from another system, all or nothing.

The file is read and every case checked first (deskapp.supervision.import_format);
one problem anywhere and nothing is written. Then, in ONE transaction:

- a case whose external_ref is new is created with a fresh desk reference
  (C-nnnn), its parties, contact history and appointments, and a `case.import`
  audit event recording the file, the line and a fingerprint of what the file said;
- a case already imported whose row is unchanged (same fingerprint as its last
  import) is skipped — importing the same file twice changes nothing;
- a case already imported whose row has changed is updated (fields, parties,
  history and appointments replaced from the file) — but only if nobody has
  worked it in deskapp since its import. If someone has, the import stops
  with that row named, because the file would overwrite their work; with
  --skip-worked such cases are left alone and listed instead.

Only admins import (roles: case.import). The writing is the action layer's
(deskapp.actions.imports); this module reads the file and reports.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from deskapp.actions.imports import WorkedSinceImport, import_cases, importers_view
from deskapp.errors import DeskError
from deskapp.supervision.import_format import MAX_BYTES, Problem, Problems, read


@dataclass
class ImportReport:
    file: str
    created: list[str] = field(default_factory=list)  # desk refs
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped_worked: list[tuple[str, str]] = field(default_factory=list)  # (external ref, desk ref)
    dry_run: bool = False
    seconds: float = 0.0
    cards_masked: int = 0

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        parts = [f"{len(self.created):,} new", f"{len(self.updated):,} updated", f"{self.unchanged:,} unchanged"]
        if self.skipped_worked:
            parts.append(f"{len(self.skipped_worked):,} left alone (worked in deskapp since their import)")
        if self.cards_masked:
            parts.append(f"{self.cards_masked:,} card numbers masked")
        text = f"{verb} {self.file}: {', '.join(parts)}"
        if self.created:
            text += f"; new cases {self.created[0]}" + (f" … {self.created[-1]}" if len(self.created) > 1 else "")
        return text + ("" if self.dry_run else f" in {self.seconds:.1f} s")


class ImportRefused(DeskError):
    """The file has problems; `lines` holds every `FILE:LINE: field: message`."""

    def __init__(self, name: str, problems: Sequence[Problem], more: int = 0):
        self.lines = [p.render(name) for p in problems]
        if more:
            self.lines.append(f"{name}: … and {more:,} more problems")
        total = len(problems) + more
        super().__init__(f"import refused: {total:,} problem{'s' if total != 1 else ''} in {name}; "
                         "nothing was written")


# ----------------------------------------------------------------------------- reading


def read_file(path: str) -> bytes:
    file = Path(path).expanduser()
    try:
        if file.is_dir():
            raise DeskError(f"{path}: is a folder, not a file")
        size = file.stat().st_size
        if size > MAX_BYTES:
            raise DeskError(f"{path}: {size / 1_048_576:,.0f} MB is more than one import takes "
                            f"({MAX_BYTES // 1_048_576} MB): split the file")
        return file.read_bytes()
    except FileNotFoundError:
        raise DeskError(f"{path}: no such file") from None
    except PermissionError:
        raise DeskError(f"{path}: cannot read it (permission denied)") from None
    except OSError as exc:
        raise DeskError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def import_file(desk: Any, path: str, *, dry_run: bool = False, skip_worked: bool = False) -> ImportReport:
    """Check the whole file, then write it in one transaction. ImportRefused / DeskError on any problem.

    With dry_run everything is done (matched, numbered, written) and then rolled back.
    """
    started = clock.perf_counter()
    name = path
    data = read_file(path)
    now = desk.now()
    handler_ids = importers_view(desk)  # NotAllowed (audited) before the file is parsed
    try:
        parsed, records = read(name, data, now, set(handler_ids))
    except Problems as problems:
        raise ImportRefused(name, problems.problems, problems.more) from None
    report = ImportReport(file=name, dry_run=dry_run)
    source = parsed.source or Path(path).name

    try:
        result = import_cases(desk, records, source=source, handler_ids=handler_ids, now=now,
                              skip_worked=skip_worked, dry_run=dry_run)
    except WorkedSinceImport as worked:
        problems = [Problem(line, field_name, message) for line, field_name, message in worked.problems]
        raise ImportRefused(name, problems[:50], max(0, len(problems) - 50)) from None
    report.created, report.updated = result.created, result.updated
    report.unchanged, report.skipped_worked = result.unchanged, result.skipped_worked
    report.cards_masked = result.cards_masked
    report.seconds = clock.perf_counter() - started
    return report
