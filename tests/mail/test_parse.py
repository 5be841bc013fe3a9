"""The inbound parser: nasty mail is stored safely, machine mail is recognised, nothing raises."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskapp.core.mailparse import InboundMessage, Limits, Rejected, parse_message

CORPUS = Path(__file__).parent / "corpus"


def corpus(name: str) -> InboundMessage | Rejected:
    return parse_message((CORPUS / name).read_bytes(), Limits(own_domains=("desk.example.com",)))


def _controls(text: str) -> bool:
    return any(ord(c) < 32 and c not in "\n\t" or 0x7f <= ord(c) <= 0x9f or c == "\u202e" for c in text)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda p: p.name)
def test_every_corpus_message_reads_without_controls(path):
    result = parse_message(path.read_bytes())
    if isinstance(result, Rejected):
        assert "\n" not in result.reason
        return
    for text in [result.subject, result.from_name, result.from_address, result.text, result.message_id,
                 *(a.name for a in result.attachments)]:
        assert not _controls(text), (path.name, text)
        assert "\ufffd" not in text or path.name == "broken-mime.eml", (path.name, text)


def test_eight_bit_headers_are_read_as_latin1_when_not_utf8():
    m = corpus("plain-latin1-8bit-headers.eml")
    assert (m.from_name, m.from_address, m.subject) == ("Jörg Müller", "joerg@example.org", "Beschwerde über Rechnung")
    assert m.date.isoformat() == "2026-12-07T08:00:00"  # UTC


def test_unknown_charset_falls_back_and_says_so():
    m = corpus("wrong-charset.eml")
    assert m.text.startswith("Caf") and "charset guessed" in m.notes


def test_escape_sequences_leave_markup_stays_text():
    m = corpus("escape-markup-subject.eml")
    assert "\x1b" not in m.subject + m.from_name + m.text and "\u202e" not in m.subject
    assert m.subject.startswith("[link=http://x]click[/link]")  # kept as text; the desk shows it with markup off
    assert m.from_name.startswith("[bold red]Admin[/]")


def test_html_drops_scripts_styles_images_and_javascript_links():
    m = corpus("html-scripts-images.eml")
    assert "Dear customer," in m.text and "charged twice" in m.text
    for gone in ("document.cookie", "color:red", "tracker.example", "javascript:", "evil", "<p>"):
        assert gone not in m.text
    assert "<https://example.org/x>" in m.text and "HTML converted to text" in m.notes


def test_alternative_prefers_the_text_part_and_keeps_thread_ids():
    m = corpus("alternative.eml")
    assert m.text == "plain words"
    assert m.thread_ids() == ["sent1@desk.example.com", "root@desk.example.com"]


def test_broken_mime_is_kept_as_text():
    m = corpus("broken-mime.eml")
    assert isinstance(m, InboundMessage) and "not base64" in m.text


def test_missing_message_id_is_made_from_the_bytes_so_a_rerun_matches():
    raw = (CORPUS / "no-message-id.eml").read_bytes()
    a, b = parse_message(raw), parse_message(raw)
    assert a.message_id == b.message_id and a.message_id.endswith("@no-message-id.invalid")
    assert a.from_address == ""


def test_attachment_name_cannot_climb_folders():
    m = corpus("attachment-card-name.eml")
    (att,) = m.attachments
    assert "/" not in att.name and not att.name.startswith(".")
    assert att.data == b"%PDF-1.4 pretend" and att.content_type == "application/pdf"
    assert len(att.sha256) == 64


@pytest.mark.parametrize("name,kind,why", [
    ("auto-reply.eml", "auto_reply", "Auto-Submitted"),
    ("vacation-subject.eml", "auto_reply", "vacation"),
    ("precedence-bulk.eml", "auto_reply", "Precedence: bulk"),
    ("loop-xloop.eml", "loop", "X-Loop"),
    ("bounce-dsn.eml", "bounce", "delivery status"),
    ("alternative.eml", "message", ""),
])
def test_machine_mail_is_recognised(name, kind, why):
    m = corpus(name)
    assert m.kind == kind and why in m.why


def test_bounce_names_the_message_that_failed():
    assert corpus("bounce-dsn.eml").bounced_message_id == "sent1@desk.example.com"


def test_our_own_message_id_domain_is_a_loop():
    raw = b"From: a@example.org\r\nMessage-ID: <deskapp.C-1001.ab12@desk.example.com>\r\nSubject: hi\r\n\r\nhi\r\n"
    assert parse_message(raw, Limits(own_domains=("desk.example.com",))).kind == "loop"
    assert parse_message(raw).kind == "message"
    colleague = raw.replace(b"deskapp.C-1001.ab12", b"CAF12345")  # a person at the same domain: not a loop
    assert parse_message(colleague, Limits(own_domains=("desk.example.com",))).kind == "message"


def test_too_deep_nesting_is_rejected_in_one_line():
    r = corpus("nested-deep.eml")
    assert isinstance(r, Rejected) and "\n" not in r.reason and r.message_id == "deep@example.org"


def test_over_the_size_limit_is_rejected_before_parsing():
    raw = b"From: a@example.org\r\nSubject: big\r\n\r\n" + b"x" * 2000
    r = parse_message(raw, Limits(max_bytes=1000))
    assert isinstance(r, Rejected) and "over the" in r.reason
    assert isinstance(parse_message(raw, Limits(max_bytes=10_000)), InboundMessage)


def _with_zip(payload: bytes) -> bytes:
    return (b"From: z@example.org\r\nSubject: invoice\r\nMessage-ID: <zip@example.org>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=M\r\n\r\n--M\r\nContent-Type: text/plain\r\n\r\nopen it\r\n"
            b"--M\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=invoice.zip\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(payload) + b"--M--\r\n")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_zip_bomb_is_rejected():
    bomb = _zip({"zeros.bin": b"\0" * (12 * 1024 * 1024)})
    r = parse_message(_with_zip(bomb), Limits(max_unpacked=8 * 1024 * 1024))
    assert isinstance(r, Rejected) and "zip bomb" in r.reason


def test_nested_zip_bomb_shares_one_budget():
    inner = _zip({f"z{i}.bin": b"\0" * (3 * 1024 * 1024) for i in range(2)})
    outer = _zip({f"inner{i}.zip": inner for i in range(3)})
    r = parse_message(_with_zip(outer), Limits(max_unpacked=10 * 1024 * 1024))
    assert isinstance(r, Rejected) and "zip bomb" in r.reason


def test_highly_compressible_zip_is_refused_by_ratio():
    r = parse_message(_with_zip(_zip({"zeros.bin": b"\0" * (4 * 1024 * 1024)})), Limits(max_ratio=100))
    assert isinstance(r, Rejected) and "times" in r.reason


def test_fair_zip_is_kept():
    fair = _zip({"letter.txt": b"Dear desk, " * 100})
    m = parse_message(_with_zip(fair))
    assert isinstance(m, InboundMessage) and m.attachments[0].data == fair


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_any_bytes_never_raise(raw):
    result = parse_message(raw)
    assert isinstance(result, (InboundMessage, Rejected))


_HEADER_NAMES = st.sampled_from(["From", "To", "Subject", "Message-ID", "In-Reply-To", "References", "Date",
                                 "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
                                 "Auto-Submitted", "Precedence", "X-Loop"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_HEADER_NAMES, st.binary(max_size=80)), max_size=12), st.binary(max_size=800),
       st.sampled_from([b"", b"multipart/mixed; boundary=B", b"multipart/report; report-type=delivery-status; boundary=B",
                        b"text/html; charset=\"utf-16\"", b"message/rfc822"]))
def test_header_shaped_bytes_never_raise_and_store_no_controls(headers, body, ctype):
    raw = b"".join(name.encode() + b": " + value.replace(b"\n", b" ") + b"\r\n" for name, value in headers)
    if ctype:
        raw += b"Content-Type: " + ctype + b"\r\n"
    raw += b"\r\n" + body.replace(b"B", b"\r\n--B\r\n")
    result = parse_message(raw)
    assert isinstance(result, (InboundMessage, Rejected))
    if isinstance(result, InboundMessage):
        assert not _controls(result.subject + result.from_name + result.message_id + result.text)
