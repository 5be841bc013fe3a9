"""People: one Person per human across cases; today's parties become their roles on cases.

New tables `organisations`, `persons`, `person_arrangements` (deskapp/store/models.py:
Organisation, Person, Arrangement) and `parties.person_id`. The `parties` table stays
the link between a case and a person in a role, and keeps the name and contact details
as given on that case, so every existing read (queue, search, case file, import,
erasure, subject access) keeps working and the case's record is not rewritten.

Each party becomes a person; parties are merged into ONE person only on an exact
match: the same name key (case-folded, whitespace collapsed) AND the same phone
(E.164, only numbers that parse) or the same normalised email. The rules are frozen here
(_normalise_phone, _normalise_email, _name_key: deskapp.core.people as it was at this
revision), so a later change to the live normaliser never changes what this migration does.
Matches chain (A=B by phone, B=C by email: one person). Done in bounded memory: the
keys are computed in Python a batch of parties at a time into a work table, then the
groups are found, the persons inserted and the parties linked with set-based SQL.
A person's id is the id of the lowest party of its group; it takes that party's name,
address and contact points, filling a missing email or phone from the rest of the
group. An organisation is made for each distinct organisation name (same name key).

The audit chain: row digests now cover `parties.person_id` and the new tables. So
that `deskapp audit verify` holds after the upgrade, `record.baseline` events by
"deskapp-migration" record every new person and organisation, and the new digest of
every party whose recorded digest still matched before the upgrade. A party that
did NOT match (changed outside deskapp) is not re-recorded: verify keeps naming it.

Downgrade: parties were never rewritten, so dropping `person_id` and the new tables
restores them exactly; events record the parties' digests in the old form again and
the removed persons, organisations and arrangements as deleted. Anything recorded
only on a person since (vulnerability, arrangements) is lost by a downgrade.

Revision ID: people1
Revises: mail19c1
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator, NamedTuple, Optional, Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'people1'
down_revision: Union[str, Sequence[str], None] = 'mail19c1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ACTOR = "deskapp-migration"
BATCH = 5000
WORK = "people1_keys"
NEW_TABLES = ("organisations", "persons", "person_arrangements")
CHILDREN = ("contacts", "appointments")  # the tables whose party_id points at parties

# The digested columns as of this revision (a later revision may add some; this one digests with these).
PEOPLE1_DIGESTED: dict[str, tuple[str, ...]] = {
    "organisations": ("id", "name", "name_key", "kind", "email", "phone", "address", "notes", "created_at"),
    "persons": ("id", "name", "name_key", "email", "phone", "phone_valid", "address", "preferred_channel", "notes",
                "accessibility", "vulnerable", "vulnerability_reason", "vulnerability_review", "organisation_id",
                "merged_into_id", "erased_at", "created_at"),
    "person_arrangements": ("id", "person_id", "representative_id", "kind", "authorised_by", "starts_at", "ends_at",
                            "case_id", "evidence_contact_id", "evidence_note", "recorded_by_id", "ended_at",
                            "created_at"),
    "parties": ("id", "case_id", "person_id", "role", "name", "designated", "authorised", "organisation", "email",
                "phone", "address", "notes", "created_at"),
}


def _masked(length: int | None = None) -> Any:
    from deskapp.store.masking import MaskedString, MaskedText

    return MaskedString(length) if length else MaskedText()


def upgrade() -> None:
    op.create_table(
        'organisations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', _masked(200), nullable=False),
        sa.Column('name_key', _masked(200), nullable=True),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('email', _masked(254), nullable=True),
        sa.Column('phone', _masked(40), nullable=True),
        sa.Column('address', _masked(), nullable=True),
        sa.Column('notes', _masked(), nullable=True),
        sa.Column('record_salt', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    )
    op.create_index(op.f('ix_organisations_name_key'), 'organisations', ['name_key'], unique=False)
    op.create_table(
        'persons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', _masked(200), nullable=False),
        sa.Column('name_key', _masked(200), nullable=True),
        sa.Column('email', _masked(254), nullable=True),
        sa.Column('phone', _masked(40), nullable=True),
        sa.Column('phone_valid', sa.Boolean(), nullable=False),
        sa.Column('address', _masked(), nullable=True),
        sa.Column('preferred_channel', sa.String(length=16), nullable=True),
        sa.Column('notes', _masked(), nullable=True),
        sa.Column('accessibility', _masked(), nullable=True),
        sa.Column('vulnerable', sa.Boolean(), nullable=False),
        sa.Column('vulnerability_reason', _masked(), nullable=True),
        sa.Column('vulnerability_review', sa.DateTime(), nullable=True),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('merged_into_id', sa.Integer(), nullable=True),
        sa.Column('record_salt', sa.String(length=64), nullable=True),
        sa.Column('erased_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_persons_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['merged_into_id'], ['persons.id'], name=op.f('fk_persons_merged_into_id_persons')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    )
    op.create_index(op.f('ix_persons_name_key'), 'persons', ['name_key'], unique=False)
    op.create_index(op.f('ix_persons_email'), 'persons', ['email'], unique=False)
    op.create_index(op.f('ix_persons_phone'), 'persons', ['phone'], unique=False)
    op.create_index(op.f('ix_persons_organisation_id'), 'persons', ['organisation_id'], unique=False)
    op.create_table(
        'person_arrangements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('representative_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('authorised_by', _masked(200), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=True),
        sa.Column('ends_at', sa.DateTime(), nullable=True),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('evidence_contact_id', sa.Integer(), nullable=True),
        sa.Column('evidence_note', _masked(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_arrangements_person_id_persons')),
        sa.ForeignKeyConstraint(['representative_id'], ['persons.id'],
                                name=op.f('fk_person_arrangements_representative_id_persons')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_person_arrangements_case_id_cases')),
        sa.ForeignKeyConstraint(['evidence_contact_id'], ['contacts.id'],
                                name=op.f('fk_person_arrangements_evidence_contact_id_contacts')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['handlers.id'],
                                name=op.f('fk_person_arrangements_recorded_by_id_handlers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_person_arrangements')),
    )
    op.create_index('ix_person_arrangements_person', 'person_arrangements', ['person_id', 'kind', 'id'],
                    unique=False)
    op.create_index(op.f('ix_person_arrangements_representative_id'), 'person_arrangements',
                    ['representative_id'], unique=False)
    # Added in place (no table copy on SQLite: a million parties stay where they are).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE parties ADD COLUMN person_id INTEGER "
                   "CONSTRAINT fk_parties_person_id_persons REFERENCES persons (id)")
    else:
        op.add_column('parties', sa.Column('person_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_parties_person_id_persons'), 'parties', 'persons', ['person_id'], ['id'])
    op.create_index(op.f('ix_parties_person_id'), 'parties', ['person_id'], unique=False)

    bind = op.get_bind()
    _fill_keys(bind)
    _group(bind)
    _make_people(bind)
    _record_upgrade(bind)
    op.drop_table(WORK)


def downgrade() -> None:
    bind = op.get_bind()
    _record_downgrade(bind)
    op.drop_index(op.f('ix_parties_person_id'), table_name='parties')
    if bind.dialect.name == "sqlite":
        # The rebuilt table gets back the indexes named in this file; indexes later revisions put on
        # parties (mail2's lower(email)) are read from sqlite_master first and built again after.
        later_indexes = [row[0] for row in bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'parties' AND sql IS NOT NULL "
            "AND name NOT IN ('ix_parties_case_id', 'ix_parties_person_id')")]
        _sqlite_parties_as_before(bind)
        for sql in later_indexes:
            bind.exec_driver_sql(sql.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
    else:
        with op.batch_alter_table('parties') as batch:
            batch.drop_constraint(op.f('fk_parties_person_id_persons'), type_='foreignkey')
            batch.drop_column('person_id')
    op.drop_index(op.f('ix_person_arrangements_representative_id'), table_name='person_arrangements')
    op.drop_index('ix_person_arrangements_person', table_name='person_arrangements')
    op.drop_table('person_arrangements')
    for name in ('organisation_id', 'phone', 'email', 'name_key'):
        op.drop_index(op.f(f'ix_persons_{name}'), table_name='persons')
    if bind.dialect.name == "sqlite":
        # Dropping persons checks each row against persons.merged_into_id (a self-reference): indexed for
        # that check, or it is a scan of the table per row. The index goes with the table.
        op.create_index(f"ix_{WORK}_merged", 'persons', ['merged_into_id'])
    op.drop_table('persons')
    op.drop_index(op.f('ix_organisations_name_key'), table_name='organisations')
    op.drop_table('organisations')


# The parties table as evidence3 left it (SQLite cannot drop a column that has a foreign key).
OLD_PARTY_COLUMNS = ("id, case_id, role, name, designated, authorised, organisation, email, phone, address, "
                     "notes, created_at")
OLD_PARTIES = """CREATE TABLE parties (
	id INTEGER NOT NULL,
	case_id INTEGER NOT NULL,
	role VARCHAR(24) NOT NULL,
	name VARCHAR(200) NOT NULL,
	designated BOOLEAN NOT NULL,
	authorised BOOLEAN NOT NULL,
	organisation VARCHAR(200),
	email VARCHAR(254),
	phone VARCHAR(40),
	address TEXT,
	notes TEXT,
	created_at DATETIME NOT NULL,
	CONSTRAINT pk_parties PRIMARY KEY (id),
	CONSTRAINT fk_parties_case_id_cases FOREIGN KEY(case_id) REFERENCES cases (id)
)"""


def _sqlite_parties_as_before(bind: Any) -> None:
    """parties without person_id, its rows exactly as stored, inside the migration's transaction.

    Dropping parties leaves the contacts and appointments pointing at it in violation until the rows are
    back: the checks are deferred to the commit, and putting each row back into the new `parties` settles
    them (a rename would not). The children's party_id is indexed meanwhile, so each check is a look-up.
    """
    bind.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    for child in CHILDREN:
        bind.exec_driver_sql(f"CREATE INDEX ix_{WORK}_{child} ON {child} (party_id)")
    bind.exec_driver_sql(f"CREATE TABLE {WORK}_parties AS SELECT {OLD_PARTY_COLUMNS} FROM parties")
    bind.exec_driver_sql("DROP TABLE parties")
    bind.exec_driver_sql(OLD_PARTIES)
    bind.exec_driver_sql(f"INSERT INTO parties ({OLD_PARTY_COLUMNS}) SELECT {OLD_PARTY_COLUMNS} "
                         f"FROM {WORK}_parties ORDER BY id")
    bind.exec_driver_sql("CREATE INDEX ix_parties_case_id ON parties (case_id)")
    bind.exec_driver_sql(f"DROP TABLE {WORK}_parties")
    for child in CHILDREN:
        bind.exec_driver_sql(f"DROP INDEX ix_{WORK}_{child}")


# ----------------------------------------------------------------------------- matching

# The normalising rules this revision ran with (deskapp.core.people at people1), frozen: GB numbers,
# `is_possible_number` (a local-only form counts), the email's domain lower-cased and its local part kept.
_REGION = "GB"


class _Phone(NamedTuple):
    value: str
    valid: bool


def _normalise_phone(raw: Optional[str]) -> Optional[_Phone]:
    """E.164 for a number that parses and is possible; otherwise the text as written, flagged. None for blank."""
    import phonenumbers

    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        number = phonenumbers.parse(text, _REGION)
    except phonenumbers.NumberParseException:
        return _Phone(text, False)
    if not phonenumbers.is_possible_number(number):
        return _Phone(text, False)
    return _Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), True)


def _normalise_email(raw: Optional[str]) -> Optional[str]:
    """Trimmed, domain lower-cased; None for blank. Text without an @ is kept trimmed, as written."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return text
    return f"{local}@{domain.lower()}"


