"""Live desks: the change feed (`changes`) and desk heartbeats (`presence`).

`changes` gets one row per write, in the write's transaction, so other desks
can catch up with "id > last seen"; `presence` holds one row per running desk.
Matches deskapp/store/models.py (Change, Presence).

Revision ID: live1
Revises: 0001
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'live1'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_changes')),
    sqlite_autoincrement=True,
    )
    op.create_table('presence',
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('handler_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('desk', sa.String(length=120), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['handler_id'], ['handlers.id'], name=op.f('fk_presence_handler_id_handlers')),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_presence')),
    )
    op.create_index('ix_presence_case_seen', 'presence', ['case_id', 'last_seen'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_presence_case_seen', table_name='presence')
    op.drop_table('presence')
    op.drop_table('changes')
