"""The case records an import file carries, declared once (pydantic dataclasses).

Each field says what it accepts and in which words a mistake is reported
(`'grumble' is not one of: complaint, ...`); the rules between fields (closed
cases have closed_at, a contact names a party of its case) are `_case_rules`
and `_contact_rules`. CSV rows arrive here already in the JSON shape
(deskapp.supervision.import_format.csv_case); keys starting with `_` are the
CSV reader's notes, never the file's fields.

Validation needs a context: `now` (nothing may have happened in the future)
and `handlers` (usernames assigned_to may name; None = not checked).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import date, datetime, time
from typing import Annotated, Any, Iterable, Mapping, Optional

from pydantic import (BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, ValidationInfo, field_validator,
                      model_validator)
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError

from deskapp import vocab
from deskapp.actions.validate import MAX_BODY, MAX_SUMMARY, MAX_TITLE  # the same columns, the same limits
from deskapp.core.cards import redact_cards
from deskapp.core.declared import did_you_mean
from deskapp.core.parties import PARTY_LIMITS

MAX_REF = 64
MAX_CATEGORY = 64
MAX_TEXT = MAX_BODY
MAX_ITEMS = 10_000  # parties / contacts / appointments per case

PRIORITY_WORDS = {name: number for number, name in vocab.PRIORITIES.items()}
_TRUE = {"yes", "y", "true", "t", "1", "x"}
_FALSE = {"no", "n", "false", "f", "0", ""}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SHOWN_BADLY = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Records are pydantic dataclasses with slots: plain frozen dataclasses once checked (a 500k-case file
# holds millions of them; as BaseModels they took three times the memory), validated by pydantic on the way in.
_DECLARED = ConfigDict(extra="forbid")
NOTE_AT = datetime(1, 1, 1)  # a contact's `at` meaning "when the case was received" (the CSV note column)


def short(value: Any, limit: int = 40) -> str:
    """A piece of the file quoted in a problem: short, on one line, no control characters."""
    text = _SHOWN_BADLY.sub("?", str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fields_of(model: type) -> list[str]:
    """A record's fields, in the order they are checked (and their problems read)."""
    return list(model.__pydantic_fields__)


def kind_of(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false", type(None): "null", str: "text"}.get(
        type(value), "a number")


def _partial(info: ValidationInfo) -> bool:
    # Validating what is left of a case with problems, to check its rules: nothing is required then.
    return bool(info.context and info.context.get("partial"))


# ----------------------------------------------------------------------------- what a field accepts


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any, info: ValidationInfo, limit: int, required: bool, single_line: bool = True,
          default: Optional[str] = None) -> Optional[str]:
    if _blank(value):
        if required and not _partial(info):
            raise ValueError("required")
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"expected text, not {kind_of(value)}")
    out = str(value).strip().replace("\x00", "")
    if single_line and ("\n" in out or "\r" in out):
        out = " ".join(out.split())
    if len(out) > limit:
        raise ValueError(f"too long ({len(out):,} characters; the limit is {limit:,})")
    return out or default


def Text(limit: int, required: bool = False, single_line: bool = True, default: Optional[str] = None) -> Any:
    """Text up to `limit` characters (a number is taken as its text); blank is `default`."""

    def text(value: Any, info: ValidationInfo) -> Optional[str]:
        return _text(value, info, limit, required, single_line, default)

    return Annotated[Optional[str], BeforeValidator(text), Field(default, validate_default=True)]


def Choice(words: Iterable[str], default: Optional[str] = None, required: bool = False) -> Any:
    """One of `words`, written in any case, with spaces or hyphens for underscores."""
    words = {word: word for word in words}  # the answer is the vocabulary's own string: one copy in memory

    def choice(value: Any, info: ValidationInfo) -> Optional[str]:
        written = _text(value, info, 64, required)
        if written is None:
            return default
        word = written.lower().replace(" ", "_").replace("-", "_")
        if word not in words:
            raise ValueError(f"{short(written)!r} is not one of: {', '.join(words)}"
                             + did_you_mean(word, words, quoted=False))
        return words[word]

    return Annotated[Optional[str], BeforeValidator(choice), Field(default, validate_default=True)]


def Flag(default: bool = False) -> Any:
    """yes/no, true/false, 1/0, y/n, x (a tick in a spreadsheet); blank is `default`."""

    def flag(value: Any) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return default if word == "" else False
        raise ValueError(f"expected yes or no, not {short(value)!r}")

    return Annotated[bool, BeforeValidator(flag), Field(default, validate_default=True)]


