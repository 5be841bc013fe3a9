"""Supervision: an append-only audit table, the dashboard's audit index, imported case references.

- Triggers refuse UPDATE and DELETE on audit_events (and TRUNCATE on PostgreSQL).
  The hash chain already *detects* tampering (`deskapp audit verify`); the
  triggers *prevent* it through the application and casual SQL. Someone with
  the database file can still drop them, which is what the chain is for.
- ix_audit_at: "overrides in the last N days" reads a range of audit events by time.
- cases.external_ref (unique when set): the case's reference in the system it
  was imported from, so `deskapp import` of the same file again updates or
  skips instead of duplicating.

Matches deskapp/store/models.py (Case.external_ref, AuditEvent ix_audit_at).
The trigger SQL is written out here, not imported, so this revision means the
same thing forever.

Revision ID: sup1
Revises: live1
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'sup1'
down_revision: Union[str, Sequence[str], None] = 'live1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END""",
)

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$"""

PG_TRIGGERS = (
    """CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""",
)


def upgrade() -> None:
    op.add_column('cases', sa.Column('external_ref', sa.String(length=64), nullable=True))
    op.create_index('ix_cases_external_ref', 'cases', ['external_ref'], unique=True)
    op.create_index('ix_audit_at', 'audit_events', ['at'], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for sql in SQLITE_TRIGGERS:
            op.execute(sql)
    elif dialect == 'postgresql':
        op.execute(PG_FUNCTION)
        for sql in PG_TRIGGERS:
            op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    elif dialect == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    op.drop_index('ix_audit_at', table_name='audit_events')
    op.drop_index('ix_cases_external_ref', table_name='cases')
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('external_ref')
