"""Merging two persons and undoing it: every case re-linked, history kept, audited, reversible; bad input
is one line and nothing written."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from deskapp.actions.person_merge import UNDO_DAYS, merge_persons, person_number, unmerge_persons
from deskapp.core.roles import NotAllowed
from deskapp.errors import DeskError
from deskapp.store.models import ApprovalRequest, Arrangement, AuditEvent, Handler, Party, Person, PersonMerge
from deskapp.supervision.verify import verify

from .conftest import NOW, add_person, run_cli

REASON = "same caller: same phone and address"


def state(engine) -> dict:
    """Everything a merge may write, for 'nothing written' checks."""
    with engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
                for t in ("persons", "parties", "person_arrangements", "person_merges", "audit_events", "changes",
                          "person_keys")}


@pytest.fixture
def two(engine):
    """Arthur (two cases, no email) and his duplicate (one case, an email, vulnerable), and a representative."""
    keep, keep_cases = add_person(engine, "Arthur Penrose", phone="07700 900412", cases=2)
    other, other_cases = add_person(engine, "Mr A Penrose", phone="+44 7700 900412", email="a.penrose@example.org",
                                    vulnerable=True)
    rep, _ = add_person(engine, "Nadia Kowalski", cases=0)
    with Session(engine) as s, s.begin():
        s.add(Arrangement(person_id=other, representative_id=rep, kind="designated", authorised_by="Arthur",
                          case_id=other_cases[0]))
        s.flush()
        from deskapp.actions import audit

        audit.append(s, actor="seed", action="seed", at=NOW)
    return keep, other, keep_cases, other_cases


def test_a_merge_relinks_every_case_keeps_history_and_is_audited(team, engine, two):
    keep, other, keep_cases, other_cases = two
    done = merge_persons(team["priya"], keep, other, REASON)
    assert (done.keep_id, done.other_id, done.parties, done.arrangements) == (keep, other, 1, 1)
    with Session(engine) as s:
        assert {p.case_id for p in s.execute(select(Party).where(Party.person_id == keep)).scalars()} \
            == set(keep_cases + other_cases)
        assert s.execute(select(Party).where(Party.person_id == other)).first() is None
        kept, gone = s.get(Person, keep), s.get(Person, other)
        assert gone.merged_into_id == keep and gone.name == "Mr A Penrose"  # the record of how he was known stays
        assert kept.email == "a.penrose@example.org" and kept.vulnerable  # filled in; the safeguard carried over
        assert s.execute(select(Arrangement)).scalar_one().person_id == keep
        event = s.get(AuditEvent, done.audit_id)
        assert event.action == "person.merge" and event.actor == "priya" and event.reason == REASON
        assert event.detail["keep"] == keep and event.detail["other"] == other
        changed = {r[0] for r in s.execute(text("SELECT case_id FROM changes WHERE kind = 'person.merge'"))}
        # OTHER's cases changed hands; KEEP's now show OTHER's vulnerability in the queue (V): all repaint.
        assert changed == set(other_cases + keep_cases)
    report = verify(engine)
    assert report.ok, report


def test_an_admin_undoes_a_merge_within_the_window(team, engine, two):
    keep, other, keep_cases, other_cases = two
    before = state(engine)
    done = merge_persons(team["priya"], keep, other, REASON)
    undone = unmerge_persons(team["ada"], done.merge_id, "they are father and son")
    assert (undone.parties, undone.arrangements) == (1, 1)
    after = state(engine)
    for table in ("parties", "person_arrangements"):
        assert after[table] == before[table], table
    with Session(engine) as s:
        kept, back = s.get(Person, keep), s.get(Person, other)
        assert back.merged_into_id is None
        assert kept.email is None and not kept.vulnerable  # what the merge filled in is taken back
        merge = s.get(PersonMerge, done.merge_id)
        assert merge.undone_by == "ada" and merge.undone_at is not None
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "person.unmerge")).scalar_one().actor == "ada"
    assert verify(engine).ok
    with pytest.raises(DeskError, match="already undone"):
        unmerge_persons(team["ada"], done.merge_id, "again")


def test_only_an_admin_undoes_and_only_within_the_window(team, engine, two):
    keep, other, *_ = two
    done = merge_persons(team["priya"], keep, other, REASON)
    with pytest.raises(NotAllowed):
        unmerge_persons(team["priya"], done.merge_id, "oops")
    ada = team["ada"]
    ada.clock = lambda: NOW + timedelta(days=UNDO_DAYS, hours=1)
    before = state(engine)
    with pytest.raises(DeskError, match="can no longer be undone"):
        unmerge_persons(ada, done.merge_id, "too late")
    assert state(engine) == before


def test_a_handler_may_not_merge_and_the_refusal_is_audited(team, engine, two):
    keep, other, *_ = two
    with pytest.raises(NotAllowed):
        merge_persons(team["sam"], keep, other, REASON)
    with Session(engine) as s:
        assert s.execute(select(PersonMerge)).first() is None
        refused = s.execute(select(AuditEvent).where(AuditEvent.action == "refused")).scalar_one()
        assert refused.detail["permission"] == "person.merge"


@pytest.mark.parametrize("case", ["self", "missing", "erased", "already merged", "into merged", "pending approval",
                                  "no reason"])
def test_bad_merges_are_one_line_and_write_nothing(team, engine, two, case):
    keep, other, keep_cases, other_cases = two
    priya = team["priya"]
    if case == "erased":
        with Session(engine) as s, s.begin():
            s.get(Person, other).erased_at = NOW
            from deskapp.actions import audit

            audit.append(s, actor="seed", action="seed", at=NOW)
    if case in ("already merged", "into merged"):
        third, _ = add_person(engine, "Arthur Penrose", phone="07700 900412")
        merge_persons(priya, keep, third, REASON)
        args = (keep, third) if case == "already merged" else (third, other)
    if case == "pending approval":
        with Session(engine) as s, s.begin():
            sam = s.execute(select(Handler).where(Handler.username == "sam")).scalar_one()
            s.add(ApprovalRequest(case_id=other_cases[0], requested_by_id=sam.id, action={"kind": "message"},
                                  status="pending"))
            s.flush()
            from deskapp.actions import audit

            audit.append(s, actor="seed", action="seed", at=NOW)
    before = state(engine)
    expected = {
        "self": ("cannot merge person #{k} into themselves", (keep, keep)),
        "missing": ("OTHER #999: there is no such person", (keep, 999)),
        "erased": ("OTHER #{o} was erased on", (keep, other)),
        "already merged": ("OTHER #{t} was already merged into #{k}", None),
        "into merged": ("KEEP #{t} was already merged into #{k}", None),
        "pending approval": ("approval request 1 on P-{o}-0 is still pending", (keep, other)),
        "no reason": ("reason", (keep, other)),
    }[case]
    message, given = expected
    if given is None:
        given = args
    with pytest.raises(DeskError) as raised:
        merge_persons(priya, *given, "" if case == "no reason" else REASON)
    shown = str(raised.value)
    assert "\n" not in shown
    assert message.format(k=keep, o=other, t=given[1] if case == "already merged" else given[0]) in shown, shown
    assert state(engine) == before


def test_person_numbers_are_read_with_or_without_a_hash():
    assert person_number("#12", "KEEP") == 12 and person_number(" 7 ", "OTHER") == 7
    for bad in ("", "#", "twelve", "-3", "0", "1e3", "#12x"):
        with pytest.raises(DeskError, match="give a number"):
            person_number(bad, "KEEP")


def test_the_commands_merge_and_undo_in_one_line_each(team, engine, db_url, capsys, desk_setting, two):
    keep, other, *_ = two
    desk_setting(db_url, "demo", "1")
    code, out, err = run_cli("--as", "priya", "people", "merge", f"#{keep}", str(other), "--reason", REASON,
                             "--db", db_url, capsys=capsys)
    assert code == 0, err
    assert out.startswith(f"merged #{other} into #{keep}: 1 case link and 1 arrangement moved (merge 1,")
    code, out, err = run_cli("--as", "priya", "people", "merge", str(keep), str(keep), "--reason", REASON,
                             "--db", db_url, capsys=capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "themselves" in err
    code, out, err = run_cli("--as", "ada", "people", "unmerge", "1", "--reason", "wrong", "--db", db_url,
                             capsys=capsys)
    assert code == 0, err
    assert out.startswith(f"undid merge 1: #{other} is a person again")
