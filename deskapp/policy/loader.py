"""Load and check policies.yaml: every mistake is reported as PATH:LINE:COL: message.

Why so strict: a policy file is written by an admin, not a programmer, and a
typo in it silently switches a safeguard off. The file's shape is declared in
policy/schema.py (unknown keys get a did-you-mean; every CEL expression, `say`
template, phrase and regex is compiled while validating), and each rule is then
run once against sample facts for every kind it is `on` (policy/dryrun.py), so
a misspelt fact name (case.sla.acknowlege_by) is caught at load with its
column instead of surfacing at the desk.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Optional, Union

from pydantic import BaseModel, ValidationError

from deskapp.core.declared import Problem, yaml_tree
from deskapp.errors import DeskError
from deskapp.policy import yamlsrc as Y
from deskapp.policy.approvals import ApprovalSettings
from deskapp.policy.calendar import WorkingCalendar
from deskapp.policy.dryrun import ExprRef, dry_run
from deskapp.policy.engine import ALL_ACTION_KEYS, ALL_CASE_KEYS, Level, PolicyPack, Rule
from deskapp.policy.expressions import Placeholder, offset_to_line_col
from deskapp.policy.facts import FactSettings
from deskapp.policy.problems import Placer
from deskapp.policy.reasons import ReasonSettings
from deskapp.policy.schema import (RULE_ID, SECTIONS, Condition, Message, PolicyFile, RuleSpec, TimescaleSpec,
                                   as_condition, as_message)
from deskapp.policy.timescales import Period, StageTimescale, Timescale, TimescaleSet
from deskapp.policy.tone import DEFAULT_CUES, ToneLexicon, TonePhrase
from deskapp.policy.toneplugin import DEFAULT_TIMEOUT_MS, ToneClassifier
from deskapp.vocab import RULE_TARGETS


class PolicyFileError(DeskError):
    """policies.yaml (or a scenario file) has problems; `.problems` are PATH:LINE:COL: message lines."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = list(problems) or ["policies: unknown problem"]
        super().__init__("\n".join(self.problems), exit_code=2)


MAX_VALUES = 100_000  # the default pack has under 1,000 values; 100 times that is an alias bomb


# ---------------------------------------------------------------------------------------
# Public API

_CACHE: dict[tuple[Any, ...], PolicyPack] = {}


