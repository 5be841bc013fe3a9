"""A day at the desk with card numbers everywhere leaves no full card number at rest (issue 15 item 1).

Typed into a new case and its parties, drafted (autosave), asked approval for and
carried out, imported and exported, logged: then every column of every table
(and on SQLite the raw file after a WAL checkpoint), the log file and the
export are scanned for any Luhn-valid card number, with any separators.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import ActionRequest, ApprovalRequested, Blocked, Done, decide_approval, load_case, new_case, \
    save_party, submit
from deskapp.actions.drafts import load_draft, save_draft
from deskapp.actions.inbox import complete_approval, my_requests
from deskapp.core.cardlog import log_to_file
from deskapp.core.cards import find_cards
from deskapp.store.models import ApprovalRequest, AuditEvent, Contact, Draft
from deskapp.supervision.export import export_case
from deskapp.supervision.importing import import_file
from deskapp.supervision.verify import verify

from cardscan import scan_database, scan_sqlite_file, scan_text

VISA = "4111 1111 1111 1111"
TYPED = f"Your card {VISA} was charged twice."
AMEX = "3782-822463-10005"
OVER_TWO_LINES = "card 5555 5555\n5555 4444 please refund"
IMPORTED = {
    "source": "OldCRM",
    "cases": [{
        "external_ref": "X-1", "kind": "complaint", "title": "Refund to 4012 8888 8888 1881",
        "received_at": "2026-03-02T09:00:00",
        "parties": [{"name": "Lee Price", "role": "customer", "phone": "07700 900111",
                     "notes": "paid with 6011.1111.1111.1117", "address": "1 High St\n4000 0566 5566 5556"}],
        "contacts": [{"at": "2026-03-02T09:00:00", "channel": "email", "direction": "in", "party": "Lee Price",
                      "summary": "card 3530111333300000", "body": "my card is 5105 1051 0510 5100 exp 1/29"}],
        "appointments": [{"at": "2026-03-20T09:00:00", "party": "Lee Price", "purpose": "bring 4111111111111111",
                          "status": "booked"}],
    }],
}


def test_a_day_at_the_desk_leaves_no_full_card_number(team, engine, db_url, tmp_path):
    sam, priya, ada = team["sam"], team["priya"], team["ada"]
    log_path = tmp_path / "desk.log"
    handler = log_to_file(str(log_path))
    try:
        case = new_case(sam, kind="complaint", category="billing", title=f"Charged twice on {VISA}",
                        received_at=datetime(2026, 3, 9, 9, 0),
                        party={"role": "customer", "name": "Ray Moss", "notes": OVER_TWO_LINES})
        done = save_party(sam, case.id, case.version, party_id=case.parties[0].id, name="Ray Moss",
                          address=f"2 Low Rd, card {AMEX}", email="ray@example.org")
        assert isinstance(done, Done), done
        case = done.case
        party = case.parties[0]

        # Autosave of a message being typed: the body and the form's fields.
        save_draft(sam, case.id, "message", {"summary": f"Re {VISA}", "cc": [AMEX]}, TYPED)
        assert load_draft(sam, case.id, "message") == (
            {"summary": "Re 4111 11•• •••• 1111", "cc": ["3782-82••••-•0005"]}, "Your card 4111 11•• •••• 1111 was charged twice.")

        # The block rule fires on what was typed; the approval and its carrying out store the masked form.
        message = ActionRequest(kind="message", case_id=case.id, version=case.version, channel="email",
                                party_id=party.id, summary=f"Card {VISA}", body=TYPED)
        blocked = submit(sam, message)
        assert isinstance(blocked, Blocked) and any("1111" in f.message for f in blocked.findings)
        asked = submit(sam, message, request_approval=True, reason=f"He read out {AMEX} himself")
        assert isinstance(asked, ApprovalRequested)
        decide_approval(priya, asked.approval_id, approve=True, reason=f"Checked; he owns {VISA}")
        (view,) = [a for a in my_requests(sam) if a.id == asked.approval_id]
        assert isinstance(complete_approval(sam, view), Done)

        # A note and a call record with card numbers in them (not rule-checked as outbound).
        case = load_case(sam, case.id)
        note = submit(sam, ActionRequest(kind="note", case_id=case.id, version=case.version, body=OVER_TWO_LINES))
        assert isinstance(note, (Done, Blocked))

        path = tmp_path / "old.json"
        path.write_text(json.dumps(IMPORTED), encoding="utf-8")
        report = import_file(ada, str(path))
        assert report.cards_masked == 6 and "6 card numbers masked" in report.summary()

        exported = tmp_path / "case.md"
        body, _casefile, _where = export_case(priya, case.ref, "md", str(exported))
        logging.getLogger("deskapp.test").warning("handler typed %s", TYPED)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()

    with Session(engine) as s:
        stored = s.execute(select(ApprovalRequest)).scalar_one()
        assert stored.action["body"] == "Your card 4111 11•• •••• 1111 was charged twice."
        assert stored.reason == "He read out 3782-82••••-•0005 himself"
        assert stored.decision_reason == "Checked; he owns 4111 11•• •••• 1111"
        sent = s.execute(select(Contact).where(Contact.case_id == case.id, Contact.channel == "email")).scalar_one()
        assert sent.body == "Your card 4111 11•• •••• 1111 was charged twice."
        assert s.execute(select(Draft)).scalars().all() != []
        assert sent.summary == "Card 4111 11•• •••• 1111"
        # The audit event keeps the request's shape, not its text: the contact row holds that.
        assert "summary" not in s.execute(select(AuditEvent).where(AuditEvent.action == "message")).scalar_one().detail[
            "request"]

    found = scan_database(engine) + scan_text("export", exported.read_text(encoding="utf-8")) + \
        scan_text("log", log_path.read_text(encoding="utf-8")) + scan_text("export body", body)
    if db_url.startswith("sqlite"):
        found += scan_sqlite_file(engine)
    assert found == []
    assert "4111 11•• •••• 1111" in exported.read_text(encoding="utf-8")
    assert "4111 11•• •••• 1111" in log_path.read_text(encoding="utf-8")
    assert verify(engine).ok, "masking before hashing keeps the chain and the row digests whole"


def test_scan_finds_a_card_written_past_the_masking(engine, published):
    """The scan itself can fail: a number written with raw SQL (as before evidence2) is found."""
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO desk_settings (key, value, updated_at) "
                             "VALUES ('x', 'card 4111 1111 1111 1111', '2026-03-10 00:00:00')")
    assert scan_database(engine) == ["desk_settings.value: Visa ending 1111"]
    assert find_cards("4111 11•• •••• 1111") == []
