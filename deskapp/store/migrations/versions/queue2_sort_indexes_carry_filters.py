"""Queue: the sort indexes carry status, due_at and assigned_to_id after their key.

A status filter on a sort other than "due" (e.g. closed cases, newest first),
"overdue" or "mine" sorted by received date or ref, was checked by visiting each case
row while walking the sort's index; when the filter correlates with the order
(closed cases are old, so newest-first starts with half a million open ones)
that is seconds at a million cases. With the columns in the index the check
is made on the index entry itself, an order of magnitude cheaper, and counts
for positions (index_of) never touch the table.

Same index names, more columns. Matches deskapp/store/models.py.

Revision ID: queue2
Revises: sup2
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'queue2'
down_revision: Union[str, Sequence[str], None] = 'sup2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OPEN = "status != 'closed'"
REF = 'length(ref)'
# name: (columns before, columns after, partial over open cases)
CHANGES = {
    'ix_cases_due': (['due_at', 'id'], ['due_at', 'id', 'status', 'assigned_to_id'], False),
    'ix_cases_priority_due': (['priority', 'due_at', 'id'], ['priority', 'due_at', 'id', 'status', 'assigned_to_id'],
                              False),
    'ix_cases_received': (['received_at', 'id'], ['received_at', 'id', 'status', 'due_at', 'assigned_to_id'], False),
    'ix_cases_ref_natural': ([REF, 'ref'], [REF, 'ref', 'status', 'due_at', 'assigned_to_id'], False),
    'ix_cases_open_due': (['due_at', 'id'], ['due_at', 'id', 'status', 'assigned_to_id'], True),
    'ix_cases_open_priority': (['priority', 'due_at', 'id'], ['priority', 'due_at', 'id', 'status', 'assigned_to_id'],
                               True),
    'ix_cases_open_received': (['received_at', 'id'], ['received_at', 'id', 'status', 'due_at', 'assigned_to_id'],
                               True),
    'ix_cases_open_ref': ([REF, 'ref'], [REF, 'ref', 'status', 'due_at', 'assigned_to_id'], True),
}


def _create(name: str, columns: list[str], partial: bool) -> None:
    cols = [sa.text(c) if c == REF else c for c in columns]
    where = {"sqlite_where": sa.text(OPEN), "postgresql_where": sa.text(OPEN)} if partial else {}
    op.create_index(name, 'cases', cols, unique=False, **where)


def upgrade() -> None:
    for name, (_before, after, partial) in CHANGES.items():
        op.drop_index(name, table_name='cases')
        _create(name, after, partial)


def downgrade() -> None:
    for name, (before, _after, partial) in CHANGES.items():
        op.drop_index(name, table_name='cases')
        _create(name, before, partial)
