"""New audit events hold no personal text, and an erased case reads plainly on the desk."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import ActionRequest, Conflict, Done, new_case, save_party, submit
from deskapp.actions.reads import case_view
from deskapp.store.models import AuditEvent

PERSONAL = ("Robin Quill", "robin@example.net", "01632 960123", "12 Elm Row", "prefers mornings", "Quill Ltd",
            "Boiler broke again", "ring me after six", "Your repair is booked", "the engineer will call")


def details(engine) -> list[tuple[str, dict]]:
    with Session(engine) as s:
        return [(e.action, e.detail) for e in s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()]


def test_new_audit_events_carry_no_personal_text(team, engine):
    sam = team["sam"]
    case = new_case(sam, kind="complaint", category="repairs", title="Heating",
                    party={"name": "Robin Quill", "email": "robin@example.net", "phone": "01632 960123",
                           "address": "12 Elm Row", "notes": "prefers mornings"})
    robin = case.parties[0]
    done = save_party(sam, case.id, case.version, party_id=robin.id, phone="01632 960123", organisation="Quill Ltd",
                      authorised=True)
    case = done.case
    done = submit(sam, ActionRequest(kind="contact", case_id=case.id, version=case.version, channel="phone",
                                     direction="in", party_id=robin.id, outcome="reached",
                                     summary="Boiler broke again", body="ring me after six"))
    assert isinstance(done, Done), done
    done = submit(sam, ActionRequest(kind="message", case_id=case.id, version=done.case.version, channel="email",
                                     party_id=robin.id, summary="Your repair is booked",
                                     body="Dear Robin Quill, the engineer will call"))
    assert isinstance(done, Done), done
    done = submit(sam, ActionRequest(kind="status", case_id=case.id, version=done.case.version, to="acknowledged"))
    assert isinstance(done, Done), done

    written = details(engine)
    text = json.dumps(written)
    assert not [word for word in PERSONAL if word in text]
    by_action = {action: detail for action, detail in written}
    assert by_action["case.new"]["party_id"] == robin.id and "party" not in by_action["case.new"]
    # party.edit names the fields that changed (the phone was the same), and the yes/no marks set
    assert by_action["party.edit"] == {"version": 2, "party_id": robin.id, "changed": ["authorised", "organisation"],
                                       "authorised": True}
    request = by_action["message"]["request"]
    assert (request["kind"], request["channel"], request["party_id"]) == ("message", "email", robin.id)
    assert not {"summary", "body", "extra"} & set(request)
    assert by_action["status"]["to"] == "acknowledged"


def test_the_conflict_message_still_names_what_changed(team):
    sam, jo = team["sam"], team["jo"]
    case = new_case(sam, kind="complaint", category="repairs", title="Heating", party={"name": "Robin Quill"})
    assert isinstance(submit(jo, ActionRequest(kind="status", case_id=case.id, version=case.version,
                                               to="acknowledged")), Done)
    stale = submit(sam, ActionRequest(kind="note", case_id=case.id, version=case.version, body="a note"))
    assert isinstance(stale, Conflict)
    assert "was changed by jo (status → acknowledged)" in stale.message


def test_an_erased_case_reads_plainly_in_the_case_pane(worked_case, team, engine):
    from deskapp.actions.erasure import erase_case
    from deskapp.tui.widgets.case_pane import case_blocks

    erase_case(team["ada"], worked_case.ref, "Erasure request DP-7")
    with Session(engine) as s:
        view = case_view(s, worked_case.id)
    shown = "\n".join(block.content.plain for block in case_blocks(view))
    assert shown.count("[erased]") >= 4, shown  # the title, both parties, every contact's summary
    assert "Lee Price" not in shown and "Dana Hill" not in shown and "Booked the repair" not in shown
    assert "Phone" in shown or "phone" in shown, "channels and outcomes stay"
