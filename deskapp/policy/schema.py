"""The shape of policies.yaml, declared once: pydantic models, their checks, and the JSON Schema.

Why declared: the same classes validate a file (with positions from
core/declared), build the engine's objects, and print the JSON Schema editors
use to complete and check the file (`deskapp policy schema`). Scalars arrive
as the text written (core.declared.yaml_tree), so `no` is never silently a
boolean; pydantic's lax mode reads numbers and true/false from that text.

Checks that need a position *inside* a value (a CEL expression, a `say`
template, a phrase or regex) raise `Inside`; a whole-object check that belongs
to one key raises `At`. The loader turns both into PATH:LINE:COL lines.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo,
                      WithJsonSchema, create_model, field_validator, model_validator)

from deskapp.core.declared import did_you_mean
from deskapp.policy.approvals import DEFAULT_EXPIRE_AFTER_WORKING_DAYS, MAX_EXPIRE_AFTER_WORKING_DAYS
from deskapp.policy.calendar import WEEKDAY_NAMES, parse_weekday, supported_countries, supported_subdivisions
from deskapp.policy.engine import POLICY_ERROR
from deskapp.policy.expressions import ExpressionError, TemplateError, compile_expression, offset_to_line_col, parse_template
from deskapp.policy.reasons import DEFAULT_MIN_LENGTH, MAX_MIN_LENGTH
from deskapp.policy.timescales import ANCHORS
from deskapp.policy.tone import DEFAULT_CUES, PhraseSyntaxError, phrase_to_regex
from deskapp.policy.yamlsrc import short
from deskapp.vocab import CASE_KINDS, RULE_TARGETS, SEVERITIES

RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
MAX_DAYS = 3660


class Inside(ValueError):
    """A mistake at (line, col) inside a text value, both 1-based within the value."""

    def __init__(self, message: str, line: int = 1, col: int = 1):
        super().__init__(message)
        self.line, self.col = line, col


class At(ValueError):
    """A whole-object check's mistake that belongs to one key or item.

    `key`: point at the key itself, not its value; `whole`: the message names
    the place itself, so it is not prefixed with the key's name.
    """

    def __init__(self, message: str, *loc: Union[str, int], key: bool = False, whole: bool = False):
        super().__init__(message)
        self.loc, self.key, self.whole = loc, key, whole


class Spec(BaseModel):
    """A part of the file: unknown keys are mistakes (with a did-you-mean), never ignored."""

    model_config = ConfigDict(extra="forbid")


def doc(description: str, default: Any = None, **kw: Any) -> Any:
    return Field(default, description=description, **kw)


# ----------------------------------------------------------------------------- kinds of value


def _null_is_empty(value: Any) -> Any:
    return "" if value is None else value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_null_is_empty)]
Words = Annotated[str, BeforeValidator(_null_is_empty), AfterValidator(_not_blank)]


def one_or_list(item: Any) -> Any:
    """`x` or `[x, y]`: a lone value counts as a one-item list."""
    return Annotated[list[item], BeforeValidator(_listed, json_schema_input_type=Union[item, list[item]])]


def _target(value: str) -> str:
    if value not in RULE_TARGETS:
        raise ValueError(f"unknown action kind '{short(value)}'{did_you_mean(value, RULE_TARGETS)}; "
                         f"expected one of: {', '.join(RULE_TARGETS)}")
    return value


def _weekday(value: str) -> int:
    day = parse_weekday(value)
    if day is None:
        raise ValueError(f"'{short(value)}' is not a weekday (mon, tue, wed, thu, fri, sat, sun)")
    return day


def _a_date(value: str) -> date:
    text = value.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"must be a date like 2026-03-10, not '{short(text)}'")
    return date.fromisoformat(text)  # its ValueError ("day is out of range for month") is the message


def _local_time(value: str) -> datetime:
    """Local time like 2026-03-10T11:00 (a bare date means midnight). Time zones are refused."""
    text = value.strip()
    if not text:
        raise ValueError("must not be empty")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.fromisoformat(text + "T00:00")
    if re.fullmatch(r".+(Z|[+-]\d{2}:?\d{2})", text) and _DATETIME.match(text):
        raise ValueError(f"times are local; drop the time zone ('{short(text)}')")
    if not _DATETIME.fullmatch(text):
        raise ValueError(f"must be a local date and time like 2026-03-10T11:00, not '{short(text)}'")
    return datetime.fromisoformat(text.replace(" ", "T", 1))  # its ValueError ("month must be in 1..12") is the message


_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,6})?)?")


class Condition(str):
    """A CEL condition as written, with its compiled program."""

    program: Any = None


class Message(str):
    """A `say` template as written, parsed into text and compiled placeholders."""

    template: Any = None


def as_condition(source: str) -> Condition:
    try:
        program = compile_expression(source)
    except ExpressionError as exc:
        raise Inside(str(exc), exc.line, exc.column) from None
    out = Condition(source)
    out.program = program
    return out


def as_message(source: str) -> Message:
    try:
        template = parse_template(source)
    except TemplateError as exc:
        raise Inside(str(exc), *offset_to_line_col(source, exc.offset)) from None
    out = Message(source)
    out.template = template
    return out


def _phrase(source: str) -> str:
    try:
        phrase_to_regex(source)
    except PhraseSyntaxError as exc:
        raise Inside(str(exc), 1, exc.column) from None
    return source


def _regex(source: str) -> str:
    try:
        re.compile(source, re.IGNORECASE)
    except re.error as exc:
        raise Inside(exc.msg, 1, (exc.pos or 0) + 1) from None
    except (RecursionError, OverflowError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from None
    return source


Target = Annotated[str, AfterValidator(_target), WithJsonSchema({"type": "string", "enum": list(RULE_TARGETS)})]
Severity = Literal[SEVERITIES]  # type: ignore[valid-type]
Weekday = Annotated[str, AfterValidator(_weekday),
                    WithJsonSchema({"type": "string", "examples": list(WEEKDAY_NAMES)})]
Day = Annotated[str, AfterValidator(_a_date), WithJsonSchema({"type": "string", "format": "date"})]
LocalTime = Annotated[str, BeforeValidator(_null_is_empty), AfterValidator(_local_time),
                      WithJsonSchema({"type": "string", "examples": ["2026-03-10T11:00"]})]
When = Annotated[str, BeforeValidator(_null_is_empty), AfterValidator(_not_blank), AfterValidator(as_condition)]
Say = Annotated[str, BeforeValidator(_null_is_empty), AfterValidator(_not_blank), AfterValidator(as_message)]
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]


# ----------------------------------------------------------------------------- calendar


class Closure(Spec):
    """A day (`date`) or days (`from` .. `to`) the office is shut, with an optional name."""

    date: Day = doc("The day the office is shut.")
    from_: Day = doc("First day of a closure of several days.", alias="from")
    to: Day = doc("Last day of a closure of several days.")
    name: Text = doc("What the closure is (shown in deadlines).")

    @model_validator(mode="after")
    def _one_form(self) -> "Closure":
        if self.date is not None and (self.from_ is not None or self.to is not None):
            raise ValueError("give either date, or from and to")
        if self.date is None:
            if self.from_ is None or self.to is None:
                raise ValueError("needs `date`, or `from` and `to`")
            if self.to < self.from_:
                raise At("'to' is before 'from'", "to")
            if (self.to - self.from_).days > 366:
                raise At("a closure may last at most a year", "to")
        return self

    def days(self) -> list[date]:
        if self.date is not None:
            return [self.date]
        return [self.from_ + timedelta(days=n) for n in range((self.to - self.from_).days + 1)]


def _closure(value: Any) -> Any:
    return {"date": value} if isinstance(value, str) else value


class CalendarSpec(Spec):
    """Working days: public holidays of a country (and subdivision), the working week and closures."""

    country: Text = doc("Country code for public holidays, like GB; empty for none. Also the country phone "
                        "numbers written without +CC are read in (GB when empty).")
    subdivision: Text = doc("Part of the country, like ENG or SCT (default ENG for GB).")
    working_week: list[Weekday] = doc("Days worked each week (default mon, tue, wed, thu, fri).")
    closures: Optional[list[Annotated[Closure, BeforeValidator(_closure, json_schema_input_type=Union[Day, Closure])]]] = doc(
        "Days the office is shut: a date, or {from, to, name}.")

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: Optional[str]) -> Optional[str]:
        code = (value or "").strip().upper()
        if code and code not in (countries := supported_countries()):
            raise ValueError(f"'{short(value)}' is not a country the holidays package knows"
                             f"{did_you_mean(code, countries)}; use a code like GB")
        return code or None

    @field_validator("working_week")
    @classmethod
    def _some_day(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError("must list at least one day")
        return value

    @model_validator(mode="after")
    def _known_subdivision(self) -> "CalendarSpec":
        sub = (self.subdivision or "").strip()
        if not sub or not self.country:
            return self
        subs = supported_subdivisions(self.country)
        match = next((s for s in subs if s.upper() == sub.upper()), None)
        if match is None:
            listed = ", ".join(subs[:12]) + ("..." if len(subs) > 12 else "")
            raise At(f"'{short(sub)}' is not a subdivision of {self.country}{did_you_mean(sub.upper(), subs)}"
                     + (f"; known: {listed}" if subs else ""), "subdivision")
        self.subdivision = match
        return self

    def parts(self) -> dict[str, Any]:
        """WorkingCalendar's arguments (GB/ENG when no country is given)."""
        given = self.model_fields_set
        country = self.country if "country" in given else "GB"
        subdivision = (self.subdivision or None) if "subdivision" in given else (None if "country" in given else "ENG")
        days, names = [], {}
        for closure in self.closures or []:
            for day in closure.days():
                days.append(day)
                if closure.name:
                    names[day] = closure.name
        return dict(country=country, subdivision=subdivision if country else None, closures=days,
                    closure_names=names, working_week=tuple(sorted(set(self.working_week or (0, 1, 2, 3, 4)))))


