"""Rows out of the command line as a table, CSV or JSON — never raw customer text on a terminal.

Everything here may hold what a customer typed, so each format has its defence:

* table: every cell goes through `safe_text` (escape sequences and control
  characters removed, one line) and is clipped to its column;
* csv: cells go through `safe_text` (newlines kept: the quoting holds them),
  and a text cell starting with = + - @ (or a tab/CR) gets a leading `'`, so
  a spreadsheet opening the file shows the text instead of running a formula
  (OWASP's advice for CSV injection). Numbers and dates are written as they are;
* json: the exact text, with every non-ASCII and control character escaped
  (`\\u001b`), so a script gets what is stored and a terminal shows nothing raw.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from datetime import date, datetime
from typing import Any, Iterable, Sequence, TextIO

from deskapp.tui.text import clip, safe_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def plain_value(value: Any) -> Any:
    """A cell as JSON holds it: dates as ISO text, the rest as they are."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_cell(value: Any) -> Any:
    """A cell for a spreadsheet: safe text, a formula-looking text neutralised with a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    text = safe_text(plain_value(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def table_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return safe_text(value, single_line=True)


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])


def write_json(columns: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO) -> None:
    """One JSON array of objects; written row by row so a long export never sits in memory whole."""
    out.write("[")
    written = 0
    for row in rows:
        out.write(",\n " if written else "\n ")
        out.write(json.dumps({c: plain_value(v) for c, v in zip(columns, row)}, ensure_ascii=True))
        written += 1
    out.write("\n]\n" if written else "]\n")


def write_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO,
                width: int | None = None) -> None:
    """Aligned columns, as wide as their content; on a terminal the last is clipped to what is left."""
    cells = [[table_cell(v) for v in row] for row in rows]
    if width is None:
        width = shutil.get_terminal_size().columns if out.isatty() else 1_000_000
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    used = sum(widths[:-1]) + 2 * (len(widths) - 1)
    widths[-1] = max(min(widths[-1], width - used), len(columns[-1]))
    for row in [list(columns), *cells]:
        out.write("  ".join(clip(c, w).ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")


def write_rows(fmt: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO = None) -> None:
    """Write rows in `fmt` (one of deskapp.commands.formats.FORMATS) to `out` (stdout by default)."""
    out = out or sys.stdout
    {"table": write_table, "csv": write_csv, "json": write_json}[fmt](columns, rows, out)
