"""Message templates: sandboxed, escaped for HTML, strict, and every problem at file:line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deskapp.actions.templates import TemplateProblem, available, render

VALUES = {"case": {"ref": "C-1001", "title": "Boiler", "kind": "complaint", "category": "repairs", "stage": 1,
                   "status": "new", "received": "Mon 9 Mar 2026", "due": "Mon 16 Mar 2026"},
          "party": {"name": "<b>Lee</b> & Co", "organisation": "", "role": "customer",
                    "address": "1 High St\nTown"},
          "handler": {"name": "Sam"}, "today": "Tue 10 Mar 2026"}


def team(name: str, text: str) -> Path:
    folder = Path(os.environ["DESKAPP_CONFIG_DIR"]) / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def test_shipped_templates_render():
    names = available()
    assert {"acknowledgement", "holding-reply", "stage-1-response", "stage-2-response"} <= set(names)
    for name in names:
        done = render(name, VALUES)
        assert "C-1001" in (done.subject or "") + done.body and "{{" not in done.body


def test_the_teams_file_wins_and_html_is_escaped_text_is_not():
    team("acknowledgement.txt", "Subject: Hi\nHello {{ party.name }}\n")
    assert render("acknowledgement", VALUES).body == "Hello <b>Lee</b> & Co\n"
    team("letter.html", "<p>Dear {{ party.name }}</p>\n")
    assert render("letter", VALUES).body == "<p>Dear &lt;b&gt;Lee&lt;/b&gt; &amp; Co</p>\n"


def test_the_sandbox_refuses_python_internals_with_file_and_line():
    path = team("evil.txt", "ok\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    with pytest.raises(TemplateProblem, match=rf"^{path}:2: "):
        render("evil", VALUES)


@pytest.mark.parametrize("text, line", [
    ("Dear {{ party.name }}\n{% if case.due %}\nunclosed\n", 3),   # syntax: the block never ends
    ("one\ntwo\n{{ case.nonesuch }}\n", 3),                          # an unknown field is an error
    ("{{ party.name | nosuchfilter }}\n", 1),
])
def test_problems_name_the_file_and_line(text, line):
    path = team("bad.txt", text)
    with pytest.raises(TemplateProblem) as raised:
        render("bad", VALUES)
    assert str(raised.value).startswith(f"{path}:{line}: ")
    assert "\n" not in str(raised.value)


def test_not_utf8_is_one_line():
    folder = Path(os.environ["DESKAPP_CONFIG_DIR"]) / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "latin.txt").write_bytes(b"line one\nCaf\xe9\n")
    with pytest.raises(TemplateProblem, match=r"latin\.txt:2: not UTF-8"):
        render("latin", VALUES)
