"""evaluate(): which rules run, ordering, broken rules, and the facts they see."""

from __future__ import annotations

import json
import time
from datetime import datetime


from deskapp.policy import (
    POLICY_ERROR,
    ActionSnap,
    AppointmentSnap,
    CaseSnap,
    ContactSnap,
    Finding,
    PartySnap,
    evaluate,
    load_policies_text,
)
from deskapp.policy.engine import ALL_ACTION_KEYS, ALL_CASE_KEYS
from deskapp.policy.facts import build_facts

NOW = datetime(2026, 3, 10, 11, 0)


def case(**kw):
    base = dict(ref="C-1", kind="complaint", status="new", received_at=datetime(2026, 3, 2, 9),
                parties=(PartySnap("p1", "Lee Price", "resident"),
                         PartySnap("p2", "Dana Hill", "representative", designated=True, organisation="Social services")))
    base.update(kw)
    return CaseSnap(**base)


def test_action_none_gives_standing_advice_only(pack):
    c = case(received_at=datetime(2026, 2, 2, 9))
    standing = evaluate(pack, c, None, NOW)
    assert {f.rule for f in standing} == {"acknowledgement-due", "response-due"}
    assert evaluate(pack, c, ActionSnap("case"), NOW) == standing
    assert all(f.rule not in ("acknowledgement-due",) for f in evaluate(pack, c, ActionSnap("note"), NOW))


def test_sorted_by_severity_then_rule_order(pack):
    body = "You never read anything. Card 4111 1111 1111 1111."
    found = evaluate(pack, case(), ActionSnap("message", channel="email", party="p1", body=body), NOW)
    assert [(f.rule, f.severity) for f in found] == [
        ("card-number-disclosure", "block"), ("designated-representative", "warn"), ("hostile-tone", "warn")]
    assert json.loads(json.dumps([f.as_dict() for f in found]))[0] == {
        "rule": "card-number-disclosure", "severity": "block", "message": found[0].message}
    assert "4111 1111" not in found[0].message and "Visa ending 1111" in found[0].message


def test_finding_is_a_plain_value():
    f = Finding("r", "warn", "m")
    assert f.as_dict() == {"rule": "r", "severity": "warn", "message": "m"}
    assert f == Finding("r", "warn", "m")


BROKEN = """
version: 1
rules:
  - {id: first, on: case, when: 'true', severity: block, say: 'first'}
  - id: index-out-of-range
    on: case
    when: case.parties[5].name == "x"
    severity: warn
    say: never
  - id: advice-with-bad-say
    on: case
    when: 'true'
    severity: advice
    say: "{case.parties[7].name}"
  - {id: last, on: case, when: 'true', severity: advice, say: 'last'}
"""


def test_a_broken_rule_becomes_a_policy_error_finding():
    pack = load_policies_text(BROKEN)
    found = evaluate(pack, case(), None, NOW)
    assert [(f.rule, f.severity) for f in found] == [
        ("first", "block"), (POLICY_ERROR, "warn"), (POLICY_ERROR, "advice"), ("last", "advice")]
    assert "index-out-of-range" in found[1].message and "advice-with-bad-say" in found[2].message


def test_rules_only_run_for_their_kinds(pack):
    c = case()
    assert evaluate(pack, c, ActionSnap("contact", channel="phone", party="p2"), NOW) == []
    assert [f.rule for f in evaluate(pack, c, ActionSnap("contact", channel="phone", party="p1"), NOW)] == [
        "designated-representative"]
    # Card numbers and tone are message rules: a call note with a card number is not blocked by them.
    assert evaluate(pack, c, ActionSnap("note", direction="internal", body="4111 1111 1111 1111"), NOW) == []


def test_every_fact_key_always_present():
    from deskapp.policy.calendar import WorkingCalendar
    from deskapp.policy.timescales import TimescaleSet
    from deskapp.policy.tone import ToneLexicon

    cal = WorkingCalendar()
    empty = build_facts(CaseSnap("X"), ActionSnap("message"), NOW, cal, TimescaleSet(cal, []), ToneLexicon())
    assert set(empty["case"]) == ALL_CASE_KEYS and set(empty["action"]) == ALL_ACTION_KEYS
    full = build_facts(case(), ActionSnap("message", party="p1", body="x"), NOW, cal, TimescaleSet(cal, []), ToneLexicon())
    assert set(full["case"]["sla"]) == set(empty["case"]["sla"])
    assert set(full["case"]["designated_representative"]) == set(empty["case"]["designated_representative"])


def test_facts_for_contact_patterns(pack):
    c = case(
        status="awaiting_third_party",
        status_changed_at=datetime(2026, 3, 2, 9),
        parties=(PartySnap("p1", "Lee Price", "resident"), PartySnap("t1", "Ace", "third_party")),
        history=(
            ContactSnap(datetime(2026, 3, 3, 9), "email", "out", "p1", handler="sam"),
            ContactSnap(datetime(2026, 3, 4, 9), "email", "out", "p1", handler="sam"),
            ContactSnap(datetime(2026, 3, 10, 10, 30), "phone", "in", "p1", "warning_given", "jo"),
        ),
        appointments=(AppointmentSnap(datetime(2026, 3, 5, 9), "missed", "p1"),),
    )
    facts = pack.facts(c, ActionSnap("end_call", party="p1"), NOW)
    cf = facts["case"]
    assert cf["max_unanswered"] == 0  # the inbound call answered them
    assert cf["third_party_wait"]["waiting"] and cf["third_party_wait"]["working_days"] == 6
    assert cf["missed_not_followed_up"] == []  # the inbound call came after the appointment
    assert facts["action"]["warning_given_in_call"] is True
    assert cf["stage1_handlers"] == ["sam", "jo"]


def test_fast_enough(pack):
    c = case(history=tuple(ContactSnap(datetime(2026, 3, 3, 9 + i % 8), "email", "out", "p2", body="x" * 200)
                           for i in range(20)))
    action = ActionSnap("message", channel="email", party="p1", body="Thank you for your patience. " * 20)
    evaluate(pack, c, action, NOW)
    t = time.thread_time()  # CPU time: robust on a busy machine
    for _ in range(200):
        evaluate(pack, c, action, NOW)
        evaluate(pack, c, None, NOW)
    per_action = (time.thread_time() - t) / 400
    print(f"evaluate: {per_action * 1e3:.2f} ms per call")
    assert per_action < 0.005
