"""Cases carry `person_vulnerable`: a person on the case is marked vulnerable (on the person).

The queue's V column shows `vulnerable OR person_vulnerable`, read from the
case row alone (a join to parties and persons per page would cost the queue its
speed at a million cases). deskapp.store.person_flags keeps it in step inside
every action that changes a person's vulnerability or a case's persons.

Upgrade adds the column (false) and sets it, set-based, on the cases of the
persons marked vulnerable (few of them: the UPDATE touches only their cases),
then the partial indexes the queue's "vulnerable" filter reads (cases whose own
flag or person's is set: open ones, and all). Downgrade drops both: derived data.

Revision ID: people4
Revises: links1
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'people4'
down_revision: Union[str, Sequence[str], None] = 'links1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite has both): a batch rebuild would lose the expression indexes.
    op.add_column('cases', sa.Column('person_vulnerable', sa.Boolean(), nullable=False,
                                     server_default=sa.text('false')))
    op.execute(
        "UPDATE cases SET person_vulnerable = true WHERE id IN ("
        "SELECT parties.case_id FROM parties JOIN persons ON persons.id = parties.person_id "
        "WHERE persons.vulnerable)")
    # The queue's "vulnerable" filter over open cases (deskapp.store.models.OPEN_VULNERABLE_WHERE).
    columns = ['due_at', 'id', 'status', 'assigned_to_id']
    op.create_index('ix_cases_open_vulnerable', 'cases', columns, unique=False,
                    sqlite_where=sa.text("status != 'closed' AND (vulnerable = 1 OR person_vulnerable = 1)"),
                    postgresql_where=sa.text("status != 'closed' AND (vulnerable OR person_vulnerable)"))
    op.create_index('ix_cases_vulnerable', 'cases', columns, unique=False,
                    sqlite_where=sa.text("vulnerable = 1 OR person_vulnerable = 1"),
                    postgresql_where=sa.text("vulnerable OR person_vulnerable"))


def downgrade() -> None:
    op.drop_index('ix_cases_vulnerable', table_name='cases')
    op.drop_index('ix_cases_open_vulnerable', table_name='cases')
    op.drop_column('cases', 'person_vulnerable')