# ----------------------------------------------------------------------------- timescales

UNITS = {"working_days": "working_days", "business_days": "working_days", "calendar_days": "calendar_days",
         "weeks": "weeks"}


class PeriodSpec(Spec):
    """An amount of one unit, counted from an anchor: {working_days: 5, from: received}."""

    working_days: Days = doc("Working days (the calendar's working week, less holidays).")
    business_days: Days = doc("Same as working_days.")
    calendar_days: Days = doc("Calendar days.")
    weeks: Days = doc("Weeks of seven days.")
    from_: Literal[ANCHORS] = doc("What the period counts from (default: the stage start; "  # type: ignore[valid-type]
                                            "summary_resolution: receipt).", alias="from")

    @model_validator(mode="after")
    def _one_unit(self) -> "PeriodSpec":
        if len([u for u in UNITS if getattr(self, u) is not None]) != 1:
            raise ValueError("needs exactly one of working_days, calendar_days or weeks "
                             "(e.g. {working_days: 5, from: received})")
        return self

    def unit(self) -> tuple[int, str]:
        name = next(u for u in UNITS if getattr(self, u) is not None)
        return getattr(self, name), UNITS[name]


class StageSpec(Spec):
    """The deadlines of one stage."""

    acknowledge: PeriodSpec = doc("Time to acknowledge the complaint.")
    respond: PeriodSpec = doc("Time to respond.")
    summary_resolution: PeriodSpec = doc("Time to resolve a case summarily (counted from receipt).")
    extension_max: Optional[Days] = doc("The most working days the response may be extended by.")

    @model_validator(mode="after")
    def _not_from_itself(self) -> "StageSpec":
        if self.acknowledge is not None and self.acknowledge.from_ == "acknowledged":
            raise At("cannot be counted from the acknowledgement itself", "acknowledge")
        return self


