"""Evaluate a policy pack: which rules apply to this case and action, and what they say.

Why failures become findings: a rule that breaks at run time (an admin's
expression reading a null field, say) must neither crash the desk nor pass
silently. It yields a `policy-error` finding naming the rule - severity advice
for an advice rule, otherwise warn (never block: an admin's mistake should
not stop the desk, but the handler gives a reason and the audit trail shows
it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from deskapp.core.contact_points import region_of
from deskapp.policy._cel import cel
from deskapp.policy.approvals import ApprovalSettings
from deskapp.policy.calendar import WorkingCalendar
from deskapp.policy.expressions import SAFE_FUNCTIONS, Template
from deskapp.policy.facts import ACTION_FACTS, CASE_FACTS, FactSettings, build_facts
from deskapp.policy.reasons import ReasonSettings
from deskapp.policy.snapshot import ActionSnap, CaseSnap
from deskapp.policy.timescales import Deadlines, TimescaleSet
from deskapp.policy.tone import ToneLexicon
from deskapp.vocab import SEVERITIES

SEVERITY_RANK = {"block": 0, "warn": 1, "advice": 2}
POLICY_ERROR = "policy-error"


@dataclass(frozen=True)
class Finding:
    """What a rule says about an action: rule id, severity (advice | warn | block), message."""

    rule: str
    severity: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class Level:
    """One severity of a rule: applies when `when` holds (None = always)."""

    severity: str
    say: Template
    when: Any = None  # cel.Program
    when_source: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    on: tuple[str, ...]
    levels: tuple[Level, ...]
    guard: Any = None  # cel.Program: the rule's own `when`; None = always
    guard_source: str = ""
    description: str = ""
    enabled: bool = True
    order: int = 0
    line: int = 0

    @property
    def severities(self) -> tuple[str, ...]:
        return tuple(level.severity for level in self.levels)


class RuleError(Exception):
    """A rule failed at run time (raised inside evaluation, turned into a finding)."""


def _short_error(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"no field {exc}"
    text = str(exc).split("\n")[0]
    text = re.sub(r"\. CEL does not coerce.*", "", text)
    text = re.sub(r"\. Check that the variable.*", "", text)
    return (text or type(exc).__name__)[:160]


@dataclass
class PolicyPack:
    """A loaded policies.yaml: calendar, timescales, tone lexicon and compiled rules."""

    rules: list[Rule]
    calendar: WorkingCalendar
    timescales: TimescaleSet
    tone: ToneLexicon = field(default_factory=ToneLexicon)
    settings: FactSettings = field(default_factory=FactSettings)
    approvals: ApprovalSettings = field(default_factory=ApprovalSettings)
    reasons: ReasonSettings = field(default_factory=ReasonSettings)
    version: int = 1
    path: Optional[Path] = None
    sha256: Optional[str] = None  # of the exact text loaded: what audit events record as policy_hash
    # Top-level facts some rule mentions (computed at load); None = all.
    case_keys: Optional[frozenset[str]] = None
    action_keys: Optional[frozenset[str]] = None
    _by_target: dict[str, list[Rule]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        by: dict[str, list[Rule]] = {}
        for r in self.rules:
            if not r.enabled:
                continue
            for target in r.on:
                by.setdefault(target, []).append(r)
        self._by_target = by

    # ----- questions others ask ----------------------------------------------------------

    def rule(self, rule_id: str) -> Optional[Rule]:
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def phone_region(self) -> str:
        """Where a phone written without +CC is read: the calendar's country (GB when it names none,
        or one libphonenumber does not know). Every normaliser of a phone a handler typed takes it
        from here: person keys, search, the forms, import."""
        return region_of(self.calendar.country)

    @property
    def rule_ids(self) -> list[str]:
        return [r.id for r in self.rules]

    def rules_for(self, target: str) -> list[Rule]:
        """Enabled rules that run for an action kind, or for "case" (standing advice)."""
        return list(self._by_target.get(target, ()))

    def deadlines(self, case: Any, now: datetime) -> Deadlines:
        """Acknowledgement and response deadlines of a case (CaseSnap or a row with the same names)."""
        return self.timescales.deadlines(case, now)

    def evaluate(self, case: CaseSnap, action: Optional[ActionSnap], now: datetime) -> list[Finding]:
        return evaluate(self, case, action, now)

    def summary(self) -> str:
        """One line for `policy check`. Each rule is counted once, by the strongest finding it can give
        (a rule may warn, then only advise as a deadline nears), so the parts add up to the total."""
        counts = {s: 0 for s in SEVERITIES}
        for r in self.rules:
            if r.severities:
                counts[max(r.severities, key=SEVERITIES.index)] += 1
        enabled = sum(1 for r in self.rules if r.enabled)
        names = ", ".join(t.name for t in self.timescales.timescales) or "none"
        sev = ", ".join(f"{counts[s]} {s}" for s in ("block", "warn", "advice"))
        return (f"{len(self.rules)} rules ({enabled} enabled; by strongest finding: {sev}), "
                f"timescales: {names}, calendar: {self.calendar.describe()}, "
                f"tone: {len(self.tone.phrases)} phrases"
                + (f", classifier {self.tone.classifier.label}" if self.tone.classifier is not None else ""))

    # ----- evaluation pieces -------------------------------------------------------------

    def facts(self, case: CaseSnap, action: Optional[ActionSnap], now: datetime) -> dict[str, Any]:
        return build_facts(case, action, now, self.calendar, self.timescales, self.tone, self.settings,
                           self.case_keys, self.action_keys)

    def context(self, facts: dict[str, Any]) -> "cel.Context":
        return cel.Context(facts, functions=SAFE_FUNCTIONS)


def _truth(program: Any, ctx: Any, source: str) -> bool:
    value = program.execute(ctx)
    if isinstance(value, bool):
        return value
    raise RuleError(f"`{' '.join(source.split())[:60]}` gave {type(value).__name__}, not true/false")


def run_rule(rule: Rule, ctx: Any) -> Optional[Finding]:
    """The rule's finding in this context, or None; raises on a broken rule."""
    if rule.guard is not None and not _truth(rule.guard, ctx, rule.guard_source):
        return None
    for level in rule.levels:
        if level.when is None or _truth(level.when, ctx, level.when_source):
            return Finding(rule.id, level.severity, level.say.render(ctx))
    return None


