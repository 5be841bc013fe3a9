"""Load and check policies.yaml: every mistake is reported as PATH:LINE:COL: message.

Why so strict: a policy file is written by an admin, not a programmer, and a
typo in it silently switches a safeguard off. So unknown keys get a
did-you-mean, every CEL expression and `say` template is compiled at load, and
each rule is then run once against sample facts for every kind it is `on`, so
a misspelt fact name (case.sla.acknowlege_by) is caught at load with its
column instead of surfacing at the desk.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Optional, Union

from yaml.nodes import MappingNode, Node, ScalarNode

from deskapp.errors import DeskError
from deskapp.policy import yamlsrc as Y
from deskapp.policy.approvals import MAX_EXPIRE_AFTER_WORKING_DAYS, ApprovalSettings
from deskapp.policy.reasons import MAX_MIN_LENGTH, ReasonSettings
from deskapp.policy.calendar import WorkingCalendar, parse_weekday, supported_countries, supported_subdivisions
from deskapp.policy.engine import (
    ALL_ACTION_KEYS,
    ALL_CASE_KEYS,
    POLICY_ERROR,
    Level,
    PolicyPack,
    Rule,
)
from deskapp.policy.expressions import (
    FUNCTIONS,
    SAFE_FUNCTIONS,
    ExpressionError,
    Placeholder,
    Template,
    TemplateError,
    compile_expression,
    offset_to_line_col,
    parse_template,
)
from deskapp.policy.facts import ACTION_FACTS, FactSettings, build_facts
from deskapp.policy.snapshot import ActionSnap, AppointmentSnap, CaseSnap, ContactSnap, PartySnap
from deskapp.policy.timescales import ANCHORS, Period, StageTimescale, Timescale, TimescaleSet
from deskapp.policy.tone import DEFAULT_CUES, PhraseSyntaxError, ToneLexicon, TonePhrase
from deskapp.vocab import CASE_KINDS, RULE_TARGETS, SEVERITIES


class PolicyFileError(DeskError):
    """policies.yaml (or a scenario file) has problems; `.problems` are PATH:LINE:COL: message lines."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = list(problems) or ["policies: unknown problem"]
        super().__init__("\n".join(self.problems), exit_code=2)


TOP_KEYS = ("version", "calendar", "timescales", "tone", "calls", "approvals", "reasons", "rules")
CALENDAR_KEYS = ("country", "subdivision", "working_week", "closures")
TIMESCALE_KEYS = ("title", "applies_to", "stages", "description")
APPLIES_KEYS = ("kinds", "categories")
STAGE_KEYS = ("acknowledge", "respond", "summary_resolution", "extension_max")
PERIOD_UNITS = {"working_days": "working_days", "business_days": "working_days",
                "calendar_days": "calendar_days", "weeks": "weeks"}
PERIOD_KEYS = tuple(PERIOD_UNITS) + ("from",)
TONE_KEYS = ("threshold", "polite_credit", "polite_max", "cues", "phrases", "polite")
PHRASE_KEYS = ("phrase", "regex", "weight", "why", "negatable")
CALL_KEYS = ("gap_minutes",)
APPROVAL_KEYS = ("expire_after_working_days",)
REASON_KEYS = ("min_length", "empty")
RULE_KEYS = ("id", "on", "when", "severity", "say", "levels", "description", "enabled")
LEVEL_KEYS = ("severity", "when", "say")
_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")


@dataclass
class _ExprRef:
    """Where an expression came from, to point at it when the dry run finds a problem."""

    rule: str
    program: Any
    source: str
    node: Node
    offset: int = 0  # where `source` starts inside the node's value (templates)
    condition: bool = True
    what: str = "when"


@dataclass
class _Loaded:
    problems: Y.Problems
    rules: list[Rule] = field(default_factory=list)
    exprs: list[_ExprRef] = field(default_factory=list)
    rule_targets: dict[str, tuple[str, ...]] = field(default_factory=dict)


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
# Sections


