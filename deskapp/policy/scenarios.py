"""Scenario files: a case, an action and the findings expected - policy tests a team leader can write.

Format (YAML):

    scenarios:
      - name: phoning the resident directly
        now: 2026-03-10T11:00          # local time; default: the current time
        case: {ref, kind, category, stage, status, priority, received_at, acknowledged_at,
               responded_at, closed_at, status_changed_at, stage2_at, extension_days,
               assigned_to, stage1_handler, vulnerable, parties, history, appointments, persons}
        action: {kind, channel, direction, party, handler, body, to, at_request_of,
                 working_days, reason, outcome, call_id, extra, at, appointment}
        expect: [{rule, severity, contains}]   # must be among the findings
        forbid: [rule-id, ...]                  # must not be

With no action (or `action: {kind: case}`) the scenario checks the standing
advice about the case (rules `on: case`), exactly as `evaluate(pack, case,
None, now)`; with an action, the rules `on` that action's kind.

`persons` says who parties are across cases (the `person` facts):
    persons: [{id, name, parties: [p1], vulnerable, vulnerability_reason, open_cases,
               arrangements: [{representative, kind, organisation, party, authorised_by,
                               starts_at, ends_at, case, recorded_at}]}]

Party references (history, appointments, persons, action.party, at_request_of) must name a
listed party - unless the case lists no parties at all, when ids are taken as written.

A scenario passes when every `expect` entry matches a finding (same rule;
same severity and message text containing `contains`, when given), no
`forbid` rule fired, and no rule failed to run (`policy-error`) unless expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, ValidationInfo, field_validator, model_validator
from yaml.nodes import MappingNode, Node, ScalarNode

from deskapp.core.declared import Problem, Spots, did_you_mean, yaml_tree
from deskapp.policy import yamlsrc as Y
from deskapp.policy.engine import POLICY_ERROR, Finding, PolicyPack, evaluate
from deskapp.policy.loader import MAX_VALUES, PolicyFileError
from deskapp.policy.problems import Placer
from deskapp.policy.schema import At, LocalTime, Spec, Text, Words, one_or_list
from deskapp.core.people import ARRANGEMENT_KINDS
from deskapp.policy.snapshot import (
    ActionSnap,
    AppointmentSnap,
    CaseSnap,
    ContactSnap,
    PartySnap,
    PersonSnap,
    RepresentativeSnap,
)
from deskapp.vocab import (
    ACTION_KINDS,
    APPOINTMENT_STATUSES,
    CASE_KINDS,
    CASE_STATUSES,
    CHANNELS,
    DIRECTIONS,
    OUTCOMES,
    PARTY_ROLES,
    SEVERITIES,
)

@dataclass(frozen=True)
class Expectation:
    rule: str
    severity: Optional[str] = None
    contains: Optional[str] = None
    message: Optional[str] = None

    def matches(self, f: Finding) -> bool:
        if f.rule != self.rule:
            return False
        if self.severity and f.severity != self.severity:
            return False
        if self.contains and self.contains.lower() not in f.message.lower():
            return False
        if self.message is not None and " ".join(self.message.split()) != f.message:
            return False
        return True

    def describe(self) -> str:
        extra = [self.severity] if self.severity else []
        if self.contains:
            extra.append(f'containing "{self.contains}"')
        if self.message is not None:
            extra.append("with the exact message given")
        return self.rule + (f" ({', '.join(extra)})" if extra else "")


@dataclass(frozen=True)
class Scenario:
    name: str
    now: datetime
    case: CaseSnap
    action: Optional[ActionSnap]
    expect: tuple[Expectation, ...] = ()
    forbid: tuple[str, ...] = ()
    file: str = ""
    line: int = 0


@dataclass
class ScenarioResult:
    scenario: Scenario
    findings: list[Finding]
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def line(self) -> str:
        if self.passed:
            return f"PASS {self.scenario.name}"
        return f"FAIL {self.scenario.name}: " + "; ".join(self.failures)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.scenario.file,
            "name": self.scenario.name,
            "passed": self.passed,
            "failures": list(self.failures),
            "findings": [f.as_dict() for f in self.findings],
        }


# ---------------------------------------------------------------------------------------
# The declared shape of a scenario file


class PartySpec(Spec):
    id: Annotated[Words, AfterValidator(str.strip)] = Field(...)
    name: Text = None
    role: Literal[PARTY_ROLES] = "customer"  # type: ignore[valid-type]
    designated: bool = False
    authorised: bool = False
    organisation: Text = None
    email: Text = None
    phone: Text = None
    address: Text = None
    notes: Text = None

    def snap(self) -> PartySnap:
        return PartySnap(self.id, self.name or self.id, self.role, self.designated, self.authorised,
                         self.organisation or None)


PartyRef = Annotated[Words, AfterValidator(str.strip)]


class ContactSpec(Spec):
    at: LocalTime = Field(...)
    channel: Literal[CHANNELS] = Field(...)  # type: ignore[valid-type]
    direction: Literal[DIRECTIONS] = Field(...)  # type: ignore[valid-type]
    party: Optional[PartyRef] = None
    outcome: Optional[Literal[OUTCOMES]] = None  # type: ignore[valid-type]
    handler: Text = None
    body: Text = None
    summary: Text = None
    call_id: Text = None
    response_stage: Optional[int] = Field(None, ge=1, le=2)

    def snap(self) -> ContactSnap:
        return ContactSnap(self.at, self.channel, self.direction, self.party, self.outcome, self.handler or None,
                           self.body or self.summary or "", self.call_id or None, self.response_stage)


class AppointmentSpec(Spec):
    at: LocalTime = Field(...)
    status: Literal[APPOINTMENT_STATUSES] = "booked"  # type: ignore[valid-type]
    party: Optional[PartyRef] = None
    purpose: Text = None
    id: Text = None  # what an appointment action's `appointment` names

    def snap(self) -> AppointmentSnap:
        return AppointmentSnap(self.at, self.status, self.party, self.purpose or "", self.id or None)


class ArrangementSpec(Spec):
    representative: Text = Field(...)  # their name
    kind: Literal[ARRANGEMENT_KINDS] = "designated"  # type: ignore[valid-type]
    organisation: Text = None
    party: Optional[PartyRef] = None  # the representative's party on this case, if they are one here
    authorised_by: Text = None
    starts_at: Optional[LocalTime] = None
    ends_at: Optional[LocalTime] = None
    case: Text = None  # the ref of the case it was recorded on
    recorded_at: Optional[LocalTime] = None

    def snap(self) -> RepresentativeSnap:
        return RepresentativeSnap(self.representative or "", self.kind, self.organisation or None, self.party,
                                  self.authorised_by or "", self.starts_at, self.ends_at, self.case or None,
                                  self.recorded_at)


class PersonSpec(Spec):
    id: Annotated[Words, AfterValidator(str.strip)] = Field(...)
    name: Text = None
    parties: Optional[list[PartyRef]] = None
    vulnerable: bool = False
    vulnerability_reason: Text = None
    open_cases: int = Field(0, ge=0, le=1_000_000)
    arrangements: Optional[list[ArrangementSpec]] = None

    def snap(self) -> PersonSnap:
        return PersonSnap(self.id, self.name or self.id, tuple(self.parties or ()), self.vulnerable,
                          self.vulnerability_reason or "", self.open_cases,
                          tuple(a.snap() for a in self.arrangements or []))


class CaseSpec(Spec):
    ref: Text = None
    kind: Literal[CASE_KINDS] = None  # type: ignore[valid-type]
    category: Text = None
    title: Text = None
    stage: int = Field(None, ge=1, le=9)
    status: Literal[CASE_STATUSES] = None  # type: ignore[valid-type]
    priority: int = Field(None, ge=1, le=9)
    received_at: Optional[LocalTime] = None
    acknowledged_at: Optional[LocalTime] = None
    responded_at: Optional[LocalTime] = None
    closed_at: Optional[LocalTime] = None
    status_changed_at: Optional[LocalTime] = None
    stage2_at: Optional[LocalTime] = None
    extension_days: int = Field(None, ge=0, le=3660)
    assigned_to: Text = None
    stage1_handler: Text = None
    vulnerable: bool = None
    parties: Optional[list[PartySpec]] = None
    history: Optional[list[ContactSpec]] = None
    appointments: Optional[list[AppointmentSpec]] = None
    persons: Optional[list[PersonSpec]] = None

    @model_validator(mode="after")
    def _parties_known(self) -> "CaseSpec":
        first: dict[str, int] = {}
        for i, party in enumerate(self.parties or []):
            if party.id in first:
                raise At(f"duplicate party id '{party.id}' (first listed as parties[{first[party.id] + 1}])",
                         "parties", i)
            first[party.id] = i
        for key in ("history", "appointments"):
            for i, entry in enumerate(getattr(self, key) or []):
                _known_party(entry.party, self.party_ids(), key, i, "party")
        for i, person in enumerate(self.persons or []):
            for j, pid in enumerate(person.parties or []):
                _known_party(pid, self.party_ids(), "persons", i, "parties", j)
            for j, arrangement in enumerate(person.arrangements or []):
                _known_party(arrangement.party, self.party_ids(), "persons", i, "arrangements", j, "party")
        return self

    def party_ids(self) -> set[str]:
        return {p.id for p in self.parties or []}

    def snap(self) -> CaseSnap:
        given = {k: getattr(self, k) for k in self.model_fields_set if getattr(self, k) is not None}
        kw = {k: v for k, v in given.items() if k not in ("title", "parties", "history", "appointments", "persons")}
        kw["ref"] = self.ref or "C-0"
        if "category" in kw:
            kw["category"] = self.category or "general"
        for key in ("assigned_to", "stage1_handler"):
            kw[key] = getattr(self, key) or None
        return CaseSnap(parties=tuple(p.snap() for p in self.parties or []),
                        history=tuple(c.snap() for c in self.history or []),
                        appointments=tuple(a.snap() for a in self.appointments or []),
                        persons=tuple(p.snap() for p in self.persons or []), **kw)


def _known_party(pid: Optional[str], ids: set[str], *loc: Any) -> None:
    """A party reference must name a listed party (with none listed, any id is taken as written)."""
    if pid is not None and ids and pid not in ids:
        raise At(f"no party '{Y.short(pid)}' on the case{did_you_mean(pid, ids)} "
                 f"(parties: {', '.join(sorted(ids))})", *loc)


class ActionSpec(Spec):
    kind: Literal[ACTION_KINDS + ("case",)] = Field(...)  # type: ignore[valid-type]
    channel: Optional[Literal[CHANNELS]] = None  # type: ignore[valid-type]
    direction: Literal[DIRECTIONS] = None  # type: ignore[valid-type]
    party: Optional[PartyRef] = None
    handler: Text = None
    body: Text = None
    to: Text = None
    at_request_of: Optional[PartyRef] = None
    working_days: Optional[int] = Field(None, ge=0, le=3660)
    reason: Text = None
    outcome: Optional[Literal[OUTCOMES]] = None  # type: ignore[valid-type]
    call_id: Text = None
    extra: Optional[dict[str, Any]] = None
    at: Optional[LocalTime] = None  # appointment: when it is to be (book, move)
    appointment: Text = None  # appointment: the id of the case's appointment it changes

    @model_validator(mode="after")
    def _known_status(self) -> "ActionSpec":
        if self.kind == "status" and self.to and self.to not in CASE_STATUSES:
            raise At(f"unknown status '{Y.short(self.to)}'{did_you_mean(self.to, CASE_STATUSES)}; "
                     f"expected one of: {', '.join(CASE_STATUSES)}", "to")
        return self

    def snap(self) -> Optional[ActionSnap]:
        if self.kind == "case":
            return None
        direction = self.direction or ("internal" if self.kind == "note" else "out")
        return ActionSnap(kind=self.kind, channel=self.channel, direction=direction, party=self.party,
                          handler=self.handler or None, body=self.body or "", to=self.to or None,
                          at_request_of=self.at_request_of, working_days=self.working_days,
                          reason=self.reason or None, outcome=self.outcome, call_id=self.call_id or None,
                          extra=_plain(self.extra or {}), at=self.at, appointment=self.appointment or None)


def _plain(value: Any) -> Any:
    """action.extra as a form would give it: plain true/false and whole numbers typed, the rest text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value[:1000]]
    if isinstance(value, str):
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        if re.fullmatch(r"[+-]?\d{1,18}", value):
            return int(value)
    return value


