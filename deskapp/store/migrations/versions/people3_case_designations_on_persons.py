"""People: a case's designated representative (parties.designated) becomes a standing arrangement on the person.

Before persons, "all contact goes through this representative" was recorded on one
case only (`parties.designated`), so phoning the same resident about another case
raised nothing. This turns each case's designation into a person arrangement
(`person_arrangements`, kind designated): the case's subject -> the designated
party's person, `case_id` = that case (so the sidebar says where it came from),
`authorised_by` "the case record", `evidence_note` naming the case, `starts_at`
when the designated party was recorded. The person-designated-representative
rule then fires on the person's OTHER cases.

Which parties, per case: the representative is the designated party (one with role
representative first, then the lowest id); the subject is the lowest-id resident that
is not designated, else the lowest-id customer. Skipped: a case where either has no
person, or the two are one person; a person erased or merged away. One arrangement
per person at most, from their newest such case (highest case id), and none for a
person who already has a designated arrangement in force or one with that same
representative (ended or not): nothing is duplicated, nothing recorded by a person
is overridden.

Set-based: a work table of (case, subject, representative) built with a few
INSERT/UPDATE ... SELECT statements, then one INSERT ... SELECT; a million cases
never pass through Python. The audit chain: one `record.baseline` event by
"deskapp-migration" records the digests of the rows made (PEOPLE3_DIGESTED: the
columns as of this revision), so `deskapp audit verify` holds.

Downgrade removes only the arrangements this made (no recorder, authorised_by
"the case record", the evidence note this writes) and records them as deleted.
Designations recorded since by the party form (deskapp.actions.cases.save_party)
have a recorder and stay.

Revision ID: people3
Revises: people2
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator, Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'people3'
down_revision: Union[str, Sequence[str], None] = 'people2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ACTOR = "deskapp-migration"
WORK = "people3_designations"
AUTHORISED_BY = "the case record"
NOTE_BEFORE, NOTE_AFTER = "Designated representative on case ", "'s record, carried to the person by migration people3"
TABLE = "person_arrangements"
# The digested columns of the rows this writes, as of this revision.
PEOPLE3_DIGESTED: dict[str, tuple[str, ...]] = {
    TABLE: ("id", "person_id", "representative_id", "kind", "authorised_by", "starts_at", "ends_at", "case_id",
            "evidence_contact_id", "evidence_note", "recorded_by_id", "ended_at", "created_at"),
}


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        WORK,
        sa.Column('case_id', sa.Integer(), primary_key=True),
        sa.Column('rep_party', sa.Integer(), nullable=True),
        sa.Column('subject_party', sa.Integer(), nullable=True),
        sa.Column('rep_person', sa.Integer(), nullable=True),
        sa.Column('subject_person', sa.Integer(), nullable=True),
    )
    x = bind.execute
    # Cases with a designated party that is a person: its representative (role representative first).
    x(sa.text(f"INSERT INTO {WORK} (case_id, rep_party) SELECT case_id, MIN(id) FROM parties "
              f"WHERE designated AND person_id IS NOT NULL AND role = 'representative' GROUP BY case_id"))
    x(sa.text(f"INSERT INTO {WORK} (case_id, rep_party) SELECT case_id, MIN(id) FROM parties "
              f"WHERE designated AND person_id IS NOT NULL "
              f"AND case_id NOT IN (SELECT case_id FROM {WORK}) GROUP BY case_id"))
    # Its subject: the first resident not designated, else the first customer.
    for role in ("resident", "customer"):
        x(sa.text(f"UPDATE {WORK} SET subject_party = (SELECT MIN(p.id) FROM parties p "
                  f"WHERE p.case_id = {WORK}.case_id AND p.role = :role AND NOT p.designated "
                  f"AND p.person_id IS NOT NULL) WHERE subject_party IS NULL"), {"role": role})
    x(sa.text(f"DELETE FROM {WORK} WHERE subject_party IS NULL"))
    x(sa.text(f"UPDATE {WORK} SET rep_person = (SELECT person_id FROM parties WHERE id = {WORK}.rep_party), "
              f"subject_person = (SELECT person_id FROM parties WHERE id = {WORK}.subject_party)"))
    x(sa.text(f"DELETE FROM {WORK} WHERE rep_person = subject_person OR EXISTS (SELECT 1 FROM persons s "
              f"WHERE s.id IN ({WORK}.rep_person, {WORK}.subject_person) "
              f"AND (s.erased_at IS NOT NULL OR s.merged_into_id IS NOT NULL))"))
    op.create_index(f"ix_{WORK}_subject", WORK, ["subject_person", "case_id"])

    before = x(sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {TABLE}")).scalar()
    now = datetime.now().replace(microsecond=0)
    x(sa.text(
        f"INSERT INTO {TABLE} (person_id, representative_id, kind, authorised_by, starts_at, ends_at, case_id, "
        f"evidence_contact_id, evidence_note, recorded_by_id, ended_at, created_at) "
        f"SELECT w.subject_person, w.rep_person, 'designated', :by, r.created_at, NULL, w.case_id, NULL, "
        f":before || c.ref || :after, NULL, NULL, :now "
        f"FROM {WORK} w JOIN parties r ON r.id = w.rep_party JOIN cases c ON c.id = w.case_id "
        f"WHERE w.case_id = (SELECT MAX(w2.case_id) FROM {WORK} w2 WHERE w2.subject_person = w.subject_person) "
        f"AND NOT EXISTS (SELECT 1 FROM {TABLE} a WHERE a.person_id = w.subject_person AND a.kind = 'designated' "
        f"AND (a.representative_id = w.rep_person OR a.ended_at IS NULL)) "
        f"ORDER BY w.case_id"),
        {"by": AUTHORISED_BY, "before": NOTE_BEFORE, "after": NOTE_AFTER, "now": now})
    op.drop_index(f"ix_{WORK}_subject", table_name=WORK)
    op.drop_table(WORK)
    _record(bind, now, "people3", lambda: _digests(bind, before))


def downgrade() -> None:
    bind = op.get_bind()
    marks = {"by": AUTHORISED_BY, "before": NOTE_BEFORE + "%", "after": "%" + NOTE_AFTER}
    made = (f"FROM {TABLE} WHERE recorded_by_id IS NULL AND authorised_by = :by "
            f"AND evidence_note LIKE :before AND evidence_note LIKE :after")
    ids = [int(i) for i in bind.execute(sa.text(f"SELECT id {made} ORDER BY id"), marks).scalars()]
    if ids and bind.execute(sa.text("SELECT 1 FROM audit_events LIMIT 1")).first() is not None:
        from deskapp.core.rowdigest import DELETED

        _record(bind, datetime.now().replace(microsecond=0), "people3 (downgrade)",
                lambda: ((TABLE, row_id, DELETED) for row_id in ids))
    bind.execute(sa.text(f"DELETE {made}"), marks)


def _digests(bind: Any, after_id: int) -> Iterator[tuple[str, int, str]]:
    """(table, id, digest) of the arrangements this upgrade made (ids above those there before)."""
    from deskapp.store.rowdigests import live_digests

    for row_id, digest, _case, _tomb in live_digests(bind, TABLE, columns=PEOPLE3_DIGESTED):
        if row_id > after_id:
            yield TABLE, row_id, digest


def _record(bind: Any, at: datetime, migration: str, rows: Any) -> None:
    from deskapp.store.baseline import record_rows

    record_rows(bind, lambda _head: rows(), actor=ACTOR, at=at, action="record.baseline",
                detail={"migration": migration,
                        "why": "case designations carried to persons as arrangements" if "down" not in migration
                        else "arrangements carried from case designations removed"})
