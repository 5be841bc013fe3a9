"""`deskapp export`: the case file an ombudsman asks for, in Markdown and HTML, with customer text kept inert."""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from sqlmodel import Session

from deskapp.actions import (ActionRequest, ApprovalRequested, Done, NeedsReason, decide_approval, new_case,
                             save_party, submit)
from deskapp.store.models import AuditEvent
from deskapp.supervision.render import fenced, inert, md
from deskapp.supervision.verify import verify

from desk_support import set_desk_setting

from .conftest import run_cli

HOSTILE = '<script>alert("x")</script> "><img src=x onerror=alert(1)> [@click=app.quit]q[/] \x1b[2J\x07 ``` *b* \u202eevil'


@pytest.fixture
def full_story(team):
    """A complaint through stage 1 (acknowledged late, answered in time) and escalated, with a warning
    overridden with a reason and a blocked card-number message approved by a supervisor."""
    sam, priya = team["sam"], team["priya"]
    case = new_case(sam, kind="complaint", category="repairs", title="Damp and a broken boiler", vulnerable=True,
                    received_at=datetime(2026, 3, 2, 9, 0), party={"role": "resident", "name": "Lee Price",
                                                                  "phone": "07700 900111"})
    case = save_party(sam, case.id, case.version, role="representative", name="Dana Hill",
                      organisation="Social services", designated=True).case
    resident = next(p for p in case.parties if p.name == "Lee Price")
    rep = next(p for p in case.parties if p.designated)
    call = ActionRequest(kind="contact", case_id=case.id, version=case.version, channel="phone", direction="out",
                         party_id=resident.id, outcome="reached", summary="Rang Lee about access",
                         body="Lee said: " + HOSTILE)
    assert isinstance(submit(sam, call), NeedsReason)
    done = submit(sam, call, reason="Dana asked me by email to ring Lee directly today")
    assert isinstance(done, Done)
    case = done.case
    message = ActionRequest(kind="message", case_id=case.id, version=case.version, channel="email",
                            party_id=rep.id, summary="Refund", body="Refunded to card 4111 1111 1111 1111")
    asked = submit(sam, message, request_approval=True, reason="Dana needs the card to match the refund")
    assert isinstance(asked, ApprovalRequested)
    decide_approval(priya, asked.approval_id, approve=True, reason="Last four digits only would do; allowed once")
    done = submit(sam, message, approval_id=asked.approval_id)
    assert isinstance(done, Done)
    done = submit(sam, ActionRequest(kind="status", case_id=case.id, version=done.case.version, to="acknowledged"))
    assert isinstance(done, Done)
    done = submit(sam, ActionRequest(kind="message", case_id=case.id, version=done.case.version, channel="letter",
                                     party_id=rep.id, summary="Stage 1 final response",
                                     body="We have repaired the boiler and treated the damp.", final_response=True))
    assert isinstance(done, Done)
    done = submit(sam, ActionRequest(kind="status", case_id=case.id, version=done.case.version, to="responded"))
    assert isinstance(done, Done)
    done = submit(sam, ActionRequest(kind="escalate", case_id=case.id, version=done.case.version, to="jo",
                                     body="Dana is not satisfied with the stage 1 answer"))
    assert isinstance(done, Done), done
    return done.case


def export(capsys, db_url, ref, *extra, user="priya", monkeypatch=None):
    set_desk_setting(db_url, "demo", "1")  # a test desk: `--as` picks the team member
    return run_cli("--as", user, "export", ref, "--db", db_url, *extra, capsys=capsys)


def test_markdown_case_file_has_what_an_ombudsman_asks_for(full_story, db_url, capsys, monkeypatch):
    code, out, err = export(capsys, db_url, full_story.ref, monkeypatch=monkeypatch)
    assert code == 0, err
    assert out.startswith(f"# Case file {full_story.ref}: Damp and a broken boiler")
    assert "**Dana Hill** — representative, Social services — **DESIGNATED REPRESENTATIVE" in out
    assert "**Lee Price** — resident" in out and "Phone: 07700 900111" in out
    # Deadlines: stage 1 rebuilt from the escalation record; acknowledged a day late, answered in time.
    assert "| 1 | acknowledgement | Mon 09 Mar 2026 | Tue 10 Mar 2026 11:00 | MISSED (1 working day late) |" in out
    assert re.search(r"\| 1 \| response \| \w{3} \d\d Mar 2026 \| Tue 10 Mar 2026 11:00 \| MET \|", out)
    assert "| 2 | acknowledgement |" in out and "OVERDUE" in out
    # The override: what the rule said at the time and the handler's reason.
    assert "Phone call to Lee Price — reached" in out
    assert "WARN — designated\\-representative:" in out or "WARN — designated-representative:" in out
    assert "Reason for going ahead: Dana asked me by email to ring Lee directly today" in out
    # The blocked message: the request, the supervisor's decision, and the action carried out under it.
    assert "Asked a supervisor to allow a blocked message" in out
    assert "BLOCK — card\\-number\\-disclosure" in out or "BLOCK — card-number-disclosure" in out
    assert "Decided by Priya Shah (priya)" in out and "Last four digits only would do; allowed once" in out
    assert ("Carried out with supervisor approval (priya): Last four digits only would do; allowed once "
            "(approval request 1)") in out
    assert "Went ahead against a warning" not in out and "(request 1)." not in out
    assert "Escalated to stage 2, handled by jo" in out
    assert "Verified: all 10 audit records for this case match their hashes, and all" in out
    assert "rows printed here (the case, its parties, contacts, appointments and approval requests) match" in out