def _name_key(raw: Optional[str]) -> Optional[str]:
    """A name case-folded with runs of whitespace made one space; None for blank."""
    if raw is None:
        return None
    key = " ".join(raw.split()).casefold()
    return key or None



def _fill_keys(bind: Any) -> None:
    """The work table: per party, its name key, normalised phone and email, the keys it matches on, its group."""
    name_key, normalise_email, normalise_phone = _name_key, _normalise_email, _normalise_phone
    op.create_table(
        WORK,
        sa.Column('party_id', sa.Integer(), primary_key=True),
        sa.Column('name_key', sa.Text(), nullable=True),
        sa.Column('phone', sa.Text(), nullable=True),
        sa.Column('phone_valid', sa.Boolean(), nullable=False),
        sa.Column('email', sa.Text(), nullable=True),
        sa.Column('mphone', sa.Text(), nullable=True),  # the phone it matches on: only one that parsed
        sa.Column('memail', sa.Text(), nullable=True),  # the email it matches on: only one with an @
        sa.Column('org_key', sa.Text(), nullable=True),
        sa.Column('org_name', sa.Text(), nullable=True),
        sa.Column('rep', sa.Integer(), nullable=False),
    )
    parties = sa.table("parties", sa.column("id", sa.Integer), sa.column("name", sa.Text),
                       sa.column("phone", sa.Text), sa.column("email", sa.Text), sa.column("organisation", sa.Text))
    work = sa.table(WORK, *[sa.column(c) for c in ("party_id", "name_key", "phone", "phone_valid", "email", "mphone",
                                                    "memail", "org_key", "org_name", "rep")])
    last = 0
    while True:
        rows = bind.execute(sa.select(parties).where(parties.c.id > last).order_by(parties.c.id).limit(BATCH)).all()
        if not rows:
            break
        last = rows[-1][0]
        out = []
        for pid, name, phone_text, email_text, org in rows:
            phone = normalise_phone(phone_text)
            email = normalise_email(email_text)
            key = name_key(name)
            org_name = " ".join(org.split()) if org and org.strip() else None
            out.append({"party_id": pid, "name_key": key, "phone": phone.value if phone else None,
                        "phone_valid": bool(phone is None or phone.valid),
                        "email": email, "mphone": phone.value if phone and phone.valid and key else None,
                        "memail": email if email and "@" in email and key else None,
                        "org_key": name_key(org_name), "org_name": org_name, "rep": pid})
        bind.execute(work.insert(), out)
    op.create_index(f"ix_{WORK}_phone", WORK, ["name_key", "mphone", "rep"])
    op.create_index(f"ix_{WORK}_email", WORK, ["name_key", "memail", "rep"])
    op.create_index(f"ix_{WORK}_rep", WORK, ["rep"])