def _load(text: str, problems: Y.Problems, path: Optional[Path]) -> PolicyPack:
    root = Y.compose(text, problems)
    if root is None:
        if not problems:
            problems.add_at(1, 1, "the file is empty; it needs at least `version: 1` and `rules:`")
        raise PolicyFileError(problems.items)
    items = Y.mapping(root, problems, "policies")
    if items is None:
        raise PolicyFileError(problems.items)
    top = Y.check_keys(items, TOP_KEYS, problems, "policies", required=("version", "rules"), parent=root)

    version = 1
    if "version" in top:
        v = Y.integer(top["version"][1], problems, "version")
        if v is not None and v != 1:
            problems.add(top["version"][1], f"version: this deskapp reads version 1 files, not version {v}")
        version = v or 1

    calendar = _calendar(top["calendar"][1], problems) if "calendar" in top else WorkingCalendar("GB", "ENG")
    timescales = _timescales(top["timescales"][1], problems) if "timescales" in top else []
    tone = _tone(top["tone"][1], problems) if "tone" in top else ToneLexicon()
    settings = _calls(top["calls"][1], problems) if "calls" in top else FactSettings()
    approvals = _approvals(top["approvals"][1], problems) if "approvals" in top else ApprovalSettings()
    reasons = _reasons(top["reasons"][1], problems) if "reasons" in top else ReasonSettings()
    loaded = _Loaded(problems)
    if "rules" in top:
        _rules(top["rules"][1], loaded)

    sources = " ".join(e.source for e in loaded.exprs)
    tokens = set(re.findall(r"[A-Za-z_]\w*", sources))
    cal = calendar or WorkingCalendar("GB", "ENG")
    pack = PolicyPack(
        rules=loaded.rules,
        calendar=cal,
        timescales=TimescaleSet(cal, timescales),
        tone=tone,
        settings=settings,
        approvals=approvals,
        reasons=reasons,
        version=version,
        path=path,
        case_keys=frozenset(k for k in ALL_CASE_KEYS if k in tokens),
        action_keys=frozenset(k for k in ALL_ACTION_KEYS if k in tokens),
    )
    # Even when other parts have problems, check the rules that compiled, so one run
    # of `policy check` reports misspelt facts too.
    _dry_run(pack, loaded)
    if problems:
        raise PolicyFileError(Y.in_file_order(problems.items))
    return pack


def _calendar(node: Node, problems: Y.Problems) -> Optional[WorkingCalendar]:
    items = Y.mapping(node, problems, "calendar")
    if items is None:
        return None
    found = Y.check_keys(items, CALENDAR_KEYS, problems, "calendar")
    country: Optional[str] = "GB"
    subdivision: Optional[str] = "ENG" if "country" not in found else None
    ok = True
    if "country" in found:
        vnode = found["country"][1]
        value = Y.text(vnode, problems, "calendar.country")
        if value is None:
            ok = False
        elif not value.strip():
            country, subdivision = None, None
        else:
            country = value.strip().upper()
            countries = supported_countries()
            if country not in countries:
                problems.add(vnode, f"calendar.country: '{Y.short(value)}' is not a country the holidays "
                                    f"package knows{Y.did_you_mean(country, countries)}; use a code like GB")
                ok = False
    if "subdivision" in found:
        vnode = found["subdivision"][1]
        value = Y.text(vnode, problems, "calendar.subdivision")
        if value is None:
            ok = False
        elif value.strip() and ok and country:
            subs = supported_subdivisions(country)
            sub = value.strip()
            match = next((s for s in subs if s.upper() == sub.upper()), None)
            if match is None:
                listed = ", ".join(subs[:12]) + ("..." if len(subs) > 12 else "")
                problems.add(vnode, f"calendar.subdivision: '{Y.short(sub)}' is not a subdivision of {country}"
                                    f"{Y.did_you_mean(sub.upper(), subs)}" + (f"; known: {listed}" if subs else ""))
                ok = False
            else:
                subdivision = match
        elif value is not None and not value.strip():
            subdivision = None
    week = (0, 1, 2, 3, 4)
    if "working_week" in found:
        vnode = found["working_week"][1]
        seq = Y.sequence(vnode, problems, "calendar.working_week")
        if seq is not None:
            days = []
            for item in seq:
                name = Y.text(item, problems, "calendar.working_week day")
                if name is None:
                    ok = False
                    continue
                d = parse_weekday(name)
                if d is None:
                    problems.add(item, f"calendar.working_week: '{Y.short(name)}' is not a weekday "
                                       f"(mon, tue, wed, thu, fri, sat, sun)")
                    ok = False
                else:
                    days.append(d)
            if seq and not days and ok:
                problems.add(vnode, "calendar.working_week must list at least one day")
                ok = False
            elif not seq:
                problems.add(vnode, "calendar.working_week must list at least one day")
                ok = False
            week = tuple(sorted(set(days))) or week
        else:
            ok = False
    closures: list[date] = []
    names: dict[date, str] = {}
    if "closures" in found:
        vnode = found["closures"][1]
        if not Y.is_null(vnode):
            seq = Y.sequence(vnode, problems, "calendar.closures")
            for item in seq or []:
                if isinstance(item, MappingNode):
                    sub_items = Y.mapping(item, problems, "calendar.closures entry")
                    if sub_items is None:
                        continue
                    f = Y.check_keys(sub_items, ("date", "from", "to", "name"), problems, "calendar.closures entry")
                    label = Y.text(f["name"][1], problems, "closure name") if "name" in f else None
                    if "date" in f:
                        if "from" in f or "to" in f:
                            problems.add(item, "calendar.closures entry: give either date, or from and to")
                            continue
                        d = Y.a_date(f["date"][1], problems, "closure date")
                        if d:
                            closures.append(d)
                            if label:
                                names[d] = label
                    elif "from" in f and "to" in f:
                        a = Y.a_date(f["from"][1], problems, "closure from")
                        b = Y.a_date(f["to"][1], problems, "closure to")
                        if a and b:
                            if b < a:
                                problems.add(f["to"][1], "calendar.closures: 'to' is before 'from'")
                            elif (b - a).days > 366:
                                problems.add(f["to"][1], "calendar.closures: a closure may last at most a year")
                            else:
                                d = a
                                while d <= b:
                                    closures.append(d)
                                    if label:
                                        names[d] = label
                                    d += timedelta(days=1)
                    else:
                        problems.add(item, "calendar.closures entry needs `date`, or `from` and `to`")
                else:
                    d = Y.a_date(item, problems, "calendar.closures day")
                    if d:
                        closures.append(d)
    if not ok:
        return None
    try:
        return WorkingCalendar(country, subdivision, closures, names, week)
    except Exception as exc:  # the holidays package refusing a combination we did not foresee
        problems.add(node, f"calendar: {exc}")
        return None