def _timescale_name(name: str) -> str:
    if not RULE_ID.fullmatch(name):
        raise ValueError("a timescale name is a word like housing-ombudsman")
    return name


def _stage_number(key: str) -> str:
    if not re.fullmatch(r"[1-9]", key):
        raise ValueError(f"stage keys are stage numbers (1, 2), not '{short(key)}'")
    return key


class AppliesTo(Spec):
    """Which cases a timescale applies to (default: all)."""

    kinds: one_or_list(Literal[CASE_KINDS]) = doc("Case kinds.")  # type: ignore[valid-type]
    categories: one_or_list(Words) = doc("Case categories (any case).")


class TimescaleSpec(Spec):
    """A named set of deadlines per stage, and which cases it applies to."""

    title: Text = doc("The name shown to handlers (default: the key).")
    description: Text = doc("Notes for the people who keep this file.")
    applies_to: AppliesTo = doc("Which cases it applies to (default: all).")
    stages: dict[Annotated[str, AfterValidator(_stage_number)], StageSpec] = doc(
        "Deadlines per stage number; a stage not listed uses the highest listed stage below it.", ...)

    @field_validator("stages")
    @classmethod
    def _has_stages(cls, value: dict) -> dict:
        if not value:
            raise ValueError("must define at least stage 1")
        return value


