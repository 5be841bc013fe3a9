"""The policy engine: rules in policies.yaml, checked before a handler acts.

Pure: no database, no UI. The action layer (and `deskapp policy test`) hands it
a CaseSnap and an ActionSnap; it computes facts (deadlines in working days,
card numbers, tone, contact patterns), runs the CEL rules and returns
findings: advice, warn or block.

    pack = load_policies()                    # policies.yaml, compiled once
    findings = evaluate(pack, case, action, now)
    pack.deadlines(case, now).next_due        # for the queue's due date
"""

from deskapp.policy.calendar import WorkingCalendar
from deskapp.policy.cards import CardMatch, find_card_numbers, find_cards
from deskapp.policy.engine import POLICY_ERROR, Finding, PolicyPack, Rule, evaluate
from deskapp.policy.loader import PolicyFileError, check_policies, load_policies, load_policies_text
from deskapp.policy.snapshot import ActionSnap, AppointmentSnap, CaseSnap, ContactSnap, PartySnap
from deskapp.policy.timescales import Deadlines
from deskapp.policy.tone import ToneLexicon, ToneResult, assess_tone
from deskapp.policy import tonemodel as _tonemodel  # noqa: F401,E402 - registers the model with tone

__all__ = [
    "ActionSnap",
    "AppointmentSnap",
    "CardMatch",
    "CaseSnap",
    "ContactSnap",
    "Deadlines",
    "Finding",
    "POLICY_ERROR",
    "PartySnap",
    "PolicyFileError",
    "PolicyPack",
    "Rule",
    "ToneLexicon",
    "ToneResult",
    "WorkingCalendar",
    "assess_tone",
    "check_policies",
    "evaluate",
    "find_card_numbers",
    "find_cards",
    "load_policies",
    "load_policies_text",
]
