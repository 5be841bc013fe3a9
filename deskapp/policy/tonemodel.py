r"""A small linear model beside the tone grammar: what it reads, and how it scores a message.

Why a model at all: the grammar (tonegrammar.py) catches the shapes it has been shown
and held-out sets written blind kept landing at recall 0.34. A logistic regression over
many weak signals - word n-grams, the same n-grams with open word classes in place of
the words ("you are <judge>", "thanks for your <ordinal> <comm>"), the grammar's cue
families even at strengths too weak to flag, and structure (second person, scare
quotes, rhetorical questions, counts like "third time") - adds up evidence no single
rule holds. It is trained at build time (bench/tone_train.py, deterministic) on every
labelled set in the repository and shipped as deskapp/policy/tone_model.json; nothing
is downloaded or learned at run time.

Scoring (ToneModel.judge, decide): the whole message flags at the threshold; each
sentence with the one before it (sentences as tone.segments cuts them), and each sentence
of a longer message read alone at ALONE_THRESHOLD (a friendly sentence before it would
dilute a hostile line), flag at a bar raised with the length of the letter (LENGTH_PENALTY:
a long letter offers many chances of one stray high score). A long polite letter with one
hostile sentence is judged by that sentence. The warning quotes the sentence and the n-grams that weighed most in it.

Pure: no I/O apart from reading the shipped weights once (importlib.resources).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Iterable, Optional

from deskapp.policy.tone import ToneLexicon, _segment_cues, _unquote, normalise, register_model, segments
from deskapp.policy.literals import split_alternatives
from deskapp.policy.tonegrammar import SLOTS

MODEL_FILE = "tone_model.json"
FEATURE_VERSION = 2  # bump when features change: the shipped weights must be retrained

_TOKEN = re.compile(r"[a-z0-9][a-z0-9'\-]*|[?!\"]|[\U0001F300-\U0001FAFF\u2600-\u27BF]|[:;]-?[)(pd]")
_NUM = re.compile(r"^\d+(?:st|nd|rd|th)?$")
_IRONIC_EMOJI = frozenset("\U0001F642\U0001F643\U0001F609\U0001F644\U0001F60A\U0001F44D\U0001F44F\U0001F612\U0001F937\U0001F914")
_INTENSIFIERS = frozenset("""really very so clearly obviously simply just actually literally honestly frankly seriously
    totally completely utterly absolutely genuinely quite even ever always never again""".split())
_COUNT_WORDS = frozenset("""second third fourth fifth sixth seventh eighth ninth tenth umpteenth nth twice
    again yet another repeatedly countless endless constant""".split())
_YOU = frozenset({"you", "your", "yours", "yourself", "u", "ur"})
_SMILEY = re.compile(r"[:;]-?\)")
_SCARE = re.compile(r"([\"'])([a-z][a-z\- ]{0,30}?)\1")

# Open word classes of the grammar, single words only: "you are <judge>" generalises "you are dense".
_CLASS_SLOTS = {"you_judge": "judge", "insult_noun": "insult", "conduct_judge": "cjudge", "thanks": "thanks",
                "praise": "praise", "ordinal_many": "ord", "comm": "comm", "misdeed": "misdeed",
                "conduct": "conduct", "profanity": "swear"}


def _word_classes() -> dict[str, str]:
    classes: dict[str, str] = {}
    for slot, tag in _CLASS_SLOTS.items():
        for alt in split_alternatives(SLOTS[slot]):
            alt = alt.strip()
            alt = alt.replace("e-?", "e")
            if re.fullmatch(r"[a-z][a-z'\-]*", alt):
                classes.setdefault(alt, f"<{tag}>")
            elif m := re.fullmatch(r"([a-z][a-z'\-]*)s\?", alt):  # "emails?" -> email, emails
                classes.setdefault(m.group(1), f"<{tag}>")
                classes.setdefault(m.group(1) + "s", f"<{tag}>")
    for w in ("i", "we", "me", "us", "my", "our"):
        classes[w] = "<self>"
    for w in _YOU:
        classes[w] = "<you>"
    return classes


WORD_CLASSES = _word_classes()


@lru_cache(maxsize=1)
def _feature_lexicon() -> ToneLexicon:
    """Grammar and structural cues only: admins' phrases never change the model's input.

    Built on first use, not at import: compiling the grammar takes ~90 ms, and the policy package
    imports this module at the desk's start-up (to register the model with deskapp.policy.tone)."""
    return ToneLexicon()