def test_export_is_audited_and_keeps_the_chain(full_story, db_url, engine, capsys, monkeypatch, tmp_path):
    target = tmp_path / "case.html"
    code, out, err = export(capsys, db_url, full_story.ref, "--format", "html", "--output", str(target),
                            monkeypatch=monkeypatch)
    assert code == 0, err
    assert f"wrote the case file for {full_story.ref} to {target}" in out
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not list(tmp_path.glob(".deskapp-export-*")), "no temporary file left behind"
    with Session(engine) as s:
        last = s.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).scalars().first()
    assert (last.action, last.actor, last.detail["format"], last.detail["to"]) == \
        ("case.export", "priya", "html", str(target))
    assert verify(engine).ok


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.text = set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += [name for name, _ in attrs]

    def handle_data(self, data):
        self.text.append(data)


def test_html_escapes_every_piece_of_customer_text(full_story, team, db_url, capsys, monkeypatch):
    sam = team["sam"]
    case = new_case(sam, kind="enquiry", category=HOSTILE[:60], title=HOSTILE[:190],
                    party={"name": HOSTILE[:150], "email": "a@b.c", "notes": HOSTILE})
    done = submit(sam, ActionRequest(kind="note", case_id=case.id, version=case.version, body=HOSTILE,
                                     summary=HOSTILE[:200]))
    assert isinstance(done, Done)
    code, page, err = export(capsys, db_url, case.ref, "--format", "html", monkeypatch=monkeypatch)
    assert code == 0, err
    parsed = Tags()
    parsed.feed(page)
    assert parsed.tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "table", "tr",
                           "th", "td", "ul", "li", "strong", "span", "div"}, parsed.tags
    assert not [a for a in parsed.attrs if a.startswith("on") or a in ("src", "href")]
    assert "default-src 'none'" in page
    assert "\x1b" not in page and "\x07" not in page and "\u202e" not in page
    text = "".join(parsed.text)
    assert '<script>alert("x")</script>' in text, "the customer's words survive, as text"
    assert "\\x1b[2J" in text and "\\u202eevil" in text, "control characters are shown, not obeyed"


def test_markdown_keeps_customer_text_inert(team, db_url, capsys, monkeypatch):
    sam = team["sam"]
    case = new_case(sam, kind="complaint", category="parking", title=HOSTILE[:190], party={"name": "[x](http://e)"})
    submit(sam, ActionRequest(kind="note", case_id=case.id, version=case.version, body=HOSTILE + "\n```\n<b>"))
    code, out, err = export(capsys, db_url, case.ref, monkeypatch=monkeypatch)
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    outside_fences = re.sub(r"(?ms)^(`{3,})text\n.*?^\1$", "", out)
    assert not re.search(r"(?<!\\)<(script|img|b)", outside_fences), "HTML outside code blocks is escaped"
    assert not re.search(r"(?<!\\)\]\(http", outside_fences), "no live links"
    assert "\\<script\\>" in outside_fences
    assert "```` text" not in out and "````text" in out, "a fence longer than the body's own backticks"


def test_md_and_inert_helpers():
    assert md("a*b_c`d[e](f)<g>&h|i") == "a\\*b\\_c\\`d\\[e\\](f)\\<g\\>\\&h\\|i"
    assert md("two\nlines") == "two lines"
    assert inert("\x1b[31mred\x1b[0m\u202e") == "\\x1b[31mred\\x1b[0m\\u202e"
    assert fenced("x ````` y")[0] == "``````text"


