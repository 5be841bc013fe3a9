"""tone.classifier: a team's plug-in answers; the built-in detector answers when it fails or is slow."""

from __future__ import annotations

from datetime import datetime

import pytest

import deskapp_tone_testplugin as plugin
from deskapp.policy import ActionSnap, CaseSnap, PartySnap, evaluate
from deskapp.policy.loader import PolicyFileError, load_policies_text
from deskapp.policy.toneplugin import classify_tone

HOSTILE = "Thanks so much for your fourteenth email this week."


def pack_with(classifier: str, **extra) -> object:
    tone = "".join(f"  {k}: {v!r}\n" for k, v in {"classifier": classifier, **extra}.items())
    return load_policies_text(
        "version: 1\ntone:\n" + tone + "rules:\n  - id: hostile-tone\n    on: [message]\n    severity: warn\n"
        "    when: action.is_outbound && action.tone.hostile\n"
        "    say: 'This may read as hostile: {action.tone.summary}.'\n")


def test_the_plugin_answers_and_the_desk_says_so():
    pack = pack_with("deskapp_tone_testplugin:classify", classifier_label="team classifier")
    r = classify_tone("Grr. Fine.", "email", pack.tone)
    assert r.hostile and r.classifier == "team classifier" and r.cues == ("growling",)
    assert r.as_dict()["summary"] == "team model: growling (tone: team classifier)"
    # the built-in detector would have flagged this one; the plug-in's "no" stands
    assert not classify_tone(HOSTILE, "email", pack.tone).hostile


def test_the_finding_names_the_classifier():
    pack = pack_with("deskapp_tone_testplugin:classify", classifier_label="team classifier")
    case = CaseSnap(ref="C-1", kind="complaint", received_at=datetime(2026, 3, 9, 9),
                    parties=(PartySnap("c1", "Sam Okafor", "customer"),))
    action = ActionSnap("message", channel="email", party="c1", body="Grr, noted.")
    found = evaluate(pack, case, action, datetime(2026, 3, 10, 11))
    assert [f.rule for f in found] == ["hostile-tone"]
    assert "(tone: team classifier)" in found[0].message


def test_channel_is_passed():
    pack = pack_with("deskapp_tone_testplugin:by_channel")
    assert classify_tone("See you Tuesday.", "sms", pack.tone).hostile
    assert not classify_tone("See you Tuesday.", "email", pack.tone).hostile


def test_answers_are_cached_per_text_and_channel():
    pack = pack_with("deskapp_tone_testplugin:classify")
    plugin.CALLS.clear()
    for _ in range(3):
        classify_tone("Hello there, cached.", "email", pack.tone)
    assert plugin.CALLS == [("Hello there, cached.", "email")]


@pytest.mark.parametrize("name, why", [
    ("deskapp_tone_testplugin:broken", "failed: RuntimeError"),
    ("deskapp_tone_testplugin:wrong_shape", "gave an answer of the wrong shape"),
    ("deskapp_tone_testplugin:not_callable", "is not callable"),
    ("deskapp_tone_no_such_module:classify", "could not be loaded: ModuleNotFoundError"),
    ("no-such-entry-point", "no entry point 'no-such-entry-point' in group deskapp.tone"),
])
def test_builtin_answers_when_the_plugin_fails(name, why):
    pack = pack_with(name, classifier_label="team classifier")
    r = classify_tone(HOSTILE, "email", pack.tone)
    assert r.hostile and "mock gratitude" in r.cues
    assert r.classifier == f"built-in (team classifier {why})"
    assert r.as_dict()["summary"].endswith(f"(tone: built-in (team classifier {why}))")


def test_builtin_answers_when_the_plugin_is_slow():
    pack = pack_with("deskapp_tone_testplugin:slow", classifier_label="team classifier", classifier_timeout_ms=50)
    plugin.RELEASE.clear()
    try:
        r = classify_tone(HOSTILE, "email", pack.tone)
    finally:
        plugin.RELEASE.set()
    assert r.hostile and r.classifier == "built-in (team classifier timed out)"


def test_entry_point_name(tmp_path, monkeypatch):
    dist = tmp_path / "team_tone-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: team-tone\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[deskapp.tone]\nteam = deskapp_tone_testplugin:classify\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    pack = pack_with("team")
    r = classify_tone("grr", None, pack.tone)
    assert r.hostile and r.classifier == "team"


@pytest.mark.parametrize("value", ["", "not a module:", "a b", "mod:func()"])
def test_bad_classifier_name_is_a_problem_line(value):
    with pytest.raises(PolicyFileError) as exc:
        pack_with(value)
    assert any("classifier" in p for p in exc.value.problems), exc.value.problems


def test_a_handler_cannot_pick_a_classifier(monkeypatch):
    """Only the published pack names one: no environment variable is read."""
    for name in ("DESKAPP_TONE_CLASSIFIER", "DESKAPP_TONE", "TONE_CLASSIFIER"):
        monkeypatch.setenv(name, "deskapp_tone_testplugin:classify")
    pack = load_policies_text("version: 1\nrules: []\n")
    r = classify_tone("grr", "email", pack.tone)
    assert pack.tone.classifier is None and r.classifier == "built-in" and not r.hostile


def test_cli_policy_tone_names_the_plugin(tmp_path, capsys):
    from deskapp.cli import main

    path = tmp_path / "policies.yaml"
    path.write_text("version: 1\ntone:\n  classifier: deskapp_tone_testplugin:classify\n"
                    "  classifier_label: team classifier\nrules: []\n")
    assert main(["policy", "tone", "--policies", str(path), "grr"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["verdict: HOSTILE - the hostile-tone rule would warn", "score: 0.9 (threshold 2)",
                       "answered by: team classifier"]


def test_hung_calls_are_bounded_then_the_builtin_answers_at_once():
    from deskapp.policy.toneplugin import MAX_RUNNING

    pack = pack_with("deskapp_tone_testplugin:slow", classifier_label="team classifier", classifier_timeout_ms=20)
    plugin.RELEASE.clear()
    try:
        whys = [classify_tone(f"{HOSTILE} {i}", "email", pack.tone).classifier for i in range(MAX_RUNNING + 2)]
    finally:
        plugin.RELEASE.set()
    assert whys[:MAX_RUNNING] == ["built-in (team classifier timed out)"] * MAX_RUNNING
    assert whys[MAX_RUNNING:] == ["built-in (team classifier busy)"] * 2