def tokens(norm_text: str) -> list[str]:
    return ["<num>" if _NUM.match(t) else t for t in _TOKEN.findall(norm_text)]


def segment_features(seg: str, lex: Optional[ToneLexicon] = None) -> dict[str, float]:
    """Features of one sentence (a segment as tone.segments cuts them), as name -> value.

    `lex`: the pack's lexicon, whose per-sentence cue analysis is reused (it is cached
    already) when its grammar and cue weights are the defaults; its phrases are ignored.
    """
    norm = normalise(seg.strip()).text  # the cue analysis normalises the same stripped sentence: one cache entry
    toks = tokens(_unquote(norm))  # the reader's words quoted back ('you said "..."') are not the handler's
    f: dict[str, float] = {}
    if not toks:
        return f
    w = ["<s>"] + toks + ["</s>"]
    n = len(w)
    for t in toks:
        f["w:" + t] = 1.0
    for i in range(n - 1):
        f[f"w:{w[i]} {w[i + 1]}"] = 1.0
    for i in range(n - 2):
        f[f"w:{w[i]} {w[i + 1]} {w[i + 2]}"] = 1.0
    # the same with word classes in place of words, where a class word is in the n-gram
    c = [WORD_CLASSES.get(t, t) for t in w]
    hit = [a is not b for a, b in zip(c, w)]  # get() returns the word itself when it has no class
    for i in range(n - 1):
        if hit[i] or hit[i + 1]:
            f[f"k:{c[i]} {c[i + 1]}"] = 1.0
            if i < n - 2:
                f[f"k:{c[i]} {c[i + 1]} {c[i + 2]}"] = 1.0
        elif i < n - 2 and hit[i + 2]:
            f[f"k:{c[i]} {c[i + 1]} {c[i + 2]}"] = 1.0
    # structure
    you = sum(t in _YOU for t in toks)
    if you:
        f["s:you"] = 1.0
        f["s:you_density"] = min(1.0, 8 * you / len(toks))
    intens = sum(t in _INTENSIFIERS for t in toks)
    if intens:
        f["s:intensifier"] = min(1.0, intens / 3)
    if any(t in _COUNT_WORDS for t in toks):
        f["s:count"] = 1.0
    if "?" in toks and you:
        f["s:you_question"] = 1.0
    if not _IRONIC_EMOJI.isdisjoint(seg) or _SMILEY.search(seg):
        f["s:emoji"] = 1.0
    if _SCARE.search(norm):
        f["s:scare_quotes"] = 1.0
    if "!" in toks:
        f["s:exclaim"] = 1.0
    # the grammar's cues (families, structural cues, threat halves) at any strength
    base = _feature_lexicon()
    same = lex is not None and lex.grammar is base.grammar and lex.cues == base.cues
    sc = _segment_cues(seg, lex if same and lex is not None else base)
    for key, weight, why, _ in sc.hits:
        if key.startswith("p:"):
            continue
        name = "g:" + why
        f[name] = max(f.get(name, 0.0), min(1.0, weight / 2.0))
    if sc.trigger:
        f["g:threat_trigger"] = 1.0
    if sc.withdraw:
        f["g:threat_withdraw"] = 1.0
    return f


_SEGMENT_CACHE: dict[str, dict[str, float]] = {}
LENGTH_PENALTY = 0.5  # log-odds added per ln(sentences) to the pair/alone bars (see decide); chosen by --loso
ALONE_THRESHOLD = 0.9  # a sentence of a longer message read on its own flags only this sure (see ToneModel.judge)
WHOLE_MAX = 12  # sentences: longer messages are scored two sentences at a time only
RAISE_CAP = 25  # sentences: the length raise stops growing here (see decide)
_CACHE_MAX = 8192


