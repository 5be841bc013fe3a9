"""Evidence: record the digests of the rows that existed before row digests did.

Placeholder in the shared base; the verify work fills it in.

Revision ID: evidence3
Revises: evidence2
"""

from __future__ import annotations

from typing import Sequence, Union


revision: str = 'evidence3'
down_revision: Union[str, Sequence[str], None] = 'evidence2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