def Number(allowed: Mapping[Any, int], default: int) -> Any:
    """A number from `allowed`, by number or by word (priority: urgent, high, ...)."""

    def number(value: Any) -> int:
        if _blank(value):
            return default
        key: Any = value
        if isinstance(value, str):
            key = value.strip().lower()
            if key.isascii() and key.isdigit():  # "²" is a digit to isdigit(), not to int()
                key = int(key)
        if isinstance(key, bool) or not isinstance(key, (str, int)) or key not in allowed:
            raise ValueError(f"{short(value)!r} is not one of: {', '.join(str(k) for k in allowed)}")
        return allowed[key]

    return Annotated[int, BeforeValidator(number), Field(default, validate_default=True)]


def When(required: bool = False, future: bool = False) -> Any:
    """A local date and time (2026-03-02, 2026-03-02 09:30, ISO with an offset), from 1900 until now."""

    def when(value: Any, info: ValidationInfo) -> Optional[datetime]:
        if isinstance(value, datetime):
            return value
        if _blank(value):
            if required and not _partial(info):
                raise ValueError("required")
            return None
        if not isinstance(value, str):
            raise ValueError(f"expected a date like 2026-03-02 or 2026-03-02 09:30, not {kind_of(value)}")
        text = value.strip()
        try:
            if len(text) == 10:
                parsed = datetime.combine(date.fromisoformat(text), time())
            else:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            raise ValueError(f"{short(text)!r} is not a date like 2026-03-02 or 2026-03-02 09:30") from None
        if parsed.tzinfo is not None:
            try:
                parsed = parsed.astimezone().replace(tzinfo=None)  # the desk keeps local time
            except (OverflowError, OSError, ValueError):
                raise ValueError(f"{short(text)!r} is out of range") from None
        parsed = parsed.replace(microsecond=0)
        if parsed.year < 1900:
            raise ValueError(f"{short(text)!r} is before 1900")
        if not future and info.context and parsed > info.context["now"]:
            raise ValueError(f"{parsed:%Y-%m-%d %H:%M} is in the future")
        return parsed

    return Annotated[Optional[datetime], BeforeValidator(when), Field(None, validate_default=True)]


def _object(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError(f"expected an object {{...}}, not {kind_of(value)}")
    return value


def _items(value: Any) -> Any:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"expected a list, not {kind_of(value)}")
    if len(value) > MAX_ITEMS:
        raise ValueError(f"more than {MAX_ITEMS:,} in one case")
    return value


def Items(model: type) -> Any:
    """A list of `model` objects (at most MAX_ITEMS); missing is none."""
    return Annotated[tuple[Annotated[model, BeforeValidator(_object)], ...], BeforeValidator(_items), Field(())]


def _without_notes(data: Any) -> Any:
    # The CSV reader's `_columns` / `_note` marks (and any `_comment` a JSON file carries) are not fields.
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("_"))}
    return data


def _rules_failed(kind: str, found: list[tuple[tuple, str]]) -> ValidationError:
    # `kind` is the error type: "case_rule" / "item_rule", so a reader tells them from a field's own problem.
    return ValidationError.from_exception_data("rules", [
        {"type": PydanticCustomError(kind, "{message}", {"message": message}), "loc": loc, "input": None}
        for loc, message in found])


# ----------------------------------------------------------------------------- the records


@dataclass(frozen=True, slots=True, config=_DECLARED)
class PartyRecord:
    """deskapp.core.parties.PartyFields as an import file writes them (checked in this order)."""

    name: Text(PARTY_LIMITS["name"], required=True)
    role: Choice(vocab.PARTY_ROLES, "customer")
    email: Text(PARTY_LIMITS["email"])
    designated: Flag()
    authorised: Flag()
    organisation: Text(PARTY_LIMITS["organisation"])
    phone: Text(PARTY_LIMITS["phone"])
    address: Text(MAX_TEXT, single_line=False)
    notes: Text(MAX_TEXT, single_line=False)

    _notes = model_validator(mode="before")(_without_notes)

    @field_validator("email")
    @classmethod
    def _an_address(cls, email: Optional[str]) -> Optional[str]:
        if email is not None and ("@" not in email or " " in email):
            raise ValueError(f"{short(email)!r} is not an email address")
        return email


@dataclass(frozen=True, slots=True, config=_DECLARED)
class ContactRecord:
    at: When()  # required; NOTE_AT for the CSV `note` column's entry
    channel: Choice(vocab.CHANNELS, required=True)
    direction: Choice(vocab.DIRECTIONS)  # default: internal for a note, else in
    outcome: Choice(vocab.OUTCOMES)
    party: Text(PARTY_LIMITS["name"])  # a party name on the same case
    summary: Text(MAX_SUMMARY, default="")
    body: Text(MAX_TEXT, single_line=False)

    _notes = model_validator(mode="before")(_without_notes)

    @field_validator("direction")
    @classmethod
    def _default_direction(cls, direction: Optional[str], info: ValidationInfo) -> Optional[str]:
        return direction or ("internal" if info.data.get("channel") == "note" else "in")

    @model_validator(mode="after")
    def _rules(self) -> ContactRecord:
        found = _contact_rules(self)
        if found:
            raise _rules_failed("item_rule", found)
        return self


