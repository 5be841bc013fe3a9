"""Fill a database with a believable desk: the named stories plus N generated cases.

Deterministic: the same (seed, today) gives the same rows, so tests, docs and
screenshots agree. Everything is placed relative to `today`, so some cases are
overdue, some due soon and some long closed whenever the demo is loaded.

Speed matters (a million cases in under a minute on SQLite): generated rows
(demo_generator) are plain tuples with precomputed text, written with
executemany or COPY (deskapp.store.bulk) or, for big SQLite loads, made by
worker processes and copied in inside SQLite (demo_parallel); the case
indexes are rebuilt once at the end. The whole fill is one transaction: it
lands completely or not at all.

This package makes rows; it writes no SQL of its own. The load is an action
(deskapp.demo.action: who may fill or wipe, the transaction, the audit
chain, the demo mark) over the store's bulk writer (deskapp.store.bulk, .fill).
"""

from __future__ import annotations

import time as clock
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from datetime import date, datetime, time, timedelta
from typing import Iterator, Optional

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from deskapp.core.logins import check_username, os_display_name
from deskapp.errors import DeskError, StorageError
from deskapp.demo import audit as demo_audit, parallel as demo_parallel
from deskapp.store import fill
from deskapp.store.bulk import BulkWriter, indexes_suspended, stamp
from deskapp.demo.deadlines import due_dates
from deskapp.demo.generator import (APPOINTMENT_COLS, CASE_COLS, CONTACT_COLS, HISTORY_DAYS, PARTY_COLS,
                                    PERSON_COLS, DueAt, chunks, generate_chunk)
from deskapp.demo.stories import ME, STORY_REFS, Story, StoryArrangement, StoryParty, stories  # noqa: F401
from deskapp.core.people import name_key, normalise_email, normalise_phone
from deskapp.store import people_index
from deskapp.store.person_flags import sync_person_vulnerable
from deskapp.store.engine import masked, one_line

# The demo's colleagues: (username, display name, role).
DEMO_HANDLERS = (
    ("sam", "Sam Okafor", "handler"),
    ("jo", "Jo Lindqvist", "handler"),
    ("priya", "Priya Natarajan", "supervisor"),
    ("admin", "Desk Admin", "admin"),
)
# Above this many generated cases, indexes are dropped during the load and rebuilt after.
BIG_LOAD = 20_000

# Case indexes whose keys the generator produces in ascending order (refs follow arrival): they stay
# live during a big load; the others are rebuilt once at the end. (Measured: keeping the received-time
# indexes live as well made the load slower, not faster.)
IN_ORDER_INDEXES = ("ix_cases_ref", "ix_cases_ref_natural", "ix_cases_open_ref", "ix_cases_external_ref")

LOADED_TABLES = ("cases", "parties", "contacts", "appointments")
PEOPLE_TABLES = ("organisations", "persons", "person_arrangements")



@dataclass
class DemoSummary:
    """What a demo fill did, for the command to report."""

    url: str
    stories: int = 0
    generated: int = 0
    wiped_cases: int = 0
    kept_cases: int = 0  # if_empty found this many cases and loaded nothing
    handlers_added: list[str] = field(default_factory=list)
    marked_demo: bool = False  # this load made the desk a demo desk (desk_settings demo = "1")
    audit_events: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def cases(self) -> int:
        return self.stories + self.generated


# --------------------------------------------------------------------------- entry point