def _period(node: Node, problems: Y.Problems, what: str, default_anchor: str) -> Optional[Period]:
    items = Y.mapping(node, problems, what)
    if items is None:
        return None
    found = Y.check_keys(items, PERIOD_KEYS, problems, what)
    units = [k for k in found if k in PERIOD_UNITS]
    if len(units) != 1:
        problems.add(node, f"{what} needs exactly one of working_days, calendar_days or weeks "
                           f"(e.g. {{working_days: 5, from: received}})")
        return None
    amount = Y.integer(found[units[0]][1], problems, f"{what}.{units[0]}", minimum=0, maximum=3660)
    anchor = default_anchor
    if "from" in found:
        a = Y.choice(found["from"][1], problems, f"{what}.from", ANCHORS)
        if a is None:
            return None
        anchor = a
    if amount is None:
        return None
    return Period(amount, PERIOD_UNITS[units[0]], anchor)


def _timescales(node: Node, problems: Y.Problems) -> list[Timescale]:
    if Y.is_null(node):
        return []
    items = Y.mapping(node, problems, "timescales")
    if items is None:
        return []
    out: list[Timescale] = []
    for name, knode, vnode in items:
        what = f"timescales.{Y.short(name, 30)}"
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}", name):
            problems.add(knode, f"{what}: a timescale name is a word like housing-ombudsman")
            continue
        sub = Y.mapping(vnode, problems, what)
        if sub is None:
            continue
        f = Y.check_keys(sub, TIMESCALE_KEYS, problems, what, required=("stages",), parent=vnode)
        title = name
        if "title" in f:
            title = Y.text(f["title"][1], problems, f"{what}.title") or name
        kinds = categories = None
        if "applies_to" in f:
            anode = f["applies_to"][1]
            aitems = Y.mapping(anode, problems, f"{what}.applies_to")
            if aitems is not None:
                af = Y.check_keys(aitems, APPLIES_KEYS, problems, f"{what}.applies_to")
                if "kinds" in af:
                    seq = Y.sequence(af["kinds"][1], problems, f"{what}.applies_to.kinds", allow_scalar=True)
                    ks = [Y.choice(k, problems, f"{what}.applies_to.kinds", CASE_KINDS) for k in seq or []]
                    kinds = frozenset(k for k in ks if k)
                if "categories" in af:
                    seq = Y.sequence(af["categories"][1], problems, f"{what}.applies_to.categories", allow_scalar=True)
                    cs = [Y.text(c, problems, f"{what}.applies_to.categories", allow_empty=False) for c in seq or []]
                    categories = frozenset(c.strip().lower() for c in cs if c)
        stages: dict[int, StageTimescale] = {}
        if "stages" in f:
            snode = f["stages"][1]
            sitems = Y.mapping(snode, problems, f"{what}.stages")
            for skey, sk, sv in sitems or []:
                if not re.fullmatch(r"\d", skey) or int(skey) < 1:
                    problems.add(sk, f"{what}.stages: stage keys are stage numbers (1, 2), not '{Y.short(skey)}'")
                    continue
                swhat = f"{what}.stages.{skey}"
                st_items = Y.mapping(sv, problems, swhat)
                if st_items is None:
                    continue
                sf = Y.check_keys(st_items, STAGE_KEYS, problems, swhat)
                ack = _period(sf["acknowledge"][1], problems, f"{swhat}.acknowledge", "stage_start") if "acknowledge" in sf else None
                resp = _period(sf["respond"][1], problems, f"{swhat}.respond", "stage_start") if "respond" in sf else None
                summ = (_period(sf["summary_resolution"][1], problems, f"{swhat}.summary_resolution", "received")
                        if "summary_resolution" in sf else None)
                ext = None
                if "extension_max" in sf and not Y.is_null(sf["extension_max"][1]):
                    ext = Y.integer(sf["extension_max"][1], problems, f"{swhat}.extension_max", minimum=0, maximum=3660)
                if ack is not None and ack.anchor == "acknowledged":
                    problems.add(sf["acknowledge"][1], f"{swhat}.acknowledge cannot be counted from the acknowledgement itself")
                stages[int(skey)] = StageTimescale(ack, resp, summ, ext)
            if sitems is not None and not sitems:
                problems.add(snode, f"{what}.stages must define at least stage 1")
        out.append(Timescale(name, title, stages, kinds, categories))
    return out