@dataclass(frozen=True, slots=True, config=_DECLARED)
class AppointmentRecord:
    at: When(required=True, future=True)  # appointments may be booked ahead
    status: Choice(vocab.APPOINTMENT_STATUSES, "booked")
    party: Text(PARTY_LIMITS["name"])
    purpose: Text(MAX_TITLE, default="")

    _notes = model_validator(mode="before")(_without_notes)


def _assigned_to(value: Optional[str], info: ValidationInfo) -> Optional[str]:
    handlers = info.context.get("handlers") if info.context else None
    if value is not None and handlers is not None and value not in handlers:
        raise ValueError(f"no active handler called {short(value)!r} "
                         "(add them with `deskapp users add`, or leave it empty)")
    return value


@dataclass(frozen=True, slots=True, config=_DECLARED)
class CaseRecord:
    external_ref: Text(MAX_REF, required=True)
    kind: Choice(vocab.CASE_KINDS, required=True)
    title: Text(MAX_TITLE, required=True)
    category: Text(MAX_CATEGORY, default="general")
    stage: Number({1: 1, 2: 2}, 1)
    status: Choice(vocab.CASE_STATUSES, "new")
    priority: Number({**{n: n for n in vocab.PRIORITIES}, **PRIORITY_WORDS}, 3)
    vulnerable: Flag()
    received_at: When(required=True)
    acknowledged_at: When()
    responded_at: When()
    closed_at: When()
    escalated_at: When()
    assigned_to: Text(64)
    parties: Items(PartyRecord)
    contacts: Items(ContactRecord)
    appointments: Items(AppointmentRecord)
    line: Optional[int] = Field(None, init=False)  # where the case starts in its file: see at_line

    @model_validator(mode="before")
    @classmethod
    def _fields_only(cls, data: Any) -> Any:
        data = _without_notes(data)
        if isinstance(data, dict):
            data.pop("note", None)  # a CSV column; a JSON file gives history as contacts
        return data

    @field_validator("external_ref")
    @classmethod
    def _printable(cls, ref: Optional[str]) -> Optional[str]:
        if ref is not None and _CONTROL.search(ref):
            raise ValueError("contains control characters")
        return ref

    _handler = field_validator("assigned_to")(_assigned_to)

    @field_validator("contacts")
    @classmethod
    def _note_at_received(cls, contacts: tuple[ContactRecord, ...], info: ValidationInfo) -> tuple:
        received = info.data.get("received_at")
        for contact in contacts:
            if contact.at is NOTE_AT and received is not None:
                # Made just now for this case and seen by no one else: set in place, not validated again.
                object.__setattr__(contact, "at", received)
        return contacts

    @model_validator(mode="after")
    def _rules(self) -> CaseRecord:
        found = _case_rules(self)
        if found:
            raise _rules_failed("case_rule", found)
        return self

    def at_line(self, line: Optional[int]) -> CaseRecord:
        """This record, knowing the line it starts on in its file (not from the file's data: not in the fingerprint)."""
        object.__setattr__(self, "line", line)
        return self

    def fingerprint(self) -> str:
        """A hash of everything the file says about this case (not where it sits in the file)."""
        data = dataclasses.asdict(self)
        data.pop("line")
        text = json.dumps(data, sort_keys=True, default=lambda v: v.isoformat(), ensure_ascii=False)
        # Over the masked text, as stored: an unkeyed hash of a card number is not allowed at rest (PCI DSS 3.5).
        return hashlib.sha256(redact_cards(text).encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- rules between fields


def _contact_rules(c: Any) -> list[tuple[tuple, str]]:
    found = []
    if c.at is None:
        found.append((("at",), "required"))
    if not c.summary and not c.body:
        found.append((("summary",), "a contact needs a summary or a body"))
    return found


def _case_rules(case: Any) -> list[tuple[tuple, str]]:
    """What must hold between a case's fields; `case` may be partly known (None: not known)."""
    found: list[tuple[tuple, str]] = []
    received = case.received_at
    if received is not None:
        for name in ("acknowledged_at", "responded_at", "closed_at", "escalated_at"):
            value = getattr(case, name)
            if value is not None and value < received:
                found.append(((name,), "is before received_at"))
    if case.acknowledged_at and case.responded_at and case.responded_at < case.acknowledged_at:
        found.append((("responded_at",), "is before acknowledged_at"))
    if case.status == "closed" and case.closed_at is None:
        found.append((("closed_at",), "required when the status is closed"))
    if case.closed_at is not None and case.status not in (None, "closed"):
        found.append((("status",), f"is {case.status} but closed_at is given: a closed case has status closed"))
    if case.stage == 2 and case.kind not in (None, "complaint"):
        found.append((("stage",), "only a complaint can be at stage 2"))
    if case.escalated_at is not None and case.stage != 2:
        found.append((("escalated_at",), "only a case at stage 2 was escalated"))

    parties = [p for _i, p in _known(case.parties)]
    if sum(1 for p in parties if p.designated) > 1:
        found.append((("parties",), "more than one party is marked designated: only one representative can be"))
    seen: set[str] = set()
    for p in parties:
        if p.name and p.name in seen:
            found.append((("parties",), f"two parties are called {short(p.name)!r}: contacts name their party, "
                                        "so names must differ"))
        seen.add(p.name)
    names = {p.name for p in parties}
    for i, c in _known(case.contacts):
        if (c.at not in (None, NOTE_AT) and received is not None
                and c.at < received.replace(hour=0, minute=0, second=0)):
            found.append((("contacts", i, "at"), "is before the case was received"))
        if c.party is not None and c.party not in names:
            found.append((("contacts", i, "party"), f"{short(c.party)!r} is not one of this case's parties"))
    for i, a in _known(case.appointments):
        if a.party is not None and a.party not in names:
            found.append((("appointments", i, "party"), f"{short(a.party)!r} is not one of this case's parties"))
    return found


def _known(items: Any) -> list[tuple[int, Any]]:
    """(index, item) of a list field: a record's tuple, or the partly known items of a case with problems."""
    return list(items.items()) if isinstance(items, dict) else list(enumerate(items))


# ----------------------------------------------------------------------------- a case with problems


class Partly:
    """What could be read of a record with problems: each field that passed, None for the rest."""

    def __init__(self, model: type, raw: Any, failed: Mapping[str, Any], context: dict):
        raw = raw if isinstance(raw, dict) else {}
        for name in model.__pydantic_fields__:
            value: Any = None
            if name in LISTS:  # {index: Partly item}, leaving out items that are not objects
                items, bad = raw.get(name), failed.get(name, {})
                value = {} if () in bad or not isinstance(items, list) else {
                    i: Partly(ITEM_MODELS[name], item, bad.get(i, {}), context)
                    for i, item in enumerate(items) if isinstance(item, dict) and () not in bad.get(i, {})}
            elif name not in failed:
                try:
                    value = _adapter(model, name).validate_python(raw.get(name), context=context)
                except ValidationError:
                    pass
            setattr(self, name, value)


LISTS = ("parties", "contacts", "appointments")
ITEM_MODELS: dict[str, type] = {"parties": PartyRecord, "contacts": ContactRecord, "appointments": AppointmentRecord}
_ADAPTERS: dict[tuple[type, str], Any] = {}


def _adapter(model: type, name: str) -> Any:
    key = (model, name)
    if key not in _ADAPTERS:
        info = model.__pydantic_fields__[name]
        _ADAPTERS[key] = TypeAdapter(Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation)
    return _ADAPTERS[key]


def rule_errors(raw: dict, exc: ValidationError, context: dict) -> list[tuple[tuple, str]]:
    """The rules of a case whose fields have problems, checked on what could be read.

    pydantic checks a record's rules only once its fields are right; a person
    fixing a file wants to hear of `closed_at: required when the status is
    closed` in the same run as a misspelt kind, as deskapp always told them.
    """
    failed: dict = {}  # key path of each problem, as a tree: {"kind": {(): True}, "parties": {0: {"name": ...}}}
    ruled: set[tuple] = set()  # items whose own rules already ran (and failed)
    for error in exc.errors():
        loc = error["loc"]
        node = failed
        for part in loc:
            node = node.setdefault(part, {})
        node[()] = True
        if error["type"] == "item_rule":
            ruled.add(loc[:2])
    partial = {**context, "partial": True}
    case = Partly(CaseRecord, raw, failed, partial)
    found = _case_rules(case)
    for i, contact in _known(case.contacts):
        if i in failed.get("contacts", {}) and ("contacts", i) not in ruled:
            found += [(("contacts", i, *loc), message) for loc, message in _contact_rules(contact)]
    return found


CASE = TypeAdapter(CaseRecord)  # CASE.validate_python(raw case, context={"now": ..., "handlers": ...})
