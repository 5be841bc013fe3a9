"""Scenario files: a case, an action and the findings expected - policy tests a team leader can write.

Format (YAML):

    scenarios:
      - name: phoning the resident directly
        now: 2026-03-10T11:00          # local time; default: the current time
        case: {ref, kind, category, stage, status, priority, received_at, acknowledged_at,
               responded_at, closed_at, status_changed_at, stage2_at, extension_days,
               assigned_to, stage1_handler, vulnerable, parties, history, appointments}
        action: {kind, channel, direction, party, handler, body, to, at_request_of,
                 working_days, reason, outcome, call_id, extra}
        expect: [{rule, severity, contains}]   # must be among the findings
        forbid: [rule-id, ...]                  # must not be

With no action (or `action: {kind: case}`) the scenario checks the standing
advice about the case (rules `on: case`), exactly as `evaluate(pack, case,
None, now)`; with an action, the rules `on` that action's kind.

Party references (history, appointments, action.party, at_request_of) must name a
listed party - unless the case lists no parties at all, when ids are taken as written.

A scenario passes when every `expect` entry matches a finding (same rule;
same severity and message text containing `contains`, when given), no
`forbid` rule fired, and no rule failed to run (`policy-error`) unless expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Optional, Union

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from deskapp.core.declared import did_you_mean
from deskapp.policy import yamlsrc as Y
from deskapp.policy.engine import POLICY_ERROR, Finding, PolicyPack, evaluate
from deskapp.policy.loader import PolicyFileError
from deskapp.policy.snapshot import ActionSnap, AppointmentSnap, CaseSnap, ContactSnap, PartySnap
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

FILE_KEYS = ("scenarios", "description")
SCENARIO_KEYS = ("name", "now", "case", "action", "expect", "forbid", "description")
CASE_KEYS = (
    "ref", "kind", "category", "title", "stage", "status", "priority", "received_at", "acknowledged_at",
    "responded_at", "closed_at", "status_changed_at", "stage2_at", "extension_days", "assigned_to",
    "stage1_handler", "vulnerable", "parties", "history", "appointments",
)
PARTY_KEYS = ("id", "name", "role", "designated", "authorised", "organisation", "email", "phone", "address", "notes")
CONTACT_KEYS = ("at", "channel", "direction", "party", "outcome", "handler", "body", "summary", "call_id",
                "response_stage")
APPOINTMENT_KEYS = ("at", "status", "party", "purpose")
ACTION_KEYS = (
    "kind", "channel", "direction", "party", "handler", "body", "to", "at_request_of", "working_days",
    "reason", "outcome", "call_id", "extra",
)
EXPECT_KEYS = ("rule", "severity", "contains", "message")
_CASE_DATETIMES = ("received_at", "acknowledged_at", "responded_at", "closed_at", "status_changed_at", "stage2_at")


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
    if isinstance(root, SequenceNode):
        seq_node: Optional[Node] = root
    else:
        items = Y.mapping(root, problems, "scenario file")
        if items is None:
            raise PolicyFileError(problems.items)
        found = Y.check_keys(items, FILE_KEYS, problems, "scenario file", required=("scenarios",), parent=root)
        seq_node = found["scenarios"][1] if "scenarios" in found else None
    out: list[Scenario] = []
    if seq_node is not None:
        seq = Y.sequence(seq_node, problems, "scenarios")
        if seq is not None and not seq:
            problems.add(seq_node, "scenarios: the list is empty")
        default_now = now or datetime.now().replace(second=0, microsecond=0)
        for i, node in enumerate(seq or []):
            s = _scenario(node, i, problems, pack, default_now, name)
            if s is not None:
                out.append(s)
    if problems:
        raise PolicyFileError(Y.in_file_order(problems.items))
    return out


def _scenario(node: Node, index: int, problems: Y.Problems, pack: Optional[PolicyPack], default_now: datetime,
              file: str) -> Optional[Scenario]:
    label = f"scenarios[{index + 1}]"
    items = Y.mapping(node, problems, label)
    if items is None:
        return None
    f = Y.check_keys(items, SCENARIO_KEYS, problems, label, required=("name", "case"), parent=node)
    before = len(problems.items)
    name = Y.text(f["name"][1], problems, f"{label}.name", allow_empty=False) if "name" in f else None
    if name:
        label = f"scenario '{Y.short(name)}'"
    now = default_now
    if "now" in f:
        now = Y.a_datetime(f["now"][1], problems, f"{label}: now") or default_now
    case = _case(f["case"][1], problems, label) if "case" in f else None
    party_ids = {p.id for p in case.parties} if case else set()
    action = None
    if "action" in f and not Y.is_null(f["action"][1]):
        action = _action(f["action"][1], problems, label, party_ids, case is not None)
    expect: list[Expectation] = []
    rule_ids = set(pack.rule_ids) | {POLICY_ERROR} if pack is not None else None
    if "expect" in f and not Y.is_null(f["expect"][1]):
        for j, e in enumerate(Y.sequence(f["expect"][1], problems, f"{label}: expect") or []):
            x = _expectation(e, problems, f"{label}: expect[{j + 1}]", rule_ids)
            if x is not None:
                expect.append(x)
    forbid: list[str] = []
    if "forbid" in f and not Y.is_null(f["forbid"][1]):
        for j, e in enumerate(Y.sequence(f["forbid"][1], problems, f"{label}: forbid", allow_scalar=True) or []):
            rid = Y.text(e, problems, f"{label}: forbid[{j + 1}]", allow_empty=False)
            if rid is not None and _known_rule(rid, e, rule_ids, problems, f"{label}: forbid"):
                forbid.append(rid)
    if len(problems.items) != before or name is None or case is None:
        return None
    return Scenario(name, now, case, action, tuple(expect), tuple(forbid), file, Y.position(node)[0])


def _known_rule(rid: str, node: Node, rule_ids: Optional[set[str]], problems: Y.Problems, what: str) -> bool:
    if rule_ids is None or rid in rule_ids:
        return True
    problems.add(node, f"{what}: no rule '{Y.short(rid)}' in the policies{did_you_mean(rid, rule_ids)}")
    return False


def _expectation(node: Node, problems: Y.Problems, what: str, rule_ids: Optional[set[str]]) -> Optional[Expectation]:
    if isinstance(node, ScalarNode):
        rid = Y.text(node, problems, what, allow_empty=False)
        if rid is None or not _known_rule(rid, node, rule_ids, problems, what):
            return None
        return Expectation(rid)
    items = Y.mapping(node, problems, what)
    if items is None:
        return None
    f = Y.check_keys(items, EXPECT_KEYS, problems, what, required=("rule",), parent=node)
    if "rule" not in f:
        return None
    rid = Y.text(f["rule"][1], problems, f"{what}.rule", allow_empty=False)
    if rid is None or not _known_rule(rid, f["rule"][1], rule_ids, problems, what):
        return None
    sev = Y.choice(f["severity"][1], problems, f"{what}.severity", SEVERITIES) if "severity" in f else None
    contains = Y.text(f["contains"][1], problems, f"{what}.contains", allow_empty=False) if "contains" in f else None
    message = Y.text(f["message"][1], problems, f"{what}.message") if "message" in f else None
    if ("severity" in f and sev is None) or ("contains" in f and contains is None):
        return None
    return Expectation(rid, sev, contains, message)


def _opt_text(f: dict, key: str, problems: Y.Problems, what: str) -> Optional[str]:
    if key not in f or Y.is_null(f[key][1]):
        return None
    value = Y.text(f[key][1], problems, f"{what}.{key}")
    return value if value else None


def _case(node: Node, problems: Y.Problems, label: str) -> Optional[CaseSnap]:
    what = f"{label}: case"
    items = Y.mapping(node, problems, what)
    if items is None:
        return None
    f = Y.check_keys(items, CASE_KEYS, problems, what)
    kw: dict[str, Any] = {}
    kw["ref"] = _opt_text(f, "ref", problems, what) or "C-0"
    if "kind" in f:
        kw["kind"] = Y.choice(f["kind"][1], problems, f"{what}.kind", CASE_KINDS)
    if "status" in f:
        kw["status"] = Y.choice(f["status"][1], problems, f"{what}.status", CASE_STATUSES)
    if "category" in f:
        kw["category"] = _opt_text(f, "category", problems, what) or "general"
    if "stage" in f:
        kw["stage"] = Y.integer(f["stage"][1], problems, f"{what}.stage", minimum=1, maximum=9)
    if "priority" in f:
        kw["priority"] = Y.integer(f["priority"][1], problems, f"{what}.priority", minimum=1, maximum=9)
    if "extension_days" in f:
        kw["extension_days"] = Y.integer(f["extension_days"][1], problems, f"{what}.extension_days", minimum=0, maximum=3660)
    if "vulnerable" in f:
        kw["vulnerable"] = Y.boolean(f["vulnerable"][1], problems, f"{what}.vulnerable")
    for key in _CASE_DATETIMES:
        if key in f and not Y.is_null(f[key][1]):
            kw[key] = Y.a_datetime(f[key][1], problems, f"{what}.{key}")
    for key in ("assigned_to", "stage1_handler"):
        kw[key] = _opt_text(f, key, problems, what)
    parties: list[PartySnap] = []
    if "parties" in f and not Y.is_null(f["parties"][1]):
        seen: dict[str, int] = {}
        for i, pnode in enumerate(Y.sequence(f["parties"][1], problems, f"{what}.parties") or []):
            p = _party(pnode, problems, f"{what}.parties[{i + 1}]")
            if p is None:
                continue
            if p.id in seen:
                problems.add(pnode, f"{what}.parties: duplicate party id '{p.id}' (first on line {seen[p.id]})")
                continue
            seen[p.id] = Y.position(pnode)[0]
            parties.append(p)
    ids = {p.id for p in parties}
    history: list[ContactSnap] = []
    if "history" in f and not Y.is_null(f["history"][1]):
        for i, cnode in enumerate(Y.sequence(f["history"][1], problems, f"{what}.history") or []):
            c = _contact(cnode, problems, f"{what}.history[{i + 1}]", ids)
            if c is not None:
                history.append(c)
    appointments: list[AppointmentSnap] = []
    if "appointments" in f and not Y.is_null(f["appointments"][1]):
        for i, anode in enumerate(Y.sequence(f["appointments"][1], problems, f"{what}.appointments") or []):
            a = _appointment(anode, problems, f"{what}.appointments[{i + 1}]", ids)
            if a is not None:
                appointments.append(a)
    if any(v is None for k, v in kw.items() if k not in ("assigned_to", "stage1_handler")):
        return None
    return CaseSnap(parties=tuple(parties), history=tuple(history), appointments=tuple(appointments),
                    **{k: v for k, v in kw.items() if v is not None or k in ("assigned_to", "stage1_handler")})


def _party(node: Node, problems: Y.Problems, what: str) -> Optional[PartySnap]:
    items = Y.mapping(node, problems, what)
    if items is None:
        return None
    f = Y.check_keys(items, PARTY_KEYS, problems, what, required=("id",), parent=node)
    if "id" not in f:
        return None
    pid = Y.text(f["id"][1], problems, f"{what}.id", allow_empty=False)
    name = _opt_text(f, "name", problems, what)
    role = Y.choice(f["role"][1], problems, f"{what}.role", PARTY_ROLES) if "role" in f else "customer"
    designated = Y.boolean(f["designated"][1], problems, f"{what}.designated") if "designated" in f else False
    authorised = Y.boolean(f["authorised"][1], problems, f"{what}.authorised") if "authorised" in f else False
    organisation = _opt_text(f, "organisation", problems, what)
    for key in ("email", "phone", "address", "notes"):
        _opt_text(f, key, problems, what)
    if pid is None or role is None or designated is None or authorised is None:
        return None
    return PartySnap(pid.strip(), name or pid.strip(), role, designated, authorised, organisation)


def _party_ref(f: dict, key: str, problems: Y.Problems, what: str, ids: set[str]) -> tuple[Optional[str], bool]:
    """(party id or None, ok)."""
    if key not in f or Y.is_null(f[key][1]):
        return None, True
    node = f[key][1]
    pid = Y.text(node, problems, f"{what}.{key}", allow_empty=False)
    if pid is None:
        return None, False
    pid = pid.strip()
    if ids and pid not in ids:  # no parties listed at all: any id is taken as written
        listed = ", ".join(sorted(ids)) or "none"
        problems.add(node, f"{what}.{key}: no party '{Y.short(pid)}' on the case{did_you_mean(pid, ids)} "
                           f"(parties: {listed})")
        return None, False
    return pid, True


def _contact(node: Node, problems: Y.Problems, what: str, ids: set[str]) -> Optional[ContactSnap]:
    items = Y.mapping(node, problems, what)
    if items is None:
        return None
    f = Y.check_keys(items, CONTACT_KEYS, problems, what, required=("at", "channel", "direction"), parent=node)
    at = Y.a_datetime(f["at"][1], problems, f"{what}.at") if "at" in f else None
    channel = Y.choice(f["channel"][1], problems, f"{what}.channel", CHANNELS) if "channel" in f else None
    direction = Y.choice(f["direction"][1], problems, f"{what}.direction", DIRECTIONS) if "direction" in f else None
    party, ok = _party_ref(f, "party", problems, what, ids)
    outcome = None
    if "outcome" in f and not Y.is_null(f["outcome"][1]):
        outcome = Y.choice(f["outcome"][1], problems, f"{what}.outcome", OUTCOMES)
        ok = ok and outcome is not None
    handler = _opt_text(f, "handler", problems, what)
    body = _opt_text(f, "body", problems, what) or _opt_text(f, "summary", problems, what) or ""
    call_id = _opt_text(f, "call_id", problems, what)
    response_stage = None
    if "response_stage" in f and not Y.is_null(f["response_stage"][1]):
        response_stage = Y.integer(f["response_stage"][1], problems, f"{what}.response_stage", minimum=1, maximum=2)
        ok = ok and response_stage is not None
    if at is None or channel is None or direction is None or not ok:
        return None
    return ContactSnap(at, channel, direction, party, outcome, handler, body, call_id, response_stage)


def _appointment(node: Node, problems: Y.Problems, what: str, ids: set[str]) -> Optional[AppointmentSnap]:
    items = Y.mapping(node, problems, what)
    if items is None:
        return None
    f = Y.check_keys(items, APPOINTMENT_KEYS, problems, what, required=("at",), parent=node)
    at = Y.a_datetime(f["at"][1], problems, f"{what}.at") if "at" in f else None
    status = Y.choice(f["status"][1], problems, f"{what}.status", APPOINTMENT_STATUSES) if "status" in f else "booked"
    party, ok = _party_ref(f, "party", problems, what, ids)
    purpose = _opt_text(f, "purpose", problems, what) or ""
    if at is None or status is None or not ok:
        return None
    return AppointmentSnap(at, status, party, purpose)


def _action(node: Node, problems: Y.Problems, label: str, ids: set[str], have_case: bool) -> Optional[ActionSnap]:
    what = f"{label}: action"
    if isinstance(node, ScalarNode):
        # `action: case` - standing advice, the same as no action.
        value = Y.text(node, problems, what, allow_empty=False)
        if value == "case":
            return None
        if value is not None:
            problems.add(node, f"{what} must be a mapping like {{kind: contact, party: p1}}, not '{Y.short(value)}'")
        return None
    items = Y.mapping(node, problems, what)
    if items is None:
        return None
    f = Y.check_keys(items, ACTION_KEYS, problems, what, required=("kind",), parent=node)
    if "kind" not in f:
        return None
    kind = Y.choice(f["kind"][1], problems, f"{what}.kind", ACTION_KINDS + ("case",))
    if kind is None:
        return None
    if kind == "case":
        return None
    ok = True
    channel = None
    if "channel" in f and not Y.is_null(f["channel"][1]):
        channel = Y.choice(f["channel"][1], problems, f"{what}.channel", CHANNELS)
        ok = ok and channel is not None
    direction = "internal" if kind == "note" else "out"
    if "direction" in f:
        direction = Y.choice(f["direction"][1], problems, f"{what}.direction", DIRECTIONS)
        ok = ok and direction is not None
    party, good = _party_ref(f, "party", problems, what, ids) if have_case else (None, True)
    ok = ok and good
    requester, good = _party_ref(f, "at_request_of", problems, what, ids) if have_case else (None, True)
    ok = ok and good
    to = _opt_text(f, "to", problems, what)
    if kind == "status" and "to" in f and to is not None and to not in CASE_STATUSES:
        problems.add(f["to"][1], f"{what}.to: unknown status '{Y.short(to)}'{did_you_mean(to, CASE_STATUSES)}; "
                                 f"expected one of: {', '.join(CASE_STATUSES)}")
        ok = False
    working_days = None
    if "working_days" in f and not Y.is_null(f["working_days"][1]):
        working_days = Y.integer(f["working_days"][1], problems, f"{what}.working_days", minimum=0, maximum=3660)
        ok = ok and working_days is not None
    outcome = None
    if "outcome" in f and not Y.is_null(f["outcome"][1]):
        outcome = Y.choice(f["outcome"][1], problems, f"{what}.outcome", OUTCOMES)
        ok = ok and outcome is not None
    extra: dict[str, Any] = {}
    if "extra" in f and not Y.is_null(f["extra"][1]):
        value = _plain(f["extra"][1], problems, f"{what}.extra", 0)
        if isinstance(value, dict):
            extra = value
        else:
            problems.add(f["extra"][1], f"{what}.extra must be a mapping")
            ok = False
    handler = _opt_text(f, "handler", problems, what)
    body = _opt_text(f, "body", problems, what) or ""
    reason = _opt_text(f, "reason", problems, what)
    call_id = _opt_text(f, "call_id", problems, what)
    if not ok:
        return None
    return ActionSnap(kind=kind, channel=channel, direction=direction, party=party, handler=handler, body=body,
                      to=to, at_request_of=requester, working_days=working_days, reason=reason, outcome=outcome,
                      call_id=call_id, extra=extra)


def _plain(node: Node, problems: Y.Problems, what: str, depth: int) -> Any:
    """Free-form YAML (action.extra) as plain values; bounded depth."""
    if depth > 8:
        problems.add(node, f"{what}: nested too deeply")
        return None
    if isinstance(node, ScalarNode):
        if Y.is_null(node):
            return None
        v = node.value
        if not node.style:
            low = v.lower()
            if low in ("true", "false"):
                return low == "true"
            try:
                return int(v)
            except ValueError:
                pass
        return v
    if isinstance(node, SequenceNode):
        return [_plain(x, problems, what, depth + 1) for x in node.value[:1000]]
    if isinstance(node, MappingNode):
        items = Y.mapping(node, problems, what) or []
        return {k: _plain(v, problems, f"{what}.{k}", depth + 1) for k, _, v in items}
    return None


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
