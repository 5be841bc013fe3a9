"""The import file formats, read and checked without touching the database.

Two formats carry the same cases (full description: docs/import-format.md):

CSV — one row per case, a header row naming the columns (any order; case,
spaces and hyphens in names do not matter):
    external_ref*  kind*  title*  received_at*  category  stage  status  priority  vulnerable
    acknowledged_at  responded_at  closed_at  escalated_at  assigned_to  note
    customer_name  customer_role  customer_organisation  customer_email  customer_phone
    customer_address  customer_notes  customer_authorised
    representative_name  representative_organisation  representative_email  representative_phone
    representative_address  representative_notes  representative_designated  representative_authorised
    third_party_name  third_party_organisation  third_party_email  third_party_phone
    third_party_address  third_party_notes
JSON — {"source": "...", "cases": [ {the same case fields, "parties": [...],
    "contacts": [...], "appointments": [...]} ]} (or just the list of cases).

Every problem is reported as `FILE:LINE: field: message`, LINE being the line
the row (CSV) or the case object (JSON) starts on, and all of them are found
before anything is written. Nothing in here may raise anything but the
`Problems` it collects: the parsers are fuzzed.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from typing import Any, Iterable, Optional

from deskapp import vocab
from deskapp.core.cards import redact_cards

MAX_BYTES = 100 * 1024 * 1024
MAX_CASES = 500_000
MAX_ERRORS = 50
MAX_REF = 64
MAX_TITLE = 200
MAX_CATEGORY = 64
MAX_NAME = 200
MAX_SUMMARY = 300
MAX_TEXT = 100_000
MAX_ITEMS = 10_000  # parties / contacts / appointments per case

CASE_FIELDS = ("external_ref", "kind", "title", "received_at", "category", "stage", "status", "priority",
               "vulnerable", "acknowledged_at", "responded_at", "closed_at", "escalated_at", "assigned_to", "note")
REQUIRED = ("external_ref", "kind", "title", "received_at")
PARTY_FIELDS = ("name", "organisation", "email", "phone", "address", "notes")
# CSV party column groups: prefix -> (role, extra columns)
CSV_PARTIES = {
    "customer": ("customer", ("role", "authorised")),
    "representative": ("representative", ("designated", "authorised")),
    "third_party": ("third_party", ()),
}
CSV_COLUMNS = CASE_FIELDS + tuple(
    f"{prefix}_{name}" for prefix, (_role, extra) in CSV_PARTIES.items() for name in PARTY_FIELDS + extra)
JSON_PARTY_KEYS = ("role", "name", "designated", "authorised") + PARTY_FIELDS[1:]
JSON_CONTACT_KEYS = ("at", "channel", "direction", "party", "outcome", "summary", "body")
JSON_APPOINTMENT_KEYS = ("at", "party", "purpose", "status")
PRIORITY_WORDS = {name: number for number, name in vocab.PRIORITIES.items()}
_TRUE = {"yes", "y", "true", "t", "1", "x"}
_FALSE = {"no", "n", "false", "f", "0", ""}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SHOWN_BADLY = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


# ----------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    line: Optional[int]
    field: str
    message: str

    def render(self, name: str) -> str:
        """`FILE:LINE: field: message`, always one line."""
        where = f"{name}:{self.line}" if self.line else name
        text = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        return _SHOWN_BADLY.sub("?", text)


class Problems(Exception):
    """Everything wrong with a file; raised once all of it is known (or MAX_ERRORS reached)."""

    def __init__(self, problems: list[Problem], more: int = 0):
        super().__init__(f"{len(problems) + more} problems")
        self.problems = problems
        self.more = more


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.more = 0

    def add(self, line: Optional[int], field: str, message: str) -> None:
        if len(self.problems) < MAX_ERRORS:
            self.problems.append(Problem(line, field, message))
        else:
            self.more += 1

    def raise_if_any(self) -> None:
        if self.problems:
            raise Problems(self.problems, self.more)


# ----------------------------------------------------------------------------- records


@dataclass(frozen=True)
class PartyRecord:
    role: str
    name: str
    designated: bool = False
    authorised: bool = False
    organisation: Optional[str] = None
    email: Optional[str] = None
    phone: Optional[str] = None
    address: Optional[str] = None
    notes: Optional[str] = None


@dataclass(frozen=True)
class ContactRecord:
    at: datetime
    channel: str
    direction: str
    party: Optional[str]  # a party name on the same case
    outcome: Optional[str]
    summary: str
    body: Optional[str]


@dataclass(frozen=True)
class AppointmentRecord:
    at: datetime
    party: Optional[str]
    purpose: str
    status: str


@dataclass(frozen=True)
class CaseRecord:
    line: Optional[int]
    external_ref: str
    kind: str
    title: str
    received_at: datetime
    category: str = "general"
    stage: int = 1
    status: str = "new"
    priority: int = 3
    vulnerable: bool = False
    acknowledged_at: Optional[datetime] = None
    responded_at: Optional[datetime] = None
    closed_at: Optional[datetime] = None
    escalated_at: Optional[datetime] = None
    assigned_to: Optional[str] = None
    parties: tuple[PartyRecord, ...] = ()
    contacts: tuple[ContactRecord, ...] = ()
    appointments: tuple[AppointmentRecord, ...] = ()

    def fingerprint(self) -> str:
        """A hash of everything the file says about this case (not where it sits in the file)."""
        data = asdict(self)
        data.pop("line")
        text = json.dumps(data, sort_keys=True, default=lambda v: v.isoformat(), ensure_ascii=False)
        # Over the masked text, as stored: an unkeyed hash of a card number is not allowed at rest (PCI DSS 3.5).
        return hashlib.sha256(redact_cards(text).encode("utf-8")).hexdigest()


@dataclass
class ParsedFile:
    fmt: str
    source: Optional[str]
    rows: list[tuple[Optional[int], dict[str, Any]]] = field(default_factory=list)  # (line, raw values)


# ----------------------------------------------------------------------------- reading the bytes


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped). Problems: not text, not UTF-8, an Excel workbook."""
    if data[:4] == b"PK\x03\x04":
        raise Problems([Problem(None, "", "this is a spreadsheet workbook (xlsx), not CSV: "
                                         "save it as \"CSV UTF-8\" and import that")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise Problems([Problem(line, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x}): "
                                          "save the file as UTF-8")]) from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise Problems([Problem(line, "", "contains a NUL byte: this is not a text file")])
    return text


