"""Letters: a `letter-*.html` template rendered for a case and party, recorded as an outbound letter contact.

The letter is rendered in the templates' sandbox (autoescape: a customer's
name or address can never add markup), card numbers are masked in it like in
any stored text, and its readable text (the HTML's text, as received mail is
read) is what the rules check and what the case records: the contact is an
ordinary `message` on channel `letter`, written by deskapp.actions.submit with
the roles, the rules, the reason or approval and the audit event of any
message; that event also names the template and the sha256 of the letter's
HTML (the PDF is made from that HTML). The printable file is written by the caller only after that
transaction says Done (deskapp.commands.case_letter), so a letter the rules
stop is never printed, and a printed letter is always on the case.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Optional

from deskapp.actions.outcomes import Outcome
from deskapp.actions.templates import LETTER_PREFIX as PREFIX
from deskapp.actions.templates import TemplateProblem, available, fields, render
from deskapp.core.cards import redact_cards
from deskapp.core.mailparse.html_text import html_to_text
from deskapp.core.views import ActionRequest, CaseView

@dataclass(frozen=True)
class Letter:
    """A rendered letter: the printable HTML and the text the case records (both card-masked)."""

    name: str
    subject: str
    html: str
    text: str


def letter_templates() -> list[str]:
    """The names of the templates that are letters (`letter-*.html`)."""
    return [name for name, path in available().items() if name.startswith(PREFIX) and path.suffix == ".html"]


def render_letter(desk: Any, case: CaseView, name: str, party_id: Optional[int]) -> Letter:
    """Render letter template `name` for this case and party. TemplateProblem (file:line) if it cannot be."""
    path = available().get(name)
    if path is not None and path.suffix != ".html":
        raise TemplateProblem(f"{path}: a letter template is an .html file (letters: "
                              f"{', '.join(letter_templates()) or 'none'})")
    done = render(name, fields(case, party_id, desk.me.display_name or desk.me.username, desk.now()))
    html = redact_cards(done.body)
    subject = " ".join((done.subject or f"Letter: {case.title}").split())[:300]
    return Letter(name=name, subject=subject, html=html, text=html_to_text(html))


def request_for(case: CaseView, letter: Letter, party_id: Optional[int], final_response: bool) -> ActionRequest:
    """The handler's request: an outbound letter message carrying the letter's text."""
    digest = hashlib.sha256(letter.html.encode("utf-8")).hexdigest()  # the audit names the exact document
    return ActionRequest(kind="message", case_id=case.id, version=case.version, channel="letter",
                         direction="out", party_id=party_id, summary=letter.subject, body=letter.text,
                         final_response=final_response,
                         extra={"letter": {"template": letter.name, "html_sha256": digest}})


def send_letter(desk: Any, case: CaseView, letter: Letter, party_id: Optional[int], *, final_response: bool = False,
                reason: Optional[str] = None, request_approval: bool = False,
                approval_id: Optional[int] = None) -> tuple[ActionRequest, Outcome]:
    """Record the letter through the action transaction; the outcome says whether it may be printed (Done)."""
    from deskapp.actions.submit import submit

    request = request_for(case, letter, party_id, final_response)
    outcome = submit(desk, request, reason=reason, request_approval=request_approval, approval_id=approval_id)
    return request, outcome
