"""Evidence: mask the card numbers already stored (PCI DSS 3.4).

Placeholder in the shared base; the card-masking work fills it in.

Revision ID: evidence2
Revises: evidence1
"""

from __future__ import annotations

from typing import Sequence, Union


revision: str = 'evidence2'
down_revision: Union[str, Sequence[str], None] = 'evidence1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
