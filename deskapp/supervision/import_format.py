"""The import file formats, read and checked without touching the database.

Two formats carry the same cases (full description: docs/import-format.md;
the fields as declared: deskapp.supervision.import_records):

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

This module reads the bytes, the rows and the positions; what a case may say
is declared in deskapp.supervision.import_records.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Optional

from pydantic import ValidationError

from deskapp.core.declared import JsonSpots, Spot, did_you_mean, explain
from deskapp.core.declared import Problem as Placed
from deskapp.supervision.import_records import (  # noqa: F401 - the records are imported from here, as before
    CASE, ITEM_MODELS, LISTS, NOTE_AT, AppointmentRecord, CaseRecord, ContactRecord, PartyRecord, fields_of, kind_of,
    rule_errors, short)

MAX_BYTES = 100 * 1024 * 1024
MAX_CASES = 500_000
MAX_ERRORS = 50

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


# ----------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    line: Optional[int]
    field: str
    message: str

    def render(self, name: str) -> str:
        """`FILE:LINE: field: message`, always one line."""
        return str(Placed(name, Spot(self.line or 0), self.field, self.message))


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
            problems.add(line, short(name), "not a column deskapp imports" + did_you_mean(name, CSV_COLUMNS, quoted=False))
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
        case["contacts"] = [{"at": NOTE_AT, "channel": "note", "direction": "internal",
                             "summary": "Notes from the previous system", "body": note, "_note": True}]
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
        raise Problems([Problem(None, "", f"not valid JSON: {short(str(exc), 80)}")]) from None
    source, where = None, ()
    if isinstance(data, dict):
        where = ("cases",)
        unknown = sorted(set(data) - {"cases", "source"})
        if unknown:
            raise Problems([Problem(1, short(unknown[0]), 'unknown key: the file holds "cases" (and "source")')])
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
    spots = JsonSpots(text)
    out = ParsedFile(fmt="json", source=source)
    for index, item in enumerate(data):
        line = spots.at(where + (index,)).line  # check() reports items that are not objects
        out.rows.append((line, item))
    return out


# ----------------------------------------------------------------------------- a case's problems, in file words


def case_problems(raw: dict, exc: ValidationError, context: dict) -> list[tuple[str, str]]:
    """(field, message) for each problem of one case, in the order a person reads the case.

    Unknown keys first, then the fields in the order they are declared, the
    rules between them, then parties, contacts and appointments, each item's
    fields before the list's own rules.
    """
    errors = [(tuple(e["loc"]), e["type"], e) for e in exc.errors(include_url=False)]
    if not any(kind == "case_rule" for _loc, kind, _e in errors):  # its fields failed, so its rules wait: ask now
        errors += [(loc, "case_rule", {"type": "value_error", "msg": message, "ctx": {"error": message}})
                   for loc, message in rule_errors(raw, exc, context)]
    errors.sort(key=lambda each: _reading_order(each[0], each[1]))
    return [(_label(raw, loc), _message(error, loc)) for loc, _kind, error in errors]


def _reading_order(loc: tuple, kind: str) -> tuple:
    top = loc[0] if loc else ""
    if top in LISTS:
        section = 3 + LISTS.index(top)
        if len(loc) == 1:
            return (section, 3 if kind == "case_rule" else 0)
        if len(loc) == 2:
            return (section, 1, loc[1])  # not an object
        fields = fields_of(ITEM_MODELS[top])
        return (section, 2, loc[1], kind not in _UNKNOWN, fields.index(loc[2]) if loc[2] in fields else 0)
    if kind in _UNKNOWN:
        return (0,)
    if kind == "case_rule":
        return (2,)
    fields = fields_of(CaseRecord)
    return (1, fields.index(top) if top in fields else 0)


_UNKNOWN = ("extra_forbidden", "unexpected_keyword_argument")  # a key the record does not have


def _label(raw: dict, loc: tuple) -> str:
    """A problem's field as the file names it: `parties[2].email` (JSON), `customer_email` (CSV)."""
    parts = [short(p) if isinstance(p, str) else p for p in loc]
    if len(parts) < 2 or parts[0] not in LISTS:
        return ".".join(str(p) for p in parts)
    top, index, rest = parts[0], parts[1], ".".join(str(p) for p in parts[2:])
    items = raw.get(top)
    item = items[index] if isinstance(items, list) and isinstance(index, int) and index < len(items) else None
    if isinstance(item, dict) and "_columns" in item:
        return f"{item['_columns']}_{rest}" if rest else item["_columns"]
    label = "note" if isinstance(item, dict) and item.get("_note") else f"{top}[{index + 1}]"
    return f"{label}.{rest}" if rest else label


_KEYS = {"": CASE_FIELDS + LISTS, **{top: tuple(fields_of(model)) for top, model in ITEM_MODELS.items()}}


def _message(error: Mapping[str, Any], loc: tuple) -> str:
    if error["type"] in _UNKNOWN:
        allowed = _KEYS[loc[0] if len(loc) > 1 else ""]
        return "not a field deskapp imports" + did_you_mean(loc[-1], allowed, quoted=False)
    return explain(error)


def check(parsed: ParsedFile, now: datetime, handlers: Optional[set[str]] = None) -> list[CaseRecord]:
    """Every case checked; Problems (row-numbered) if anything is wrong, else the records."""
    problems = _Collector()
    records: list[CaseRecord] = []
    seen: dict[str, Optional[int]] = {}
    context = {"now": now, "handlers": handlers}
    for index, (line, raw) in enumerate(parsed.rows):
        if not isinstance(raw, dict):
            problems.add(line, f"cases[{index + 1}]", f"expected a case object {{...}}, not {kind_of(raw)}")
            continue
        shaped = csv_case(raw) if parsed.fmt == "csv" else raw
        ref = shaped.get("external_ref")
        key = ref.strip() if isinstance(ref, str) else ref
        if isinstance(key, (str, int, float)) and not isinstance(key, bool) and str(key).strip():
            key = str(key).strip()
            if key in seen:
                first = seen[key]
                problems.add(line, "external_ref", f"{short(key)!r} appears twice in the file"
                             + (f" (first on line {first})" if first else ""))
                continue
            seen[key] = line
        try:
            records.append(CASE.validate_python(shaped, context=context).at_line(line))
        except ValidationError as exc:
            for field_name, message in case_problems(shaped, exc, context):
                problems.add(line, field_name, message)
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
