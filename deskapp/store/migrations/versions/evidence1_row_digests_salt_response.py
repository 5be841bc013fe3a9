"""Evidence: the rows each audit event wrote, keyed digests, final responses, erasure.

- audit_rows: for every audit event, the digest of each row its action wrote
  (deskapp.core.rowdigest). Covered by the event's hash; append-only like
  audit_events (same triggers), so `deskapp audit verify` can check the live
  tables against the chain.
- cases.record_salt: the key of the case's row digests (existing cases get a
  random one here); erasure replaces it.
- cases.erased_at: set by `deskapp erase`.
- contacts.response_stage: marks the outbound message or letter that is a
  stage's final response (what `responded` requires).

Matches deskapp/store/models.py. The trigger SQL is written out here, not
imported, so this revision means the same thing forever.

Revision ID: evidence1
Revises: trust1
"""

from __future__ import annotations

import secrets
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'evidence1'
down_revision: Union[str, Sequence[str], None] = 'trust1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_rows_no_update BEFORE UPDATE ON audit_rows
    BEGIN SELECT RAISE(ABORT, 'audit_rows is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_rows_no_delete BEFORE DELETE ON audit_rows
    BEGIN SELECT RAISE(ABORT, 'audit_rows is append-only: DELETE refused'); END""",
)

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_rows_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_rows is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$"""

PG_TRIGGERS = (
    """CREATE TRIGGER audit_rows_no_change BEFORE UPDATE OR DELETE ON audit_rows
    FOR EACH ROW EXECUTE FUNCTION audit_rows_append_only()""",
    """CREATE TRIGGER audit_rows_no_truncate BEFORE TRUNCATE ON audit_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_rows_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        'audit_rows',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('tbl', sa.String(length=32), nullable=False),
        sa.Column('row_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('event_id', 'tbl', 'row_id', name=op.f('pk_audit_rows')),
    )
    op.create_index('ix_audit_rows_row', 'audit_rows', ['tbl', 'row_id', 'event_id'], unique=False)
    # Plain ADD/DROP COLUMN (SQLite has both): a batch rebuild would lose the expression indexes.
    op.add_column('cases', sa.Column('record_salt', sa.String(length=64), nullable=True))
    op.add_column('cases', sa.Column('erased_at', sa.DateTime(), nullable=True))
    op.add_column('contacts', sa.Column('response_stage', sa.Integer(), nullable=True))

    bind = op.get_bind()
    # A random salt per existing case, in batches (a million cases must not be one giant statement).
    cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('record_salt', sa.String))
    last = 0
    while True:
        ids = [row[0] for row in bind.execute(
            sa.select(cases.c.id).where(cases.c.id > last).order_by(cases.c.id).limit(5000))]
        if not ids:
            break
        bind.execute(cases.update().where(cases.c.id == sa.bindparam('b_id')).values(record_salt=sa.bindparam('salt')),
                     [{'b_id': i, 'salt': secrets.token_hex(16)} for i in ids])
        last = ids[-1]

    if bind.dialect.name == 'sqlite':
        for sql in SQLITE_TRIGGERS:
            op.execute(sql)
    elif bind.dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        for sql in PG_TRIGGERS:
            op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS audit_rows_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_rows_no_delete")
    elif dialect == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_rows_no_change ON audit_rows")
        op.execute("DROP TRIGGER IF EXISTS audit_rows_no_truncate ON audit_rows")
        op.execute("DROP FUNCTION IF EXISTS audit_rows_append_only()")
    op.drop_column('contacts', 'response_stage')
    op.drop_column('cases', 'erased_at')
    op.drop_column('cases', 'record_salt')
    op.drop_index('ix_audit_rows_row', table_name='audit_rows')
    op.drop_table('audit_rows')
