"""CEL expressions and `say` message templates: compile once, explain errors, format values.

Why a module of its own: both the loader (compile, report PATH:LINE:COL) and
the engine (run, format for a handler) need the same view of an expression,
and the formatting of values (dates as "Mon 16 Mar 2026", lists joined) must
be the same wherever a message is rendered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Optional, Union

from deskapp.policy._cel import cel

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CEL_ERROR = re.compile(r"ERROR: <input>:(\d+):(\d+): (.*)")


class ExpressionError(ValueError):
    """A CEL expression that does not compile; line/column are 1-based within the expression."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.line = line
        self.column = column


def _tidy_cel_message(msg: str) -> str:
    msg = msg.strip()
    msg = re.sub(r"^Syntax error: ", "syntax error: ", msg)
    msg = msg.replace("mismatched input '<EOF>'", "the expression ends too early")
    msg = msg.replace("extraneous input '<EOF>'", "the expression ends too early")
    msg = re.sub(r" expecting \{[^}]*\}", "", msg)
    msg = re.sub(r" expecting '[^']*'", "", msg)
    return msg


def compile_expression(source: str) -> "cel.Program":
    """Compile CEL once; raise ExpressionError with the position of the first problem."""
    if not source or not source.strip():
        raise ExpressionError("empty expression")
    try:
        return cel.compile(source)
    except Exception as exc:  # the binding raises ValueError; be defensive about others
        text = str(exc)
        m = _CEL_ERROR.search(text)
        if m:
            raise ExpressionError(_tidy_cel_message(m.group(3)), int(m.group(1)), int(m.group(2))) from None
        first = text.splitlines()[0] if text else type(exc).__name__
        raise ExpressionError(_tidy_cel_message(first)) from None


# ---------------------------------------------------------------------------------------
# Formatting values for people


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None) if value.tzinfo is not None else value


def format_day(value: Any) -> str:
    """'Mon 16 Mar 2026' (locale-independent)."""
    if isinstance(value, datetime):
        value = _naive(value).date()
    if isinstance(value, date):
        return f"{_DAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]} {value.year}"
    return format_value(value)


def format_day_time(value: Any) -> str:
    """'Thu 5 Mar 2026 09:00'."""
    if isinstance(value, datetime):
        value = _naive(value)
        return f"{format_day(value)} {value:%H:%M}"
    return format_day(value)


def format_days_left(n: Any) -> str:
    """Working days to a deadline, in words: 'due today', '2 working days left', '1 working day overdue'."""
    if n is None:
        return "no deadline"
    try:
        n = int(n)
    except (TypeError, ValueError):
        return str(n)
    if n == 0:
        return "due today"
    word = "working day" if abs(n) == 1 else "working days"
    return f"{n} {word} left" if n > 0 else f"{-n} {word} overdue"


def format_value(value: Any) -> str:
    """How a CEL value appears inside a message."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        v = _naive(value)
        if (v.hour, v.minute, v.second) in ((0, 0, 0), (23, 59, 59)):
            return format_day(v)
        return format_day_time(v)
    if isinstance(value, date):
        return format_day(value)
    if isinstance(value, timedelta):
        days = value.days
        return f"{days} day{'s' if days != 1 else ''}" if days else f"{int(value.total_seconds() // 60)} minutes"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, dict):
        for key in ("label", "name", "id"):
            if value.get(key):
                return format_value(value[key])
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _plural(n: Any, word: Any) -> str:
    try:
        k = int(n)
    except (TypeError, ValueError):
        return f"{n} {word}"
    return f"{k} {word}" if abs(k) == 1 else f"{k} {word}s"


def _join(items: Any, sep: Any = ", ") -> str:
    if isinstance(items, (list, tuple)):
        return str(sep).join(format_value(i) for i in items)
    return format_value(items)


def _lower(s: Any) -> str:
    return format_value(s).lower()


# Functions rules may call; each returns text and never raises (the CEL binding prints
# tracebacks of failing Python functions to stderr).
FUNCTIONS = {
    "day": lambda v: format_day(v),
    "day_time": lambda v: format_day_time(v),
    "days_left": lambda n: format_days_left(n),
    "plural": _plural,
    "join": _join,
    "lower": _lower,
}


def _safe(fn):
    def wrapped(*args):
        try:
            return fn(*args)
        except Exception:
            return ""
    wrapped.__name__ = getattr(fn, "__name__", "fn")
    return wrapped


SAFE_FUNCTIONS = {name: _safe(fn) for name, fn in FUNCTIONS.items()}


# ---------------------------------------------------------------------------------------
# Message templates


@dataclass(frozen=True)
class Placeholder:
    source: str
    program: Any  # cel.Program
    offset: int  # 0-based index of the expression's first character in the template


@dataclass(frozen=True)
class Template:
    """A `say` message: literal text and {expression} placeholders."""

    source: str
    parts: tuple[Union[str, Placeholder], ...]

    def render(self, context: Any) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                out.append(format_value(part.program.execute(context)))
        return " ".join("".join(out).split())


class TemplateError(ValueError):
    """A template that cannot be parsed; `offset` is 0-based within the template text."""

    def __init__(self, message: str, offset: int, line: int = 1, column: int = 1):
        super().__init__(message)
        self.offset = offset
        self.expr_line = line
        self.expr_column = column


def parse_template(source: str) -> Template:
    """Split a template into text and compiled placeholders; raise TemplateError on mistakes."""
    parts: list[Union[str, Placeholder]] = []
    buf: list[str] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c == "{" and source.startswith("{{", i):
            buf.append("{")
            i += 2
            continue
        if c == "}" and source.startswith("}}", i):
            buf.append("}")
            i += 2
            continue
        if c == "}":
            raise TemplateError("'}' without a matching '{' (write '}}' for a literal brace)", i)
        if c != "{":
            buf.append(c)
            i += 1
            continue
        # A placeholder: find its closing brace, skipping nested braces and quoted strings.
        start = i + 1
        depth = 1
        j = start
        quote: Optional[str] = None
        while j < n:
            ch = source[j]
            if quote:
                if ch == "\\":
                    j += 2
                    continue
                if ch == quote:
                    quote = None
            elif ch in ("'", '"'):
                quote = ch
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= n:
            raise TemplateError("'{' without a matching '}' (write '{{' for a literal brace)", i)
        expr = source[start:j]
        if not expr.strip():
            raise TemplateError("empty placeholder '{}'", i)
        try:
            program = compile_expression(expr)
        except ExpressionError as exc:
            # Position of the error inside the template.
            lines = expr.split("\n")
            off = sum(len(l) + 1 for l in lines[: exc.line - 1]) + exc.column - 1
            raise TemplateError(str(exc), start + off) from None
        if buf:
            parts.append("".join(buf))
            buf = []
        parts.append(Placeholder(expr, program, start))
        i = j + 1
    if buf:
        parts.append("".join(buf))
    return Template(source, tuple(parts))


def offset_to_line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a 0-based offset inside a multi-line string."""
    before = text[:offset]
    line = before.count("\n") + 1
    col = offset - (before.rfind("\n") + 1) + 1
    return line, col