# ----------------------------------------------------------------------------- CSV


def _column(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def parse_csv(text: str) -> ParsedFile:
    """Rows of raw strings keyed by column, each with the line it starts on."""
    out = ParsedFile(fmt="csv", source=None)
    problems = _Collector()
    # strict: an unclosed quote is an error at its row, not a value swallowing the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: Optional[list[str]] = None
    header_line = 1
    last_line = 0
    try:
        for record in reader:
            start = last_line + 1
            last_line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header, header_line = [_column(c) for c in record], start
                _check_header(header, header_line, problems)
                problems.raise_if_any()
                continue
            if len(out.rows) >= MAX_CASES:
                problems.add(start, "", f"more than {MAX_CASES:,} cases in one file: split it")
                break
            if len(record) > len(header) and any(cell.strip() for cell in record[len(header):]):
                problems.add(start, "", f"row has {len(record)} values but the header has {len(header)} columns "
                                        "(a comma inside a value needs double quotes around the value)")
                continue
            values = {name: (record[i] if i < len(record) else "") for i, name in enumerate(header)}
            out.rows.append((start, values))
    except csv.Error as exc:
        message = str(exc)
        if "field larger than field limit" in message:
            message = f"a value is longer than {csv.field_size_limit():,} characters"
        else:
            message = f"not valid CSV: {message}"
        problems.add(last_line + 1, "", message)
    if header is None and not problems.problems:
        problems.add(None, "", "the file is empty: it needs a header row and one row per case")
    problems.raise_if_any()
    return out


def _check_header(header: list[str], line: int, problems: _Collector) -> None:
    seen: set[str] = set()
    for name in header:
        if not name:
            problems.add(line, "header", "a column has no name")
            continue
        if name in seen:
            problems.add(line, name, "column appears twice")
        seen.add(name)
        if name not in CSV_COLUMNS:
            close = difflib.get_close_matches(name, CSV_COLUMNS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.add(line, _short(name), f"not a column deskapp imports{hint}")
    for name in REQUIRED:
        if name not in seen:
            problems.add(line, name, "required column is missing from the header")


def csv_case(values: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the nested shape the JSON format uses (parties from the prefixed columns)."""
    case: dict[str, Any] = {k: v for k, v in values.items() if k in CASE_FIELDS and v.strip() != ""}
    parties = []
    for prefix, (role, extra) in CSV_PARTIES.items():
        party = {name: values.get(f"{prefix}_{name}", "") for name in PARTY_FIELDS + extra}
        party = {k: v for k, v in party.items() if v.strip() != ""}
        if not party:
            continue
        party.setdefault("role", role)
        if prefix == "representative":
            party.setdefault("designated", "yes")
            party.setdefault("authorised", "yes")
        party["_columns"] = prefix
        parties.append(party)
    if parties:
        case["parties"] = parties
    note = case.pop("note", None)
    if note:
        case["contacts"] = [{"channel": "note", "direction": "internal", "summary": "Notes from the previous system",
                             "body": note, "_at_received": True}]
    return case


# ----------------------------------------------------------------------------- JSON


def parse_json(text: str) -> ParsedFile:
    """Cases as decoded objects, each with the line its object starts on."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Problems([Problem(exc.lineno, "", f"not valid JSON: {exc.msg} (column {exc.colno})")]) from None
    except RecursionError:
        raise Problems([Problem(None, "", "not valid JSON: nested too deeply")]) from None
    except ValueError as exc:  # e.g. integers with too many digits
        raise Problems([Problem(None, "", f"not valid JSON: {_short(str(exc), 80)}")]) from None
    source = None
    if isinstance(data, dict):
        unknown = sorted(set(data) - {"cases", "source"})
        if unknown:
            raise Problems([Problem(1, _short(unknown[0]), 'unknown key: the file holds "cases" (and "source")')])
        if "cases" not in data:
            raise Problems([Problem(1, "cases", 'missing: put the cases in a list under "cases"')])
        source = data.get("source")
        if source is not None and not isinstance(source, str):
            raise Problems([Problem(1, "source", "must be text")])
        data = data["cases"]
    if not isinstance(data, list):
        raise Problems([Problem(1, "cases", "must be a list of case objects")])
    if len(data) > MAX_CASES:
        raise Problems([Problem(None, "cases", f"more than {MAX_CASES:,} cases in one file: split it")])
    lines = _element_lines(text, len(data))
    out = ParsedFile(fmt="json", source=source)
    for index, item in enumerate(data):
        out.rows.append((lines[index] if lines else None, item))  # check() reports items that are not objects
    return out


_WS = re.compile(r"[ \t\n\r]*")


def _element_lines(text: str, count: int) -> Optional[list[int]]:
    """The line each element of the cases array starts on (the file is already known to be valid JSON)."""
    decoder = json.JSONDecoder()
    try:
        pos = _WS.match(text, 0).end()
        if text[pos] == "{":
            pos = _WS.match(text, pos + 1).end()
            while text[pos] != "}":
                key, pos = decoder.raw_decode(text, pos)
                pos = _WS.match(text, pos).end() + 1  # the colon
                pos = _WS.match(text, pos).end()
                if key == "cases":
                    break
                _value, pos = decoder.raw_decode(text, pos)
                pos = _WS.match(text, pos).end()
                if text[pos] == ",":
                    pos = _WS.match(text, pos + 1).end()
        if text[pos] != "[":
            return None
        pos = _WS.match(text, pos + 1).end()
        lines: list[int] = []
        line, counted = 1, 0
        while len(lines) < count:
            line += text.count("\n", counted, pos)
            counted = pos
            lines.append(line)
            _value, pos = decoder.raw_decode(text, pos)
            pos = _WS.match(text, pos).end()
            if text[pos] == ",":
                pos = _WS.match(text, pos + 1).end()
        return lines
    except (ValueError, IndexError, RecursionError):
        return None


# ----------------------------------------------------------------------------- checking a case


def _short(value: Any, limit: int = 40) -> str:
    """A piece of the file quoted in a problem: short, on one line, no control characters."""
    text = _SHOWN_BADLY.sub("?", str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Case:
    """Checks one raw case (JSON shape) and builds its record, reporting each problem with its field path."""

    def __init__(self, line: Optional[int], problems: _Collector, now: datetime, handlers: Optional[set[str]],
                 csv_row: bool):
        self.line = line
        self.problems = problems
        self.now = now
        self.handlers = handlers
        self.csv_row = csv_row
        self.ok = True

    def bad(self, field: str, message: str) -> None:
        self.ok = False
        self.problems.add(self.line, field, message)

    # -- scalars

    def text(self, raw: dict, key: str, where: str, limit: int, required: bool = False,
             single_line: bool = True) -> Optional[str]:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.bad(where, "required")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.bad(where, f"expected text, not {_kind(value)}")
            return None
        text = str(value).strip().replace("\x00", "")
        if single_line and ("\n" in text or "\r" in text):
            text = " ".join(text.split())
        if len(text) > limit:
            self.bad(where, f"too long ({len(text):,} characters; the limit is {limit:,})")
            return None
        return text

    def choice(self, raw: dict, key: str, where: str, choices: Iterable[str], default: Optional[str]) -> Optional[str]:
        value = self.text(raw, key, where, 64)
        if value is None:
            return default
        word = value.lower().replace(" ", "_").replace("-", "_")
        choices = tuple(choices)
        if word not in choices:
            close = difflib.get_close_matches(word, choices, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            self.bad(where, f"{_short(value)!r} is not one of: {', '.join(choices)}{hint}")
            return default
        return word

    def flag(self, raw: dict, key: str, where: str, default: bool) -> bool:
        value = raw.get(key)
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
        self.bad(where, f"expected yes or no, not {_short(value)!r}")
        return default

    def number(self, raw: dict, key: str, where: str, allowed: dict[Any, int], default: int) -> int:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        key_value: Any = value
        if isinstance(value, str):
            key_value = value.strip().lower()
            if key_value.isascii() and key_value.isdigit():  # "²" is a digit to isdigit(), not to int()
                key_value = int(key_value)
        if isinstance(key_value, bool) or not isinstance(key_value, (str, int)) or key_value not in allowed:
            words = ", ".join(str(k) for k in allowed)
            self.bad(where, f"{_short(value)!r} is not one of: {words}")
            return default
        return allowed[key_value]

    def when(self, raw: dict, key: str, where: str, required: bool = False) -> Optional[datetime]:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.bad(where, "required")
            return None
        if not isinstance(value, str):
            self.bad(where, f"expected a date like 2026-03-02 or 2026-03-02 09:30, not {_kind(value)}")
            return None
        text = value.strip()
        try:
            if len(text) == 10:
                parsed = datetime.combine(date.fromisoformat(text), time())
            else:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            self.bad(where, f"{_short(text)!r} is not a date like 2026-03-02 or 2026-03-02 09:30")
            return None
        if parsed.tzinfo is not None:
            try:
                parsed = parsed.astimezone().replace(tzinfo=None)  # the desk keeps local time
            except (OverflowError, OSError, ValueError):
                self.bad(where, f"{_short(text)!r} is out of range")
                return None
        parsed = parsed.replace(microsecond=0)
        if parsed.year < 1900:
            self.bad(where, f"{_short(text)!r} is before 1900")
            return None
        if parsed > self.now:
            self.bad(where, f"{parsed:%Y-%m-%d %H:%M} is in the future")
            return None
        return parsed

    def items(self, raw: dict, key: str) -> list[tuple[str, dict]]:
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.bad(key, f"expected a list, not {_kind(value)}")
            return []
        if len(value) > MAX_ITEMS:
            self.bad(key, f"more than {MAX_ITEMS:,} in one case")
            return []
        out = []
        for i, item in enumerate(value):
            where = f"{key}[{i + 1}]"
            if not isinstance(item, dict):
                self.bad(where, f"expected an object {{...}}, not {_kind(item)}")
                continue
            out.append((where, item))
        return out

    def unknown(self, raw: dict, allowed: Iterable[str], prefix: str = "") -> None:
        allowed = tuple(allowed)
        for key in raw:
            if str(key).startswith("_"):
                continue
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                self.bad(f"{prefix}{_short(key)}", f"not a field deskapp imports{hint}")

    # -- the whole case

    def build(self, raw: dict) -> Optional[CaseRecord]:
        if not self.csv_row:
            self.unknown(raw, CASE_FIELDS + ("parties", "contacts", "appointments"))
        ref = self.text(raw, "external_ref", "external_ref", MAX_REF, required=True)
        if ref is not None and _CONTROL.search(ref):
            self.bad("external_ref", "contains control characters")
        kind = self.choice(raw, "kind", "kind", vocab.CASE_KINDS, None)
        if raw.get("kind") in (None, "") and kind is None:
            self.bad("kind", "required")
        title = self.text(raw, "title", "title", MAX_TITLE, required=True)
        category = self.text(raw, "category", "category", MAX_CATEGORY) or "general"
        stage = self.number(raw, "stage", "stage", {1: 1, 2: 2}, 1)
        status = self.choice(raw, "status", "status", vocab.CASE_STATUSES, "new")
        priority = self.number(raw, "priority", "priority",
                               {**{n: n for n in vocab.PRIORITIES}, **PRIORITY_WORDS}, 3)
        vulnerable = self.flag(raw, "vulnerable", "vulnerable", False)
        received = self.when(raw, "received_at", "received_at", required=True)
        acknowledged = self.when(raw, "acknowledged_at", "acknowledged_at")
        responded = self.when(raw, "responded_at", "responded_at")
        closed = self.when(raw, "closed_at", "closed_at")
        escalated = self.when(raw, "escalated_at", "escalated_at")
        assigned = self.text(raw, "assigned_to", "assigned_to", 64)
        if assigned is not None and self.handlers is not None and assigned not in self.handlers:
            self.bad("assigned_to", f"no active handler called {_short(assigned)!r} "
                                    "(add them with `deskapp users add`, or leave it empty)")
        if received is not None:
            for name, value in (("acknowledged_at", acknowledged), ("responded_at", responded),
                                ("closed_at", closed), ("escalated_at", escalated)):
                if value is not None and value < received:
                    self.bad(name, "is before received_at")
        if acknowledged and responded and responded < acknowledged:
            self.bad("responded_at", "is before acknowledged_at")
        if status == "closed" and closed is None:
            self.bad("closed_at", "required when the status is closed")
        if closed is not None and status != "closed":
            self.bad("status", f"is {status} but closed_at is given: a closed case has status closed")
        if stage == 2 and kind not in (None, "complaint"):
            self.bad("stage", "only a complaint can be at stage 2")
        if escalated is not None and stage != 2:
            self.bad("escalated_at", "only a case at stage 2 was escalated")

        parties = self.parties(raw)
        names = [p.name for p in parties]
        contacts = self.contacts(raw, names, received)
        appointments = self.appointments(raw, names)
        if not self.ok or None in (ref, kind, title, received):
            return None
        return CaseRecord(
            line=self.line, external_ref=ref, kind=kind, title=title, received_at=received, category=category,
            stage=stage, status=status, priority=priority, vulnerable=vulnerable, acknowledged_at=acknowledged,
            responded_at=responded, closed_at=closed, escalated_at=escalated, assigned_to=assigned,
            parties=tuple(parties), contacts=tuple(contacts), appointments=tuple(appointments),
        )

    def parties(self, raw: dict) -> list[PartyRecord]:
        out = []
        for where, item in self.items(raw, "parties"):
            if "_columns" in item:
                where = item["_columns"]
                label = lambda key: f"{where}_{key}"  # noqa: E731 - CSV column names
            else:
                self.unknown(item, JSON_PARTY_KEYS, f"{where}.")
                label = lambda key, w=where: f"{w}.{key}"  # noqa: E731
            name = self.text(item, "name", label("name"), MAX_NAME, required=True)
            role = self.choice(item, "role", label("role"), vocab.PARTY_ROLES, "customer")
            email = self.text(item, "email", label("email"), 254)
            if email is not None and ("@" not in email or " " in email):
                self.bad(label("email"), f"{_short(email)!r} is not an email address")
            party = PartyRecord(
                role=role or "customer", name=name or "",
                designated=self.flag(item, "designated", label("designated"), False),
                authorised=self.flag(item, "authorised", label("authorised"), False),
                organisation=self.text(item, "organisation", label("organisation"), MAX_NAME),
                email=email,
                phone=self.text(item, "phone", label("phone"), 40),
                address=self.text(item, "address", label("address"), MAX_TEXT, single_line=False),
                notes=self.text(item, "notes", label("notes"), MAX_TEXT, single_line=False),
            )
            out.append(party)
        if sum(1 for p in out if p.designated) > 1:
            self.bad("parties", "more than one party is marked designated: only one representative can be")
        seen: set[str] = set()
        for p in out:
            if p.name and p.name in seen:
                self.bad("parties", f"two parties are called {_short(p.name)!r}: contacts name their party, "
                                    "so names must differ")
            seen.add(p.name)
        return out

    def _party_ref(self, item: dict, where: str, names: list[str]) -> Optional[str]:
        party = self.text(item, "party", where, MAX_NAME)
        if party is not None and party not in names:
            self.bad(where, f"{_short(party)!r} is not one of this case's parties")
        return party

    def contacts(self, raw: dict, names: list[str], received: Optional[datetime]) -> list[ContactRecord]:
        out = []
        for where, item in self.items(raw, "contacts"):
            if item.get("_at_received"):
                at, label = received, "note"
            else:
                self.unknown(item, JSON_CONTACT_KEYS, f"{where}.")
                label = where
                at = self.when(item, "at", f"{where}.at", required=True)
                if at is not None and received is not None and at < received.replace(hour=0, minute=0, second=0):
                    self.bad(f"{where}.at", "is before the case was received")
            channel = self.choice(item, "channel", f"{label}.channel", vocab.CHANNELS, None)
            if item.get("channel") in (None, "") and channel is None:
                self.bad(f"{label}.channel", "required")
            direction = self.choice(item, "direction", f"{label}.direction", vocab.DIRECTIONS,
                                    "internal" if channel == "note" else "in")
            outcome = self.choice(item, "outcome", f"{label}.outcome", vocab.OUTCOMES, None)
            party = self._party_ref(item, f"{label}.party", names)
            summary = self.text(item, "summary", f"{label}.summary", MAX_SUMMARY) or ""
            body = self.text(item, "body", f"{label}.body", MAX_TEXT, single_line=False)
            if not summary and not body:
                self.bad(f"{label}.summary", "a contact needs a summary or a body")
            if at is not None and channel is not None:
                out.append(ContactRecord(at=at, channel=channel, direction=direction or "in", party=party,
                                         outcome=outcome, summary=summary, body=body))
        return out

    def appointments(self, raw: dict, names: list[str]) -> list[AppointmentRecord]:
        out = []
        for where, item in self.items(raw, "appointments"):
            self.unknown(item, JSON_APPOINTMENT_KEYS, f"{where}.")
            value = item.get("at")
            at = None
            if isinstance(value, str) and value.strip():
                saved, self.now = self.now, datetime.max  # appointments may be in the future
                at = self.when(item, "at", f"{where}.at")
                self.now = saved
            else:
                self.bad(f"{where}.at", "required")
            status = self.choice(item, "status", f"{where}.status", vocab.APPOINTMENT_STATUSES, "booked")
            party = self._party_ref(item, f"{where}.party", names)
            purpose = self.text(item, "purpose", f"{where}.purpose", MAX_TITLE) or ""
            if at is not None:
                out.append(AppointmentRecord(at=at, party=party, purpose=purpose, status=status or "booked"))
        return out


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false", type(None): "null", str: "text"}.get(
        type(value), "a number")


def check(parsed: ParsedFile, now: datetime, handlers: Optional[set[str]] = None) -> list[CaseRecord]:
    """Every case checked; Problems (row-numbered) if anything is wrong, else the records."""
    problems = _Collector()
    records: list[CaseRecord] = []
    seen: dict[str, Optional[int]] = {}
    for index, (line, raw) in enumerate(parsed.rows):
        if not isinstance(raw, dict):
            problems.add(line, f"cases[{index + 1}]", f"expected a case object {{...}}, not {_kind(raw)}")
            continue
        shaped = csv_case(raw) if parsed.fmt == "csv" else raw
        ref = shaped.get("external_ref")
        key = ref.strip() if isinstance(ref, str) else ref
        if isinstance(key, (str, int, float)) and not isinstance(key, bool) and str(key).strip():
            key = str(key).strip()
            if key in seen:
                first = seen[key]
                problems.add(line, "external_ref", f"{_short(key)!r} appears twice in the file"
                             + (f" (first on line {first})" if first else ""))
                continue
            seen[key] = line
        record = _Case(line, problems, now, handlers, csv_row=parsed.fmt == "csv").build(shaped)
        if record is not None:
            records.append(record)
    if not parsed.rows and not problems.problems:
        problems.add(None, "", "no cases in the file")
    problems.raise_if_any()
    return records


def read(name: str, data: bytes, now: datetime, handlers: Optional[set[str]] = None) -> tuple[ParsedFile, list[CaseRecord]]:
    """Decode, parse (by the name's extension) and check a whole file. Raises Problems only."""
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix not in ("csv", "json"):
        raise Problems([Problem(None, "", "give a .csv or .json file (the extension says which format it is)")])
    if len(data) > MAX_BYTES:
        raise Problems([Problem(None, "", f"{len(data) / 1_048_576:,.0f} MB is more than one import takes "
                                          f"({MAX_BYTES // 1_048_576} MB): split the file")])
    text = decode(data)
    parsed = parse_csv(text) if suffix == "csv" else parse_json(text)
    return parsed, check(parsed, now, handlers)
