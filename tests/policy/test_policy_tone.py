"""Tone: precision/recall on the labelled handler messages, and the detector's parts.

tone/labelled.yaml is the tuning set; tone/heldout_v1.yaml was held out for a first
measurement and then used for tuning; tone/heldout_v2.yaml was written later in idioms
the list did not have (see the headers of those files for the first-pass figures).
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from deskapp.policy.tone import PhraseSyntaxError, ToneLexicon, TonePhrase, assess_tone, normalise, phrase_to_regex

from pathlib import Path

TONE_DIR = Path(__file__).resolve().parent / "tone"


def score(pack, name):
    messages = yaml.safe_load((TONE_DIR / name).read_text())["messages"]
    tp = fp = fn = tn = 0
    misses = []
    for m in messages:
        got = assess_tone(m["text"], pack.tone).hostile
        want = m["label"] == "hostile"
        tp += got and want
        fp += got and not want
        fn += want and not got
        tn += not got and not want
        if got != want:
            misses.append(m["text"])
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"\n{name}: {len(messages)} messages, precision {precision:.3f}, recall {recall:.3f} "
          f"(tp {tp}, fp {fp}, fn {fn}, tn {tn})")
    for text in misses:
        print("   miss:", text)
    return len(messages), precision, recall


def test_labelled_set_is_big_enough():
    total = sum(len(yaml.safe_load(p.read_text())["messages"]) for p in TONE_DIR.glob("*.yaml"))
    assert total >= 150
    assert len(yaml.safe_load((TONE_DIR / "labelled.yaml").read_text())["messages"]) >= 150


@pytest.mark.parametrize("name, min_precision, min_recall", [
    ("labelled.yaml", 0.9, 0.85),     # tuning set
    ("heldout_v1.yaml", 0.9, 0.85),   # first held-out set, since used for tuning
    ("heldout_v2.yaml", 0.9, 0.6),    # held-out set v2: recall on unseen idioms is the weak spot
])
def test_precision_and_recall(pack, name, min_precision, min_recall):
    n, precision, recall = score(pack, name)
    assert precision >= min_precision
    assert recall >= min_recall


@pytest.mark.parametrize("text", [
    "I'm sorry, we can't share card details from past invoices.",
    "Unfortunately we cannot refund the fee. I know that's disappointing.",
    "It's not your fault the letter went astray.",
    "You should have received our letter by now.",
    "If you keep missing payments, the plan will be cancelled.",
    "Obviously we want this fixed quickly.",
    "IMPORTANT: the water is off on Thursday.",
    "Please quote your NHS number and the FCA reference.",
])
def test_polite_and_firm_messages_pass(pack, text):
    result = assess_tone(text, pack.tone)
    assert not result.hostile, result.reasons


@pytest.mark.parametrize("text, quote", [
    ("You never answer your emails.", "You never answer"),
    ("As I’ve already explained, no.", "I’ve already explained"),
    ("That's simply not our problem.", "not our problem"),
    ("Sorry, but you clearly haven't read it.", "you clearly"),
])
def test_hostile_messages_are_quoted(pack, text, quote):
    result = assess_tone(text, pack.tone)
    assert result.hostile
    assert any(quote in r for r in result.reasons), result.reasons
    assert result.as_dict()["summary"]


def test_politeness_reduces_weak_cues_only():
    lex = ToneLexicon.from_entries(
        [TonePhrase.from_phrase("clearly", 1.0, "sarcasm"), TonePhrase.from_phrase("once again", 1.0, "impatient"),
         TonePhrase.from_phrase("not our problem", 2.0, "dismissive")],
        polite=["sorry", "please"],
    )
    assert assess_tone("Once again, this is clearly the charge.", lex).hostile
    assert not assess_tone("Sorry - once again, this is clearly the charge, please see attached.", lex).hostile
    assert assess_tone("Sorry, please understand this is not our problem.", lex).hostile


def test_structure_alone():
    assert assess_tone("WHY HAVE YOU NOT SENT THE FORM").hostile
    assert assess_tone("Did you even read it?!").hostile
    assert not assess_tone("Thanks!").hostile
    assert assess_tone('Your "urgent" repair can wait.').hostile
    assert not assess_tone("").hostile


def test_plain_list_of_phrases():
    assert assess_tone("Deal with it.", ["deal with it"]).hostile


def test_normalise_keeps_offsets():
    n = normalise("I  can’t   do that, it’s done")
    assert n.text == "i can not do that, it is done"
    i = n.text.index("can not")
    assert n.quote(i, i + len("can not")) == "can’t"


@pytest.mark.parametrize("phrase", ["(a|b", "a)", "a|b", "?a", "  "])
def test_phrase_syntax_errors(phrase):
    with pytest.raises(PhraseSyntaxError):
        phrase_to_regex(phrase)


def test_phrase_syntax():
    import re
    rx = re.compile(phrase_to_regex("as (i|we) (have )?already * you"))
    assert rx.search("as we already told you")
    assert rx.search("as i have already emailed you")
    assert not rx.search("was i already")
    assert re.search(phrase_to_regex(r"seriously\?"), "seriously?")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_never_fails(pack, text):
    r = assess_tone(text, pack.tone)
    assert isinstance(r.hostile, bool)
    assert r.score >= 0
