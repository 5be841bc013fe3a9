"""The tone cue grammar: the issue's unlisted hostile replies, hard negatives, cue names, bounded work."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings, strategies as st

import deskapp.policy.tone as tone_mod
from deskapp.policy.literals import LiteralIndex
from deskapp.policy.loader import PolicyFileError, load_policies_text
from deskapp.policy.tone import MAX_SEGMENT, PhraseSyntaxError, ToneLexicon, TonePhrase, assess_tone, phrase_to_regex, segments

# Issue #20: written by someone who had not seen the phrase list; the old detector caught none.
ISSUE_MISSES = [
    ("Do try to hang on to this one.", "sarcasm"),
    ("Let me go through this slowly for you … I hope that is easy enough to follow now.", "condescension"),
    ("Sort out your habits and the problem will go away - the building is fine.", "blame"),
    ("If I get one more email written like this, I will stop working on your complaint altogether.",
     "threat to withdraw help"),
    ("Had you been at home when the engineer called, as you promised you would be, your heating would be working "
     "by now. That one is on you, not us.", "blame"),
    ("Congratulations on missing three appointments in a row. Shall we book a fourth for you to skip as well?",
     "mock gratitude"),
]


@pytest.mark.parametrize("text, cue", ISSUE_MISSES)
def test_issue_examples_are_caught_and_named(pack, text, cue):
    r = assess_tone(text, pack.tone)
    assert r.hostile, r
    assert cue in r.cues, r.reasons


def test_warning_names_the_cue_with_a_quote(pack):
    r = assess_tone("Thanks so much for your fourteenth email this week.", pack.tone)
    assert r.reasons[0] == "mock gratitude: 'Thanks so much for your fourteenth email'"
    assert r.as_dict()["cues"][0] == "mock gratitude"
    assert r.as_dict()["classifier"] == "built-in"


@pytest.mark.parametrize("text", [
    # firm refusals, policy, boundaries with an abusive caller, bad news, partial upholds, apologies
    "We will not be paying for the hotel stay, as the flat remained habitable throughout the works.",
    "Under section 3.2 of the tenancy agreement, tenants are responsible for replacing light bulbs.",
    "If you continue to use offensive language on the phone, I'll end the call. I'd rather we sorted this out.",
    "If you send another message like the one on Tuesday, we will treat it under our unacceptable behaviour policy.",
    "Please let us know if you still need help. Otherwise we will close your complaint on 12 May.",
    "Your band B application places you near the bottom of the list for four-bedroom homes.",
    "Our engineer did leave without finishing the job, and that's on us; I've booked him back for Friday.",
    "I'm sorry you felt you were treated like a child by our receptionist. That is not acceptable.",
    "Had you been given the correct date, you would not have made the trip, so I've refunded your costs.",
    "Please run the tap slowly for a minute before drinking, as the pipes have just been flushed.",
    "Congratulations on your new tenancy! Your keys will be ready on Monday.",
    "Thank you for your third email about the boiler, and I'm sorry you've had to chase us.",
    "It's down to you to decide which of the two dates suits you best.",
    "I've booked pest control for Tuesday morning to deal with the mice.",
    "I'm sorry to hear about your loss. We can help with the tenancy when you're ready.",
    "Please watch your step on the stairs while the carpet is up.",
    "No big deal at all - I've moved the appointment to Thursday.",
    "A child could fall through the loose railing, so we will fix it today.",
    "Your case closed last week; you can reopen it within 28 days.",
    "All you have to do is sign the form and post it back.",
    "Wally from the repairs team will call you on Monday.",
])
def test_hard_negatives_pass(pack, text):
    r = assess_tone(text, pack.tone)
    assert not r.hostile, r.reasons


def test_threat_pairs_a_condition_with_withdrawn_help_across_sentences(pack):
    r = assess_tone("Any more messages like that one. I will simply close the case.", pack.tone)
    assert "threat to withdraw help" in r.cues
    # the same withdrawal without a condition on the reader's behaviour is not a threat
    assert not assess_tone("The survey is back. I will simply close the case.", pack.tone).hostile


def test_a_family_can_be_switched_off():
    text = "Let me go through this slowly for you."
    assert assess_tone(text, ToneLexicon(model=False)).hostile
    assert not assess_tone(text, ToneLexicon(cues={"condescension": 0}, model=False)).hostile


def test_grammar_families_are_cues_in_policies_yaml(pack):
    # The model is switched off too: this is about the grammar's family weight alone.
    base = "version: 1\ntone:\n  model: false\n  cues: {sarcasm: 0}\nrules: []\n"
    off = load_policies_text(base)
    assert not assess_tone("Congratulations on missing three appointments in a row.", off.tone).hostile
    bad = "version: 1\ntone:\n  cues: {sarcasm: -1}\nrules: []\n"
    with pytest.raises(PolicyFileError):
        load_policies_text(bad)


def test_slots_in_phrases():
    import re
    rx = re.compile(phrase_to_regex("(frankly )?you are {you_judge}"))
    assert rx.search("frankly you are impossible")
    assert not rx.search("you are right")
    with pytest.raises(PhraseSyntaxError, match="unknown slot"):
        phrase_to_regex("you are {nonsense}")
    with pytest.raises(PhraseSyntaxError):
        phrase_to_regex("you are {you_judge")
    lex = ToneLexicon.from_entries([TonePhrase.from_phrase("a total {insult_noun}", 2.0, "insult")])
    assert assess_tone("Honestly, a total muppet.", lex).hostile


def test_unknown_slot_in_policies_yaml_is_one_problem_line():
    text = "version: 1\ntone:\n  phrases:\n    - \"you are {nonsense}\"\nrules: []\n"
    with pytest.raises(PolicyFileError) as exc:
        load_policies_text(text)
    assert any("unknown slot" in p and ":4:" in p for p in exc.value.problems), exc.value.problems


# --- bounded work for the live panel -------------------------------------------------------


@pytest.mark.parametrize("body", [
    "word " * 2000,  # 10,000 characters, no sentence end
    "x" * 10_000,  # no space either
    ("You never answer. " * 600)[:10_000],
    "Line one\nline two\n\n" * 500,
], ids=["words", "one-token", "sentences", "lines"])
def test_segments_are_bounded_and_cover_the_text(body):
    pieces = list(segments(body))
    assert all(b - a <= MAX_SEGMENT for a, b in pieces)
    assert all(a < b for a, b in pieces)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(pieces, pieces[1:]))
    covered = set().union(*(range(a, b) for a, b in pieces))
    assert all(i in covered for i, c in enumerate(body) if not c.isspace())  # nothing unread


def count_analysed(monkeypatch):
    seen: list[int] = []
    real = tone_mod._analyse_segment

    def counting(seg, lex):
        seen.append(len(seg))
        return real(seg, lex)

    monkeypatch.setattr(tone_mod, "_analyse_segment", counting)
    return seen


def test_a_long_body_is_analysed_once_per_character_and_typing_re_reads_one_sentence(monkeypatch):
    lex = ToneLexicon()
    body = " ".join(f"Sentence number {i} says the repair is booked for Tuesday." for i in range(180))
    assert len(body) > 10_000
    seen = count_analysed(monkeypatch)
    assess_tone(body, lex)
    assert sum(seen) <= len(body)  # every character handed to the rules at most once
    assert max(seen) <= MAX_SEGMENT
    seen.clear()
    assess_tone(body + " And one more line", lex)
    assert len(seen) == 1  # the unchanged sentences come from the cache
    seen.clear()
    run_on = " ".join(f"w{i:04d}" for i in range(1700))  # one 10,000-character sentence: cut, not re-scanned
    assess_tone(run_on, lex)
    assert sum(seen) <= len(run_on) and len(seen) >= len(run_on) // MAX_SEGMENT


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600))
def test_any_text_is_deterministic(pack, text):
    first = assess_tone(text, pack.tone)
    pack.tone.clear_cache()
    again = assess_tone(text, pack.tone)
    assert first == again
    assert isinstance(first.hostile, bool) and first.score >= 0


WORDS = st.sampled_from(["you", "your", "are", "being", "thanks", "for", "fourth", "email", "slowly", "had",
                         "would", "on", "simply", "close", "the", "case", "again", "and", ".", ",", "?", "!"])


@settings(max_examples=200, deadline=None)
@given(st.lists(WORDS, max_size=30).map(" ".join))
def test_grammar_words_any_order_deterministic(pack, text):
    assert assess_tone(text, pack.tone) == assess_tone(text, pack.tone)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text("abcy ou", min_size=1, max_size=4), min_size=1, max_size=12), st.text("abcy ou", max_size=40))
def test_literal_index_finds_every_pattern_whose_literal_occurs(literals, text):
    needs = [frozenset({w}) for w in literals] + [frozenset()]
    idx = LiteralIndex(needs)
    want = [i for i, n in enumerate(needs) if not n or any(x in text for x in n)]
    assert idx.candidates(text) == want


def test_cli_policy_tone(capsys, monkeypatch):
    import io
    import json

    from deskapp.cli import main

    assert main(["policy", "tone", "Congratulations on missing three appointments in a row."]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "verdict: HOSTILE - the hostile-tone rule would warn"
    assert out[1].startswith("score: ") and "(threshold 2)" in out[1]
    assert out[2] == "answered by: built-in (grammar)"
    assert "  mock gratitude: 'Congratulations on missing'" in out
    assert main(["policy", "tone", "I'm sorry, we can't refund the fee."]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "verdict: ok" and "cues: none" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("That one is on you, not us."))
    assert main(["policy", "tone", "-", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hostile"] and data["cues"] == ["blame"] and data["classifier"] == "built-in"


# Tuning round on v3: each class of construction, in wording that is in no labelled set.
CONSTRUCTIONS = [
    ("What an imaginative interpretation of the tenancy agreement.", "irony"),
    ("I admire your talent for losing every form we post.", "irony"),
    ("Fifth time lucky, perhaps?", "irony"),
    ("Good job working out how to open the envelope.", "mock praise"),
    ("Maybe this is too complicated for you, so I write it again.", "condescension"),
    ("I will keep it basic for you: pay the bill.", "condescension"),
    ("Two readings a year. I am sure you can manage that.", "condescension"),
    ("It is a little rich to blame us for the bill you ran up.", "blame"),
    ("Damp is what happens when the extractor fan is never switched on.", "blame"),
    ("You lost the key, and the consequences are yours to own.", "blame"),
    ("Sensible drivers tend to check the signs before parking.", "blame"),
    ("Should she ring the office again, we will stop considering her transfer.", "threat to withdraw help"),
    ("Post another review like that and the discount simply disappears.", "threat to withdraw help"),
    ("I do not plan to waste any more time on your letters.", "dismissal"),
    ("Frankly, none of that is my concern.", "dismissal"),
    ("Your kitchen is a bomb site and the pests follow.", "insult"),
    ("What the h*** is this supposed to mean?", "profanity"),
    ("Oh ffs, read the letter.", "profanity"),
]


@pytest.mark.parametrize("text, cue", CONSTRUCTIONS)
def test_constructions_from_the_v3_round_are_caught(pack, text, cue):
    r = assess_tone(text, pack.tone)
    assert r.hostile, r
    assert cue in r.cues, r.reasons


@pytest.mark.parametrize("text", [
    "OUTCOME: NOT UPHELD. The Council has checked the account and the charge stands.",
    "URGENT ACTION REQUIRED: please pay by Friday.",
    "Please stop sending me messages at night calling me lazy; I answer between 9 and 5.",
    "If you contact us again about this, please quote your reference. The waiting list gets longer in winter.",
    "Escalate this to head office and they will review whether we got it right.",
    "Maybe if we move the visit to Friday you would be able to attend.",
    "If you call again tomorrow, please quote your reference.",
    "Perfect timing - the parts arrived this morning.",
    "Terms apply** see page 2.",
    "Maybe try turning the boiler off and on again and it would likely reset.",
    "I will keep it basic at first and add detail if you want it.",
    "Thank you for showing me how to do my job better - your feedback helped.",
    "If you write to us again, we can send a large-print copy. I cannot guarantee the repair will be seen this week.",
    "We wrote to j***@example.com; Mr S*** called about the card ending ****1234.",
    "Here is a tip: photograph the meter when you read it.",
    "We are honoured that you have chosen to nominate our carers for the award.",
    "It was a choice you made in good faith, and we respect it.",
    "The damage to your car was nothing short of appalling, and we will pay for the repair.",
    "To put it in the simplest terms, the charge is split across twelve months.",
])
def test_v3_round_hard_negatives_pass(pack, text):
    # the grammar's own hard negatives; what the model makes of them: tests/policy/test_tone_model.py
    r = assess_tone(text, replace(pack.tone, model=False))
    assert not r.hostile, r.reasons


def test_capitals_aimed_at_the_reader_are_still_shouting(pack):
    assert assess_tone("NOTE: YOU NEVER READ THE LETTERS WE SEND.", pack.tone).hostile


# The reader's own word quoted back in a boundary or a note of the call is theirs, not the handler's;
# a swear word inside a name ("collections in Shitterton") is a name. Written for this round (none from v5).
@pytest.mark.parametrize("text", [
    'Please do not call my colleagues "clowns" again; we will keep working on your complaint.',
    "Your message to the caretaker called him 'a lazy idiot'. We ask that you keep to the facts.",
    'Words like "moron" are not acceptable in messages to our staff.',
    "He said the engineer was 'fucking useless' and the call was ended.",
    'In your review you described the warden as "a total disgrace". I have passed it to her manager.',
    "The bus to Shitterton now leaves at 09:10 from stand C.",
    "Our contractor Mr Dick will call on Tuesday to measure the window.",
])
def test_quoted_customer_words_and_names_do_not_flag(pack, text):
    lex = replace(pack.tone, model=False)
    r = assess_tone(text, lex)
    assert not r.hostile, r.reasons


@pytest.mark.parametrize("text", [
    'I would call you "a lazy idiot" if I could.',  # the handler's own word, put in quotes
    "You are a fucking nuisance.",
    "What a Bastard you are.",  # title case, but no name around it
    "Your email called our staff useless. You are the useless one here.",
    'Words like "moron" fit you well, frankly.',
])
def test_quotes_and_capitals_do_not_hide_the_handlers_own_insult(pack, text):
    lex = replace(pack.tone, model=False)
    assert assess_tone(text, lex).hostile, text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab you said called 'words like\" \"again.,")), max_size=120))
def test_blanking_quoted_words_keeps_offsets_and_only_blanks_inside_quotes(text):
    out = tone_mod._unquote(text)
    assert len(out) == len(text)  # the quotes of the original still map one character for one
    assert all(a == b or b == " " for a, b in zip(text, out))


# The v6 and v7 rounds: sincere sentences the cues misread (own wording, not copied from the sets),
# each beside the hostile use of the same words that must still flag. v6: reassurance "you shouldn't
# have lost anything", "tell you clearly", "the good news, such as it is", a quoted word followed by a
# new clause about the reader. v7: a quotation after "your description of ... as", a question about a
# misdeed word, reported behaviour "as if you", "won't speed it up" stated as a fact.
@pytest.mark.parametrize("text", [
    "Everything was backed up overnight, so you shouldn't have lost any of your photos.",
    "You should not have lost anything when the account moved; tell me if something is missing.",
    "I have to tell you clearly that the call will end if that language is used again.",
    "This photo should show you clearly where the stopcock is, under the kitchen sink.",
    "The one bright spot, such as it is, is that the fund pays the fire-watch costs.",
    "In your email you wrote that our wardens are 'vermin' and that you would 'sort them out'.",
    "I have noted your description of our wardens as 'a bunch of lazy idiots'. Please keep to the facts.",
    "Thanks for asking about cancelling the gym membership; here is how the notice period works.",
    "The guard spoke to you as if you had done something wrong, and I am sorry for that.",
    "Writing to every councillor doesn't speed things up; one of us will answer within three days.",
])
def test_review_round_hard_negatives_pass(pack, text):
    lex = replace(pack.tone, model=False)
    r = assess_tone(text, lex)
    assert not r.hostile, r.reasons


@pytest.mark.parametrize("text", [
    "You should have checked the form before sending it.",
    "You clearly have not opened a single letter we sent.",
    "Your explanation, such as it is, does not match the meter photos.",
    'Words like "moron" describe you better than our wardens.',
    "As if you have ever read one of our letters.",
    "Thanks a lot for cancelling the fourth visit we booked for you.",
    "Your description of the flat as 'fine' tells me you are a complete idiot.",
])
def test_review_round_fixes_keep_the_hostile_use(pack, text):
    lex = replace(pack.tone, model=False)
    assert assess_tone(text, lex).hostile, text


# The threat halves are searched one branch at a time, only the branches whose literals the sentence
# holds (speed); the answer must be what the whole alternation finds.
THREAT_WORDS = st.sampled_from(["if", "i", "we", "get", "one", "more", "email", "again", "you", "will", "stop",
                                "helping", "not", "lift", "a", "finger", "and", "your", "case", "closed", "call",
                                "any", "further", "contact", "be", "ignored", "no", "longer", "reply", ".", ","])


def _same_match(a, b):
    return (a is None and b is None) or (a is not None and b is not None and a.span() == b.span())


@settings(max_examples=300, deadline=None)
@given(st.lists(THREAT_WORDS, max_size=25).map(" ".join))
def test_threat_branches_find_what_the_whole_alternation_finds(text):
    from deskapp.policy.tonegrammar import TRIGGER_BRANCHES, WITHDRAW_BRANCHES

    TRIGGER, WITHDRAW = TRIGGER_BRANCHES.whole(), WITHDRAW_BRANCHES.whole()

    lex = ToneLexicon()
    _, _, trig, wd = lex.all_candidates(text)
    assert _same_match(TRIGGER_BRANCHES.search(text, trig), TRIGGER.search(text))
    assert _same_match(WITHDRAW_BRANCHES.search(text, wd), WITHDRAW.search(text))


def test_threat_branches_on_the_issue_example():
    from deskapp.policy.tonegrammar import TRIGGER_BRANCHES, WITHDRAW_BRANCHES

    TRIGGER, WITHDRAW = TRIGGER_BRANCHES.whole(), WITHDRAW_BRANCHES.whole()

    text = "if i get one more email written like this, i will stop working on your complaint altogether."
    _, _, trig, wd = ToneLexicon().all_candidates(text)
    assert trig and wd and len(trig) < len(TRIGGER_BRANCHES.parts) and len(wd) < len(WITHDRAW_BRANCHES.parts)
    assert TRIGGER_BRANCHES.search(text, trig).span() == TRIGGER.search(text).span()
    assert WITHDRAW_BRANCHES.search(text, wd).span() == WITHDRAW.search(text).span()
