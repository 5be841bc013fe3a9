r"""Does an outbound message read as hostile, blaming or sarcastic?

Why not a sentiment lexicon: polarity scorers (VADER, TextBlob) rate a polite
apology ("I'm sorry, we can't refund the fee") as negative, because apologies
and refusals are full of negative words. What makes a handler's message
hostile is how it addresses the reader, so this detector scores cues:

- wording from a phrase list in policies.yaml (`tone.phrases`), which admins
  extend: blame ("you never ..."), impatience ("as I have already explained"),
  sarcasm ("thanks for nothing"), dismissal ("not our problem"), insults;
- structure: a message in capitals, shouted words, repeated "!!"/"??", and
  scare quotes around the reader's words (your "urgent" repair).

Each cue has a weight. Cues at or above the threshold flag the message on their
own; weaker cues (a lone "clearly", one word in capitals) add up, and polite
markers ("sorry", "thank you", "please" - `tone.polite`) cancel some of that
weaker score but never a strong cue, so "Sorry, but you clearly haven't read
it" is still flagged. The result keeps the reasons, quoting the words that
triggered them, so the handler sees what to reword.

When none of these flags a message, the linear model of deskapp.policy.tonemodel
(trained at build time, shipped as tone_model.json; `tone.model` in policies.yaml)
may: ToneResult.detector says which answered ("grammar", "model", or "grammar+model"
when both were asked and neither flagged).

Before matching, text is lower-cased, curly quotes straightened, runs of
spaces collapsed and contractions expanded (don't -> do not, I've -> i have,
it's -> it is), so one phrase covers both spellings.

Phrase syntax (policies.yaml `phrase:`): words separated by spaces, matched as
whole words; `(a|b)` alternatives, `(...)?` an optional part, `*` any one word, `\?` a
literal question mark (a backslash makes any special character literal), `{slot}` a word
class of the cue grammar ({you}, {thanks}, {you_judge}, {comm} ... - see tonegrammar.SLOTS).
`regex:` entries are Python regular expressions over the normalised text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence, Union

from deskapp.policy.literals import LiteralIndex, required_literals
from deskapp.policy.tonegrammar import GUARD, RULES, SLOTS, TRIGGER_BRANCHES, UNGUARDED, WITHDRAW_BRANCHES, GrammarRule

NEGATORS = frozenset({"not", "no", "never", "nothing", "nobody", "none", "hardly"})

# Structural cue weights; policies.yaml `tone.cues` may override them (0 disables one).
DEFAULT_CUES = {
    "shouting": 2.0,  # the whole message in capitals
    "caps_run": 1.5,  # two or more words in capitals together ("YOU were NOT")
    "caps_word": 1.0,  # one emphatic word in capitals ("I said NO")
    "repeated_punctuation": 1.5,  # "!!", "??", "?!"
    "scare_quotes": 1.5,  # quotes around one to three of the reader's words
    "rhetorical_question": 2.0,  # a question at the reader that is not a request ("Do you expect us to ...?")
    "you_know_tag": 2.0,  # a sentence ending ", you know."
    # Families of the cue grammar (deskapp.policy.tonegrammar): the weight of a sure hit;
    # weaker rules of a family count a fraction of it.
    "sarcasm": 2.0,  # mock gratitude and praise pointed at a failure
    "condescension": 2.0,  # explaining "slowly", "simple enough for you", "as any adult would know"
    "blame": 2.0,  # "had you ... would", "that is on you", the reader judged by their habits
    "threat": 2.0,  # a condition on the reader's behaviour, then help withdrawn or slowed
    "dismissal": 2.0,  # "neither the time nor the patience", "noted and ignored"
    "insult": 2.0,  # "you are being impossible", "your email was rubbish"
    "profanity": 2.0,  # swearing
}

# Words in capitals that are names, not shouting. Short capitalised words not in
# EMPHASIS are treated as acronyms too (GP, FOS, ID).
ACRONYMS = frozenset(
    """FCA DISP FOS GDPR NHS PIN ID UK GB ENG EU USA OK PDF VAT IBAN BACS CHAPS DWP HMRC ICO TV PC IT HR CEO MP
    CCTV URL ETA AM PM FAQ SMS MOT DBS SEN SENCO ASAP RSVP PS NB BST GMT CV GP DIY LED BBC ITV COVID ADHD
    OFSTED OFGEM OFWAT IMPORTANT NOTE URGENT REMINDER UPDATE ACTION REQUIRED RE FW FWD CC BCC""".split()
)
EMPHASIS = frozenset(
    """NOT NO NEVER YOU YOUR YOURS WAS WERE IS ARE DID DO DOES DONT HAVE HAS HAD ALREADY AGAIN ONLY ALL EVERY
    NOW STOP READ MUST WILL CAN CANT WHY WHAT THE AND THIS THAT END OF SENT TOLD ME WE US OUR ANY AT""".split()
)

_CAPS_WORD = re.compile(r"(?<![\w'])[A-Z][A-Z']*[A-Z](?![\w'])")  # two or more capitals
# A heading such as "OUTCOME: PARTLY UPHELD." at the start of a line labels the letter; it is not shouting
# (unless it is aimed at the reader: "NOTE: YOU ARE WRONG").
_HEADING = re.compile(r"(?m)^[ \t]*[A-Z][A-Z ]{1,30}:(?:[ \t]+(?!(?:YOU|YOUR)\b)[A-Z][A-Z' ]{0,40}?)?(?=[.:\n]|$|[ \t]+[A-Z][a-z])")
_LETTER = re.compile(r"[^\W\d_]")
_UPPER = re.compile(r"[A-Z\u00c0-\u00de]")
_REPEATED_PUNCT = re.compile(r"[!?]{2,}")
_SCARE = re.compile(
    r"\b(?i:your|this|that|these|those|their|his|her|so-called|such|the)\s+([\"'])([a-z][a-z\- ]{0,30}?)\1"
)

_SENTENCE = re.compile(r"[^.!?]*[.!?]+|[^.!?]+$")
_YOU = re.compile(r"\byou(r|rs|rself)?\b")
# How a real request or check starts; such questions are never rhetorical.
_REQUEST_START = re.compile(
    r"^(please |sorry,? |so |and |but |also,? |just )*("
    r"could|would|can|will|may|might|shall we|if|when|what time|which|where|how (would|can|do|does|long|much|many|are|is)|"
    r"is there|is it|are there|are you (able|free|available|happy|ok|okay|still|sure|aware)|"
    r"do you (want|need|have|prefer|mind|know (if|whether|when|what|where|who|how)|still|remember)|"
    r"do you think (you|we|they|it) (could|can|might|would)|"
    r"have you (had|got|received|been able|managed|heard|seen)|did you (receive|get|manage|see|hear|want)|"
    r"who (should|can|would|do) (i|we)|what (would|do) you (like|prefer|need|suggest)|"
    r"what is the best|what are your|does (that|this|the|tuesday|monday|wednesday|thursday|friday)"
    r")\b"
)
_RHETORICAL_MARK = re.compile(
    r"\b(actually|really|seriously|honestly|even|ever|expect|expecting|expected|imagine|supposed|"
    r"nobody|no one|whose fault|who is fault|think that is|draw you|teach you|read your mind)\b"
)
_YOU_KNOW_TAG = re.compile(r",\s*you know\s*[.!?]*\s*$")

_CHAR_MAP = {
    "\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u00a0": " ",
}
_TRANSLATE = str.maketrans(_CHAR_MAP)
_SPECIAL = re.compile("[" + re.escape("".join(_CHAR_MAP)) + "]")
_EXPAND = re.compile(
    r"(?P<ws>\s{2,}|[^\S ])"
    r"|(?P<cant>\bcan't\b|\bcannot\b)"
    r"|(?P<wont>\bwon't\b)"
    r"|(?P<shant>\bshan't\b)"
    r"|(?P<nt>n't\b)"
    r"|(?P<aux>'(?:ve|re|ll|m|d)\b)"
    r"|(?P<is>\b(?:it|that|what|there|here|he|she|who|where|how|everything|nothing)'s\b)"
    r"|(?P<lets>\blet's\b)"
)
_AUX = {"'ve": " have", "'re": " are", "'ll": " will", "'m": " am", "'d": " would"}


@dataclass(frozen=True)
class Normalised:
    """Matching text plus a map back to the original, to quote what triggered a cue.

    `spans` are (start in text, start in original, length in text, length in original)
    for consecutive pieces; pieces of equal length map character by character.
    """

    text: str
    original: str
    spans: tuple[tuple[int, int, int, int], ...]

    def _piece(self, i: int) -> tuple[int, int, int, int]:
        k = bisect_right(self._starts, i) - 1
        return self.spans[max(0, k)]

    @property
    def _starts(self) -> list[int]:
        cached = self.__dict__.get("_starts_cache")
        if cached is None:
            cached = [sp[0] for sp in self.spans]
            object.__setattr__(self, "_starts_cache", cached)
        return cached

    def to_original(self, a: int, b: int) -> tuple[int, int]:
        """Original [start, end) of text[a:b]."""
        n0, o0, nl, ol = self._piece(a)
        start = o0 + (a - n0) if nl == ol else o0
        n1, p0, ml, pl = self._piece(b - 1)
        end = p0 + (b - 1 - n1) + 1 if ml == pl else p0 + pl
        return start, end

    def quote(self, a: int, b: int) -> str:
        if a >= b or not self.spans:
            return ""
        start, end = self.to_original(a, b)
        return self.original[start:end].strip()


def straighten(text: str) -> str:
    """Curly quotes, dashes and no-break spaces to plain ASCII, one character for one."""
    return text.translate(_TRANSLATE) if _SPECIAL.search(text) else text


@lru_cache(maxsize=4096)
def normalise(text: str) -> Normalised:
    """Lower-case, straighten quotes, collapse spaces and expand contractions; keep an offset map.

    Remembered per text: the cues and the model's features read the same sentence.
    """
    s1 = straighten(text)
    low = s1.lower()
    if len(low) != len(s1):  # a few characters lower-case to two: do them one by one
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in s1)
    out: list[str] = []
    spans: list[tuple[int, int, int, int]] = []
    pos = npos = 0
    for m in _EXPAND.finditer(low):
        a, b = m.span()
        if a > pos:
            out.append(low[pos:a])
            spans.append((npos, pos, a - pos, a - pos))
            npos += a - pos
        kind = m.lastgroup
        word = m.group()
        if kind == "ws":
            rep = " "
        elif kind == "cant":
            rep = "can not"
        elif kind == "wont":
            rep = "will not"
        elif kind == "shant":
            rep = "shall not"
        elif kind == "nt":
            rep = " not"
        elif kind == "aux":
            rep = _AUX[word]
        elif kind == "is":
            rep = word[:-2] + " is"
        else:
            rep = "let us"
        out.append(rep)
        spans.append((npos, a, len(rep), b - a))
        npos += len(rep)
        pos = b
    if pos < len(low):
        out.append(low[pos:])
        spans.append((npos, pos, len(low) - pos, len(low) - pos))
    return Normalised("".join(out), text, tuple(spans))


class PhraseSyntaxError(ValueError):
    """A phrase in the tone list cannot be understood; `column` is 1-based within the phrase."""

    def __init__(self, message: str, column: int = 1):
        super().__init__(message)
        self.column = column


def phrase_to_regex(phrase: str) -> str:
    """Translate the phrase syntax (words, (a|b), (..)?, *) into a regular expression."""
    norm = normalise(phrase.strip()).text
    if not norm:
        raise PhraseSyntaxError("empty phrase")
    parts: list[str] = []
    depth = 0
    i = 0
    while i < len(norm):
        c = norm[i]
        if c == "\\" and i + 1 < len(norm):
            i += 1
            parts.append(re.escape(norm[i]))
        elif c == "(":
            depth += 1
            parts.append("(?:")
        elif c == ")":
            depth -= 1
            if depth < 0:
                raise PhraseSyntaxError("')' without a matching '('", i + 1)
            parts.append(")")
        elif c == "|":
            if depth == 0:
                raise PhraseSyntaxError("'|' is only allowed inside ( )", i + 1)
            parts.append("|")
        elif c == "?":
            if i == 0 or norm[i - 1] != ")":
                raise PhraseSyntaxError("'?' may only follow a ( ) group", i + 1)
            parts.append("?")
        elif c == "*":
            parts.append(r"[\w'\-]+")
        elif c == "{":
            end = norm.find("}", i)
            name = norm[i + 1 : end] if end > i else ""
            if name not in SLOTS:
                known = ", ".join(sorted(SLOTS))
                raise PhraseSyntaxError(f"unknown slot {{{name}}} (slots: {known})" if end > i
                                        else "'{' without a matching '}'", i + 1)
            parts.append("(?:" + SLOTS[name] + ")")
            i = end
        elif c == " ":
            # An optional group followed by a space: "(have )?already" - the space lives in the group.
            parts.append(" ")
        else:
            parts.append(re.escape(c))
        i += 1
    if depth != 0:
        raise PhraseSyntaxError("'(' without a matching ')'", len(norm))
    body = "".join(parts)
    return r"(?<![\w])" + body + r"(?![\w])"


@dataclass(frozen=True)
class TonePhrase:
    """One entry of the phrase list: what to look for, how much it counts, and why it reads badly."""

    source: str  # the phrase or regex as written
    pattern: re.Pattern
    weight: float = 2.0
    why: str = "hostile wording"
    negatable: bool = False  # ignore when "not"/"no"/"never" comes just before ("not your fault")
    needs: Optional[frozenset[str]] = None  # a match must contain one of these (None = always search)

    def __post_init__(self) -> None:
        if self.needs is None:
            object.__setattr__(self, "needs", required_literals(self.pattern.pattern) or frozenset())

    def search(self, text: str):
        """Matches in normalised text, skipping the regex when a required literal is absent."""
        if self.needs and not any(x in text for x in self.needs):
            return ()
        return self.pattern.finditer(text)

    @classmethod
    def from_phrase(cls, phrase: str, weight: float = 2.0, why: str = "hostile wording", negatable: bool = False) -> "TonePhrase":
        return cls(phrase, re.compile(phrase_to_regex(phrase)), float(weight), why, negatable)

    @classmethod
    def from_regex(cls, regex: str, weight: float = 2.0, why: str = "hostile wording", negatable: bool = False) -> "TonePhrase":
        return cls(regex, re.compile(regex, re.IGNORECASE), float(weight), why, negatable)


@dataclass(frozen=True)
class ToneLexicon:
    """The phrase list, polite markers, cue weights and threshold: everything assess_tone needs."""

    phrases: tuple[TonePhrase, ...] = ()
    polite: tuple[TonePhrase, ...] = ()
    threshold: float = 2.0
    polite_credit: float = 0.5  # score removed per distinct polite marker ...
    polite_max: float = 1.0  # ... up to this much, and only from cues below the threshold
    cues: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CUES))
    grammar: tuple[GrammarRule, ...] = RULES
    classifier: Optional[Any] = None  # a toneplugin.ToneClassifier named by the published pack, or None
    model: bool = True  # ask the shipped linear model (tonemodel.py) when the cues do not flag a message
    model_threshold: Optional[float] = None  # probability at which the model flags; None = the shipped one

    def __post_init__(self) -> None:
        object.__setattr__(self, "cues", {**DEFAULT_CUES, **self.cues})
        object.__setattr__(self, "_cache", {})
        object.__setattr__(self, "_index", None)  # built on the first check: see _literal_index

    def _literal_index(self) -> LiteralIndex:
        """One literal scan picks the phrases, the grammar rules and the threat halves' branches that
        could match a sentence. Built on first use, not with the lexicon: its trie regex takes ~0.1 s
        to compile, and the desk loads its pack at start-up but checks tone only when a form asks
        (in the form's background check). Two threads racing here build equal indexes; one is kept."""
        index = self._index  # type: ignore[attr-defined]
        if index is None:
            index = LiteralIndex([p.needs or frozenset() for p in self.phrases] + [r.needs for r in self.grammar]
                                 + list(TRIGGER_BRANCHES.needs) + list(WITHDRAW_BRANCHES.needs))
            object.__setattr__(self, "_index", index)
        return index

    def clear_cache(self) -> None:
        """Forget the per-sentence results, the model's too (benchmarks measure the cold path with it)."""
        self._cache.clear()  # type: ignore[attr-defined]
        normalise.cache_clear()
        clear = _MODEL_HOOKS.get("clear")
        if clear is not None:
            clear()

    def candidates(self, text: str) -> list["TonePhrase"]:
        """The phrases that could match `text` (normalised), in list order."""
        return self.both_candidates(text)[0]

    def grammar_candidates(self, text: str) -> list[tuple[int, GrammarRule]]:
        """(index, rule) of the grammar rules that could match `text` (normalised), in order."""
        return self.both_candidates(text)[1]

    def both_candidates(self, text: str) -> tuple[list["TonePhrase"], list[tuple[int, GrammarRule]]]:
        """Phrases and grammar rules that could match `text`, from one literal scan."""
        return self.all_candidates(text)[:2]

    def all_candidates(self, text: str) -> tuple[list["TonePhrase"], list[tuple[int, GrammarRule]], list[int], list[int]]:
        """Phrases, grammar rules, and the TRIGGER and WITHDRAW branches that could match `text`."""
        n, g, t = len(self.phrases), len(self.grammar), len(TRIGGER_BRANCHES.sources)
        phrases, rules, trigger, withdraw = [], [], [], []
        for i in self._literal_index().candidates(text):
            if i < n:
                phrases.append(self.phrases[i])
            elif i < n + g:
                rules.append((i - n, self.grammar[i - n]))
            elif i < n + g + t:
                trigger.append(i - n - g)
            else:
                withdraw.append(i - n - g - t)
        return phrases, rules, trigger, withdraw

    @classmethod
    def from_entries(cls, phrases: Iterable[Union[str, TonePhrase]] = (), polite: Iterable[Union[str, TonePhrase]] = (), **kw) -> "ToneLexicon":
        """Build a lexicon from plain phrase strings (weight 2) or ready TonePhrase objects."""
        def conv(items, weight):
            return tuple(p if isinstance(p, TonePhrase) else TonePhrase.from_phrase(p, weight) for p in items)
        return cls(phrases=conv(phrases, 2.0), polite=conv(polite, 0.0), **kw)


@dataclass(frozen=True)
class ToneResult:
    """hostile: flag it; score: total weight after politeness; reasons: what to reword, quoted."""

    hostile: bool
    score: float
    reasons: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()
    polite_markers: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()  # the names of the cues found ("mock gratitude", "blame" ...)
    classifier: str = "built-in"  # who answered: "built-in", a plug-in's name, or the fallback note
    detector: str = "grammar"  # which built-in detector answered: "grammar" (cues), "model", or "grammar+model" (both asked, neither flagged)
    probability: Optional[float] = None  # the model's probability, when it was asked

    def as_dict(self) -> dict:
        return {
            "hostile": self.hostile,
            "score": round(self.score, 2),
            "reasons": list(self.reasons),
            "quotes": list(self.quotes),
            "summary": "; ".join(self.reasons) + ("" if self.classifier == "built-in" else f" (tone: {self.classifier})"),
            "first_quote": self.quotes[0] if self.quotes else "",
            "cues": list(self.cues),
            "classifier": self.classifier,
            "detector": self.detector,
            "model_probability": None if self.probability is None else round(self.probability, 3),
        }


NOT_HOSTILE = ToneResult(False, 0.0)


# A word the reader called the handler, quoted back in a boundary ("calling me useless") is reported, not said.
_REPORTED = re.compile(r"\b(?:call(?:s|ed|ing)?|label(?:s|led|ling)?|brand(?:s|ed|ing)?) (?:me|us|my (?:colleagues?|staff|team)|our (?:staff|team|colleagues?))(?: (?:a|an|so|such a))? $")


def _reported(norm: str, start: int) -> bool:
    return _REPORTED.search(norm[max(0, start - 40) : start]) is not None


# The reader's own words quoted back: a boundary or a note of what was said ('Your email called her
# "incompetent"', 'Please don't call our staff "useless" again', 'words like "idiot" are not acceptable').
# A cue whose match lies wholly inside such a quotation is the customer's word, not the handler's.
_QUOTED = re.compile(r"(?<![\w])([\"'])([^\"'\n]{1,80}?)\1(?![\w])")
_QUOTE_FRAME = re.compile(
    r"\b(?:said|say|says|saying|call(?:s|ed|ing)?|describ(?:e|es|ed|ing)|wrote|write|writes|writing|word|words|"
    r"language|phrases?|terms?|refer(?:s|red|ring)? to|label(?:s|led|ling)?|told|tell|us(?:e|es|ed|ing)|descriptions?|"
    r"posted|shouted|swore|yelled|screamed|comments?|remarks?|names?|such as|like)\b")
_QUOTE_AFTER = re.compile(r"^[\s,]*(?:(?:is|are|was|were) (?:not|never)|again\b|on the (?:call|phone)|"
                          r"in (?:your|the|his|her|their) (?:e-?mail|message|letter|call|post|review))")


# 'words like "moron" fit you': the quoted word pinned on the reader - not a new clause about them
# ('you wrote that our staff are "parasites" and that you would ...').
_AIMED_AFTER = re.compile(r"(?:\s+(?!(?:and|but|or|that|when|if|because|so|which|then|while|as)\b)[a-z']+){0,2}\s+"
                          r"(?:you|your|yourself)\b")


_NAMING = re.compile(r"call|label|describ|refer|name|brand|like|such")
_SELF_SAYS = re.compile(r"\b(?:i|we)(?: (?:have|had|would|will|already|just|did|do|once|also|clearly))* $")


def _framed_by_other(before: str, frame: re.Match) -> bool:
    """The quotation after `frame` is another's words: not the handler naming the reader ("call you 'a
    liar'", "words like 'moron' ... you") nor quoting themselves ("as I said, 'read the letter'")."""
    if _SELF_SAYS.search(before[: frame.start()]):
        return False
    rest = before[frame.end():]
    return not (_NAMING.match(frame.group()) and re.match(r"\s*(?:you|yourself)\b", rest))


def _unquote(norm: str) -> str:
    """`norm` with the inside of each quotation framed as someone else's words blanked (same length).

    Framed: a word of saying or naming in the 60 characters before it, with no "you" after that word
    ("called the engineer 'a useless idiot'", not "I would call you 'a liar'"), or "is not acceptable",
    "again", "in your email" just after it. The handler's own words around the quotation still count.
    """
    if '"' not in norm and "'" not in norm:
        return norm
    out = norm
    for q in _QUOTED.finditer(norm):
        before = norm[max(0, q.start() - 60) : q.start()]
        frames = list(_QUOTE_FRAME.finditer(before))
        if _AIMED_AFTER.match(norm, q.end()):
            continue  # 'words like "moron" fit you': the quoted word pinned on the reader
        if ((frames and _framed_by_other(before, frames[-1]))
                or _QUOTE_AFTER.match(norm, q.end()) is not None):
            a, b = q.span(2)
            out = out[:a] + " " * (b - a) + out[b:]
    return out


_NAME_BEFORE = re.compile(r"(?:\b(?:mr|mrs|ms|miss|dr|in|at|from|to|near|of|via|around|outside|inside))\s+$", re.I)
_TITLE_WORD = re.compile(r"\s+[A-Z][a-z]")


def _a_name(seg: str, norm: Normalised, a: int, b: int) -> bool:
    """A word in title case mid-sentence after a title or a place preposition, or before another
    title-case word, is a name: "collections in Shitterton", "Mr Dick", "Cockermouth Road"."""
    start, end = norm.to_original(a, b)
    while end < len(seg) and seg[end].isalpha():
        end += 1
    word = seg[start:end]
    before = seg[:start]
    if not (len(word) > 1 and word.isalpha() and word[0].isupper() and word[1:].islower()):
        return False
    if not before.strip() or before.rstrip()[-1] in ".!?:;":
        return False  # the first word of a sentence is capitalised anyway
    return _NAME_BEFORE.search(before) is not None or _TITLE_WORD.match(seg, end) is not None


def _negated(norm: str, start: int) -> bool:
    before = norm[max(0, start - 40) : start].split()[-4:]  # "none of this was your fault"
    return any(w.strip(",.;:!?") in NEGATORS for w in before)


def _caps_cues(text: str, cues: dict[str, float]) -> list[tuple[float, str, str]]:
    """Shouting: a message mostly in capitals, runs of capitalised words, single emphatic ones."""
    caps = list(_CAPS_WORD.finditer(text))
    if not caps:
        return []
    found: list[tuple[float, str, str]] = []
    heads = [h.span() for h in _HEADING.finditer(text)]
    body = "".join(text[a:b] for a, b in zip([0] + [e for _, e in heads], [s for s, _ in heads] + [len(text)]))
    letters = len(_LETTER.findall(body))
    if letters >= 12 and cues.get("shouting", 0) > 0:
        upper = len(_UPPER.findall(body))
        if upper / letters >= 0.6:
            snippet = text.strip()
            return [(cues["shouting"], "written in capitals", snippet[:40] + ("..." if len(snippet) > 40 else ""))]

    def shouted(w: str) -> bool:
        bare = w.replace("'", "")
        if bare in EMPHASIS:
            return True
        return not (bare in ACRONYMS or len(bare) <= 4)

    runs: list[list[re.Match]] = []
    for m in caps:
        if any(a <= m.start() < b for a, b in heads):
            continue
        if runs and text[runs[-1][-1].end() : m.start()].strip(" ,") == "":
            runs[-1].append(m)
        else:
            runs.append([m])
    single_total = 0.0
    for run in runs:
        if not any(shouted(m.group()) for m in run):
            continue
        quote = text[run[0].start() : run[-1].end()]
        if len(run) >= 2 and cues.get("caps_run", 0) > 0:
            found.append((cues["caps_run"], "shouting in capitals", quote))
        elif cues.get("caps_word", 0) > 0 and single_total < 2.0:
            single_total += cues["caps_word"]
            found.append((cues["caps_word"], "a word in capitals", quote))
    return found


MAX_SEGMENT = 300  # characters: longer run-on sentences are cut at a space, so every rule sees bounded text
_BREAK = re.compile(r"[.!?]+[\"'\u2019\u201d)\]]*|\n")
_LEAD = re.compile(r"^[\s\-*\u2022>\"'\u2018\u201c(]+")
_CACHE_MAX = 4096  # segments remembered per lexicon: typing re-reads only the sentence that changed
_DISCOURSE = re.compile(r"^(?:(?:honestly|frankly|quite frankly|look|listen|right|seriously|well|so|ok|okay|"
                        r"to be honest|to be frank|to be blunt|i mean|anyway|again|sorry but|with respect),? )+")


def segments(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence or line of `text`; none longer than MAX_SEGMENT characters.

    Why: the live panel re-checks the draft on every keystroke. Cutting it into
    bounded pieces keeps each rule's work linear in the length, and lets
    unchanged sentences be answered from the lexicon's cache.
    """
    pos = 0
    for m in _BREAK.finditer(text):
        yield from _bounded(text, pos, m.end())
        pos = m.end()
    if pos < len(text):
        yield from _bounded(text, pos, len(text))


def _bounded(text: str, a: int, b: int) -> Iterator[tuple[int, int]]:
    while b - a > MAX_SEGMENT:
        cut = text.rfind(" ", a + MAX_SEGMENT // 2, a + MAX_SEGMENT)
        cut = cut if cut > a else a + MAX_SEGMENT
        yield a, cut
        a = cut
    if text[a:b].strip():
        yield a, b


@dataclass(frozen=True)
class SegmentCues:
    """What one sentence contributes: keyed hits (key, weight, why, quote), polite markers, threat halves."""

    hits: tuple[tuple[str, float, str, str], ...] = ()
    polite: tuple[tuple[int, str], ...] = ()
    trigger: str = ""
    withdraw: str = ""
    same: str = ""  # trigger ... withdraw quoted together when both are in this sentence


_EMPTY_SEGMENT = SegmentCues()


_NAME_FAMILIES = frozenset({"profanity", "insult"})  # a swear word inside a name ("Shitterton") is a name


def _short(q: str, width: int = 80) -> str:
    q = " ".join(q.split())
    return q if len(q) <= width else q[: width - 3].rstrip() + "..."


def _analyse_segment(seg: str, lex: "ToneLexicon") -> SegmentCues:
    """All per-sentence cues of one sentence (pure; cached per lexicon by assess_tone)."""
    m = _LEAD.match(seg)
    if m:
        seg = seg[m.end():]
    if not seg.strip():
        return _EMPTY_SEGMENT
    norm = normalise(seg.strip())  # the same as normalising seg and re-normalising it stripped, once
    text = norm.text
    hits: list[tuple[str, float, str, str]] = []
    cues = lex.cues
    plain = _unquote(text)  # the customer's words quoted back are not the handler's
    phrase_candidates, rule_candidates, trigger_branches, withdraw_branches = lex.all_candidates(plain)
    for p in phrase_candidates:
        for pm in p.pattern.finditer(plain):
            if (p.negatable and _negated(text, pm.start())) or _reported(text, pm.start()):
                continue
            hits.append(("p:" + p.source, p.weight, p.why, _short(norm.quote(*pm.span()))))
            break
    guarded = None  # searched only when a guarded rule could match
    lead = _DISCOURSE.match(plain)
    k = lead.end() if lead else 0  # "Honestly, one more rant and ..." reads as "one more rant and ..."
    core = plain[k:]
    for i, rule in rule_candidates:
        weight = cues.get(rule.family, 0.0) * rule.strength
        if weight <= 0:
            continue
        if rule.family not in UNGUARDED:
            if guarded is None:
                guarded = GUARD.search(text) is not None
            if guarded:
                continue
        gm, at = (rule.pattern.search(core), k) if k else (None, 0)
        if gm is None:
            gm, at = rule.pattern.search(plain), 0
        if gm:
            a, b = gm.start() + at, gm.end() + at
            if rule.family in _NAME_FAMILIES and _a_name(norm.original, norm, a, b):
                continue
            hits.append((f"g:{i}", weight, rule.label, _short(norm.quote(a, b))))
    if text.endswith("?") or "you know" in text:
        if cues.get("you_know_tag", 0) > 0 and _YOU_KNOW_TAG.search(text):
            hits.append(("you_know_tag", cues["you_know_tag"], "lecturing", _short(norm.quote(0, len(text)))))
        elif (cues.get("rhetorical_question", 0) > 0 and text.endswith("?")
              and (_YOU.search(text) or text.startswith(("should i", "shall i")))
              and not _REQUEST_START.search(text) and _RHETORICAL_MARK.search(text)):
            hits.append(("rhetorical_question", cues["rhetorical_question"], "rhetorical question",
                         _short(norm.quote(0, len(text)))))
    polite = []
    for i, p in enumerate(lex.polite):
        pm = next(iter(p.search(text)), None)
        if pm:
            polite.append((i, norm.quote(*pm.span())))
    trigger = withdraw = same = ""
    if cues.get("threat", 0) > 0:
        tm = wm = None
        if trigger_branches:
            tm = (TRIGGER_BRANCHES.search(core, trigger_branches)
                  or (TRIGGER_BRANCHES.search(plain, trigger_branches) if k else None))
        tk = k if tm is not None and tm.string is core else 0
        if withdraw_branches:
            wm = WITHDRAW_BRANCHES.search(plain, withdraw_branches)
        trigger = _short(norm.quote(tm.start() + tk, tm.end() + tk), 50) if tm else ""
        withdraw = _short(norm.quote(*wm.span()), 50) if wm else ""
        if tm and wm:  # both halves in one sentence, in either order
            same = _short(norm.quote(min(tm.start() + tk, wm.start()), max(tm.end() + tk, wm.end())))
    return SegmentCues(tuple(hits), tuple(polite), trigger, withdraw, same)


def _segment_cues(seg: str, lex: "ToneLexicon") -> SegmentCues:
    cache = lex._cache  # type: ignore[attr-defined]
    found = cache.get(seg)
    if found is None:
        found = _analyse_segment(seg, lex)
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[seg] = found
    return found


def assess_tone(text: str, phrases: Union[ToneLexicon, Sequence[Union[str, TonePhrase]], None] = None,
                channel: Optional[str] = None) -> ToneResult:
    """Score one outbound message. `phrases` is the pack's ToneLexicon (or a list of phrases).

    `channel` (email, sms, letter ...) is accepted for plug-in classifiers; the
    built-in detector reads every channel the same way.
    """
    if not text or not text.strip():
        return NOT_HOSTILE
    if isinstance(phrases, ToneLexicon):
        lex = phrases
    elif phrases:
        lex = ToneLexicon.from_entries(phrases)
    else:
        lex = _DEFAULT_LEXICON
    hits: list[tuple[float, str, str]] = []  # (weight, why, quote)
    seen: set[str] = set()
    polite: dict[int, str] = {}
    previous = _EMPTY_SEGMENT
    threat_seen = False
    for a, b in segments(text):
        sc = _segment_cues(text[a:b], lex)
        for key, weight, why, quote in sc.hits:
            if key not in seen:
                seen.add(key)
                hits.append((weight, why, quote))
        for i, q in sc.polite:
            polite.setdefault(i, q)
        if not threat_seen and (sc.same or (previous.trigger and sc.withdraw)):
            threat_seen = True
            quote = sc.same or f"{previous.trigger} ... {sc.withdraw}"
            hits.append((lex.cues["threat"], "threat to withdraw help", quote))
        previous = sc
    straight = straighten(text)
    hits.extend(_caps_cues(straight, lex.cues))
    punct = _REPEATED_PUNCT.findall(straight)
    if punct and lex.cues.get("repeated_punctuation", 0) > 0:
        # More than one burst, or "?!" exasperation, counts extra.
        mixed = any("?" in p and "!" in p for p in punct)
        weight = lex.cues["repeated_punctuation"] + 0.5 * min(2, len(punct) - 1 + mixed)
        hits.append((weight, "repeated punctuation", punct[0]))
    if lex.cues.get("scare_quotes", 0) > 0:
        for m in _SCARE.finditer(straight):
            inner = m.group(2)
            if len(inner.split()) <= 3 and inner.strip() and inner == inner.lower():
                hits.append((lex.cues["scare_quotes"] + (0.5 if m.group(0).lower().startswith("your") else 0.0),
                             "scare quotes", m.group(0)))
                break
    if not hits:
        return _ask_model(text, lex, NOT_HOSTILE)
    polite_quotes = tuple(polite[i] for i in sorted(polite))
    credit = min(lex.polite_max, lex.polite_credit * len(polite_quotes))
    hard = sum(w for w, _, _ in hits if w >= lex.threshold)
    soft = sum(w for w, _, _ in hits if w < lex.threshold)
    score = hard + max(0.0, soft - credit)
    hostile = score >= lex.threshold
    hits.sort(key=lambda h: -h[0])
    shown: list[tuple[float, str, str]] = []
    for h in hits:  # a cue quoting words another cue already quotes adds score, not another line
        if not (h[2] and any(h[2].lower() in q.lower() or q.lower() in h[2].lower() for _, _, q in shown if q)):
            shown.append(h)
    reasons = tuple(f"{why}: '{q}'" if q else why for _, why, q in shown)
    quotes = tuple(q for _, _, q in shown if q)
    cues = tuple(dict.fromkeys(why for _, why, _ in hits))
    result = ToneResult(hostile, round(score, 3), reasons, quotes, polite_quotes, cues)
    return result if hostile else _ask_model(text, lex, result)


MODEL_CUE = "contempt (model)"

# The linear model (deskapp.policy.tonemodel) is built on this module, so it registers itself here
# rather than being imported by it: modules import one way (tests/test_no_cycles.py). The package's
# __init__ imports tonemodel, so any use of deskapp.policy has it registered.
_MODEL_HOOKS: dict[str, Callable[..., Any]] = {}


def register_model(shipped: Callable[[], Any], clear: Callable[[], None]) -> None:
    """Called once by deskapp.policy.tonemodel: how to get the shipped model, and how to forget its caches."""
    _MODEL_HOOKS["shipped"] = shipped
    _MODEL_HOOKS["clear"] = clear


def _ask_model(text: str, lex: ToneLexicon, result: ToneResult) -> ToneResult:
    """When the cues do not flag a message, the linear model may: it reads wording no rule lists.

    The warning quotes the sentence that scored highest and the n-grams that weighed most in it.
    """
    if not lex.model:
        return result
    shipped = _MODEL_HOOKS.get("shipped")
    model = shipped() if shipped is not None else None
    if model is None:
        return result
    flagged, p, sentence, top = model.judge(text, lex, lex.model_threshold)
    if not flagged:
        return replace(result, detector="grammar+model", probability=p)
    quote = _short(sentence, 120)
    why = f"{MODEL_CUE}: '{quote}'" + (f" (weighed most: {', '.join(top)})" if top else "")
    return replace(result, hostile=True, reasons=(why,) + result.reasons, quotes=(quote,) + result.quotes,
                   cues=(MODEL_CUE,) + result.cues, detector="model", probability=p)


_DEFAULT_LEXICON = ToneLexicon()


__all__ = [
    "ToneLexicon",
    "TonePhrase",
    "ToneResult",
    "PhraseSyntaxError",
    "assess_tone",
    "normalise",
    "phrase_to_regex",
    "segments",
    "DEFAULT_CUES",
]