def fill_demo(engine: Engine, cases: int = 200, seed: int = 1, today: date | None = None, *,
              replace: bool = False, if_empty: bool = False, me: str | None = None,
              policies: str | Path | None = None, actor: str | None = None,
              created: bool = False) -> DemoSummary:
    """Load the named stories plus `cases` generated cases, all in one transaction.

    Who may is deskapp.demo.action's decision: a desk with no cases, anyone;
    `replace` (--force: delete every case and everything attached to it, the
    change feed, presence and the audit log; handlers stay) only an active admin
    (`actor`, default the OS account running this) on a demo desk whose audit log
    is all the demo's. With `if_empty`, a desk that already has cases is left as
    it is (`kept_cases` says how many) - for "set up the demo if it is not there
    yet" scripts. `created`: the caller has just made this database (it becomes
    a demo desk).
    The demo writes an audit trail for its stories and a sample of the
    generated cases (demo_audit), so the dashboard and `audit verify` have one.
    `me` (default: the OS account running this) becomes a handler and gets some
    of the named cases, so the person trying the demo sees them under "mine".
    Deadlines come from `policies` (default: the packaged pack, which a new
    desk publishes as version 1), so the queue's due dates match what the desk shows.
    """
    from deskapp.demo.action import load_demo
    from deskapp.config import os_username

    if not isinstance(cases, int) or cases < 0:
        raise DeskError(f"--cases must be a whole number of 0 or more, not {cases!r}")
    if cases > 10_000_000:
        raise DeskError(f"--cases {cases} is more than the demo supports (10,000,000)")
    today = today or date.today()
    if me is None:
        from deskapp.config import os_username

        me = os_username()
    try:
        check_username(me)
    except DeskError as exc:
        raise DeskError(f"cannot add you as a demo handler: {exc} (your OS account's name is not a login "
                        "name deskapp accepts)") from exc

    from deskapp.config import policies_path
    from deskapp.policy import load_policies

    policies = policies_path(str(policies) if policies is not None else None)
    pack = load_policies(policies)
    source = _Demo(cases=cases, seed=seed, today=today, me=me, policies=policies, pack=pack)

    summary = DemoSummary(url=masked(engine.url))
    started = clock.perf_counter()
    try:
        result = load_demo(engine, source, actor=actor or os_username(), force=replace, if_empty=if_empty,
                           created=created)
    except SQLAlchemyError as exc:
        raise StorageError(f"demo load into {summary.url} failed, nothing was written: {one_line(exc)}") from exc
    summary.kept_cases, summary.wiped_cases = result.kept_cases, result.wiped_cases
    summary.handlers_added, summary.marked_demo = result.handlers_added, result.marked_demo
    summary.audit_events, summary.rows = result.audit_events, result.rows
    summary.stories, summary.generated = source.stories, source.generated
    summary.seconds = clock.perf_counter() - started
    return summary


class _Demo:
    """The demo's rows for deskapp.demo.action: who to add, staging set-up, and the fill itself."""

    def __init__(self, *, cases: int, seed: int, today: date, me: str, policies: Path, pack) -> None:
        self.cases, self.seed, self.today, self.me, self.policies, self.pack = cases, seed, today, me, policies, pack
        self.handlers = [(me, os_display_name(me) or me, "handler")] + [h for h in DEMO_HANDLERS if h[0] != me]
        self.policy_hash: Optional[str] = getattr(pack, "sha256", None)  # recorded on each of its events
        # A desk with no rules yet publishes the packaged pack, dated before the oldest case the demo can
        # hold: the rules were in force before any of the work checked against them.
        self.rules_since = datetime.combine(today - timedelta(days=HISTORY_DAYS + 1), time(0))
        self.staging: Optional[demo_parallel.Staging] = None
        self.stories = self.generated = 0

    @contextmanager
    def prepare(self, conn: Connection) -> Iterator[None]:
        with demo_parallel.staging_for(conn, self.cases, self.seed, self.today, self.me, self.policies) as staging:
            self.staging = staging
            yield

    def fill(self, conn: Connection, writer: BulkWriter, ids: dict[str, int]) -> list[dict]:
        ids = {**ids, ME: ids[self.me]}
        return _load(conn, writer, ids, self.me, self.cases, self.seed, self.today, due_dates(self.pack), self,
                     self.staging, self.pack)


# --------------------------------------------------------------------------- loading