def _cached_segment(seg: str, lex: Optional[ToneLexicon] = None) -> dict[str, float]:
    f = _SEGMENT_CACHE.get(seg)
    if f is None:
        if len(_SEGMENT_CACHE) >= _CACHE_MAX:
            _SEGMENT_CACHE.clear()
        f = _SEGMENT_CACHE[seg] = segment_features(seg, lex)
    return f


def clear_caches() -> None:
    """Forget the per-sentence features (benchmarks measure the cold path)."""
    _SEGMENT_CACHE.clear()
    if _feature_lexicon.cache_info().currsize:
        _feature_lexicon()._cache.clear()  # type: ignore[attr-defined]
    model = shipped_model()
    if model is not None:
        model._weighted.clear()
        model._pairs.clear()


def merge(parts: Iterable[dict[str, float]]) -> dict[str, float]:
    """Features of several sentences together: the highest value of each."""
    out: dict[str, float] = {}
    for f in parts:
        for k, v in f.items():
            if v > out.get(k, 0.0):
                out[k] = v
    return out


def split(text: str) -> list[str]:
    """The sentences of `text`, as the grammar cuts them (unstripped: the grammar's cache keys)."""
    return [s for s in (text[a:b] for a, b in segments(text)) if s.strip()]


def units(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(label, sentences) the model learns from: the whole message, and each sentence with the one before it."""
    segs = split(text)
    out: list[tuple[str, tuple[str, ...]]] = [("message", tuple(segs))]
    if len(segs) > 1:
        for i, s in enumerate(segs):
            out.append((s, tuple(segs[max(0, i - 1):i + 1])))
    return out


def unit_features(segs: Iterable[str], lex: Optional[ToneLexicon] = None) -> dict[str, float]:
    parts = [_cached_segment(s, lex) for s in segs]
    f = merge(parts)
    f["u:length"] = _length(sum(len(p) for p in parts))
    return f


def _length(n_features: int) -> float:
    return min(1.0, n_features / 400)  # longer text, more chances of a stray n-gram


def text_features(text: str) -> dict[str, float]:
    """Features of a whole message (the union of its sentences')."""
    return unit_features(split(text))


@dataclass(frozen=True)
class ToneModel:
    """Weights, bias and the decision threshold (chosen by leave-one-set-out evaluation)."""

    weights: dict[str, float]
    bias: float
    threshold: float
    meta: dict
    _weighted: dict = field(default_factory=dict, compare=False, repr=False)  # sentence -> _Sentence
    _pairs: dict = field(default_factory=dict, compare=False, repr=False)  # (sentence before, sentence) -> logit

    def probability(self, feats: dict[str, float]) -> float:
        w = self.weights
        return _sigmoid(self.bias + sum(w.get(k, 0.0) * v for k, v in feats.items()))

    def top_features(self, feats: dict[str, float], k: int = 3) -> list[str]:
        """The k features that pushed hardest towards hostile; among the top 8, phrases before lone words."""
        scored = sorted(((self.weights.get(n, 0.0) * v, n) for n, v in feats.items()), reverse=True)
        top = [n for w, n in scored[:8] if w > 0]
        lone = [n for n in top if n.startswith("w:") and " " not in n]
        return [_readable(n) for n in ([n for n in top if n not in lone] + lone)[:k]]

    def _sentence(self, seg: str, lex: Optional[ToneLexicon]) -> "_Sentence":
        hit = self._weighted.get(seg)
        if hit is None:
            f = _cached_segment(seg, lex)
            if len(self._weighted) >= _CACHE_MAX:
                self._weighted.clear()
            w = self.weights
            keys = f.keys() & w.keys()
            graded = {k: f[k] for k in keys if f[k] != 1.0}
            binary = frozenset(keys.difference(graded))
            hit = _Sentence(binary, graded, len(f), math.fsum(map(w.__getitem__, binary)))
            hit = self._weighted[seg] = replace(hit, alone=self._unit([hit]))
        return hit

    def _unit(self, parts: list["_Sentence"]) -> float:
        """The logit of several sentences together: the same sum as probability(unit_features(...)),
        over the features that carry a weight (binary ones as one set union, graded ones by their highest value)."""
        w = self.weights
        if len(parts) == 1:
            z = parts[0].binary_sum
        elif len(parts) == 2:  # a sentence pair, the common case: both sums less what they share
            a, b = parts
            z = a.binary_sum + b.binary_sum - math.fsum(map(w.__getitem__, a.binary & b.binary))
        else:
            z = math.fsum(map(w.__getitem__, parts[0].binary.union(*(p.binary for p in parts[1:]))))
        graded: dict[str, float] = {}
        for p in parts:
            for k, v in p.graded.items():
                if v > graded.get(k, 0.0):
                    graded[k] = v
        z += math.fsum(w[k] * v for k, v in graded.items())  # fsum: the same total in any set order
        return self.bias + z + w.get("u:length", 0.0) * _length(sum(p.count for p in parts))

    def _scan(self, text: str, lex: Optional[ToneLexicon]):
        """(segments, logit of the whole message, best logit of a sentence pair, its index,
        best logit of a sentence alone, its index); -inf where there is none."""
        segs = split(text)
        if not segs:
            return segs, -math.inf, -math.inf, -1, -math.inf, -1
        parts = [self._sentence(s, lex) for s in segs]
        # the whole message, up to WHOLE_MAX sentences (the longest in the corpus has 9; a longer
        # letter is read two sentences at a time, which keeps a keystroke in a long body cheap)
        whole_z = self._unit(parts) if len(segs) <= WHOLE_MAX else -math.inf
        pair_z, pair_i = -math.inf, -1
        alone_z, alone_i = -math.inf, -1
        if len(segs) > 1:
            pairs = self._pairs
            for i in range(len(segs)):
                key = (segs[i - 1], segs[i]) if i else ("", segs[0])
                z = pairs.get(key)
                if z is None:
                    if len(pairs) >= _CACHE_MAX:
                        pairs.clear()
                    z = pairs[key] = self._unit(parts[max(0, i - 1):i + 1])
                if z > pair_z:
                    pair_z, pair_i = z, i
                z = parts[i].alone
                if z > alone_z:
                    alone_z, alone_i = z, i
        return segs, whole_z, pair_z, pair_i, alone_z, alone_i

    def score(self, text: str, lex: Optional[ToneLexicon] = None, explain: bool = True) -> tuple[float, str, list[str]]:
        """(probability, the sentence that scored it, its heaviest features) for one message.

        The whole message, and each sentence with the one before it; the highest wins.
        explain=False skips the sentence and the features (the cheap path while typing).
        """
        segs, whole_z, pair_z, pair_i, _, _ = self._scan(text, lex)
        if not segs:
            return 0.0, "", []
        best_z, best_i = (whole_z, -1) if whole_z >= pair_z else (pair_z, pair_i)
        p = _sigmoid(best_z)
        return (p, *self._explain(segs, best_i, lex)) if explain else (p, "", [])

    def judge(self, text: str, lex: Optional[ToneLexicon] = None,
              threshold: Optional[float] = None) -> tuple[bool, float, str, list[str]]:
        """(flagged, probability, sentence, heaviest features): the message or a pair of sentences at
        `threshold`, or one sentence of a longer message alone at max(threshold, ALONE_THRESHOLD).

        Why a sentence alone needs more: the model learnt from whole messages, most of one or two
        sentences; read alone, a sentence of a sincere letter loses its context. Read only with the
        sentence before it, one contemptuous line after a long friendly one is diluted ("Not sure
        what you expected, to be honest." scores 1.00 alone, 0.79 after a sentence about a repair).
        """
        th = self.threshold if threshold is None else threshold
        scan = self._scan(text, lex)
        segs, whole_z, pair_z, pair_i, alone_z, alone_i = scan
        if not segs:
            return False, 0.0, "", []
        route = decide(scan, th)
        if route == "alone":
            return (True, _sigmoid(alone_z), segs[alone_i].strip(),
                    self.top_features(unit_features([segs[alone_i]], lex)))
        if route == "pair":
            return (True, _sigmoid(pair_z), *self._explain(segs, pair_i, lex))
        if route:
            return (True, _sigmoid(whole_z), *self._explain(segs, -1, lex))
        return False, _sigmoid(max(whole_z, pair_z, alone_z)), "", []

    def _explain(self, segs: list[str], best_i: int, lex: Optional[ToneLexicon]) -> tuple[str, list[str]]:
        i = best_i
        if i > 0:  # a sentence with the one before it: quote whichever of the two reads worse alone
            i = i - 1 if self._sentence(segs[i - 1], lex).alone > self._sentence(segs[i], lex).alone else i
        sentence = " ".join(" ".join(segs).split()) if i < 0 else segs[i].strip()
        shown = segs if best_i < 0 else segs[max(0, best_i - 1):best_i + 1]
        return sentence, self.top_features(unit_features(shown, lex))


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def decide(scan: tuple, threshold: float, penalty: Optional[float] = None, alone: Optional[float] = None) -> str:
    """Which route flags a scanned message: "message" (whole), "pair", "alone", or "" (none).

    The whole message (up to WHOLE_MAX sentences) flags at `threshold`. A sentence pair, or
    a sentence alone at max(threshold, ALONE_THRESHOLD), must clear that bar raised by
    LENGTH_PENALTY * ln(n) in log-odds for a message of n sentences: a letter of n sentences
    gives the model about 2n chances to find one stray high score, and the longer the letter the
    likelier one sincere sentence about gilt yields or a timetable scores high by chance. The
    raise keeps the chance of a false alarm per letter near that of a short message; one truly
    contemptuous sentence (most score above 0.99 alone) still clears it.
    """
    segs, whole_z, pair_z, _, alone_z, _ = scan
    if not segs:
        return ""
    th = _logit(threshold)
    if whole_z >= th:
        return "message"
    # capped at RAISE_CAP sentences, the longest letter in the labelled sets: past it there is no
    # evidence of how often sincere sentences score high, and a pasted body must not hide a line by length
    raise_by = (LENGTH_PENALTY if penalty is None else penalty) * math.log(min(len(segs), RAISE_CAP))
    if pair_z >= th + raise_by:
        return "pair"
    if len(segs) > 1 and alone_z >= _logit(max(threshold, ALONE_THRESHOLD if alone is None else alone)) + raise_by:
        return "alone"
    return ""


@dataclass(frozen=True)
class _Sentence:
    """One sentence as the model sees it: its weighted binary features, graded ones, feature count."""

    binary: frozenset
    graded: dict
    count: int
    binary_sum: float
    alone: float = 0.0  # the logit of this sentence read on its own


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _readable(name: str) -> str:
    kind, _, rest = name.partition(":")
    rest = rest.replace("<s> ", "").replace(" </s>", "")
    return {"w": f"'{rest}'", "k": f"'{rest}'", "g": f"cue {rest}", "s": rest.replace("_", " ")}.get(kind, name)


def from_json(data: dict) -> ToneModel:
    if data.get("feature_version") != FEATURE_VERSION:
        raise ValueError("tone model was trained on other features; run bench/tone_train.py")
    return ToneModel(dict(data["weights"]), float(data["bias"]), float(data["threshold"]),
                     {k: v for k, v in data.items() if k not in ("weights", "bias")})


@lru_cache(maxsize=1)
def shipped_model() -> Optional[ToneModel]:
    """The model shipped in the package, or None when the data file is missing."""
    try:
        raw = resources.files("deskapp.policy").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    return from_json(json.loads(raw))


def all_features(texts: Iterable[str]) -> list[dict[str, float]]:
    return [text_features(t) for t in texts]



register_model(shipped_model, clear_caches)  # deskapp.policy.tone asks it when no cue flags a message

__all__ = ["ToneModel", "decide", "text_features", "segment_features", "unit_features", "merge", "split", "units", "shipped_model", "from_json", "tokens", "WORD_CLASSES",
           "FEATURE_VERSION", "MODEL_FILE"]
