"""`deskapp erase`: a case's personal text tombstoned in one audited transaction; the chain still verifies."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from deskapp.actions import ActionRequest, ApprovalRequested, Done, save_draft, submit
from deskapp.core.rowdigest import TOMBSTONE
from deskapp.store.models import Appointment, ApprovalRequest, AuditEvent, Case, Contact, Draft, Party, Person
from deskapp.store.rowdigests import current_digests
from deskapp.store.search import search_case_ids
from deskapp.supervision.verify import verify

from desk_support import set_desk_setting

from .conftest import run_cli
from .test_audit_verify import needs_sqlite3, sqlite3_cli, sqlite_only

SECRET_WORDS = ("Lee Price", "Dana Hill", "Social services", "Booked the repair", "Contractor confirmed",
                "07700 900111", "lee@example.org", "Damp and a broken boiler", "boiler visit",
                "card 4111", "draft about Lee")
# A handler's reason stays (it is their justification, kept in the audit event itself): not erased.
REASON = "Dana needs it to match the refund"


@pytest.fixture
def story(worked_case, team, engine):
    """worked_case plus a phone number, an appointment, a pending approval request and a draft."""
    from deskapp.actions import audit, save_party

    sam = team["sam"]
    case = worked_case
    lee = next(p for p in case.parties if p.name == "Lee Price")
    case = save_party(sam, case.id, case.version, party_id=lee.id, phone="07700 900111",
                      email="lee@example.org").case
    rep = next(p for p in case.parties if p.designated)
    with Session(engine) as s, s.begin():
        s.add(Appointment(case_id=case.id, party_id=lee.id, at=datetime(2026, 3, 12, 10), purpose="boiler visit"))
        s.flush()
        audit.append(s, actor="sam", action="appointment.add", at=datetime(2026, 3, 10, 11), case_id=case.id)
    asked = submit(sam, ActionRequest(kind="message", case_id=case.id, version=case.version, channel="email",
                                      party_id=rep.id, summary="Refund", body="Refunded to card 4111 1111 1111 1111"),
                   request_approval=True, reason=REASON)
    assert isinstance(asked, ApprovalRequested), asked
    save_draft(sam, case.id, "message", {"subject": "Lee"}, "A draft about Lee Price")
    return case


def erase(capsys, db_url, ref, *extra, user="ada"):
    set_desk_setting(db_url, "demo", "1")  # a test desk: `--as` picks the team member
    return run_cli("--as", user, "erase", ref, "--db", db_url, *extra, capsys=capsys)


def dump(engine, case_id) -> dict[str, list]:
    """Every stored field of the case's rows (for before/after comparisons)."""
    out = {}
    with engine.connect() as conn:
        for table in ("cases", "parties", "contacts", "appointments", "approval_requests", "drafts"):
            key = "id" if table == "cases" else "case_id"
            out[table] = [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} WHERE {key} = :c ORDER BY id"),
                                                          {"c": case_id})]
        out["audit_events"] = conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    return out


def rows_disagreeing_with_chain(engine) -> list[tuple[str, int]]:
    """Rows whose stored content no longer gives the digest the latest event recording them holds."""
    with engine.connect() as conn:
        latest = {}
        for tbl, row_id, digest in conn.execute(text("SELECT tbl, row_id, digest FROM audit_rows "
                                                     "ORDER BY event_id")):
            latest[(tbl, int(row_id))] = digest
        now = current_digests(conn, latest)
    return sorted(key for key, digest in latest.items() if now[key] != digest)


def all_text(engine, case_id) -> str:
    return json.dumps(dump(engine, case_id), default=str)


