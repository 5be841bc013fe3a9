"""bench/tone_eval.py: the figures it prints add up, per kind and overall, on a small set."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from bench.tone_eval import SetError, evaluate, format_report, load_set, main  # noqa: E402

SMALL = """\
messages:
  - {id: a1, label: hostile, kind: blame, channel: email, text: "You never answer your emails."}
  - {id: a2, label: hostile, kind: blame, text: "It rained on Tuesday."}
  - {id: a3, label: ok, kind: refusal, text: "I'm sorry, we can't share card details."}
  - {label: ok, text: "Please find the letter attached."}
"""


def fake(m):
    """A stand-in detector so the sums are known: hostile when the text says 'never' or 'sorry'."""
    got = "never" in m.text or "sorry" in m.text
    return got, "test cue" if got else "", "fake"


def test_counts_per_kind_and_overall(tmp_path):
    p = tmp_path / "small.yaml"
    p.write_text(SMALL)
    messages = load_set(p)
    assert [m.source for m in messages] == ["small.yaml:a1", "small.yaml:a2", "small.yaml:a3", "small.yaml:#4"]
    rep = evaluate(messages, fake)
    o = rep.overall
    assert (o.tp, o.fp, o.fn, o.tn) == (1, 1, 1, 1)
    assert o.precision == 0.5 and o.recall == 0.5 and o.f1 == 0.5
    assert (rep.kinds["blame"].tp, rep.kinds["blame"].fn) == (1, 1)
    assert rep.kinds["refusal"].fp == 1 and rep.kinds["refusal"].recall is None
    text = format_report(rep)
    assert "FP small.yaml:a3 [refusal]" in text and "<- test cue" in text
    assert "FN small.yaml:a2 [blame] It rained on Tuesday." in text
    assert "answered by: fake 4" in text


def test_main_runs_the_builtin_detector(tmp_path):
    p = tmp_path / "small.yaml"
    p.write_text(SMALL)
    out = io.StringIO()
    assert main([str(p), str(p), "--detector", "builtin"], out=out) == 0
    text = out.getvalue()
    assert "overall: 4 messages (2 hostile, 2 ok)" in text
    assert "== all 2 sets: 8 messages" in text


@pytest.mark.parametrize("body", ["messages: 3\n", "messages:\n  - {label: maybe, text: x}\n", "a: [\n"])
def test_bad_set_is_one_line(tmp_path, body, capsys):
    p = tmp_path / "bad.yaml"
    p.write_text(body)
    with pytest.raises(SetError):
        load_set(p)
    assert main([str(p)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.yaml" in err


def test_main_runs_a_plugin_and_says_who_answered(tmp_path):
    p = tmp_path / "small.yaml"
    p.write_text(SMALL)
    out = io.StringIO()
    assert main([str(p), "--detector", "plugin", "--classifier", "deskapp_tone_testplugin:classify"], out=out) == 0
    assert "answered by: deskapp_tone_testplugin:classify 4" in out.getvalue()
    out = io.StringIO()
    assert main([str(p), "--detector", "plugin", "--classifier", "deskapp_tone_testplugin:broken"], out=out) == 0
    assert "answered by: built-in (deskapp_tone_testplugin:broken failed: RuntimeError) 4" in out.getvalue()


def test_model_check_runs(tmp_path, capsys):
    from bench.tone_model_check import main as check

    p = tmp_path / "small.yaml"
    p.write_text(SMALL)
    assert check(["--train", str(p), "--test", str(p)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("4 test messages") and "grammar alone" in out and "booster (a cue + model >= 0.9)" in out
