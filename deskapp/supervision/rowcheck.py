"""The live tables against the chain: every digested row must match the latest digest an event recorded.

For each digested table (deskapp.core.rowdigest.DIGESTED) two id-ordered
streams are merged: the rows as stored now (their digest recomputed) and, from
audit_rows, the latest digest recorded for each row. Nothing is held but the
current pair, so a million cases cost no more memory than ten. A row differs
when:

- its digest is not the one its latest event recorded ("changed after event N");
- no event recorded it at all ("written outside deskapp");
- an event recorded it but it is gone ("deleted");
- its latest event recorded it deleted, yet it is there ("back after event N deleted it");
- it holds the erasure tombstone but no erase event (`case.erase`, `person.erase`) ever recorded it
  (a tombstone anywhere else hides what was there).

Only the first `CAP` differences are kept with their details; all are counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

from sqlalchemy import Connection, select

from deskapp.core.rowdigest import DELETED, DIGESTED
from deskapp.store.models import AuditEvent
from deskapp.store.rowdigests import live_digests, recorded_latest

ERASE_ACTION = "case.erase"
# The events that may leave TOMBSTONE in a row they recorded: a case's erasure and a person's
# (deskapp.actions.person_erasure; its `case.resalt` companion is not one: it changes no text).
ERASE_ACTIONS = (ERASE_ACTION, "person.erase")
CAP = 50
NOUNS = {"cases": "case", "parties": "party", "contacts": "contact", "appointments": "appointment",
         "approval_requests": "approval", "persons": "person", "organisations": "organisation",
         "person_arrangements": "arrangement"}


@dataclass(frozen=True)
class RowProblem:
    table: str
    row_id: int
    kind: str  # changed | unrecorded | deleted | back | tombstone
    event_id: Optional[int]
    case_id: Optional[int]

    def message(self, refs: dict[int, str]) -> str:
        ref = refs.get(self.case_id) if self.case_id is not None else None
        if self.table == "cases":
            what = f"case {ref}" if ref else f"case {self.row_id}"
        else:
            what = f"{NOUNS[self.table]} {self.row_id}" + (f" of {ref}" if ref else "")
        if self.kind == "changed":
            return f"{what} was changed after event {self.event_id} recorded it"
        if self.kind == "unrecorded":
            return f"{what} was written outside deskapp: no audit event recorded it"
        if self.kind == "deleted":
            return f"{what} was deleted: event {self.event_id} recorded it and no event deleted it"
        if self.kind == "back":
            return f"{what} is back: event {self.event_id} recorded it deleted"
        return f"{what} holds an erasure tombstone, but event {self.event_id} that last recorded it is not an erasure"


@dataclass
class RowReport:
    checked: dict[str, int] = field(default_factory=dict)
    count: int = 0  # every difference found
    problems: list[RowProblem] = field(default_factory=list)  # the first CAP of them

    @property
    def ok(self) -> bool:
        return self.count == 0

    def add(self, problem: RowProblem) -> None:
        self.count += 1
        if len(self.problems) < CAP:
            self.problems.append(problem)


def check_rows(conn: Connection, tables: tuple[str, ...] = tuple(DIGESTED)) -> RowReport:
    """Merge each table's live rows with their latest recorded digests; collect every difference."""
    report = RowReport()
    actions: dict[int, str] = {}
    for table in tables:
        report.checked[table] = 0
        for problem in _merge(conn, table, report, actions):
            report.add(problem)
    return report


def _merge(conn: Connection, table: str, report: RowReport, actions: dict[int, str]) -> Iterator[RowProblem]:
    recorded = recorded_latest(conn, table)
    waiting = next(recorded, None)
    for row_id, digest, case_id, tomb in live_digests(conn, table):
        report.checked[table] += 1
        while waiting is not None and waiting[0] < row_id:
            if waiting[2] != DELETED:
                yield RowProblem(table, waiting[0], "deleted", waiting[1], None)
            waiting = next(recorded, None)
        if waiting is None or waiting[0] != row_id:
            yield RowProblem(table, row_id, "unrecorded", None, case_id)
            continue
        _row, event_id, expected = waiting
        waiting = next(recorded, None)
        if expected == DELETED:
            yield RowProblem(table, row_id, "back", event_id, case_id)
        elif expected != digest:
            yield RowProblem(table, row_id, "changed", event_id, case_id)
        elif tomb and _action(conn, event_id, actions) not in ERASE_ACTIONS and not _erased(conn, table, row_id):
            yield RowProblem(table, row_id, "tombstone", event_id, case_id)
    while waiting is not None:
        if waiting[2] != DELETED:
            yield RowProblem(table, waiting[0], "deleted", waiting[1], None)
        waiting = next(recorded, None)


def _erased(conn: Connection, table: str, row_id: int) -> bool:
    """Some erase event recorded this row: work done on the case since (a note, a status) keeps
    the tombstone it left, and the row's latest digest is then that later event's."""
    from deskapp.store.models import AuditRow

    hit = conn.execute(
        select(AuditRow.event_id).join(AuditEvent, AuditEvent.id == AuditRow.event_id)
        .where(AuditRow.tbl == table, AuditRow.row_id == row_id, AuditEvent.action.in_(ERASE_ACTIONS)).limit(1)
    ).first()
    return hit is not None


def _action(conn: Connection, event_id: int, cache: dict[int, str]) -> str:
    if event_id not in cache:
        if len(cache) > 10_000:
            cache.clear()
        cache[event_id] = conn.execute(select(AuditEvent.action).where(AuditEvent.id == event_id)).scalar() or ""
    return cache[event_id]


def refs_of(conn: Connection, problems: list[RowProblem]) -> dict[int, str]:
    """Case refs for the (few, capped) problems' messages; a deleted row's case is looked up from its event."""
    from deskapp.store.models import Case

    case_ids = {p.case_id for p in problems if p.case_id is not None}
    refs: dict[int, str] = {}
    if case_ids:
        refs = {int(i): r for i, r in conn.execute(select(Case.id, Case.ref).where(Case.id.in_(case_ids)))}
    return refs


def with_event_cases(conn: Connection, problems: list[RowProblem]) -> list[RowProblem]:
    """Deleted rows have no live case id: take the case of the event that recorded them."""
    out = []
    for p in problems:
        if p.case_id is None and p.event_id is not None and p.table != "cases":
            case_id = conn.execute(select(AuditEvent.case_id).where(AuditEvent.id == p.event_id)).scalar()
            p = RowProblem(p.table, p.row_id, p.kind, p.event_id, case_id)
        elif p.case_id is None and p.table == "cases":
            p = RowProblem(p.table, p.row_id, p.kind, p.event_id, p.row_id)
        out.append(p)
    return out
