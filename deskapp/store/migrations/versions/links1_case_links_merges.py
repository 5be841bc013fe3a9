"""Linked cases (`case_links`) and merges of duplicate cases (`case_merges`).

`case_links` holds one row per linked pair of cases (duplicate, related,
parent, child: what OTHER is to CASE), read from either side; unlinking sets
`removed_at`. `case_merges` records each merge of a duplicate case into the
case that stays, with what the merge changed, so an admin can undo it within the
retention window (deskapp.actions.case_merge). Both start empty: nothing to
fill, so the upgrade is the same on a million cases as on ten.

Downgrade drops both: the links are gone, and the merged cases stay closed (their
contacts are then shown on their own case only).

Revision ID: links1
Revises: people3
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'links1'
down_revision: Union[str, Sequence[str], None] = 'people3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _masked(json: bool = False):
    from deskapp.store.masking import MaskedJSON, MaskedText

    return MaskedJSON() if json else MaskedText()


def upgrade() -> None:
    op.create_table(
        'case_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('other_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('removed_by_id', sa.Integer(), nullable=True),
        sa.Column('removed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_links_case_id_cases')),
        sa.ForeignKeyConstraint(['other_id'], ['cases.id'], name=op.f('fk_case_links_other_id_cases')),
        sa.ForeignKeyConstraint(['created_by_id'], ['handlers.id'],
                                name=op.f('fk_case_links_created_by_id_handlers')),
        sa.ForeignKeyConstraint(['removed_by_id'], ['handlers.id'],
                                name=op.f('fk_case_links_removed_by_id_handlers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_links')),
    )
    op.create_index('ix_case_links_case', 'case_links', ['case_id', 'other_id'], unique=False)
    op.create_index('ix_case_links_other', 'case_links', ['other_id', 'case_id'], unique=False)
    op.create_table(
        'case_merges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('keep_id', sa.Integer(), nullable=False),
        sa.Column('dup_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('reason', _masked(), nullable=True),
        sa.Column('moved', _masked(json=True), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=True),
        sa.Column('undo_until', sa.DateTime(), nullable=False),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.Column('undone_by', sa.String(length=64), nullable=True),
        sa.Column('undo_reason', _masked(), nullable=True),
        sa.ForeignKeyConstraint(['keep_id'], ['cases.id'], name=op.f('fk_case_merges_keep_id_cases')),
        sa.ForeignKeyConstraint(['dup_id'], ['cases.id'], name=op.f('fk_case_merges_dup_id_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_merges')),
    )
    op.create_index('ix_case_merges_keep', 'case_merges', ['keep_id', 'id'], unique=False)
    op.create_index('ix_case_merges_dup', 'case_merges', ['dup_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_merges_dup', table_name='case_merges')
    op.drop_index('ix_case_merges_keep', table_name='case_merges')
    op.drop_table('case_merges')
    op.drop_index('ix_case_links_other', table_name='case_links')
    op.drop_index('ix_case_links_case', table_name='case_links')
    op.drop_table('case_links')