def _load(conn: Connection, writer: BulkWriter, ids: dict[str, int], me: str, cases: int, seed: int, today: date,
          due: DueAt, counts: "_Demo", staging: Optional[demo_parallel.Staging], pack) -> list[dict]:
    next_ids = {table: writer.next_id(table) for table in LOADED_TABLES + PEOPLE_TABLES}
    # A person made for a party takes the party's id (see _StoryPeople, generator.PERSON_COLS): party ids
    # start past any person already there.
    next_ids["parties"] = max(next_ids["parties"], next_ids["persons"])
    named = stories(today)
    first_story = next_ids["cases"]
    _write_stories(writer, named, ids, next_ids, due)
    counts.stories = len(named)
    first_generated = next_ids["cases"]
    if cases:
        if cases >= BIG_LOAD:
            fill.skip_fk_checks(conn)
            with indexes_suspended(conn, ("cases",), keep=IN_ORDER_INDEXES):
                _write_generated(writer, cases, seed, today, ids, me, due, next_ids, staging)
        else:
            _write_generated(writer, cases, seed, today, ids, me, due, next_ids, staging)
        counts.generated = cases
    people_index.rebuild(conn)  # the persons were bulk-written: key them for search and duplicates
    # Only the stories' persons may be marked vulnerable (generated ones never are): their cases show V.
    sync_person_vulnerable(conn, case_ids=range(first_story, first_generated))
    return demo_audit.write_trail(
        conn, writer, pack, ids=ids, story_ids=list(range(first_story, first_generated)),
        generated=range(first_generated, first_generated + cases), seed=seed, today=today,
        next_contact_id=writer.next_id("contacts"))


def _write_stories(writer: BulkWriter, named: list[Story], ids: dict[str, int], next_ids: dict[str, int],
                   due_at: DueAt) -> None:
    case_rows, party_rows, contact_rows, appt_rows = [], [], [], []
    people = _StoryPeople(next_ids)
    for story in named:
        case_id = next_ids["cases"]
        next_ids["cases"] += 1
        f = story.case_fields()
        due = due_at(story.kind, story.category, story.stage, story.status, story.received_at.date(),
                     _day(story.acknowledged_at), _day(story.responded_at), _day(story.stage2_at),
                     story.extension_days)
        updated = max(t for t in (story.received_at, story.status_changed_at, story.closed_at) if t)
        case_rows.append((
            case_id, f["ref"], f["kind"], f["category"], f["title"], f["stage"], f["status"], f["priority"],
            f["vulnerable"], stamp(f["received_at"]), stamp(f["acknowledged_at"]), stamp(f["responded_at"]),
            stamp(f["closed_at"]), stamp(f["status_changed_at"]), stamp(f["stage2_at"]), f["extension_days"],
            stamp(due), ids.get(story.assigned_to) if story.assigned_to else None,
            ids.get(story.stage1_handler) if story.stage1_handler else None, 1,
            stamp(story.received_at), stamp(updated),
        ))
        party_ids: dict[str, int] = {}
        person_ids: dict[str, int] = {}
        for p in story.parties:
            party_ids[p.key] = next_ids["parties"]
            next_ids["parties"] += 1
            person_ids[p.key] = people.person(story, p, party_ids[p.key])
            party_rows.append((party_ids[p.key], case_id, p.role, p.name, p.designated, p.authorised,
                               p.organisation, p.email, p.phone, p.address, p.notes, stamp(story.received_at),
                               person_ids[p.key]))
        for c in sorted(story.contacts, key=lambda c: c.at):
            contact_rows.append((next_ids["contacts"], case_id, stamp(c.at), c.channel, c.direction,
                                 party_ids.get(c.party) if c.party else None,
                                 ids.get(c.handler) if c.handler else None, c.outcome, c.summary, c.body,
                                 c.call_id, stamp(c.at), c.response_stage))
            next_ids["contacts"] += 1
        for a in story.appointments:
            appt_rows.append((next_ids["appointments"], case_id, party_ids.get(a.party) if a.party else None,
                              stamp(a.at), a.purpose, a.status, stamp(story.received_at)))
            next_ids["appointments"] += 1
        for arr in story.arrangements:
            people.arrangement(arr, person_ids, case_id, ids.get(story.assigned_to) if story.assigned_to else None)
    writer.insert("cases", CASE_COLS, case_rows)
    people.write(writer)
    writer.insert("parties", PARTY_COLS, party_rows)
    writer.insert("contacts", CONTACT_COLS, contact_rows)
    writer.insert("appointments", APPOINTMENT_COLS, appt_rows)


