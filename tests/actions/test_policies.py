"""The desk runs on the published pack: its rules fire, its hash is on every event, a trial needs leave."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import ActionRequest, Blocked, Done, new_case, open_desk, submit
from deskapp.actions.policies import publish, rules_in_force
from deskapp.core.roles import NotAllowed
from deskapp.errors import DeskError
from deskapp.store import settings
from deskapp.store.handlers import add_handler
from deskapp.store.models import AuditEvent, Handler
from deskapp.store.models import PolicyPack as PackRow

NOW = datetime(2026, 3, 10, 11, 0)
NO_RULES = "version: 1\nrules: []\n"
CARD = "The card on file is 4111 1111 1111 1111, please confirm."


@pytest.fixture
def team(published):
    """An initialised desk (the packaged rules as version 1): sam a handler, ada an admin."""
    add_handler(published, "sam", "handler", "Sam Reid")
    add_handler(published, "ada", "admin", "Ada Lovel")
    return published


def card_message(desk):
    case = new_case(desk, kind="complaint", category="repairs", title="Refund", received_at=NOW,
                    party={"role": "customer", "name": "Lee Price"})
    request = ActionRequest(kind="message", case_id=case.id, version=case.version, channel="email",
                            party_id=case.parties[0].id, summary="Your refund", body=CARD)
    return submit(desk, request, reason="customer insisted")


def events(engine, action=None):
    with Session(engine) as s:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(s.execute(query).scalars())


def test_a_handler_cannot_swap_the_rules_and_the_card_block_still_fires(team, db_url, tmp_path):
    rules = tmp_path / "norules.yaml"
    rules.write_text(NO_RULES, encoding="utf-8")
    with pytest.raises(NotAllowed) as refused:
        open_desk(db_url, str(rules), "sam", clock=lambda: NOW)
    assert "\n" not in str(refused.value) and "admin" in str(refused.value)
    assert [e.actor for e in events(team, "policy.trial.refused")] == ["sam"]
    desk = open_desk(db_url, None, "sam", clock=lambda: NOW)
    try:
        in_force = rules_in_force(team)
        pack, sha256, version = in_force
        assert (desk.policy_hash, desk.rules_version, desk.trial_rules) == (sha256, version, None) == \
            (in_force.sha256, 1, None)
        assert "card-number-disclosure" in pack.rule_ids
        outcome = card_message(desk)
        assert isinstance(outcome, Blocked)
        assert "card-number-disclosure" in [f.rule for f in outcome.findings]
    finally:
        desk.close()
    assert {e.policy_hash for e in events(team)} == {in_force.sha256}, "every event names the pack"


def test_an_admin_publishes_and_the_next_desk_runs_on_it(team, db_url):
    ada = open_desk(db_url, None, "ada", clock=lambda: NOW)
    try:
        done = publish(ada, NO_RULES, source="team/norules.yaml", note="trying it")
    finally:
        ada.close()
    assert (done.version, done.published_by, done.unchanged) == (2, "ada", False)
    sam = open_desk(db_url, None, "sam", clock=lambda: NOW)
    try:
        assert (sam.policy_hash, sam.rules_version) == (done.sha256, 2)
        assert sam.policies.rules == []
        assert isinstance(card_message(sam), Done), "the published pack has no rules: nothing blocks"
    finally:
        sam.close()
    published = events(team, "policy.publish")[-1]
    assert (published.actor, published.detail["replaces"]["version"], published.detail["note"]) == \
        ("ada", 1, "trying it")
    written_after = [e for e in events(team) if e.id > published.id]
    assert written_after and {e.policy_hash for e in written_after} == {done.sha256}


def test_a_handler_cannot_publish_through_the_api_either(team, db_url):
    sam = open_desk(db_url, None, "sam", clock=lambda: NOW)
    try:
        with pytest.raises(NotAllowed):
            publish(sam, NO_RULES, source="mine.yaml")
    finally:
        sam.close()
    assert len(rules_history(team)) == 1
    assert [e.actor for e in events(team, "policy.publish.refused")] == ["sam"]


def test_a_demoted_admin_is_refused_at_once(team, db_url):
    """The role is re-read in the transaction: a desk opened as admin does not keep the power."""
    ada = open_desk(db_url, None, "ada", clock=lambda: NOW)
    try:
        with Session(team) as s, s.begin():
            s.execute(select(Handler).where(Handler.username == "ada")).scalar_one().role = "handler"
        with pytest.raises(NotAllowed):
            publish(ada, NO_RULES, source="late.yaml")
    finally:
        ada.close()
    assert len(rules_history(team)) == 1


def test_a_trial_pack_for_an_admin_or_on_a_demo_desk(team, db_url, tmp_path):
    rules = tmp_path / "norules.yaml"
    rules.write_text(NO_RULES, encoding="utf-8")
    ada = open_desk(db_url, str(rules), "ada", clock=lambda: NOW)
    try:
        assert ada.trial_rules == str(rules) and ada.rules_version is None
        assert ada.policy_hash == ada.policies.sha256 != rules_in_force(team).sha256
        card_message(ada)
    finally:
        ada.close()
    assert events(team)[-1].policy_hash == ada.policy_hash, "an event names the trial pack it was checked against"
    with Session(team) as s, s.begin():
        settings.put(s, settings.DEMO, "1", NOW)
    sam = open_desk(db_url, str(rules), "sam", clock=lambda: NOW)
    sam.close()
    assert sam.trial_rules == str(rules)


def test_rules_edited_in_the_database_stop_the_desk_with_one_line(team, db_url):
    with Session(team) as s, s.begin():
        s.execute(select(PackRow)).scalar_one().text += "\n# edited in the database\n"
    with pytest.raises(DeskError) as caught:
        open_desk(db_url, None, "sam")
    assert "do not match their sha256" in str(caught.value) and "\n" not in str(caught.value)


def test_a_database_with_no_published_rules_says_run_init(db_url):
    from deskapp.store.engine import connect
    from deskapp.store.migrate import upgrade

    engine = connect(db_url)
    try:
        upgrade(engine)  # migrated, but nothing published (as a database from before published packs)
        add_handler(engine, "sam", "handler", "Sam Reid")
    finally:
        engine.dispose()
    with pytest.raises(DeskError, match="run `deskapp init`"):
        open_desk(db_url, None, "sam")


def rules_history(engine):
    from deskapp.actions.policies import history

    return history(engine)