def _error_finding(rule: Rule, exc: BaseException) -> Finding:
    severity = "advice" if set(rule.severities) == {"advice"} else "warn"
    return Finding(
        POLICY_ERROR,
        severity,
        f"Rule '{rule.id}' could not be checked ({_short_error(exc)}). "
        f"Check this action yourself and tell your policy admin.",
    )


def evaluate(pack: PolicyPack, case: CaseSnap, action: Optional[ActionSnap], now: datetime) -> list[Finding]:
    """Findings for an action (rules whose `on` has action.kind) or, with action None, the
    standing advice about the case (rules `on: case`). Sorted block, warn, advice, then
    rule order. Never raises for a broken rule: see the module docstring."""
    target = "case" if action is None or action.kind == "case" else action.kind
    rules = pack._by_target.get(target)
    if not rules:
        return []
    if action is not None and action.kind == "case":
        action = None
    if now.tzinfo is not None:  # times are naive local everywhere else
        now = now.astimezone().replace(tzinfo=None)
    try:
        ctx = pack.context(pack.facts(case, action, now))
    except Exception as exc:  # a snapshot the facts cannot read: say so rather than stop the desk
        return [Finding(POLICY_ERROR, "warn",
                        f"The policy checks could not run on this case ({type(exc).__name__}: {_short_error(exc)}). "
                        f"Check this action yourself and tell your policy admin.")]
    found: list[tuple[int, int, Finding]] = []
    for rule in rules:
        try:
            finding = run_rule(rule, ctx)
        except Exception as exc:  # a broken rule must not stop the desk
            finding = _error_finding(rule, exc)
        if finding is not None:
            found.append((SEVERITY_RANK.get(finding.severity, 9), rule.order, finding))
    found.sort(key=lambda t: (t[0], t[1]))
    return [f for _, _, f in found]


ALL_CASE_KEYS = frozenset(CASE_FACTS)
ALL_ACTION_KEYS = frozenset(ACTION_FACTS)