def _group(bind: Any) -> None:
    """Give every party of a match group the lowest party id in it (`rep`), by repeated set-based updates.

    Each pass lowers `rep` to the least of every party sharing (name, phone) and then (name, email); the passes
    stop when nothing changes, so chains of matches end in one group.
    """
    while True:
        changed = 0
        for col in ("mphone", "memail"):
            result = bind.execute(sa.text(
                f"UPDATE {WORK} SET rep = m.r FROM (SELECT name_key, {col}, MIN(rep) AS r FROM {WORK} "
                f"WHERE {col} IS NOT NULL GROUP BY name_key, {col}) AS m "
                f"WHERE {WORK}.{col} IS NOT NULL AND {WORK}.name_key = m.name_key AND {WORK}.{col} = m.{col} "
                f"AND {WORK}.rep > m.r"))
            changed += result.rowcount or 0
        if not changed:
            return


def _make_people(bind: Any) -> None:
    """Organisations, then one person per group (id = the group's lowest party id), then parties linked."""
    from deskapp.store.baseline import salt_cases

    now = datetime.now().replace(microsecond=0)
    bind.execute(sa.text(
        f"INSERT INTO organisations (id, name, name_key, kind, created_at) "
        f"SELECT MIN(party_id), MIN(org_name), org_key, 'other', :now FROM {WORK} "
        f"WHERE org_key IS NOT NULL GROUP BY org_key"), {"now": now})
    bind.execute(sa.text(
        f"INSERT INTO persons (id, name, name_key, email, phone, phone_valid, address, organisation_id, vulnerable, "
        f"version, created_at, updated_at) "
        f"SELECT p.id, p.name, k.name_key, k.email, k.phone, k.phone_valid, p.address, o.id, :no, 1, "
        f"p.created_at, p.created_at "
        f"FROM parties p JOIN {WORK} k ON k.party_id = p.id LEFT JOIN organisations o ON o.name_key = k.org_key "
        f"WHERE k.rep = k.party_id"), {"no": False})
    # A merged person missing an email or a good phone takes one from the rest of its group.
    bind.execute(sa.text(
        f"UPDATE persons SET email = (SELECT MIN(k.memail) FROM {WORK} k WHERE k.rep = persons.id) "
        f"WHERE email IS NULL AND EXISTS (SELECT 1 FROM {WORK} k WHERE k.rep = persons.id "
        f"AND k.party_id <> persons.id AND k.memail IS NOT NULL)"))
    bind.execute(sa.text(
        f"UPDATE persons SET phone = (SELECT MIN(k.mphone) FROM {WORK} k WHERE k.rep = persons.id), "
        f"phone_valid = :yes "
        f"WHERE (phone IS NULL OR NOT phone_valid) AND EXISTS (SELECT 1 FROM {WORK} k WHERE k.rep = persons.id "
        f"AND k.party_id <> persons.id AND k.mphone IS NOT NULL)"), {"yes": True})
    bind.execute(sa.text(
        f"UPDATE persons SET address = (SELECT p.address FROM parties p JOIN {WORK} k ON k.party_id = p.id "
        f"WHERE k.rep = persons.id AND p.address IS NOT NULL ORDER BY p.id LIMIT 1) "
        f"WHERE address IS NULL AND EXISTS (SELECT 1 FROM {WORK} k JOIN parties p ON p.id = k.party_id "
        f"WHERE k.rep = persons.id AND k.party_id <> persons.id AND p.address IS NOT NULL)"))
    bind.execute(sa.text(f"UPDATE parties SET person_id = k.rep FROM {WORK} k WHERE k.party_id = parties.id"))
    salt_cases(bind, ("persons", "organisations"))
    if bind.dialect.name == "postgresql":
        for table in ("persons", "organisations"):
            bind.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