def _action(value: Any) -> Any:
    if isinstance(value, str):
        if value.strip() == "case":
            return None  # `action: case` - standing advice, the same as no action
        raise ValueError(f"must be a mapping like {{kind: contact, party: p1}}, not '{Y.short(value)}'")
    return value


def _expectation(value: Any) -> Any:
    return {"rule": value} if isinstance(value, str) else value


class ExpectSpec(Spec):
    rule: Words = Field(...)
    severity: Literal[SEVERITIES] = None  # type: ignore[valid-type]
    contains: Words = None
    message: Text = None


class ScenarioSpec(Spec):
    name: Words = Field(...)
    now: Optional[LocalTime] = None
    case: CaseSpec = Field(...)
    action: Annotated[Optional[ActionSpec], BeforeValidator(_action)] = None
    expect: Optional[list[Annotated[ExpectSpec, BeforeValidator(_expectation)]]] = None
    forbid: Optional[one_or_list(Words)] = None
    description: Text = None

    @model_validator(mode="after")
    def _known_names(self, info: ValidationInfo) -> "ScenarioSpec":
        if self.action is not None:
            for key in ("party", "at_request_of"):
                _known_party(getattr(self.action, key), self.case.party_ids(), "action", key)
        rule_ids = (info.context or {}).get("rule_ids")
        if rule_ids is not None:
            for loc, rid in [(("expect", j, "rule"), e.rule) for j, e in enumerate(self.expect or [])] + \
                            [(("forbid", j), rid) for j, rid in enumerate(self.forbid or [])]:
                if rid not in rule_ids:
                    raise At(f"no rule '{Y.short(rid)}' in the policies{did_you_mean(rid, rule_ids)}", *loc)
        return self