def test_erase_tombstones_personal_text_and_the_chain_still_verifies(story, engine, db_url, capsys):
    assert rows_disagreeing_with_chain(engine) == []
    before = dump(engine, story.id)
    with engine.connect() as conn:
        keys = [("cases", story.id)] + [(t, r[0]) for t in ("parties", "contacts", "appointments",
                                                              "approval_requests")
                                         for r in conn.execute(text(f"SELECT id FROM {t} WHERE case_id = :c"),
                                                               {"c": story.id})]
        # Lee and Dana are on no other case: their persons go with the case (people1).
        keys += [("persons", r[0]) for r in conn.execute(
            text("SELECT DISTINCT person_id FROM parties WHERE case_id = :c"), {"c": story.id})]
        # Dana marked designated on the case is recorded on Lee too (an arrangement): it goes with them.
        keys += [("person_arrangements", r[0]) for r in conn.execute(
            text("SELECT id FROM person_arrangements WHERE case_id = :c"), {"c": story.id})]
        assert len([k for k in keys if k[0] == "person_arrangements"]) == 1
        digests_before = current_digests(conn, keys)

    code, out, err = erase(capsys, db_url, story.ref, "--reason", "Erasure request from the customer, ref DP-7")
    assert code == 0, err
    assert f"erased {story.ref}: personal text in {len(keys)} records replaced with [erased], 1 draft deleted" in out

    after_text = all_text(engine, story.id)
    for word in SECRET_WORDS:
        assert word not in after_text, word
    with Session(engine) as s:
        case = s.get(Case, story.id)
        assert case.title == TOMBSTONE and case.erased_at is not None
        assert case.record_salt != before["cases"][0][list(Case.__table__.c.keys()).index("record_salt")]
        # Dates, statuses, channels and who-did-what stay.
        assert (case.status, case.received_at, case.vulnerable) == ("new", datetime(2026, 3, 2, 9, 0), True)
        parties = s.execute(select(Party).where(Party.case_id == story.id).order_by(Party.id)).scalars().all()
        assert [(p.role, p.name, p.designated, p.organisation, p.phone) for p in parties] == [
            ("resident", TOMBSTONE, False, None, TOMBSTONE), ("representative", TOMBSTONE, True, TOMBSTONE, None)]
        contacts = s.execute(select(Contact).where(Contact.case_id == story.id)).scalars().all()
        assert {c.summary for c in contacts} == {TOMBSTONE}
        assert [(c.channel, c.direction) for c in contacts][:2] == [("phone", "out"), ("phone", "out")]
        assert s.execute(select(Appointment.purpose, Appointment.status)).all() == [(TOMBSTONE, "booked")]
        approval = s.execute(select(ApprovalRequest)).scalar_one()
        assert (approval.reason, approval.status, approval.action["summary"], approval.action["body"],
                approval.action["channel"]) == (TOMBSTONE, "pending", TOMBSTONE, TOMBSTONE, "email")
        assert {f["message"] for f in approval.findings} == {TOMBSTONE}
        assert s.execute(select(Draft)).all() == []
        persons = s.execute(select(Person).order_by(Person.id)).scalars().all()
        assert [(p.name, p.phone, p.email, p.erased_at) for p in persons] == [
            (TOMBSTONE, TOMBSTONE, TOMBSTONE, case.erased_at), (TOMBSTONE, None, None, case.erased_at)]
        event = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert dump(engine, story.id)["audit_events"] == before["audit_events"] + 1, "one event"
    assert (event.action, event.actor, event.reason, event.at) == \
        ("case.erase", "ada", "Erasure request from the customer, ref DP-7", case.erased_at)
    assert sorted(map(tuple, event.detail["erased"])) == sorted((t, i, digests_before[(t, i)]) for t, i in keys)
    assert not any(word in json.dumps(event.detail) for word in SECRET_WORDS)

    # The chain verifies, every row agrees with the digest its latest event recorded, search forgets the text.
    assert verify(engine).ok
    code, out, err = run_cli("audit", "verify", "--db", db_url, capsys=capsys)
    assert code == 0 and "audit chain intact" in out, err
    assert rows_disagreeing_with_chain(engine) == []
    assert search_case_ids(engine, "Lee Price") == [] and search_case_ids(engine, "boiler") == []
    assert search_case_ids(engine, "07700900111") == []
    assert search_case_ids(engine, story.ref) == [story.id]


def erased_by_ada(team, story):
    from deskapp.actions.erasure import erase_case

    return erase_case(team["ada"], story.ref, "Erasure request DP-7")  # ada's desk clock: Tue 10 Mar 11:00


def test_erasing_twice_is_a_clear_no_op(story, team, engine, db_url, capsys):
    erased_by_ada(team, story)
    before = dump(engine, story.id)
    code, out, err = erase(capsys, db_url, story.ref, "--reason", "Erasure request DP-7")
    assert code == 2 and out == ""
    assert err == f"deskapp: {story.ref} was already erased on Tue 10 Mar 2026 11:00 by ada: nothing to do\n"
    assert dump(engine, story.id) == before


def test_a_handler_cannot_erase_and_the_refusal_is_audited(story, engine, db_url, capsys):
    before = dump(engine, story.id)
    code, out, err = erase(capsys, db_url, story.ref, "--reason", "please", user="sam")
    assert code == 2
    assert err == "deskapp: sam is a handler: erasing a case's personal text needs an admin\n"
    after = dump(engine, story.id)
    assert after["audit_events"] == before["audit_events"] + 1
    assert {k: v for k, v in after.items() if k != "audit_events"} == \
        {k: v for k, v in before.items() if k != "audit_events"}
    with Session(engine) as s:
        refusal = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert (refusal.action, refusal.actor, refusal.detail["permission"]) == ("refused", "sam", "case.erase")
    # a supervisor cannot either
    assert erase(capsys, db_url, story.ref, "--reason", "please", user="priya")[0] == 2