def _phrase_entry(node: Node, problems: Y.Problems, what: str, default_weight: float) -> Optional[TonePhrase]:
    if isinstance(node, ScalarNode):
        value = Y.text(node, problems, what, allow_empty=False)
        if value is None:
            return None
        try:
            return TonePhrase.from_phrase(value, default_weight)
        except PhraseSyntaxError as exc:
            problems.add(Y.scalar_column(node, 1, exc.column, problems.lines), f"{what}: {exc}")
            return None
    items = Y.mapping(node, problems, what)
    if items is None:
        return None
    f = Y.check_keys(items, PHRASE_KEYS, problems, what)
    if ("phrase" in f) == ("regex" in f):
        problems.add(node, f"{what} needs exactly one of `phrase` or `regex`")
        return None
    weight = default_weight
    if "weight" in f:
        w = Y.number(f["weight"][1], problems, f"{what}.weight", minimum=0)
        if w is None:
            return None
        weight = w
    why = "hostile wording"
    if "why" in f:
        why = Y.text(f["why"][1], problems, f"{what}.why", allow_empty=False) or why
    negatable = False
    if "negatable" in f:
        negatable = bool(Y.boolean(f["negatable"][1], problems, f"{what}.negatable"))
    if "phrase" in f:
        pnode = f["phrase"][1]
        value = Y.text(pnode, problems, f"{what}.phrase", allow_empty=False)
        if value is None:
            return None
        try:
            return TonePhrase.from_phrase(value, weight, why, negatable)
        except PhraseSyntaxError as exc:
            problems.add(Y.scalar_column(pnode, 1, exc.column, problems.lines), f"{what}.phrase: {exc}")
            return None
    rnode = f["regex"][1]
    value = Y.text(rnode, problems, f"{what}.regex", allow_empty=False)
    if value is None:
        return None
    try:
        return TonePhrase.from_regex(value, weight, why, negatable)
    except re.error as exc:
        pos = (exc.pos or 0) + 1
        problems.add(Y.scalar_column(rnode, 1, pos, problems.lines), f"{what}.regex: {exc.msg}")
        return None
    except (RecursionError, OverflowError, ValueError) as exc:
        problems.add(rnode, f"{what}.regex: {exc}")
        return None


