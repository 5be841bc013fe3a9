"""People: the person-finding index (`person_keys`) and the record of merges (`person_merges`).

`person_keys` holds, per live person, the keys search and `deskapp people
duplicates` look people up by (deskapp.store.person_keys): normalised phone
and email, surname and initial, surname at an address, surname, postcode. Its
unique index (key, person_id) answers a phone, email or name search with one
index probe; the second index (person_id) lets a person be re-keyed. Filled
here from the persons people1 made (indexes built once, after the rows); kept
in step by the ORM afterwards.

`person_merges` records each merge of one person into another (what moved), so
an admin can undo it within the retention window (deskapp.actions.person_merge).

The phones are keyed as this revision did: contact_points.phone_key read in GB
(`_phone_key`), whatever the live keying does later (it keys stored phones without
any region, contact_points.stored_phone_key: the same key for every stored phone
but one holding a control character; tests/people/test_region_keys.py).

Downgrade drops both: the keys are derived data; undoing merges is then no longer
possible (the persons and their links stay as they are).

Revision ID: people2
Revises: people1
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'people2'
down_revision: Union[str, Sequence[str], None] = 'people1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _masked(length: int | None = None):
    from deskapp.store.masking import MaskedJSON, MaskedString, MaskedText

    if length == 0:
        return MaskedJSON()
    return MaskedString(length) if length else MaskedText()


def upgrade() -> None:
    op.create_table(
        'person_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', _masked(300), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_keys_person_id_persons')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_person_keys')),
    )
    op.create_index('ix_person_keys_key', 'person_keys', ['key', 'person_id'], unique=True)
    op.create_index('ix_person_keys_person', 'person_keys', ['person_id'], unique=False)
    op.create_table(
        'person_merges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('keep_id', sa.Integer(), nullable=False),
        sa.Column('other_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('reason', _masked(), nullable=True),
        sa.Column('moved', _masked(0), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=True),
        sa.Column('undo_until', sa.DateTime(), nullable=False),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.Column('undone_by', sa.String(length=64), nullable=True),
        sa.Column('undo_reason', _masked(), nullable=True),
        sa.ForeignKeyConstraint(['keep_id'], ['persons.id'], name=op.f('fk_person_merges_keep_id_persons')),
        sa.ForeignKeyConstraint(['other_id'], ['persons.id'], name=op.f('fk_person_merges_other_id_persons')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_person_merges')),
    )
    op.create_index('ix_person_merges_other', 'person_merges', ['other_id', 'id'], unique=False)
    op.create_index('ix_person_merges_keep', 'person_merges', ['keep_id', 'id'], unique=False)

    from deskapp.store.people_index import rebuild

    rebuild(op.get_bind(), _phone_key)


def _phone_key(stored: str):
    """How this revision keyed a stored phone: contact_points.phone_key in GB."""
    from deskapp.core.contact_points import phone_key

    return phone_key(stored, "GB")


def downgrade() -> None:
    op.drop_index('ix_person_merges_keep', table_name='person_merges')
    op.drop_index('ix_person_merges_other', table_name='person_merges')
    op.drop_table('person_merges')
    op.drop_index('ix_person_keys_person', table_name='person_keys')
    op.drop_index('ix_person_keys_key', table_name='person_keys')
    op.drop_table('person_keys')