@pytest.mark.parametrize("args, message", [
    (("C-404", "--reason", "Erasure request DP-7"), "deskapp: no case with reference 'C-404'\n"),
    (("{ref}", "--reason", "  "), "deskapp: reason: say why the case is erased (e.g. the erasure request it "
                                  "honours)\n"),
])
def test_bad_input_is_one_line_and_writes_nothing(story, engine, db_url, capsys, args, message):
    before = dump(engine, story.id)
    code, out, err = erase(capsys, db_url, *(a.format(ref=story.ref) for a in args))
    assert (code, out, err) == (2, "", message)
    assert dump(engine, story.id) == before


def test_missing_reason_is_an_argument_error(story, db_url, capsys):
    with pytest.raises(SystemExit) as exit_:
        erase(capsys, db_url, story.ref)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "the following arguments are required: --reason" in err and "Traceback" not in err


def test_erasure_is_atomic(story, team, engine, monkeypatch):
    """A failure after every row was changed (the search index step) leaves nothing changed at all."""
    from deskapp.actions import erasure

    before = dump(engine, story.id)

    def broken_index(session, case_id):
        session.flush()
        raise RuntimeError("disk full while indexing")

    monkeypatch.setattr(erasure, "reindex", broken_index)
    with pytest.raises(RuntimeError, match="disk full"):
        erasure.erase_case(team["ada"], story.ref, "Erasure request DP-7")
    assert dump(engine, story.id) == before
    assert search_case_ids(engine, "Lee Price") == [story.id]
    assert verify(engine).ok and rows_disagreeing_with_chain(engine) == []


def test_an_erased_case_exports_saying_so(story, team, engine, db_url, capsys):
    erased_by_ada(team, story)
    set_desk_setting(db_url, "demo", "1")
    code, out, err = run_cli("--as", "priya", "export", story.ref, "--db", db_url, capsys=capsys)
    assert code == 0, err
    assert out.startswith(f"# Case file {story.ref}: \\[erased\\]")
    assert ("**This case was erased on Tue 10 Mar 2026 11:00 by Ada Moss (ada): names, contact details and what "
            "was said were replaced with \\[erased\\]; dates, statuses and who did what are kept. Reason: "
            "Erasure request DP-7**") in out
    assert "Erased the personal text on the case" in out and "Changed party \\[erased\\]" in out
    for word in SECRET_WORDS:
        assert word not in out, word
    assert REASON in out, "the handler's reason is in the audit event: it stays"
    code, page, err = run_cli("--as", "priya", "export", story.ref, "--format", "html", "--db", db_url,
                              capsys=capsys)
    assert code == 0 and "This case was erased on Tue 10 Mar 2026 11:00 by Ada Moss (ada)" in page


@needs_sqlite3
@sqlite_only
def test_a_tombstone_written_by_hand_is_caught(story, engine, db_url, capsys):
    """Only an erasure event makes a tombstone acceptable: one typed in with sqlite3 is tampering.

    DEPENDS ON H2 (branch `verify`): skipped until its row check (deskapp.supervision.rowcheck) is merged.
    """
    pytest.importorskip("deskapp.supervision.rowcheck", reason="needs H2's row check in `audit verify` "
                                                               "(branch verify)")
    lee = next(p for p in story.parties if p.name == "Lee Price")
    sqlite3_cli(db_url, f"UPDATE parties SET name = '{TOMBSTONE}' WHERE id = {lee.id}")
    code, out, err = run_cli("audit", "verify", "--db", db_url, capsys=capsys)
    assert code == 1 and re.search(rf"\bpart(y|ies) {lee.id}\b", err), (out, err)


def test_work_after_erasure_still_verifies(story, team, engine, db_url, capsys):
    """An erased case worked afterwards (acknowledged, a note added): the tombstones stay accepted.

    With H2's row check as on branch `verify` (a tombstone accepted only where the LATEST event recording the
    row is `case.erase`) this fails: the case row is recorded again by the status change. The rule needs to
    accept a tombstone in a row that any `case.erase` event recorded. Kept as the test of that agreement.
    """
    erased_by_ada(team, story)
    from deskapp.actions.reads import case_view

    with Session(engine) as s:
        case = case_view(s, story.id)
    done = submit(team["sam"], ActionRequest(kind="status", case_id=case.id, version=case.version, to="acknowledged"))
    assert isinstance(done, Done), done
    done = submit(team["sam"], ActionRequest(kind="note", case_id=case.id, version=done.case.version,
                                             body="Acknowledged by letter"))
    assert isinstance(done, Done), done
    code, out, err = run_cli("audit", "verify", "--db", db_url, capsys=capsys)
    assert code == 0, (out, err)
