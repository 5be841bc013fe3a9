"""`deskapp case letter`: a letter rendered from its template, printed to a 0600 file and recorded.

The file exists only when the letter is on the case (exit 0); the rules check the
letter's text with the desk's exit codes; nothing is overwritten without --force.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat

import pytest
from desk_support import set_desk_setting

from deskapp.config import os_username

LETTER = "letter-stage-1-response"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    from deskapp.demo.load import fill_demo
    from deskapp.store.engine import connect
    from deskapp.store.migrate import upgrade

    path = tmp_path_factory.mktemp("letter-demo") / "demo.db"
    engine = connect(f"sqlite:///{path}")
    try:
        upgrade(engine)
        fill_demo(engine, cases=2, seed=1, me=os_username())
    finally:
        engine.dispose()
    set_desk_setting(f"sqlite:///{path}", "demo", "1")
    return path


@pytest.fixture
def db(tmp_path, template) -> str:
    target = tmp_path / "desk.db"
    shutil.copyfile(template, target)
    target.chmod(0o600)
    return f"sqlite:///{target}"


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    from deskapp.cli import main

    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rows(db: str, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        return conn.execute(sql, params).fetchall()


def party(db: str, ref: str, designated: bool) -> tuple[int, str]:
    return rows(db, "SELECT p.id, p.name FROM parties p JOIN cases c ON c.id = p.case_id WHERE c.ref = ? "
                    "AND p.designated = ? ORDER BY p.id LIMIT 1", ref, designated)[0]


def letters(db: str) -> list[tuple]:
    return rows(db, "SELECT c.summary, c.body, c.direction FROM contacts c WHERE c.channel = 'letter' ORDER BY c.id")


def test_a_letter_is_printed_0600_and_recorded_and_audited(capsys, db, tmp_path):
    rep_id, rep_name = party(db, "C-1001", True)
    out_file = tmp_path / "letter.html"
    before = letters(db)
    code, out, err = cli(capsys, "case", "letter", "C-1001", "--db", db, "--template", LETTER,
                         "--out", str(out_file), "--party", str(rep_id))
    assert code == 0, err
    assert f"letter {LETTER} recorded and written to {out_file}" in out
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    html = out_file.read_text()
    assert "@page { size: A4" in html and "C-1001" in html and "{{" not in html
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".letter-")]
    (summary, body, direction), = letters(db)[len(before):]
    assert direction == "out" and summary.startswith("Our response to your complaint (C-1001)")
    assert "<" not in body and "What we found" in body and rep_name in body  # the text, not the markup
    [(action, detail)] = rows(db, "SELECT action, detail FROM audit_events ORDER BY id DESC LIMIT 1")
    assert action == "message"
    assert json.loads(detail)["letter"] == {"template": LETTER,
                                            "html_sha256": hashlib.sha256(html.encode()).hexdigest()}

    # An existing file is never replaced without --force (and nothing is recorded).
    code, out, err = cli(capsys, "case", "letter", "C-1001", "--db", db, "--template", LETTER,
                         "--out", str(out_file), "--party", str(rep_id))
    assert code == 2 and "already exists; --force replaces it" in err and len(err.strip().splitlines()) == 1
    assert len(letters(db)) == len(before) + 1
    out_file.write_text("old")
    code, out, err = cli(capsys, "case", "letter", "C-1001", "--db", db, "--template", LETTER,
                         "--out", str(out_file), "--party", str(rep_id), "--force")
    assert code == 0, err
    assert "C-1001" in out_file.read_text() and len(letters(db)) == len(before) + 2


def test_a_warning_exits_3_and_leaves_no_file(capsys, db, tmp_path):
    customer_id, _ = party(db, "C-1001", False)  # the case has a designated representative: a rule warns
    out_file = tmp_path / "letter.html"
    before = letters(db)
    code, out, err = cli(capsys, "case", "letter", "C-1001", "--db", db, "--template", LETTER,
                         "--out", str(out_file), "--party", str(customer_id))
    assert code == 3, err
    assert "run again with --reason" in err and "designated-representative" in err
    assert not out_file.exists() and os.listdir(tmp_path) == ["desk.db"]
    assert letters(db) == before
    code, out, err = cli(capsys, "case", "letter", "C-1001", "--db", db, "--template", LETTER,
                         "--out", str(out_file), "--party", str(customer_id),
                         "--reason", "He asked for his own copy in writing")
    assert code == 0, err
    assert out_file.exists() and len(letters(db)) == len(before) + 1


def test_customer_text_cannot_add_markup_and_cards_are_masked(capsys, db, tmp_path):
    rep_id, _ = party(db, "C-1001", True)
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE parties SET address = ? WHERE id = ?",
                     ("<script>alert(1)</script><img src=http://evil.example/x>\n1 High St", rep_id))
    folder = os.environ["DESKAPP_CONFIG_DIR"] + "/templates"
    os.makedirs(folder, exist_ok=True)
    with open(folder + "/letter-card.html", "w") as f:
        f.write("<p>{{ party.address }}</p><p>Card 4111 1111 1111 1111 refunded</p>\n")
    out_file = tmp_path / "letter.html"
    code, out, err = cli(capsys, "case", "letter", "C-1001", "--db", db, "--template", "letter-card",
                         "--out", str(out_file), "--party", str(rep_id), "--reason", "Refund confirmed by post")
    assert code == 0, err
    html = out_file.read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html and "<img" not in html
    assert "4111 1111 1111 1111" not in html and "4111 11" in html


def test_bad_template_and_bad_paths_are_one_line(capsys, db, tmp_path):
    for argv, said in (
        (["--template", "nonesuch", "--out", str(tmp_path / "a.html")], "no template called 'nonesuch'"),
        (["--template", "acknowledgement", "--out", str(tmp_path / "a.html")], "a letter template is an .html"),
        (["--template", LETTER, "--out", str(tmp_path / "no" / "a.html")], "no folder"),
        (["--template", LETTER, "--out", str(tmp_path / "a.txt")], "end the name in .html or .pdf"),
    ):
        code, out, err = cli(capsys, "case", "letter", "C-1001", "--db", db, *argv)
        assert code == 2 and said in err and len(err.strip().splitlines()) == 1, err
    assert os.listdir(tmp_path) == ["desk.db"]


def test_a_pdf_letter(capsys, db, tmp_path):
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint or its pango libraries are missing: PDF letters are not tested ({exc})")
    rep_id, _ = party(db, "C-1001", True)
    out_file = tmp_path / "letter.pdf"
    code, out, err = cli(capsys, "case", "letter", "C-1001", "--db", db, "--template", LETTER,
                         "--out", str(out_file), "--party", str(rep_id))
    assert code == 0, err
    assert out_file.read_bytes().startswith(b"%PDF-") and stat.S_IMODE(out_file.stat().st_mode) == 0o600


def test_a_letter_record_must_name_its_template_and_html_digest():
    from deskapp.actions.submit import letter_record
    from deskapp.actions.validate import InvalidInput
    from deskapp.core.views import ActionRequest

    def request(**extra):
        return ActionRequest(kind="message", case_id=1, version=1, channel="letter", extra=extra)

    good = {"template": LETTER, "html_sha256": "a" * 64}
    assert letter_record(request(letter=good)) == {"letter": good}
    assert letter_record(request()) == {}
    with pytest.raises(InvalidInput, match="sha256"):
        letter_record(request(letter={"template": LETTER, "html_sha256": "not a digest"}))