# ----------------------------------------------------------------------------- tone


def _phrase_entry(value: Any) -> Any:
    return {"phrase": value} if isinstance(value, str) else value


class PhraseSpec(Spec):
    """A phrase (`*` any words, `(a|b)` either) or a regex, with its weight and why it reads badly."""

    phrase: Annotated[Words, AfterValidator(_phrase)] = doc("Words to look for.")
    regex: Annotated[Words, AfterValidator(_regex)] = doc("A regular expression (case-insensitive).")
    weight: float = doc("How much a match counts (default 2; polite markers 0).", ge=0)
    why: Words = doc("Why it reads badly (shown to the handler).")
    negatable: bool = doc("Ignore when 'not', 'no' or 'never' comes just before.")

    @model_validator(mode="after")
    def _one_pattern(self) -> "PhraseSpec":
        if (self.phrase is None) == (self.regex is None):
            raise ValueError("needs exactly one of `phrase` or `regex`")
        return self


Phrase = Annotated[PhraseSpec, BeforeValidator(_phrase_entry, json_schema_input_type=Union[str, PhraseSpec])]

CuesSpec = create_model(
    "CuesSpec", __base__=Spec, __doc__="Weights of the tone cues (0 switches one off).",
    **{name: (Optional[float], Field(None, ge=0, description=f"Weight of the {name} cue (default {weight:g}).",
                                     title=name.replace("_", " ").capitalize()))
       for name, weight in DEFAULT_CUES.items()})


def _classifier(value: str) -> str:
    from deskapp.policy.toneplugin import check_spec

    return check_spec(value)


class ToneSpec(Spec):
    """How hostile wording is found: phrase list, polite markers, cue weights and the threshold."""

    threshold: float = doc("Score at which a message reads as hostile (default 2).", ge=0.1)
    polite_credit: float = doc("Score removed per distinct polite marker (default 0.5).", ge=0)
    polite_max: float = doc("At most this much credit for politeness (default 1).", ge=0)
    cues: Optional[CuesSpec] = doc("Weights of the tone cues.")  # type: ignore[valid-type]
    phrases: Optional[list[Phrase]] = doc("Hostile phrases.")
    polite: Optional[list[Phrase]] = doc("Polite markers that soften borderline messages.")
    classifier: Annotated[Words, AfterValidator(_classifier)] = doc(
        "A team's own classifier: module.path:callable, or an entry-point name in group deskapp.tone. "
        "The built-in detector answers when it fails or is slow.")
    classifier_label: Words = doc("What the desk calls the classifier (default: its name).")
    classifier_timeout_ms: int = doc("Milliseconds to wait for the classifier (default 300).", ge=1, le=10000)
    model: bool = doc("Ask the built-in linear model when no cue flags a message (default true).")
    model_threshold: float = doc("Probability at which the model flags a message (default: the shipped "
                                 "model's, 0.85).", ge=0.5, le=0.999)


# ----------------------------------------------------------------------------- small settings


class CallsSpec(Spec):
    """How contacts group into calls."""

    gap_minutes: int = doc("Minutes between contacts that still count as one call (default 60).",
                                     ge=1, le=24 * 60)


class ApprovalsSpec(Spec):
    """How long a team leader's approval lasts."""

    expire_after_working_days: int = doc(
        f"Working days after the day of approval that it lasts (default {DEFAULT_EXPIRE_AFTER_WORKING_DAYS}; "
        "0: until the end of that working day).", ge=0, le=MAX_EXPIRE_AFTER_WORKING_DAYS)


class ReasonsSpec(Spec):
    """What counts as a reason when an action needs one."""

    min_length: int = doc(f"Fewest characters a reason may have (default {DEFAULT_MIN_LENGTH}).",
                                    ge=1, le=MAX_MIN_LENGTH)
    empty: list[Words] = doc("Reasons that say nothing (compared without case and punctuation).")


# ----------------------------------------------------------------------------- rules


