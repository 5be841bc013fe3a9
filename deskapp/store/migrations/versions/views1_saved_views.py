"""Saved views: a handler's named filter + sort of the queue, and the team's.

`saved_views` holds one row per view: personal views name their owner
(handlers.id), team views have no owner and name who published them. The
filter and sort are JSON (deskapp.core.saved_views.ViewSpec), validated when
read, so a view that no longer fits the desk is listed as broken, not lost.
Matches deskapp/store/models.py (SavedView).

Revision ID: views1
Revises: evidence3
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'views1'
down_revision: Union[str, Sequence[str], None] = 'evidence3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('saved_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('published_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['handlers.id'], name=op.f('fk_saved_views_owner_id_handlers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views')),
    sa.UniqueConstraint('owner_id', 'name', name='uq_saved_views_owner_name'),
    )
    op.create_index(op.f('ix_saved_views_owner_id'), 'saved_views', ['owner_id'], unique=False)
    op.create_index('uq_saved_views_team_name', 'saved_views', ['name'], unique=True,
                    sqlite_where=sa.text('owner_id IS NULL'), postgresql_where=sa.text('owner_id IS NULL'))


def downgrade() -> None:
    op.drop_index('uq_saved_views_team_name', table_name='saved_views')
    op.drop_index(op.f('ix_saved_views_owner_id'), table_name='saved_views')
    op.drop_table('saved_views')