class ScenarioFile(Spec):
    scenarios: list[ScenarioSpec] = Field(...)
    description: Text = None

    @field_validator("scenarios")
    @classmethod
    def _some(cls, value: list) -> list:
        if not value:
            raise ValueError("the list is empty")
        return value


# ---------------------------------------------------------------------------------------
# Loading


def load_scenarios(path: Union[str, Path], pack: Optional[PolicyPack] = None, now: Optional[datetime] = None) -> list[Scenario]:
    """Read one scenario file; raise PolicyFileError with PATH:LINE:COL problems when it is invalid.

    With `pack`, rule ids in expect/forbid are checked against it (a misspelt id in
    `forbid` would otherwise pass silently).
    """
    problems = Y.Problems(str(path))
    text = Y.read_text(Path(path), problems)
    if text is None:
        raise PolicyFileError(problems.items)
    return parse_scenarios(text, str(path), pack, now, problems)


def parse_scenarios(text: str, name: str = "scenarios.yaml", pack: Optional[PolicyPack] = None,
                    now: Optional[datetime] = None, problems: Optional[Y.Problems] = None) -> list[Scenario]:
    problems = problems or Y.Problems(name)
    root = Y.compose(text, problems)
    if root is None:
        if not problems:
            problems.add_at(1, 1, "the file is empty; it needs a `scenarios:` list")
        raise PolicyFileError(problems.items)
    data, spots, bad = yaml_tree(root, max_values=MAX_VALUES)
    if isinstance(data, list):  # a bare list of scenarios
        data, spots, root = {"scenarios": data}, _under("scenarios", spots), _wrapped(root)
    place = Placer(name, data, spots, root, problems.lines, top="scenario file",
                   named=("scenarios", "scenario", "name", _scenario_name))
    found = [Problem(name, spot, "", message) for spot, message in bad]
    context = {"rule_ids": set(pack.rule_ids) | {POLICY_ERROR} if pack is not None else None}
    try:
        spec = ScenarioFile.model_validate(data, context=context)
    except ValidationError as exc:
        found += place.errors(exc, ScenarioFile)
    if found:
        raise PolicyFileError([str(p) for p in sorted(found, key=lambda p: p.spot)])
    default_now = now or datetime.now().replace(second=0, microsecond=0)
    return [Scenario(s.name, s.now or default_now, s.case.snap(), s.action.snap() if s.action else None,
                     tuple(Expectation(e.rule, e.severity, e.contains, e.message) for e in s.expect or []),
                     tuple(s.forbid or ()), name, spots.at(("scenarios", i)).line)
            for i, s in enumerate(spec.scenarios)]