def _rule_id(value: str) -> str:
    if not RULE_ID.fullmatch(value):
        raise ValueError(f"'{short(value)}': use letters, digits and '-' (e.g. card-number-disclosure)")
    if value == POLICY_ERROR:
        raise ValueError(f"'{POLICY_ERROR}' is reserved for rules that fail to run")
    return value


class LevelSpec(Spec):
    """One severity of a rule; the first level whose `when` holds applies."""

    severity: Severity = doc("advice, warn or block.", ...)
    say: Say = doc("The message; {expressions} in braces are filled in.", ...)
    when: When = doc("CEL condition for this level (none: always; must be the last level).")


class RuleSpec(Spec):
    """A rule: on which actions it runs, when it applies, how severe it is and what it says."""

    id: Annotated[Words, AfterValidator(_rule_id)] = doc("A word like card-number-disclosure, unique in the file.", ...)
    on: one_or_list(Target) = doc("Action kinds the rule checks, or `case` for standing advice.", ...)
    when: When = doc("CEL condition over case, action and now.")
    severity: Severity = doc("advice, warn or block (or give `levels`).")
    say: Say = doc("The message; {expressions} in braces are filled in (or give `levels`).")
    levels: list[LevelSpec] = doc("Severities tried in order, instead of severity and say.")
    description: Text = doc("Notes for the people who keep this file.")
    enabled: bool = doc("false switches the rule off.", True)

    @field_validator("on")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must name at least one action kind or `case`")
        for index, target in enumerate(value):
            if target in value[:index]:
                raise At(f"'{target}' is listed twice in `on`", index)
        return value

    @model_validator(mode="after")
    def _levels_or_severity(self) -> "RuleSpec":
        if self.levels is None:
            missing = [f"missing required key '{k}'" + ("" if k == "when" else " (or give `levels`)")
                       for k in ("severity", "say", "when") if getattr(self, k) is None]
            if missing:
                raise ValueError("; ".join(missing))
            return self
        for key in ("severity", "say"):
            if getattr(self, key) is not None:
                raise At(f"give `{key}` inside each level, not beside `levels`", key, key=True)
        if not self.levels:
            raise At("must not be empty", "levels")
        for index, level in enumerate(self.levels[:-1]):
            if level.when is None:
                raise At(f"can never apply: level {index + 1} has no `when`", "levels", index + 1)
        return self


# ----------------------------------------------------------------------------- the file


class PolicyFile(Spec):
    """policies.yaml: the rules a desk checks every action against, and the settings they use."""

    model_config = ConfigDict(title="deskapp policies.yaml")

    version: int = doc("The file format: 1.", ...)
    calendar: CalendarSpec = doc("Working days (default: GB, England, Monday to Friday).")
    timescales: Optional[dict[Annotated[str, AfterValidator(_timescale_name)], TimescaleSpec]] = doc(
        "Named deadline sets (e.g. housing-ombudsman).")
    tone: Optional[ToneSpec] = doc("How hostile wording is found.")
    calls: CallsSpec = doc("Settings for calls: how close together contacts count as one call.")
    approvals: ApprovalsSpec = doc("How long approvals last.")
    reasons: ReasonsSpec = doc("What counts as a reason.")
    rules: Optional[list[RuleSpec]] = doc("The rules, in the order their findings are shown.", ...)

    @field_validator("version")
    @classmethod
    def _version_1(cls, value: int) -> int:
        if value != 1:
            raise ValueError(f"this deskapp reads version 1 files, not version {value}")
        return value

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: Optional[list[RuleSpec]], info: ValidationInfo) -> Optional[list[RuleSpec]]:
        first: dict[str, int] = {}
        line_of = (info.context or {}).get("line_of", lambda loc: 0)
        for index, rule in enumerate(rules or []):
            if rule.id in first:
                raise At(f"duplicate rule id '{rule.id}' (first used on line {line_of(('rules', first[rule.id], 'id'))})",
                         index, "id", whole=True)
            first[rule.id] = index
        return rules


SECTIONS: dict[str, type[BaseModel]] = {"calendar": CalendarSpec, "tone": ToneSpec, "calls": CallsSpec,
                                       "approvals": ApprovalsSpec, "reasons": ReasonsSpec}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of policies.yaml, for editors (YAML language server) and `deskapp policy schema`."""
    schema = PolicyFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
