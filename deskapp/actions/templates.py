"""Message templates: Jinja2 files the team edits, rendered in a sandbox with the case's fields.

Looked up in `<config folder>/templates/` (the team's own, which win by name)
and then the shipped `templates/` (acknowledgement, holding reply, stage-1 and
stage-2 responses). A `.txt` file is plain text; a `.html` file is escaped
(autoescape), for letters. An optional first line `Subject: ...` fills the
message's subject. Rendering is sandboxed (SandboxedEnvironment: no attribute
tricks reach Python) and strict (an unknown field is an error, not a blank),
and gets plain values only: case, party (with its postal address, for
letters), handler, today. Letters (`letter-*.html`) are rendered to a
printable file by deskapp.actions.letters.

The text is inserted into the message form, where the rules check it like
anything typed. A template that cannot be read or rendered is one line,
`path:line: what is wrong`.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from deskapp import config
from deskapp.core.views import CaseView
from deskapp.errors import DeskError
from deskapp.resources import shipped

SUFFIXES = (".txt", ".html")
MAX_BYTES = 256 * 1024


class TemplateProblem(DeskError):
    """A template that cannot be read or rendered: `path:line: message`."""


@dataclass(frozen=True)
class Rendered:
    name: str
    subject: Optional[str]
    body: str


def folders() -> list[Path]:
    """Where templates are looked up, the team's first."""
    return [config.config_dir() / "templates", shipped("templates")]


def available() -> dict[str, Path]:
    """Template name -> its file (the team's file wins over a shipped one of the same name)."""
    found: dict[str, Path] = {}
    for folder in reversed(folders()):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix in SUFFIXES and path.is_file():
                    found[path.stem] = path
    return dict(sorted(found.items()))


def _day(at: Optional[datetime]) -> Optional[str]:
    return f"{at:%a} {at.day} {at:%b %Y}" if at is not None else None


def fields(case: CaseView, party_id: Optional[int], handler_name: str, now: datetime) -> dict[str, Any]:
    """The values a template sees: plain strings and numbers only."""
    party = case.party(party_id) or (case.parties[0] if case.parties else None)
    return {
        "case": {"ref": case.ref, "title": case.title, "kind": case.kind.replace("_", " "),
                 "category": case.category, "stage": case.stage, "status": case.status.replace("_", " "),
                 "received": _day(case.received_at), "due": _day(case.due_at)},
        "party": {"name": party.name if party else "", "organisation": (party.organisation or "") if party else "",
                  "role": party.role if party else "", "address": (party.address or "") if party else ""},
        "handler": {"name": handler_name},
        "today": _day(now),
    }


def render(name: str, values: dict[str, Any]) -> Rendered:
    """Render template `name` with `values`. TemplateProblem (file:line) if it cannot be."""
    from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
    from jinja2.sandbox import SandboxedEnvironment

    path = available().get(name)
    if path is None:
        raise TemplateProblem(f"no template called {name!r} (in {', '.join(str(f) for f in folders())})")
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_BYTES:
            raise TemplateProblem(f"{path}: over {MAX_BYTES // 1024} KB: not a message template")
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise TemplateProblem(f"{path}:{line}: not UTF-8 text") from None
    except OSError as exc:
        raise TemplateProblem(f"{path}: cannot read: {exc.strerror or exc}") from None
    env = SandboxedEnvironment(autoescape=path.suffix == ".html", undefined=StrictUndefined,
                               keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    try:
        text = env.from_string(source).render(**values)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"{path}:{exc.lineno}: {_one_line(exc.message)}") from None
    except TemplateError as exc:
        raise TemplateProblem(f"{path}:{_line_of(exc)}: {_one_line(exc)}") from None
    except Exception as exc:  # a sandbox refusal or a type error inside the template
        raise TemplateProblem(f"{path}:{_line_of(exc)}: {type(exc).__name__}: {_one_line(exc)}") from None
    subject = None
    first, newline, rest = text.partition("\n")
    if first.lower().startswith("subject:"):
        subject, text = first[len("subject:"):].strip(), rest
    return Rendered(name=name, subject=subject, body=text.strip("\n") + "\n")


def _one_line(what: object) -> str:
    return " ".join(str(what).split())


def _line_of(exc: BaseException) -> int:
    """The template line an error was raised at (Jinja2 puts template frames in the traceback)."""
    line = 0
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>" and frame.lineno:
            line = frame.lineno
    return line or 1


LETTER_PREFIX = "letter-"


def for_channel(channel: Optional[str]) -> list[str]:
    """The templates the message form offers: letters (`letter-*`) only when the message is a letter."""
    return [name for name in available() if channel == "letter" or not name.startswith(LETTER_PREFIX)]


def render_for(desk, case: CaseView, name: str, party_id: Optional[int]) -> Rendered:
    """The message form's `insert a template`: render `name` for this case and party.

    An .html template goes into the form as its readable text (the form holds text, not markup);
    the printable letter itself comes from `deskapp case letter`.
    """
    done = render(name, fields(case, party_id, desk.me.display_name or desk.me.username, desk.now()))
    if available()[name].suffix == ".html":
        from deskapp.core.mailparse.html_text import html_to_text

        return Rendered(name=done.name, subject=done.subject, body=html_to_text(done.body) + "\n")
    return done