def _scenario_name(item: Any) -> Optional[str]:
    name = item.get("name") if isinstance(item, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def _under(key: str, spots: Spots) -> Spots:
    out = Spots()
    out.update({(key,) + loc: spot for loc, spot in spots.items()})
    out[()] = spots.at(())
    out.keys.update({(key,) + loc: spot for loc, spot in spots.keys.items()})
    return out


def _wrapped(root: Node) -> Node:
    """A mapping node {scenarios: root}, so key paths into a bare list find their nodes."""
    return MappingNode("tag:yaml.org,2002:map", [(ScalarNode("tag:yaml.org,2002:str", "scenarios"), root)])


# ---------------------------------------------------------------------------------------
# Running


def run_scenario(pack: PolicyPack, scenario: Scenario) -> ScenarioResult:
    findings = evaluate(pack, scenario.case, scenario.action, scenario.now)
    result = ScenarioResult(scenario, findings)
    for e in scenario.expect:
        if any(e.matches(f) for f in findings):
            continue
        same_rule = [f for f in findings if f.rule == e.rule]
        if not same_rule:
            result.failures.append(f"expected {e.describe()}, but it did not fire")
        else:
            got = same_rule[0]
            result.failures.append(f"expected {e.describe()}, but got {got.severity}: {got.message}")
    for rid in scenario.forbid:
        for f in findings:
            if f.rule == rid:
                result.failures.append(f"{rid} fired ({f.severity}): {f.message}")
                break
    expected_errors = any(e.rule == POLICY_ERROR for e in scenario.expect) or POLICY_ERROR in scenario.forbid
    if not expected_errors:
        for f in findings:
            if f.rule == POLICY_ERROR:
                result.failures.append(f"a rule failed to run: {f.message}")
    return result
