"""`deskapp people duplicates`: persons who are likely one person, scored, with the reasons.

Candidates come only from blocking keys (deskapp.core.person_match): persons
sharing a normalised phone, email, surname-and-initial or surname-at-an-address.
The keys are read in order, page by page (deskapp.store.people_index.blocks),
a few thousand persons' details at a time; each pair is scored once, under the
first key it shares; only the best `limit` pairs are kept (a heap). So memory
stays bounded however big the table, and the work grows with the blocks, not
with the square of the persons.

A key shared by more than `max_block` persons (a switchboard number, "Smith J"
on a big desk) tells nobody apart and is skipped; the report says which.

Supervisors and admins only (the list gathers personal details across cases):
the permission `person.merge`, whose holders act on it.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any, Iterable

from deskapp.actions.permissions import require
from deskapp.core.person_match import LIKELY, blocking_keys, first_shared_key, score, score_value
from deskapp.store.people_index import Block, blocks, common_keys, person_points

PERMISSION = "person.merge"
MAX_BLOCK = 50
DETAIL_BATCH = 4_000


@dataclass(frozen=True)
class Duplicate:
    """Two persons who may be one: ids (smaller first), names as stored, the score and why."""

    score: int
    a_id: int
    b_id: int
    a_name: str
    b_name: str
    reasons: tuple[str, ...]


@dataclass
class DuplicateReport:
    """The best pairs (highest score first), how many pairs were scored and found, and the keys skipped."""

    pairs: list[Duplicate] = field(default_factory=list)
    compared: int = 0
    likely: int = 0
    blocks: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # key -> persons sharing it


def _score_blocks(batch: list[Block], conn: Any, skipped: set[str], min_score: int,
                  heap: list[tuple], limit: int, report: DuplicateReport) -> None:
    details = person_points(conn, {pid for block in batch for pid in block.person_ids})
    keys = {pid: blocking_keys(points) for pid, (_row, points) in details.items()}
    for block in batch:
        ids = [pid for pid in block.person_ids if pid in details]
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                if first_shared_key(keys[a], keys[b], skipped) != block.key:
                    continue  # scored under an earlier key they share
                report.compared += 1
                value = score_value(details[a][1], details[b][1])
                if value < min_score:
                    continue
                report.likely += 1
                low, high = min(a, b), max(a, b)
                rank = (value, -low, -high)
                if len(heap) >= limit and rank <= heap[0][:3]:
                    continue  # not among the best: its reasons are never needed
                reasons = score(details[low][1], details[high][1]).reasons
                entry = rank + (Duplicate(value, low, high, details[low][0].name, details[high][0].name, reasons),)
                if len(heap) < limit:
                    heapq.heappush(heap, entry)
                else:
                    heapq.heapreplace(heap, entry)


def find_duplicates(conn: Any, *, min_score: int = LIKELY, limit: int = 100, max_block: int = MAX_BLOCK,
                    detail_batch: int = DETAIL_BATCH) -> DuplicateReport:
    """The likely duplicate persons on this connection (no permission check: see `duplicates`)."""
    report = DuplicateReport(skipped=common_keys(conn, max_block))
    skipped = set(report.skipped)
    heap: list[tuple] = []
    batch: list[Block] = []
    pending = 0
    for block in blocks(conn, max_block):
        report.blocks += 1
        batch.append(block)
        pending += len(block.person_ids)
        if pending >= detail_batch:
            _score_blocks(batch, conn, skipped, min_score, heap, limit, report)
            batch, pending = [], 0
    if batch:
        _score_blocks(batch, conn, skipped, min_score, heap, limit, report)
    report.pairs = [entry[3] for entry in sorted(heap, key=lambda e: (-e[0], -e[1], -e[2]))]
    return report


def duplicates(desk: Any, **options: Any) -> DuplicateReport:
    """`find_duplicates` for a supervisor or admin at this desk (role re-read first)."""
    with desk.session() as session:
        require(desk, PERMISSION, session=session)
        return find_duplicates(session.connection(), **options)


def describe(pairs: Iterable[Duplicate]) -> list[str]:
    """One line per pair, for the command line: score, the two persons, the reasons."""
    return [f"{d.score:3d}  #{d.a_id} {d.a_name}  ~  #{d.b_id} {d.b_name}  ({'; '.join(d.reasons)})"
            for d in pairs]