class _StoryPeople:
    """The stories' persons (one per StoryParty.person key, else one per party; a person has the id of
    their first party), their organisations and standing arrangements, as rows for the bulk writer."""

    def __init__(self, next_ids: dict[str, int]):
        self.next_ids = next_ids
        self.by_key: dict[str, int] = {}
        self.orgs: dict[str, int] = {}
        self.person_rows: list[tuple] = []
        self.org_rows: list[tuple] = []
        self.arrangement_rows: list[tuple] = []

    def _take(self, table: str) -> int:
        ident = self.next_ids[table]
        self.next_ids[table] += 1
        return ident

    def person(self, story: Story, p: StoryParty, party_id: int) -> int:
        """The person of this party: made the first time (with the party's id), found again after."""
        key = p.person or f"{story.ref}/{p.key}"
        if key in self.by_key:
            return self.by_key[key]
        ident = self.by_key[key] = party_id
        org = None
        org_key = name_key(p.organisation)
        if org_key is not None:
            if org_key not in self.orgs:
                self.orgs[org_key] = self._take("organisations")
                self.org_rows.append((self.orgs[org_key], p.organisation, org_key, "social_care"
                                      if "care" in org_key else "other", stamp(story.received_at)))
            org = self.orgs[org_key]
        phone = normalise_phone(p.phone)
        self.person_rows.append((
            ident, p.name, name_key(p.name), normalise_email(p.email), phone.value if phone else None,
            phone is None or phone.valid, p.address, p.vulnerability is not None, p.vulnerability, org, 1,
            stamp(story.received_at), stamp(story.received_at)))
        return ident

    def arrangement(self, arr: StoryArrangement, person_ids: dict[str, int], case_id: int,
                    recorded_by: Optional[int]) -> None:
        self.arrangement_rows.append((
            self._take("person_arrangements"), person_ids[arr.person], person_ids[arr.representative], arr.kind,
            arr.authorised_by, stamp(arr.starts_at), case_id, arr.evidence_note, recorded_by,
            stamp(arr.starts_at)))

    def write(self, writer: BulkWriter) -> None:
        writer.insert("organisations", ("id", "name", "name_key", "kind", "created_at"), self.org_rows)
        writer.insert("persons", ("id", "name", "name_key", "email", "phone", "phone_valid", "address",
                                  "vulnerable", "vulnerability_reason", "organisation_id", "version", "created_at",
                                  "updated_at"), self.person_rows)
        writer.insert("person_arrangements", ("id", "person_id", "representative_id", "kind", "authorised_by",
                                              "starts_at", "case_id", "evidence_note", "recorded_by_id",
                                              "created_at"), self.arrangement_rows)


def _day(value: Optional[datetime]) -> Optional[date]:
    return value.date() if value else None


def _write_generated(writer: BulkWriter, cases: int, seed: int, today: date, ids: dict[str, int], me: str,
                     due: DueAt, next_ids: dict[str, int], staging: Optional[demo_parallel.Staging]) -> None:
    """The generated cases, chunk by chunk: made here, or by worker processes into staging files."""
    if staging is not None:
        staging.copy_all(writer, next_ids, ids)
        return
    for k in range(len(chunks(cases))):
        for batch in generate_chunk(cases, seed, k, today, ids, me, due, next_ids):
            writer.insert("cases", CASE_COLS, batch.cases)
            writer.insert("persons", PERSON_COLS, batch.persons)
            writer.insert("parties", PARTY_COLS, batch.parties)
            writer.insert("contacts", CONTACT_COLS, batch.contacts)
            writer.insert("appointments", APPOINTMENT_COLS, batch.appointments)