def _tone(node: Node, problems: Y.Problems) -> ToneLexicon:
    if Y.is_null(node):
        return ToneLexicon()
    items = Y.mapping(node, problems, "tone")
    if items is None:
        return ToneLexicon()
    f = Y.check_keys(items, TONE_KEYS, problems, "tone")
    kw: dict[str, Any] = {}
    for key, minimum in (("threshold", 0.1), ("polite_credit", 0.0), ("polite_max", 0.0)):
        if key in f:
            v = Y.number(f[key][1], problems, f"tone.{key}", minimum=minimum)
            if v is not None:
                kw[key] = v
    cues = dict(DEFAULT_CUES)
    if "cues" in f:
        citems = Y.mapping(f["cues"][1], problems, "tone.cues")
        cf = Y.check_keys(citems or [], DEFAULT_CUES, problems, "tone.cues")
        for k, (_, v) in cf.items():
            w = Y.number(v, problems, f"tone.cues.{k}", minimum=0)
            if w is not None:
                cues[k] = w
    kw["cues"] = cues
    phrases: list[TonePhrase] = []
    polite: list[TonePhrase] = []
    for key, out, weight in (("phrases", phrases, 2.0), ("polite", polite, 0.0)):
        if key in f and not Y.is_null(f[key][1]):
            seq = Y.sequence(f[key][1], problems, f"tone.{key}")
            for i, item in enumerate(seq or []):
                entry = _phrase_entry(item, problems, f"tone.{key}[{i + 1}]", weight)
                if entry is not None:
                    out.append(entry)
    return ToneLexicon(phrases=tuple(phrases), polite=tuple(polite), **kw)


def _calls(node: Node, problems: Y.Problems) -> FactSettings:
    items = Y.mapping(node, problems, "calls")
    if items is None:
        return FactSettings()
    f = Y.check_keys(items, CALL_KEYS, problems, "calls")
    if "gap_minutes" in f:
        v = Y.integer(f["gap_minutes"][1], problems, "calls.gap_minutes", minimum=1, maximum=24 * 60)
        if v is not None:
            return FactSettings(call_gap_minutes=v)
    return FactSettings()


def _approvals(node: Node, problems: Y.Problems) -> ApprovalSettings:
    items = Y.mapping(node, problems, "approvals")
    if items is None:
        return ApprovalSettings()
    f = Y.check_keys(items, APPROVAL_KEYS, problems, "approvals")
    if "expire_after_working_days" in f:
        v = Y.integer(f["expire_after_working_days"][1], problems, "approvals.expire_after_working_days",
                      minimum=0, maximum=MAX_EXPIRE_AFTER_WORKING_DAYS)
        if v is not None:
            return ApprovalSettings(expire_after_working_days=v)
    return ApprovalSettings()


def _reasons(node: Node, problems: Y.Problems) -> ReasonSettings:
    items = Y.mapping(node, problems, "reasons")
    if items is None:
        return ReasonSettings()
    f = Y.check_keys(items, REASON_KEYS, problems, "reasons")
    settings = ReasonSettings()
    if "min_length" in f:
        v = Y.integer(f["min_length"][1], problems, "reasons.min_length", minimum=1, maximum=MAX_MIN_LENGTH)
        if v is not None:
            settings = ReasonSettings(min_length=v, empty=settings.empty)
    if "empty" in f:
        nodes = Y.sequence(f["empty"][1], problems, "reasons.empty")
        phrases: list[str] = []
        for index, item in enumerate(nodes or []):
            phrase = Y.text(item, problems, f"reasons.empty[{index + 1}]", allow_empty=False)
            if phrase is not None:
                phrases.append(phrase)
        if nodes is not None:
            settings = ReasonSettings(min_length=settings.min_length, empty=tuple(phrases))
    return settings


# ---------------------------------------------------------------------------------------
# Rules


def _compile_when(node: Node, problems: Y.Problems, what: str, loaded: _Loaded, rule_id: str) -> tuple[Any, str, bool]:
    """(program, source, ok)."""
    source = Y.text(node, problems, what, allow_empty=False)
    if source is None:
        return None, "", False
    try:
        program = compile_expression(source)
    except ExpressionError as exc:
        where = Y.scalar_column(node, exc.line, exc.column, problems.lines) if isinstance(node, ScalarNode) else node
        problems.add(where, f"{what}: {exc}")
        return None, source, False
    loaded.exprs.append(_ExprRef(rule_id, program, source, node, 0, True, what))
    return program, source, True


