"""The outbox keeps the Message-ID a reply answers (In-Reply-To/References), fixed at queue time.

Matches deskapp/store/models.py (Outbox.in_reply_to).

Revision ID: mail19c1
Revises: mail2
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = 'mail19c1'
down_revision: Union[str, Sequence[str], None] = 'mail2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite has both): a batch rebuild would lose the expression indexes.
    op.add_column('outbox', sa.Column('in_reply_to', sa.String(length=255), nullable=True))


def downgrade() -> None:
    op.drop_column('outbox', 'in_reply_to')