# ----------------------------------------------------------------------------- the audit chain


def _matching(bind: Any, table: str, before: dict[str, tuple[str, ...]], after: dict[str, tuple[str, ...]],
              upto: int) -> Iterator[tuple[str, int, str]]:
    """(table, id, digest in `after` form) of each row whose latest recorded digest is its digest in `before` form."""
    from deskapp.store.rowdigests import live_digests, recorded_latest

    recorded = recorded_latest(bind, table, upto=upto)
    waiting = next(recorded, None)
    for old, new in zip(live_digests(bind, table, columns=before), live_digests(bind, table, columns=after)):
        row_id = old[0]
        while waiting is not None and waiting[0] < row_id:
            waiting = next(recorded, None)
        if waiting is not None and waiting[0] == row_id and waiting[2] == old[1] and old[1] != new[1]:
            yield table, row_id, new[1]


def _every_row(bind: Any, table: str) -> Iterator[tuple[str, int, str]]:
    from deskapp.store.rowdigests import live_digests

    for row_id, digest, _case, _tomb in live_digests(bind, table, columns=PEOPLE1_DIGESTED):
        yield table, row_id, digest


def _record_upgrade(bind: Any) -> None:
    from deskapp.core.rowdigest import DIGESTED_BEFORE_PEOPLE
    from deskapp.store.baseline import record_rows

    def rows(head: int) -> Iterator[tuple[str, int, str]]:
        for table in NEW_TABLES:
            yield from _every_row(bind, table)
        yield from _matching(bind, "parties", DIGESTED_BEFORE_PEOPLE, PEOPLE1_DIGESTED, head)

    record_rows(bind, rows, actor=ACTOR, at=datetime.now(), action="record.baseline",
                detail={"migration": "people1",
                        "why": "persons made from parties; party digests now cover person_id"})


def _record_downgrade(bind: Any) -> None:
    from deskapp.core.rowdigest import DELETED, DIGESTED_BEFORE_PEOPLE
    from deskapp.store.baseline import record_rows

    def rows(head: int) -> Iterator[tuple[str, int, str]]:
        for table in NEW_TABLES:
            for _table, row_id, _digest in _every_row(bind, table):
                yield table, row_id, DELETED
        yield from _matching(bind, "parties", PEOPLE1_DIGESTED, DIGESTED_BEFORE_PEOPLE, head)

    if bind.execute(sa.text("SELECT 1 FROM audit_events LIMIT 1")).first() is None:
        return  # nothing was ever recorded: nothing to keep in step
    record_rows(bind, rows, actor=ACTOR, at=datetime.now(), action="record.baseline",
                detail={"migration": "people1 (downgrade)",
                        "why": "persons removed; party digests back to the form before person_id"})