def _compile_say(node: Node, problems: Y.Problems, what: str, loaded: _Loaded, rule_id: str) -> Optional[Template]:
    source = Y.text(node, problems, what, allow_empty=False)
    if source is None:
        return None
    try:
        template = parse_template(source)
    except TemplateError as exc:
        line, col = offset_to_line_col(source, exc.offset)
        where = Y.scalar_column(node, line, col, problems.lines) if isinstance(node, ScalarNode) else node
        problems.add(where, f"{what}: {exc}")
        return None
    for part in template.parts:
        if isinstance(part, Placeholder):
            loaded.exprs.append(_ExprRef(rule_id, part.program, part.source, node, part.offset, False, what))
    return template


def _rules(node: Node, loaded: _Loaded) -> None:
    problems = loaded.problems
    if Y.is_null(node):
        return
    seq = Y.sequence(node, problems, "rules")
    if seq is None:
        return
    seen: dict[str, int] = {}
    for index, rnode in enumerate(seq):
        items = Y.mapping(rnode, problems, f"rules[{index + 1}]")
        if items is None:
            continue
        f = Y.check_keys(items, RULE_KEYS, problems, f"rules[{index + 1}]", required=("id", "on"), parent=rnode)
        rule_id = None
        if "id" in f:
            rule_id = Y.text(f["id"][1], problems, "rule id", allow_empty=False)
            if rule_id is not None:
                if not _RULE_ID.fullmatch(rule_id):
                    problems.add(f["id"][1], f"rule id '{Y.short(rule_id)}': use letters, digits and '-' "
                                             f"(e.g. card-number-disclosure)")
                    rule_id = None
                elif rule_id == POLICY_ERROR:
                    problems.add(f["id"][1], f"rule id '{POLICY_ERROR}' is reserved for rules that fail to run")
                    rule_id = None
                elif rule_id in seen:
                    problems.add(f["id"][1], f"duplicate rule id '{rule_id}' (first used on line {seen[rule_id]})")
                    rule_id = None
                else:
                    seen[rule_id] = Y.position(f["id"][1])[0]
        label = f"rule '{rule_id}'" if rule_id else f"rules[{index + 1}]"
        rid = rule_id or f"#{index + 1}"
        ok = rule_id is not None

        targets: list[str] = []
        if "on" in f:
            onode = f["on"][1]
            oseq = Y.sequence(onode, problems, f"{label}: on", allow_scalar=True)
            if oseq is not None and not oseq:
                problems.add(onode, f"{label}: on must name at least one action kind or `case`")
                ok = False
            for t in oseq or []:
                value = Y.text(t, problems, f"{label}: on")
                if value is None:
                    ok = False
                    continue
                if value not in RULE_TARGETS:
                    problems.add(t, f"{label}: unknown action kind '{Y.short(value)}'{Y.did_you_mean(value, RULE_TARGETS)}; "
                                    f"expected one of: {', '.join(RULE_TARGETS)}")
                    ok = False
                elif value in targets:
                    problems.add(t, f"{label}: '{value}' is listed twice in `on`")
                else:
                    targets.append(value)
            if oseq is None:
                ok = False
        else:
            ok = False

        enabled = True
        if "enabled" in f:
            b = Y.boolean(f["enabled"][1], problems, f"{label}: enabled")
            enabled = True if b is None else b
        description = ""
        if "description" in f:
            description = Y.text(f["description"][1], problems, f"{label}: description") or ""

        guard = None
        guard_source = ""
        if "when" in f:
            guard, guard_source, good = _compile_when(f["when"][1], problems, f"{label}: when", loaded, rid)
            ok = ok and good

        levels: list[Level] = []
        if "levels" in f:
            for key in ("severity", "say"):
                if key in f:
                    problems.add(f[key][0], f"{label}: give `{key}` inside each level, not beside `levels`")
                    ok = False
            lseq = Y.sequence(f["levels"][1], problems, f"{label}: levels")
            if lseq is not None and not lseq:
                problems.add(f["levels"][1], f"{label}: levels must not be empty")
                ok = False
            unconditional_at: Optional[int] = None
            for li, lnode in enumerate(lseq or []):
                lwhat = f"{label}: levels[{li + 1}]"
                litems = Y.mapping(lnode, problems, lwhat)
                if litems is None:
                    ok = False
                    continue
                lf = Y.check_keys(litems, LEVEL_KEYS, problems, lwhat, required=("severity", "say"), parent=lnode)
                if unconditional_at is not None:
                    problems.add(lnode, f"{lwhat} can never apply: level {unconditional_at} has no `when`")
                    ok = False
                sev = Y.choice(lf["severity"][1], problems, f"{lwhat}.severity", SEVERITIES) if "severity" in lf else None
                lwhen, lsrc = None, ""
                if "when" in lf:
                    lwhen, lsrc, good = _compile_when(lf["when"][1], problems, f"{lwhat}.when", loaded, rid)
                    ok = ok and good
                else:
                    unconditional_at = li + 1
                say = _compile_say(lf["say"][1], problems, f"{lwhat}.say", loaded, rid) if "say" in lf else None
                if sev is None or say is None:
                    ok = False
                    continue
                levels.append(Level(sev, say, lwhen, lsrc))
        else:
            if "severity" not in f:
                problems.add(rnode, f"{label}: missing required key 'severity' (or give `levels`)")
                ok = False
            if "say" not in f:
                problems.add(rnode, f"{label}: missing required key 'say' (or give `levels`)")
                ok = False
            if "when" not in f:
                problems.add(rnode, f"{label}: missing required key 'when'")
                ok = False
            sev = Y.choice(f["severity"][1], problems, f"{label}: severity", SEVERITIES) if "severity" in f else None
            say = _compile_say(f["say"][1], problems, f"{label}: say", loaded, rid) if "say" in f else None
            if sev is not None and say is not None:
                levels.append(Level(sev, say))
            else:
                ok = False
        if targets:
            loaded.rule_targets[rid] = tuple(targets)  # dry-run its expressions even if the rule has problems
        if ok and rule_id is not None and levels:
            loaded.rules.append(Rule(
                id=rule_id, on=tuple(targets), levels=tuple(levels), guard=guard, guard_source=guard_source,
                description=description, enabled=enabled, order=index, line=Y.position(rnode)[0],
            ))
            loaded.rule_targets[rule_id] = tuple(targets)


