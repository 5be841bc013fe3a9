"""Evidence: record the digests of the rows that existed before row digests did.

A database upgraded from before evidence1 holds cases, parties, contacts,
appointments and approvals no audit event recorded a digest of, so
`deskapp audit verify` would name every one as "written outside deskapp".
This revision records them as they stand now, in `record.baseline` events
appended to the chain by the actor "deskapp-migration" (10,000 rows an event,
streamed by id: a million cases is a few hundred events and flat memory).
From here on a change to any of them is caught.

What the baseline cannot do is vouch for the rows' content before it: it
records what the database holds at the upgrade. It is a recorded, visible
event in the chain, not a silent rewrite.

A database with no such rows (a new one) gets no event. The salts evidence1
gave existing cases are kept; a case still without one gets one here.

Revision ID: evidence3
Revises: evidence2
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence, Union

from alembic import op


revision: str = 'evidence3'
down_revision: Union[str, Sequence[str], None] = 'evidence2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ACTOR = "deskapp-migration"


def upgrade() -> None:
    from deskapp.core.rowdigest import DIGESTED_BEFORE_PEOPLE
    from deskapp.store.baseline import record_baseline, salt_cases

    bind = op.get_bind()
    salt_cases(bind, ("cases",))
    # The tables and columns digested at this revision (people1 later adds persons and parties.person_id).
    record_baseline(bind, actor=ACTOR, at=datetime.now(), action="record.baseline",
                    detail={"migration": "evidence3",
                            "why": "digests of rows written before audit events recorded them"},
                    columns=DIGESTED_BEFORE_PEOPLE)


def downgrade() -> None:
    # The baseline events are part of the append-only chain: they stay.
    pass
