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

Before matching, text is lower-cased, curly quotes straightened, runs of
spaces collapsed and contractions expanded (don't -> do not, I've -> i have,
it's -> it is), so one phrase covers both spellings.

Phrase syntax (policies.yaml `phrase:`): words separated by spaces, matched as
whole words; `(a|b)` alternatives, `(...)?` an optional part, `*` any one word, `\?` a
literal question mark (a backslash makes any special character literal).
`regex:` entries are Python regular expressions over the normalised text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence, Union

NEGATORS = frozenset({"not", "no", "never", "nothing", "nobody", "hardly"})

# Structural cue weights; policies.yaml `tone.cues` may override them (0 disables one).
DEFAULT_CUES = {
    "shouting": 2.0,  # the whole message in capitals
    "caps_run": 1.5,  # two or more words in capitals together ("YOU were NOT")
    "caps_word": 1.0,  # one emphatic word in capitals ("I said NO")
    "repeated_punctuation": 1.5,  # "!!", "??", "?!"
    "scare_quotes": 1.5,  # quotes around one to three of the reader's words
    "rhetorical_question": 2.0,  # a question at the reader that is not a request ("Do you expect us to ...?")
    "you_know_tag": 2.0,  # a sentence ending ", you know."
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


def normalise(text: str) -> Normalised:
    """Lower-case, straighten quotes, collapse spaces and expand contractions; keep an offset map."""
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


def required_literals(pattern: str) -> Optional[frozenset[str]]:
    """Strings of which every match must contain at least one (lower-cased), or None if unknown.

    Why: the phrase list has ~200 patterns and most never match a given message;
    checking `literal in text` first skips their regex search. Worked out from the
    parsed regex, so it is sound: a pattern is only skipped when it cannot match.
    """
    try:
        try:
            from re import _parser as sre_parse  # Python 3.11+
        except ImportError:  # pragma: no cover
            import sre_parse  # type: ignore
        from re import _constants as c  # type: ignore[attr-defined]
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except Exception:
        return None

    def best(options: list[frozenset[str]]) -> Optional[frozenset[str]]:
        if not options:
            return None
        return max(options, key=lambda o: (min(len(x) for x in o), -len(o)))

    def seq(items) -> Optional[frozenset[str]]:
        options: list[frozenset[str]] = []
        run: list[str] = []

        def flush():
            if len(run) >= 2:
                options.append(frozenset({"".join(run)}))
            run.clear()

        for op, av in items:
            if op is c.LITERAL:
                run.append(chr(av).lower())
                continue
            flush()
            sub: Optional[frozenset[str]] = None
            if op is c.SUBPATTERN:
                sub = seq(av[-1])
            elif op is c.BRANCH:
                alts = [seq(branch) for branch in av[1]]
                if alts and all(a for a in alts):
                    sub = frozenset().union(*alts)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
                sub = seq(av[2])
            if sub:
                options.append(sub)
        flush()
        return best(options)

    try:
        found = seq(parsed)
    except Exception:
        return None
    if not found or any(len(x) < 2 for x in found):
        return None
    return found


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

    def __post_init__(self) -> None:
        # literal -> indexes of the phrases that need it; phrases with no literal always run.
        index: dict[str, list[int]] = {}
        always: list[int] = []
        for i, p in enumerate(self.phrases):
            if p.needs:
                for lit in p.needs:
                    index.setdefault(lit, []).append(i)
            else:
                always.append(i)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_always", tuple(always))

    def candidates(self, text: str) -> list["TonePhrase"]:
        """The phrases that could match `text` (normalised), in list order."""
        chosen = set(self._always)  # type: ignore[attr-defined]
        for lit, idx in self._index.items():  # type: ignore[attr-defined]
            if lit in text:
                chosen.update(idx)
        return [self.phrases[i] for i in sorted(chosen)]

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

    def as_dict(self) -> dict:
        return {
            "hostile": self.hostile,
            "score": round(self.score, 2),
            "reasons": list(self.reasons),
            "quotes": list(self.quotes),
            "summary": "; ".join(self.reasons),
            "first_quote": self.quotes[0] if self.quotes else "",
        }


NOT_HOSTILE = ToneResult(False, 0.0)


def _negated(norm: str, start: int) -> bool:
    before = norm[max(0, start - 40) : start].split()[-3:]
    return any(w.strip(",.;:!?") in NEGATORS for w in before)


def _caps_cues(text: str, cues: dict[str, float]) -> list[tuple[float, str, str]]:
    """Shouting: a message mostly in capitals, runs of capitalised words, single emphatic ones."""
    caps = list(_CAPS_WORD.finditer(text))
    if not caps:
        return []
    found: list[tuple[float, str, str]] = []
    letters = len(_LETTER.findall(text))
    if letters >= 12 and cues.get("shouting", 0) > 0:
        upper = len(_UPPER.findall(text))
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


def _sentence_cues(norm: Normalised, cues: dict[str, float]) -> list[tuple[float, str, str]]:
    """Per sentence: rhetorical questions aimed at the reader, and a trailing ", you know"."""
    found: list[tuple[float, str, str]] = []
    for m in _SENTENCE.finditer(norm.text):
        sentence = m.group().strip()
        if not sentence:
            continue
        a = m.start() + (len(m.group()) - len(m.group().lstrip()))
        b = m.end()
        if cues.get("you_know_tag", 0) > 0 and _YOU_KNOW_TAG.search(sentence):
            found.append((cues["you_know_tag"], "lecturing", norm.quote(a, b)))
            continue
        if (
            cues.get("rhetorical_question", 0) > 0
            and sentence.endswith("?")
            and (_YOU.search(sentence) or sentence.startswith(("should i", "shall i")))
            and not _REQUEST_START.search(sentence)
            and _RHETORICAL_MARK.search(sentence)
        ):
            found.append((cues["rhetorical_question"], "rhetorical question", norm.quote(a, b)))
    return found


def assess_tone(text: str, phrases: Union[ToneLexicon, Sequence[Union[str, TonePhrase]], None] = None,
                channel: Optional[str] = None) -> ToneResult:
    """Score one outbound message. `phrases` is the pack's ToneLexicon (or a list of phrases)."""
    if not text or not text.strip():
        return NOT_HOSTILE
    if isinstance(phrases, ToneLexicon):
        lex = phrases
    elif phrases:
        lex = ToneLexicon.from_entries(phrases)
    else:
        lex = ToneLexicon()
    norm = normalise(text)
    hits: list[tuple[float, str, str]] = []  # (weight, why, quote)
    seen: set[str] = set()
    for p in lex.candidates(norm.text):
        for m in p.pattern.finditer(norm.text):
            if p.negatable and _negated(norm.text, m.start()):
                continue
            if p.source in seen:
                break
            seen.add(p.source)
            hits.append((p.weight, p.why, norm.quote(*m.span())))
            break
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
    if ("?" in norm.text or "you know" in norm.text) and (
            lex.cues.get("rhetorical_question", 0) > 0 or lex.cues.get("you_know_tag", 0) > 0):
        hits.extend(_sentence_cues(norm, lex.cues))
    if not hits:
        return NOT_HOSTILE
    polite = []
    for p in lex.polite:
        m = next(iter(p.search(norm.text)), None)
        if m:
            polite.append(norm.quote(*m.span()))
    credit = min(lex.polite_max, lex.polite_credit * len(polite))
    hard = sum(w for w, _, _ in hits if w >= lex.threshold)
    soft = sum(w for w, _, _ in hits if w < lex.threshold)
    score = hard + max(0.0, soft - credit)
    hostile = score >= lex.threshold
    hits.sort(key=lambda h: -h[0])
    reasons = tuple(f'"{q}" ({why})' if q else why for _, why, q in hits)
    quotes = tuple(q for _, _, q in hits if q)
    return ToneResult(hostile, round(score, 3), reasons, quotes, tuple(polite))


__all__ = [
    "ToneLexicon",
    "TonePhrase",
    "ToneResult",
    "PhraseSyntaxError",
    "assess_tone",
    "normalise",
    "phrase_to_regex",
    "DEFAULT_CUES",
]
