"""Receiving mail: inbound_mail (one row per Message-ID), attachments stored once by sha256,
and an index on lower(parties.email) (a sender's open case).

Matches deskapp/store/models.py (InboundMail, AttachmentBlob, ContactAttachment).

Revision ID: mail2
Revises: mail1
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op



revision: str = 'mail2'
down_revision: Union[str, Sequence[str], None] = 'mail1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('inbound_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('bounced_contact_id', sa.Integer(), nullable=True),
    sa.Column('how', sa.String(length=24), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_inbound_mail_case_id_cases')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_inbound_mail_contact_id_contacts')),
    sa.ForeignKeyConstraint(['bounced_contact_id'], ['contacts.id'],
                            name=op.f('fk_inbound_mail_bounced_contact_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_mail')),
    sa.UniqueConstraint('message_id', name=op.f('uq_inbound_mail_message_id')),
    )
    op.create_index(op.f('ix_inbound_mail_case_id'), 'inbound_mail', ['case_id'], unique=False)
    op.create_table('attachment_blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_attachment_blobs')),
    )
    op.create_table('contact_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_attachments_contact_id_contacts')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_contact_attachments_case_id_cases')),
    sa.ForeignKeyConstraint(['sha256'], ['attachment_blobs.sha256'],
                            name=op.f('fk_contact_attachments_sha256_attachment_blobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_attachments')),
    )
    op.create_index(op.f('ix_contact_attachments_contact_id'), 'contact_attachments', ['contact_id'], unique=False)
    op.create_index(op.f('ix_contact_attachments_case_id'), 'contact_attachments', ['case_id'], unique=False)
    # A sender's open case, found by address: lower(email) so Ann@Example.org is ann@example.org.
    op.create_index('ix_parties_email_lower', 'parties', [sa.text('lower(email)')], unique=False)


def downgrade() -> None:
    op.drop_index('ix_parties_email_lower', table_name='parties')
    op.drop_index(op.f('ix_contact_attachments_case_id'), table_name='contact_attachments')
    op.drop_index(op.f('ix_contact_attachments_contact_id'), table_name='contact_attachments')
    op.drop_table('contact_attachments')
    op.drop_table('attachment_blobs')
    op.drop_index(op.f('ix_inbound_mail_case_id'), table_name='inbound_mail')
    op.drop_table('inbound_mail')
