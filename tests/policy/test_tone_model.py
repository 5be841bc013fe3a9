"""The tone model beside the grammar: shipped weights are the script's, warnings name the sentence, sincere text passes."""

from __future__ import annotations

import math
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from deskapp.policy.loader import PolicyFileError, load_policies_text
from deskapp.policy.tone import MODEL_CUE, ToneLexicon, assess_tone
from deskapp.policy.tonemodel import LENGTH_PENALTY, WORD_CLASSES, decide, segment_features, shipped_model, text_features

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from bench.tone_eval import load_set  # noqa: E402

LETTERS = ROOT / "tests/policy/tone_probes/letters.yaml"


def test_shipped_model_is_what_the_script_builds_from_the_shipped_corpus():
    from bench import tone_train

    assert {p.stem for p in tone_train.SETS} >= {"labelled", "tuning_v3", "heldout_v1", "heldout_v2", "v3", "v4"}
    assert tone_train.OUT.read_text(encoding="utf-8") == tone_train.build(), \
        "deskapp/policy/tone_model.json is stale: run python bench/tone_train.py"


def test_features_read_normalised_text_and_word_classes():
    assert segment_features("You don't read the letters.") == segment_features("you do not read the letters.")
    f = segment_features("Thanks for your fourteenth email.")
    assert {"k:<thanks> for <you>", "k:<you> <ord> <comm>", "g:mock gratitude", "s:you"} <= set(f)
    assert WORD_CLASSES["rude"] == "<judge>" and WORD_CLASSES["your"] == "<you>"
    assert "s:scare_quotes" in segment_features("We got your 'urgent' photo.")
    assert "s:count" in segment_features("This is the third time I have written.")


def test_the_model_catches_what_no_rule_lists_and_names_the_sentence(pack):
    r = assess_tone("Not sure what you expected, to be honest.", pack.tone)
    assert r.hostile and r.detector == "model" and r.cues[0] == MODEL_CUE
    assert r.reasons[0].startswith(f"{MODEL_CUE}: 'Not sure what you expected, to be honest.' (weighed most: ")
    assert r.as_dict()["detector"] == "model" and r.as_dict()["model_probability"] >= 0.9
    assert r.classifier == "built-in"


def test_one_hostile_sentence_in_a_long_polite_letter_is_found_and_quoted(pack):
    letter = next(m.text for m in load_set(LETTERS) if m.source.endswith("probe-letter-7"))
    assert not assess_tone(letter, pack.tone).hostile
    hostile = letter.replace("Any questions, just give me a ring.",
                             "Not sure what you expected, to be honest. Any questions, just give me a ring.")
    r = assess_tone(hostile, pack.tone)
    assert r.hostile and r.detector == "model"
    assert r.quotes[0] == "Not sure what you expected, to be honest."


def test_the_grammar_answers_first_and_the_model_only_when_it_does_not_flag(pack):
    r = assess_tone("Thanks so much for your fourteenth email this week.", pack.tone)
    assert r.detector == "grammar" and r.probability is None
    ok = assess_tone("The repair is booked for Tuesday morning.", pack.tone)
    assert not ok.hostile and ok.detector == "grammar+model" and ok.probability < 0.5


def test_policies_switch_the_model_off_or_raise_its_threshold(pack):
    text = "Not sure what you expected, to be honest."
    yaml_text = (ROOT / "policies.yaml").read_text(encoding="utf-8")
    assert "  model: true\n" in yaml_text
    off = load_policies_text(yaml_text.replace("  model: true\n", "  model: false\n"))
    assert not assess_tone(text, off.tone).hostile
    strict = load_policies_text(yaml_text.replace("  model: true\n", "  model: true\n  model_threshold: 0.9999\n"
                                                  ).replace("0.9999", "0.999"))
    p = assess_tone(text, pack.tone).probability
    assert strict.tone.model_threshold == 0.999
    assert assess_tone(text, strict.tone).hostile == (p is not None and p >= 0.999)
    with pytest.raises(PolicyFileError) as exc:
        load_policies_text(yaml_text.replace("  model: true\n", "  model: true\n  model_threshold: 2\n"))
    assert any("tone.model_threshold" in line for line in exc.value.problems)


# Sincere text the model was never trained on: the grammar's hard negatives (written to trip its rules)
# and eight long professional letters (tests/policy/tone_probes/letters.yaml). The model fires on the
# ones below; the test fails when that list changes, so a retrained model is looked at, not waved through.
# Issue #20 precision round (v5 as tuning data, two sincere tuning files, the length penalty): 4 of 48,
# as before v5; "Maybe try turning the boiler off..." no longer fires, probe-letter-4 does.
# 3 of 58 after the tone8 round (4 of 48 before the tone7 round: the large-print sentence, the
# nomination thanks and probe letters 4 and 8, which no longer fire; these three short ones now do).
KNOWN_MODEL_FALSE_POSITIVES = {
    "I will keep it basic at first and add detail if you want it.",
    "Maybe try turning the boiler off and on again and it would likely reset.",
    "Thank you for showing me how to do my job better - your feedback helped.",
}


