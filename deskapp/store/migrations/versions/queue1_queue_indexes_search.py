"""Queue and search: partial indexes over open cases, natural ref order, the full-text index.

- ix_cases_open_*: the default queue shows open cases; these partial indexes
  (WHERE status != 'closed') hold only those, so sorting, paging and counting
  cost what the open cases cost, not the whole history.
- ix_cases_ref_natural / ix_cases_open_ref: "sort by reference" as length then
  text, so C-999 comes before C-1001.
- case_search: the full-text index (SQLite FTS5 virtual table; PostgreSQL a
  tsvector per case with a GIN index). It is filled from the existing cases
  here and kept in step by the action layer (deskapp.store.search.index_case).

Matches deskapp/store/models.py (the Case indexes). The search tables are not
SQLModel tables: deskapp.store.search.is_search_table names them for schema
comparisons. The search DDL is written out here, not imported, so this
revision means the same thing forever.

Revision ID: queue1
Revises: sup1
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'queue1'
down_revision: Union[str, Sequence[str], None] = 'sup1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OPEN = "status != 'closed'"
OPEN_INDEXES = (
    ("ix_cases_open_due", ["due_at", "id"]),
    ("ix_cases_open_priority", ["priority", "due_at", "id"]),
    ("ix_cases_open_received", ["received_at", "id"]),
    ("ix_cases_open_assigned", ["assigned_to_id", "due_at", "id"]),
    ("ix_cases_open_kind", ["kind", "due_at", "id"]),
    ("ix_cases_open_category", ["category", "due_at", "id"]),
)

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS case_search USING fts5("
    "ref, names, body, tokenize = 'unicode61 remove_diacritics 2')",
    """INSERT INTO case_search (rowid, ref, names, body)
    SELECT c.id, c.ref,
        coalesce((SELECT group_concat(
            coalesce(p.name, '') || ' ' || coalesce(p.organisation, '') || ' ' || coalesce(p.email, '') || ' '
            || coalesce(p.phone, '') || ' '
            || replace(replace(replace(replace(replace(coalesce(p.phone, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''),
            ' ') FROM parties p WHERE p.case_id = c.id), ''),
        c.title || ' ' || coalesce((SELECT group_concat(t.summary || ' ' || coalesce(t.body, ''), ' ')
            FROM contacts t WHERE t.case_id = c.id), '')
    FROM cases c""",
)

_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
PG_SEARCH = (
    "CREATE TABLE IF NOT EXISTS case_search ("
    "case_id INTEGER PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE, doc TSVECTOR NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_case_search_doc ON case_search USING gin (doc)",
)
PG_FILL = """INSERT INTO case_search (case_id, doc)
    SELECT c.id,
        setweight(to_tsvector('simple', translate(lower(c.ref || ' ' || coalesce((SELECT string_agg(
            coalesce(p.name, '') || ' ' || coalesce(p.organisation, '') || ' ' || coalesce(p.email, '') || ' '
            || coalesce(p.phone, '') || ' ' || regexp_replace(coalesce(p.phone, ''), '[^0-9]', '', 'g'),
            ' ') FROM parties p WHERE p.case_id = c.id), '')), :punct, :spaces)), 'A')
        || setweight(to_tsvector('simple', translate(lower(c.title || ' ' || coalesce((SELECT string_agg(
            t.summary || ' ' || coalesce(t.body, ''), ' ') FROM contacts t WHERE t.case_id = c.id), '')),
            :punct, :spaces)), 'D')
    FROM cases c"""


def upgrade() -> None:
    where = sa.text(OPEN)
    for name, columns in OPEN_INDEXES:
        op.create_index(name, 'cases', columns, unique=False, sqlite_where=where, postgresql_where=where)
    op.create_index('ix_cases_ref_natural', 'cases', [sa.text('length(ref)'), 'ref'], unique=False)
    op.create_index('ix_cases_open_ref', 'cases', [sa.text('length(ref)'), 'ref'], unique=False,
                    sqlite_where=where, postgresql_where=where)

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for sql in SQLITE_SEARCH:
            op.execute(sql)
    else:
        for sql in PG_SEARCH:
            op.execute(sql)
        bind.execute(sa.text(PG_FILL), {"punct": _PUNCT, "spaces": " " * len(_PUNCT)})


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS case_search")
    op.drop_index('ix_cases_open_ref', table_name='cases')
    op.drop_index('ix_cases_ref_natural', table_name='cases')
    for name, _columns in reversed(OPEN_INDEXES):
        op.drop_index(name, table_name='cases')
