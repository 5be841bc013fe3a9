"""Trust: desk settings, published policy packs, handlers' SSH keys, bound approvals, fuller audit events.

- desk_settings: a few facts about the desk itself (is it a demo desk, which OS
  account runs it), written only through audited actions.
- policy_packs: every published rules pack (text, hash, who, when); the desk
  uses the newest. A handler's own file never decides the rules.
- handler_keys: the SSH public keys that reach the service account as a handler.
- approval_requests.digest / expires_at: an approval covers exactly the request
  approved (a digest of it), once, until it expires.
- audit_events.policy_hash / via: the pack each event was checked against, and
  the admin who opened the desk as this handler (if one did).

Matches deskapp/store/models.py.

Revision ID: trust1
Revises: queue2
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'trust1'
down_revision: Union[str, Sequence[str], None] = 'queue2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'desk_settings',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_desk_settings')),
    )
    op.create_table(
        'policy_packs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('published_by', sa.String(length=64), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_packs')),
        sa.UniqueConstraint('version', name=op.f('uq_policy_packs_version')),
    )
    op.create_table(
        'handler_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('handler_id', sa.Integer(), nullable=False),
        sa.Column('key_type', sa.String(length=64), nullable=False),
        sa.Column('key_data', sa.Text(), nullable=False),
        sa.Column('comment', sa.String(length=200), nullable=True),
        sa.Column('fingerprint', sa.String(length=80), nullable=False),
        sa.Column('added_by', sa.String(length=64), nullable=False),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['handler_id'], ['handlers.id'], name=op.f('fk_handler_keys_handler_id_handlers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_handler_keys')),
        sa.UniqueConstraint('fingerprint', name=op.f('uq_handler_keys_fingerprint')),
    )
    op.create_index(op.f('ix_handler_keys_handler_id'), 'handler_keys', ['handler_id'], unique=False)
    op.add_column('approval_requests', sa.Column('digest', sa.String(length=64), nullable=True))
    op.add_column('approval_requests', sa.Column('expires_at', sa.DateTime(), nullable=True))
    op.add_column('audit_events', sa.Column('policy_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_events', sa.Column('via', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_events') as batch:
        batch.drop_column('via')
        batch.drop_column('policy_hash')
    with op.batch_alter_table('approval_requests') as batch:
        batch.drop_column('expires_at')
        batch.drop_column('digest')
    op.drop_index(op.f('ix_handler_keys_handler_id'), table_name='handler_keys')
    op.drop_table('handler_keys')
    op.drop_table('policy_packs')
    op.drop_table('desk_settings')