def _grammar_hard_negatives() -> list[str]:
    src = (ROOT / "tests/policy/test_tone_grammar.py").read_text(encoding="utf-8")
    out = []
    for block in src.split("@pytest.mark.parametrize(")[1:]:  # one decorator's list and the test it feeds
        m = re.match(r'"text", \[\n(.*?)\n\]\)\ndef test_\w*hard_negatives', block, re.S)
        if m:
            out += [eval(line.strip().rstrip(",")) for line in m.group(1).splitlines() if line.strip().startswith('"')]
    return out


def test_sincere_probes_pass_except_the_known_few(pack):
    probes = [(t, t) for t in _grammar_hard_negatives()] + [(m.source.split(":")[1], m.text) for m in load_set(LETTERS)]
    assert len(probes) == 58
    fired = {name for name, text in probes if assess_tone(text, pack.tone).hostile}
    assert fired == KNOWN_MODEL_FALSE_POSITIVES
    assert len(fired) / len(probes) < 0.1


def test_a_long_letter_raises_the_bar_for_a_sentence_or_a_pair_not_for_the_whole_message():
    z = math.log(0.95 / 0.05)  # a pair, or a sentence alone, at 0.95; the whole message low
    short = (["a", "b"], -5.0, z, 1, -5.0, 0)
    long = (["s"] * 12, -5.0, z, 3, -5.0, 0)
    assert decide(short, 0.9) == "pair"  # 0.95 clears 0.9 + 0.5 * ln 2 in log-odds (0.935)
    assert decide(long, 0.9) == ""  # ... but not 0.9 + 0.5 * ln 12 (0.969)
    assert decide(long, 0.9, penalty=0) == "pair"
    assert decide((["s"] * 12, z, -5.0, -1, -5.0, -1), 0.9) == "message"  # the whole letter: no raise
    alone = (["s"] * 12, -5.0, -5.0, -1, math.log(0.999 / 0.001), 4)
    assert decide(alone, 0.9) == "alone" and LENGTH_PENALTY == 0.5


def test_the_length_raise_stops_at_the_longest_labelled_letter():
    """A 10,000-character paste of 111 sentences is held to the bar of a 25-sentence letter, no higher."""
    from deskapp.policy.tonemodel import RAISE_CAP

    z = math.log(0.98 / 0.02)  # one sentence alone at 0.98
    assert decide((["s"] * 111, -5.0, -5.0, -1, z, 60), 0.85) == "alone"
    assert decide((["s"] * RAISE_CAP, -5.0, -5.0, -1, z, 3), 0.85) == "alone"
    assert decide((["s"] * 111, -5.0, -5.0, -1, z, 60), 0.85, penalty=0.75) == ""  # a steeper raise would hide it


def test_a_sincere_letter_sentence_does_not_flag_a_long_letter(pack):
    """v5's first pass flagged sincere sentences of long letters; the same kind, written for this test."""
    letter = ("Dear Mrs Lyle,\n\nThank you for your letter about your pension statement.\n\n"
              "The main reason for the change is the rise in bond yields since last spring. "
              "Transfer values fall when yields rise, although your pension itself is unchanged. "
              "The 08:10 service will continue to run as now. Your season ticket is valid on it. "
              "If you pay by another method, your first instalment is due on 1 April. "
              "You may be entitled to a discount, for example if you live alone.\n\n"
              "Please call me if you would like to talk this through.\n\nYours sincerely,\nA. Clerk")
    assert not assess_tone(letter, pack.tone).hostile
    hostile = letter.replace("Please call me", "Not sure what you expected, to be honest. Please call me")
    assert assess_tone(hostile, pack.tone).hostile


def test_a_lexicon_without_the_model_is_the_grammar_alone():
    text = "Not sure what you expected, to be honest."
    assert not assess_tone(text, ToneLexicon(model=False)).hostile
    assert assess_tone(text, ToneLexicon()).hostile


def test_shipped_model_metadata():
    m = shipped_model()
    assert m is not None and 0.5 <= m.threshold < 1
    assert m.meta["trained_on"]["v4"] == 324 and m.meta["seed"] == 20
    assert len(m.weights) > 1000


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_any_text_scores_a_probability_deterministically(text):
    m = shipped_model()
    p, sentence, top = m.score(text)
    assert 0.0 <= p <= 1.0
    assert m.score(text) == (p, sentence, top)
    assert isinstance(text_features(text), dict)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["you", "your", "thanks", "again", "really", "fourth", "email", "?", "!", ".",
                                 "'urgent'", "stop", "sure", "expected", "\U0001F642"]), max_size=25).map(" ".join))
def test_cue_words_in_any_order_give_one_answer_cached_or_not(pack, text):
    first = assess_tone(text, pack.tone)
    pack.tone.clear_cache()  # the model's sentence caches too
    assert assess_tone(text, pack.tone) == first
