"""The dry run: every expression of every rule, run once against sample facts for each kind it is `on`.

Why: CEL compiles a misspelt fact name (case.sla.acknowlege_by) happily; only
running it finds it. Running each expression against a realistic sample case,
with nulls filled by typed values, catches unknown facts and names, type
mismatches and conditions that are not true/false at load, at their column,
instead of at the desk. Mistakes that depend on the data (an index out of
range) are not reported: the sample cannot know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from deskapp.core.declared import did_you_mean
from deskapp.policy.engine import PolicyPack
from deskapp.policy.expressions import FUNCTIONS, SAFE_FUNCTIONS
from deskapp.policy.facts import ACTION_FACTS, build_facts
from deskapp.policy.snapshot import (
    ActionSnap,
    AppointmentSnap,
    CaseSnap,
    ContactSnap,
    PartySnap,
    PersonSnap,
    RepresentativeSnap,
)


@dataclass(frozen=True)
class ExprRef:
    """One compiled expression and where it came from, to point at it when the dry run finds a problem."""

    rule: str
    program: Any
    source: str
    loc: tuple  # key path of the scalar it is written in
    offset: int = 0  # where `source` starts inside that scalar (a template's placeholder)
    condition: bool = True  # a `when` (must give true/false), not a placeholder


_SAMPLE_NOW = datetime(2026, 3, 10, 11, 0)


def _sample_case() -> CaseSnap:
    at = datetime
    return CaseSnap(
        ref="C-SAMPLE", kind="complaint", stage=1, status="investigating", category="repairs", priority=2,
        received_at=at(2026, 3, 2, 9), acknowledged_at=None, status_changed_at=at(2026, 3, 2, 9),
        assigned_to="sam", vulnerable=True,
        parties=(
            PartySnap("p1", "Lee Price", "resident"),
            PartySnap("p2", "Dana Hill", "representative", designated=True, organisation="Social services"),
            PartySnap("p3", "Ace Roofing", "third_party", organisation="Ace Roofing Ltd"),
        ),
        history=(
            ContactSnap(at(2026, 3, 3, 10), "email", "out", "p2", "no_reply", "sam", "Dates for the visit?"),
            ContactSnap(at(2026, 3, 4, 10), "phone", "out", "p2", "voicemail", "sam"),
            ContactSnap(at(2026, 3, 5, 10), "email", "out", "p2", "no_reply", "sam"),
            ContactSnap(at(2026, 3, 2, 12), "email", "out", "p3", None, "sam", "Please quote."),
            ContactSnap(at(2026, 3, 10, 10, 50), "phone", "in", "p1", "warning_given", "sam", "", "call-1"),
        ),
        appointments=(AppointmentSnap(at(2026, 3, 6, 9), "missed", "p1", "repair visit"),),
        persons=(
            PersonSnap("1", "Lee Price", ("p1",), vulnerable=True, vulnerability_reason="recent bereavement",
                       open_cases=2, arrangements=(
                           RepresentativeSnap("Dana Hill", "designated", "Social services", "p2", "Lee Price",
                                              at(2026, 3, 3), None, "C-1001", at(2026, 3, 3, 10)),
                           RepresentativeSnap("Sam Price", "authorised", None, None, "Lee Price",
                                              at(2026, 3, 3), at(2027, 3, 3), "C-1001", at(2026, 3, 3, 10)))),
            PersonSnap("2", "Dana Hill", ("p2",), open_cases=5),
        ),
    )


def _sample_action(kind: str) -> ActionSnap:
    return ActionSnap(
        kind=kind, channel="email", direction="out", party="p1", handler="sam",
        body="As I have already explained, card 4111 1111 1111 1111 is not our problem.",
        to="jo", at_request_of="p1", working_days=5, reason="sample", outcome="reached",
        call_id="call-1", extra={"sample": "value"},
    )


_DT_KEYS = re.compile(r"(_at|_by|^since$|^last$|^next_due$|^at$)")
_INT_KEYS = re.compile(r"(_days_left$|^extension_max$|^extension_left$)")


def _fill_nulls(value: Any, key: str = "") -> Any:
    """Sample facts with nulls replaced by a typed value, so the dry run only fails on real mistakes."""
    if isinstance(value, dict):
        return {k: _fill_nulls(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_nulls(v, key) for v in value]
    if value is None:
        if _DT_KEYS.search(key):
            return _SAMPLE_NOW - timedelta(days=1)
        if _INT_KEYS.search(key):
            return 1
        return ""
    return value


def _all_keys(value: Any, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            _all_keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _all_keys(v, out)
    return out


def _locate(source: str, name: str) -> int:
    """0-based offset of `name` (as a field or a name) in an expression, else 0."""
    m = re.search(r"(?<![\w])" + re.escape(name) + r"(?![\w])", source)
    return m.start() if m else 0


def dry_run(pack: PolicyPack, exprs: list[ExprRef], rule_targets: dict[str, tuple[str, ...]],
            report: Callable[[ExprRef, int, str], None]) -> None:
    """Run each expression for each target of its rule; `report(ref, offset in source, message)` each mistake."""
    from deskapp.policy._cel import cel

    case = _sample_case()
    contexts: dict[str, Any] = {}
    known: set[str] = set()
    for target in {t for ts in rule_targets.values() for t in ts}:
        action = None if target == "case" else _sample_action(target)
        facts = build_facts(case, action, _SAMPLE_NOW, pack.calendar, pack.timescales, pack.tone, pack.settings)
        facts = _fill_nulls(facts)
        _all_keys(facts, known)
        contexts[target] = cel.Context(facts, functions=SAFE_FUNCTIONS)
    names = ["case", "action", "person", "now"] + list(FUNCTIONS)
    for ref in exprs:
        targets = rule_targets.get(ref.rule, ())
        type_errors: list[str] = []
        not_bool: list[str] = []
        ran = 0
        for target in targets:
            ctx = contexts.get(target)
            if ctx is None:
                continue
            ran += 1
            try:
                value = ref.program.execute(ctx)
            except KeyError as exc:
                key = str(exc.args[0]) if exc.args else ""
                if re.search(r"\bextra\s*(\.|\[)", ref.source):
                    continue  # action.extra holds whatever the form has: not checked
                if target == "case" and key in ACTION_FACTS and re.search(r"\baction\b", ref.source):
                    report(ref, _locate(ref.source, "action"),
                           f"'action.{key}' is not available to `on: case` rules (standing advice has no action)")
                else:
                    report(ref, _locate(ref.source, key),
                           f"unknown fact '{key}'{did_you_mean(key, known)}")
                break
            except RuntimeError as exc:
                m = re.search(r"Undefined variable or function: '([^']*)'", str(exc))
                if m:
                    name = m.group(1)
                    report(ref, _locate(ref.source, name),
                           f"unknown name '{name}'{did_you_mean(name, names)}; "
                           f"expressions start from case, action or now")
                    break
                type_errors.append(str(exc).split("\n")[0])
                continue
            except TypeError as exc:
                type_errors.append(re.sub(r"\. CEL does not coerce.*", "", str(exc).split("\n")[0]))
                continue
            except Exception:
                continue  # index out of range, division by zero...: depends on the data
            if ref.condition and not isinstance(value, bool):
                not_bool.append(type(value).__name__)
        else:
            if ran and len(type_errors) == ran:
                report(ref, 0, f"type mismatch: {type_errors[0][:150]}")
            elif ran and len(not_bool) == ran:
                report(ref, 0, f"must be true or false, but gives a {not_bool[0]}")
