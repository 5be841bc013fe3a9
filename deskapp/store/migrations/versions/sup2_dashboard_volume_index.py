"""Supervision: a covering index for the dashboard's weekly case volumes.

"Cases received per category and kind per week, for the last 20 weeks" reads
every case in that window; with (received_at, kind, category) the database
answers it from the index alone instead of visiting each case row — on a
million-case desk the difference between under a second and several.

Matches deskapp/store/models.py (Case ix_cases_received_kind_category).

Revision ID: sup2
Revises: queue1
"""

from __future__ import annotations

from typing import Sequence, Union

from alembic import op


revision: str = 'sup2'
down_revision: Union[str, Sequence[str], None] = 'queue1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_cases_received_kind_category', 'cases', ['received_at', 'kind', 'category'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_cases_received_kind_category', table_name='cases')