# ---------------------------------------------------------------------------------------
# Dry run: every expression against sample facts for every kind its rule is `on`


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


def _expr_position(ref: _ExprRef, offset_in_source: int, problems: Y.Problems) -> tuple[int, int]:
    node = ref.node
    if not isinstance(node, ScalarNode):
        return Y.position(node)
    value = node.value
    line, col = offset_to_line_col(value, ref.offset + offset_in_source)
    return Y.scalar_column(node, line, col, problems.lines)


def _dry_run(pack: PolicyPack, loaded: _Loaded) -> None:
    from deskapp.policy._cel import cel

    problems = loaded.problems
    case = _sample_case()
    contexts: dict[str, Any] = {}
    known: set[str] = set()
    for target in {t for ts in loaded.rule_targets.values() for t in ts}:
        action = None if target == "case" else _sample_action(target)
        facts = build_facts(case, action, _SAMPLE_NOW, pack.calendar, pack.timescales, pack.tone, pack.settings)
        facts = _fill_nulls(facts)
        _all_keys(facts, known)
        contexts[target] = cel.Context(facts, functions=SAFE_FUNCTIONS)
    names = ["case", "action", "now"] + list(FUNCTIONS)
    reported: set[tuple[int, int]] = set()

    def report(ref: _ExprRef, offset: int, message: str) -> None:
        line, col = _expr_position(ref, offset, problems)
        if (line, col) in reported:
            return
        reported.add((line, col))
        problems.add((line, col), f"{ref.what}: {message}")

    for ref in loaded.exprs:
        targets = loaded.rule_targets.get(ref.rule, ())
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
                           f"unknown fact '{key}'{Y.did_you_mean(key, known)}")
                break
            except RuntimeError as exc:
                m = re.search(r"Undefined variable or function: '([^']*)'", str(exc))
                if m:
                    name = m.group(1)
                    report(ref, _locate(ref.source, name),
                           f"unknown name '{name}'{Y.did_you_mean(name, names)}; "
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