def test_unknown_ref_bad_output_and_roles_are_one_line(full_story, db_url, capsys, monkeypatch, tmp_path):
    code, _, err = export(capsys, db_url, "C-9999", monkeypatch=monkeypatch)
    assert code == 2 and err == "deskapp: no case with reference 'C-9999'\n"
    code, _, err = export(capsys, db_url, full_story.ref, "--output", str(tmp_path), monkeypatch=monkeypatch)
    assert code == 2 and "is a folder" in err and err.count("\n") == 1
    code, _, err = export(capsys, db_url, full_story.ref, "--output", str(tmp_path / "no" / "x.md"),
                          monkeypatch=monkeypatch)
    assert code == 2 and "does not exist" in err
    code, _, err = export(capsys, db_url, full_story.ref, user="sam", monkeypatch=monkeypatch)
    assert code == 2 and err == "deskapp: sam is a handler: exporting a case file needs a supervisor or admin\n"
    code, _, err = export(capsys, db_url, full_story.ref, user="mallory", monkeypatch=monkeypatch)
    assert code == 2 and "not a deskapp handler" in err
    code, out, _ = export(capsys, db_url, full_story.ref.lower(), user="ada", monkeypatch=monkeypatch)
    assert code == 0 and full_story.ref in out


def test_an_altered_record_is_flagged_in_the_case_file(full_story, db_url, engine, capsys, monkeypatch):
    from sqlalchemy import text

    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
        conn.execute(text("UPDATE audit_events SET reason = 'I was told to' WHERE action = 'contact'"))
    code, out, err = export(capsys, db_url, full_story.ref, monkeypatch=monkeypatch)
    assert code == 0, err
    assert "This audit record no longer matches its hash" in out
    assert "WARNING: 1 of the 10 audit records for this case do not match their hashes" in out
    assert "NOT VERIFIED" in out and "Verified:" not in out


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_edited_rows_are_named_and_the_file_is_not_verified(full_story, db_url, engine, capsys, monkeypatch, fmt):
    """The invented text of an edited contact, and a forged approver, are never printed as verified."""
    from sqlalchemy import text

    with engine.begin() as conn:
        contact = conn.execute(text("SELECT MAX(id) FROM contacts WHERE channel = 'phone'")).scalar()
        approval = conn.execute(text("SELECT MAX(id) FROM approval_requests")).scalar()
        conn.execute(text("UPDATE contacts SET body = 'Lee said he did not want a call back' WHERE id = :i"),
                     {"i": contact})
        conn.execute(text("UPDATE approval_requests SET decided_by_id = (SELECT id FROM handlers WHERE "
                          "username = 'ada') WHERE id = :i"), {"i": approval})
    code, out, err = export(capsys, db_url, full_story.ref, "--format", fmt)
    assert code == 0, err
    assert "Lee said he did not want a call back" in out  # shown, as the database holds it ...
    assert "This entry does not match the audit trail: it was changed after audit record" in out  # ... but flagged
    assert "NOT VERIFIED" in out and "Verified:" not in out
    assert f"contact {contact}: changed after audit record" in out
    assert f"approval request {approval}: changed after audit record" in out
    assert "2 of the" in out and "rows printed here do not match what the audit trail recorded" in out


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_escaping_holds_for_any_text(text):
    from deskapp.supervision.render import h

    for out in (h(text), md(text), "\n".join(fenced(text))):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    assert "<" not in h(text) and ">" not in h(text) and '"' not in h(text)
    assert "\n" not in md(text) and not re.search(r"(?<!\\)[<>\[\]`*_|&]", md(text).replace("\\\\", ""))
    block = fenced(text)
    assert block[0].startswith("```") and block[-1] == block[0][:-4]
    assert block[0][:-4] not in "\n".join(block[1:-1]), "the fence never appears inside the block"


# --------------------------------------------------------------------------- through the action layer


def test_a_refused_export_is_audited_and_the_role_is_read_again(full_story, team, engine, tmp_path):
    from deskapp.actions.exports import record_export
    from deskapp.core.roles import NotAllowed
    from deskapp.store.models import Handler
    from deskapp.supervision.export import export_case

    def events(action):
        with Session(engine) as s:
            return s.execute(select(AuditEvent).where(AuditEvent.action == action)
                             .order_by(AuditEvent.id)).scalars().all()

    with pytest.raises(NotAllowed, match="sam is a handler: exporting a case file needs a supervisor or admin"):
        export_case(team["sam"], full_story.ref, "md", None)
    assert [(e.actor, e.detail["permission"]) for e in events("refused")] == [("sam", "case.export")]
    assert events("case.export") == []

    # priya is demoted after opening her desk: the export is refused, no file is left behind
    with Session(engine) as s, s.begin():
        s.get(Handler, team["priya"].me.id).role = "handler"
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(NotAllowed, match="priya is a handler"):
        export_case(team["priya"], full_story.ref, "md", str(out / "case.md"))
    assert list(out.iterdir()) == []
    # ... and the record itself checks again, in its own transaction (a demotion while the file was rendered)
    with pytest.raises(NotAllowed, match="priya is a handler"):
        record_export(team["priya"], case_id=full_story.id, fmt="md", to="stdout", audit_records=1,
                      at=datetime(2026, 3, 10, 12))
    assert [e.actor for e in events("refused")] == ["sam", "priya", "priya"]
    assert events("case.export") == []
    assert verify(engine).ok