def load_policies(path: Union[str, Path, None] = None) -> PolicyPack:
    """Load and compile a policies file (None = the packaged default).

    Raises PolicyFileError listing every problem as PATH:LINE:COL: message.
    A file that has not changed since it was last loaded is not compiled again.
    """
    if path is None:
        from deskapp.config import policies_path

        path = policies_path()
    p = Path(path)
    try:
        st = p.stat()
        key: Optional[tuple[Any, ...]] = (str(p.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None
    if key is not None and key in _CACHE:
        return _CACHE[key]
    problems = Y.Problems(str(path))
    data = Y.read_bytes(p, problems)
    if data is None:
        raise PolicyFileError(problems.items)
    pack = load_policies_text(data, str(path), path=p)
    if key is not None:
        _remember(key, pack)
    return pack


def load_policies_text(text: Union[str, bytes], name: str = "policies.yaml", *,
                       path: Optional[Path] = None) -> PolicyPack:
    """Load policies from text: a published pack, a test, an editor's unsaved buffer.

    `name` is what problems are reported against (PATH:LINE:COL), so a published
    pack names the file it was published from. The pack's sha256 is over the
    exact bytes (a str is taken as its UTF-8 encoding): the hash every audit
    event records. The same text under the same name is compiled once per process.
    """
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    sha256 = hashlib.sha256(data).hexdigest()
    key = ("text", name, sha256, str(path) if path is not None else None)
    if key in _CACHE:
        return _CACHE[key]
    problems = Y.Problems(name)
    decoded = Y.decode(data, problems)
    if decoded is None:
        raise PolicyFileError(problems.items)
    pack = _load(decoded, problems, path)
    pack.sha256 = sha256
    _remember(key, pack)
    return pack


def _remember(key: tuple[Any, ...], pack: PolicyPack) -> None:
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[key] = pack


def check_policies(path: Union[str, Path]) -> tuple[Optional[PolicyPack], list[str]]:
    """(pack, []) when the file is good, else (None, problems). Never raises for bad input."""
    try:
        return load_policies(path), []
    except PolicyFileError as exc:
        return None, exc.problems


# ---------------------------------------------------------------------------------------
# Reading: text -> declared shape -> engine objects -> dry run


def _load(text: str, problems: Y.Problems, path: Optional[Path]) -> PolicyPack:
    root = Y.compose(text, problems)
    if root is None:
        if not problems:
            problems.add_at(1, 1, "the file is empty; it needs at least `version: 1` and `rules:`")
        raise PolicyFileError(problems.items)
    data, spots, bad = yaml_tree(root, max_values=MAX_VALUES)
    place = Placer(problems.path, data, spots, root, problems.lines)
    found = [Problem(problems.path, spot, "", message) for spot, message in bad]
    try:
        spec: Any = PolicyFile.model_validate(data, context={"line_of": lambda loc: spots.at(loc).line})
        rules = list(enumerate(spec.rules or []))
    except ValidationError as exc:
        found += place.errors(exc, PolicyFile)
        spec, rules = _salvage(data)
    pack = _pack(spec, rules, spots, path, place, found)
    if found:
        raise PolicyFileError([str(p) for p in sorted(found, key=lambda p: p.spot)])
    return pack


class _Salvaged:
    """What a file with problems still says right: good sections as given, the rest as defaults."""

    version = 1
    calendar = timescales = tone = calls = approvals = reasons = None
    exprs: list[ExprRef] = []  # of rules with problems: their expressions are still dry-run
    targets: dict[str, tuple[str, ...]] = {}


def _salvage(data: Any) -> tuple[Any, list[tuple[int, RuleSpec]]]:
    """The sections and rules that are valid on their own, so the dry run still checks those rules."""
    spec = _Salvaged()
    if not isinstance(data, dict):
        return spec, []
    for name, model in SECTIONS.items():
        setattr(spec, name, _valid(model, data.get(name)))
    if isinstance(data.get("timescales"), dict):
        good = {k: _valid(TimescaleSpec, v) for k, v in data["timescales"].items() if RULE_ID.fullmatch(k)}
        spec.timescales = {k: v for k, v in good.items() if v is not None}
    rules = data.get("rules")
    found = [(i, _valid(RuleSpec, r)) for i, r in enumerate(rules)] if isinstance(rules, list) else []
    spec.exprs, spec.targets = [], {}
    for i, r in found:
        if r is None and isinstance(rules[i], dict):
            _expressions_of_broken(i, rules[i], spec.exprs, spec.targets)
    return spec, [(i, r) for i, r in found if r is not None]


def _expressions_of_broken(index: int, rule: dict, exprs: list[ExprRef], targets: dict[str, tuple[str, ...]]) -> None:
    """The expressions that compile in a rule with other problems, so one `policy check` finds misspelt facts too."""
    on = [rule.get("on")] if isinstance(rule.get("on"), str) else rule.get("on")
    rid = f"#{index + 1}"
    targets[rid] = tuple(t for t in on if isinstance(t, str) and t in RULE_TARGETS) if isinstance(on, list) else ()
    levels = rule.get("levels") if isinstance(rule.get("levels"), list) else []
    places = [(rule, ("when",)), (rule, ("say",))] + [
        (level, ("levels", j, key)) for j, level in enumerate(levels) if isinstance(level, dict) for key in ("when", "say")]
    for holder, where in places:
        value = holder.get(where[-1])
        try:
            compiled = (as_condition if where[-1] == "when" else as_message)(value) if isinstance(value, str) else None
        except ValueError:
            continue  # its compile error is reported already
        if compiled is not None:
            exprs.extend(_refs(rid, ("rules", index) + where, compiled))


def _valid(model: type[BaseModel], value: Any) -> Optional[BaseModel]:
    if not isinstance(value, dict):
        return None
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def _pack(spec: Any, rules: list[tuple[int, RuleSpec]], spots: Any, path: Optional[Path], place: Placer,
          found: list[Problem]) -> PolicyPack:
    """The engine's objects from a valid (or salvaged) spec, then the dry run of its rules."""
    calendar = WorkingCalendar("GB", "ENG")
    if spec.calendar is not None:
        try:
            calendar = WorkingCalendar(**spec.calendar.parts())
        except Exception as exc:  # the holidays package refusing a combination we did not foresee
            found.append(place.at(("calendar",), f"calendar: {exc}"))
    exprs: list[ExprRef] = list(getattr(spec, "exprs", ()))
    targets: dict[str, tuple[str, ...]] = dict(getattr(spec, "targets", {}))
    built = [_rule(index, r, spots, exprs, targets) for index, r in rules]
    sources = " ".join(e.source for e in exprs)
    tokens = set(re.findall(r"[A-Za-z_]\w*", sources))
    pack = PolicyPack(
        rules=built,
        calendar=calendar,
        timescales=TimescaleSet(calendar, [_timescale(n, t) for n, t in (spec.timescales or {}).items()]),
        tone=_tone(spec.tone),
        settings=FactSettings(call_gap_minutes=spec.calls.gap_minutes)
        if spec.calls is not None and spec.calls.gap_minutes is not None else FactSettings(),
        approvals=_settings(ApprovalSettings, spec.approvals),
        reasons=_settings(ReasonSettings, spec.reasons, empty=tuple),
        version=spec.version,
        path=path,
        case_keys=frozenset(k for k in ALL_CASE_KEYS if k in tokens),
        action_keys=frozenset(k for k in ALL_ACTION_KEYS if k in tokens),
    )
    reported: set = set()

    def report(ref: ExprRef, offset: int, message: str) -> None:
        line, col = offset_to_line_col(str(_value_at(place, ref.loc)), ref.offset + offset)
        problem = place.at(ref.loc, f"{place.label(ref.loc)}: {message}", inside=(line, col))
        if problem.spot not in reported:
            reported.add(problem.spot)
            found.append(problem)

    dry_run(pack, exprs, targets, report)
    return pack


def _value_at(place: Placer, loc: tuple) -> str:
    node = Y.node_at(place.root, loc)
    return getattr(node, "value", "") if isinstance(getattr(node, "value", None), str) else ""


def _settings(cls: type, spec: Optional[BaseModel], **convert: Any) -> Any:
    """A settings dataclass from the keys given (the rest keep the dataclass's defaults)."""
    if spec is None:
        return cls()
    given = {k: getattr(spec, k) for k in spec.model_fields_set if getattr(spec, k) is not None}
    return cls(**{k: convert[k](v) if k in convert else v for k, v in given.items()})


def _rule(index: int, spec: RuleSpec, spots: Any, exprs: list[ExprRef],
          targets: dict[str, tuple[str, ...]]) -> Rule:
    loc = ("rules", index)
    targets[spec.id] = tuple(spec.on)
    if spec.when is not None:
        exprs.extend(_refs(spec.id, loc + ("when",), spec.when))
    if spec.levels is None:
        exprs.extend(_refs(spec.id, loc + ("say",), spec.say))
        levels = (Level(spec.severity, spec.say.template),)
    else:
        levels = []
        for i, level in enumerate(spec.levels):
            if level.when is not None:
                exprs.extend(_refs(spec.id, loc + ("levels", i, "when"), level.when))
            exprs.extend(_refs(spec.id, loc + ("levels", i, "say"), level.say))
            levels.append(Level(level.severity, level.say.template, getattr(level.when, "program", None),
                                str(level.when or "")))
    return Rule(id=spec.id, on=tuple(spec.on), levels=tuple(levels), guard=getattr(spec.when, "program", None),
                guard_source=str(spec.when or ""), description=spec.description or "", enabled=spec.enabled,
                order=index, line=spots.at(loc).line)


def _refs(rule_id: str, loc: tuple, value: Union[Condition, Message]) -> list[ExprRef]:
    """What the dry run runs: a condition, or each {placeholder} of a message."""
    if isinstance(value, Condition):
        return [ExprRef(rule_id, value.program, str(value), loc)]
    return [ExprRef(rule_id, part.program, part.source, loc, part.offset, False)
            for part in value.template.parts if isinstance(part, Placeholder)]


def _period(spec: Any, default_anchor: str) -> Optional[Period]:
    if spec is None:
        return None
    amount, unit = spec.unit()
    return Period(amount, unit, spec.from_ or default_anchor)


def _timescale(name: str, spec: TimescaleSpec) -> Timescale:
    stages = {int(k): StageTimescale(_period(s.acknowledge, "stage_start"), _period(s.respond, "stage_start"),
                                     _period(s.summary_resolution, "received"), s.extension_max)
              for k, s in spec.stages.items()}
    applies = spec.applies_to
    kinds = frozenset(applies.kinds) if applies is not None and applies.kinds is not None else None
    categories = (frozenset(c.strip().lower() for c in applies.categories)
                  if applies is not None and applies.categories is not None else None)
    return Timescale(name, spec.title or name, stages, kinds, categories)


def _tone(spec: Any) -> ToneLexicon:
    if spec is None:
        return ToneLexicon()
    kw = {k: getattr(spec, k) for k in ("threshold", "polite_credit", "polite_max", "model", "model_threshold")
          if getattr(spec, k) is not None}
    cues = dict(DEFAULT_CUES)
    if spec.cues is not None:
        cues.update({k: v for k, v in spec.cues.model_dump().items() if v is not None})

    def phrases(entries: Optional[list], weight: float) -> tuple[TonePhrase, ...]:
        out = []
        for e in entries or []:
            args = (e.weight if e.weight is not None else weight, e.why or "hostile wording", bool(e.negatable))
            out.append(TonePhrase.from_phrase(e.phrase, *args) if e.phrase is not None
                       else TonePhrase.from_regex(e.regex, *args))
        return tuple(out)

    classifier = None
    if spec.classifier is not None:
        classifier = ToneClassifier(spec.classifier, spec.classifier_label or "",
                                    spec.classifier_timeout_ms or DEFAULT_TIMEOUT_MS)
    return ToneLexicon(phrases=phrases(spec.phrases, 2.0), polite=phrases(spec.polite, 0.0), cues=cues,
                       classifier=classifier, **kw)
