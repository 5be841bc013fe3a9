"""Train the tone model (deskapp/policy/tone_model.json) from every labelled set in the repository.

    python bench/tone_train.py                 # write deskapp/policy/tone_model.json
    python bench/tone_train.py --check         # exit 1 when the shipped file differs from a fresh run
    python bench/tone_train.py --loso          # leave-one-set-out figures (v5 out, v4 out), the proxies
    python bench/tone_train.py --loso --sweep  # ... for several regularisation strengths and thresholds

Logistic regression, pure Python, deterministic: examples are visited in a fixed order
shuffled by random.Random(SEED), weights are rounded to 4 decimals before they are
written, so the same corpus gives the same file byte for byte (tests/policy/test_tone_model.py).

Examples: every labelled message (whole); every sentence, and sentence pair, of every ok message
as sincere; and for the long hostile messages whose hostile sentences are marked
(tests/policy/tone_marks/hostile_sentences.yaml), each sentence and pair holding a marked one
as hostile and the rest as sincere (see examples()). At run time the model scores the whole
message, each sentence pair and each sentence alone (tonemodel.decide).

The threshold, the length penalty (tonemodel.LENGTH_PENALTY) and L2 strength are chosen by
leave-one-set-out evaluation (--loso): train without one set and score it, for v6 and v5
(written blind, first passes recorded) and mixed_long_b (long letters with one buried hostile
line, the weak spot). The choice, hostile = grammar OR model: high recall while precision stays
about 0.98 on v6 and v5 and near 0.95 on mixed_long_b (the target is 0.95 on a fresh set, which
has always scored lower than the proxies), and fewer than 10% of the sincere probes of
tests/policy/test_tone_model.py (never trained on) firing. tone7 round (marks, v6 and the long
letters taken in): th 0.8, penalty 0.5, alone 0.9 -> v6 out P 0.98 R 0.82, v5 out P 0.98 R 0.80,
mixed_long_b out P 0.94 R 0.63 (th 0.9, penalty 0.5, alone 0.97 without the marks: 0.94 / 0.78,
0.95 / 0.77, 0.83 / 0.52). tone8 round (v7 taken in): th 0.8 fired on 6 of 58 probes, so th 0.9:
v7 out P 0.98 R 0.76, v6 out 0.98 / 0.79, mixed_long_b out 0.93 / 0.63, 2 of 58 probes. Cut to
MAX_FEATURES weights (memory), th 0.85: v7 out 0.98 / 0.75, v6 out 0.99 / 0.79, mixed_long_b out
0.95 / 0.55, 3 of 58 probes.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import replace
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.tone_eval import Message, load_set  # noqa: E402

# A held-out set whose first pass is recorded but that no tuning round has used yet stays out of
# training, so the shipped model is the one its header measured; the next round takes it in (and
# needs a new set written blind for its own first pass).
NOT_YET_TUNED = frozenset({"v8"})
SETS = [p for p in sorted((ROOT / "tests/policy/tone").glob("*.yaml"))
        + sorted((ROOT / "tests/policy/tone_heldout").glob("*.yaml")) if p.stem not in NOT_YET_TUNED]
OUT = ROOT / "deskapp/policy/tone_model.json"
SEED = 20
EPOCHS = 12
L2 = 3e-4
MIN_COUNT = 2
MAX_FEATURES = 100_000  # weights shipped (see train); more held no better figure left out
RATE = 0.1  # Adagrad step; 0.2 gave a more confident model that fired on more sincere probes
THRESHOLD = 0.85  # chosen by --loso --sweep with tonemodel.LENGTH_PENALTY; see the module docstring
PROXIES = ("v7", "v6", "mixed_long_b")


def corpus(paths=SETS) -> dict[str, list[Message]]:
    return {p.stem: load_set(p) for p in paths}


ANNOTATIONS = ROOT / "tests/policy/tone_marks/hostile_sentences.yaml"


def annotations(path: Path = ANNOTATIONS) -> dict[str, tuple[str, ...]]:
    """FILE:id -> the hostile sentences of that message, quoted exactly (tests/policy/tone_marks/)."""
    import yaml

    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {item["source"]: tuple(item.get("hostile") or ()) for item in data.get("items", [])}


def examples(messages: list[Message], marked: Optional[dict[str, tuple[str, ...]]] = None
             ) -> list[tuple[tuple[str, ...], bool]]:
    """(sentences, hostile) to learn from.

    - an ok message: whole, and each sentence with the one before it (all sincere);
    - a hostile message: whole; and where its hostile sentences are marked (a long letter with one
      contemptuous line), each sentence and sentence pair holding a marked sentence is hostile and
      each of the other sentences and pairs is sincere, so the letter's policy quotes and timetables
      are taught as what they are. (Not teaching long marked letters whole as well was tried: fewer
      false alarms, but a third fewer buried lines caught on mixed_long_b; see --loso.)
    """
    from deskapp.policy.tone import segments
    from deskapp.policy.tonemodel import units

    marked = annotations() if marked is None else marked
    out = []
    for m in messages:
        hostile = m.label == "hostile"
        quotes = marked.get(m.source, ()) if hostile else ()
        if not quotes:
            for label, segs in units(m.text):
                if label == "message" or not hostile:
                    out.append((segs, hostile))
            continue
        spans = [(a, b) for a, b in segments(m.text) if m.text[a:b].strip()]
        segs = tuple(m.text[a:b] for a, b in spans)
        bad = set()
        for q in quotes:
            at = m.text.find(q)
            if at < 0:
                raise ValueError(f"{ANNOTATIONS.name}: {m.source}: quote not in the message: {q[:60]!r}")
            bad |= {i for i, (a, b) in enumerate(spans) if a < at + len(q) and at < b}
        out.append((segs, True))
        for i in range(len(segs)):
            out.append(((segs[i],), i in bad))
            if i:
                out.append((segs[i - 1:i + 1], i in bad or i - 1 in bad))
    return out


def train(rows: list[tuple[dict[str, float], bool]], l2: float = L2, epochs: int = EPOCHS, seed: int = SEED,
          min_count: int = MIN_COUNT, rate: float = RATE, keep: Optional[int] = MAX_FEATURES) -> tuple[dict[str, float], float]:
    """Adagrad SGD on the class-balanced log loss with L2 on the features of each example;
    deterministic for a given row order and seed (examples shuffled by random.Random(seed)).

    keep: train once, keep the `keep` features of largest weight, and train again on those alone
    (the model is held in every desk's memory: 197k weights took 25 MB, 60k take a third of it)."""
    if keep is not None:
        w, _ = train(rows, l2, epochs, seed, min_count, rate, keep=None)
        if len(w) > keep:
            chosen = set(sorted(w, key=lambda k: (-abs(w[k]), k))[:keep])
            rows = [({k: v for k, v in f.items() if k in chosen}, y) for f, y in rows]
    counts: dict[str, int] = {}
    for f, _ in rows:
        for k in f:
            counts[k] = counts.get(k, 0) + 1
    names = sorted(k for k, c in counts.items() if c >= min_count)
    index = {k: i for i, k in enumerate(names)}
    data = [([index[k] for k in sorted(f) if k in index], [f[k] for k in sorted(f) if k in index], y) for f, y in rows]
    pos = sum(1 for *_, y in data if y)
    neg = len(data) - pos
    wpos, wneg = len(data) / (2 * pos), len(data) / (2 * neg)  # balance the classes
    w = [0.0] * len(names)
    g2 = [1e-8] * len(names)
    b, gb2 = 0.0, 1e-8
    order = list(range(len(data)))
    rnd = random.Random(seed)
    for _ in range(epochs):
        rnd.shuffle(order)
        for r in order:
            idx, val, y = data[r]
            z = b + sum(w[i] * v for i, v in zip(idx, val))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            g = (p - y) * (wpos if y else wneg)
            gb2 += g * g
            b -= rate * g / math.sqrt(gb2)
            for i, v in zip(idx, val):
                gi = g * v + l2 * w[i]
                g2[i] += gi * gi
                w[i] -= rate * gi / math.sqrt(g2[i])
    return {k: w[i] for k, i in index.items()}, b


def fit(messages: list[Message], l2: float = L2):
    from deskapp.policy.tonemodel import unit_features

    rows = [(unit_features(segs), y) for segs, y in examples(messages)]
    return train(rows, l2=l2)


def model_json(weights: dict[str, float], bias: float, threshold: float, meta: dict) -> str:
    from deskapp.policy.tonemodel import FEATURE_VERSION

    kept = {k: round(v, 4) for k, v in sorted(weights.items()) if abs(round(v, 4)) >= 0.002}
    data = {"feature_version": FEATURE_VERSION, "threshold": threshold, "bias": round(bias, 4), **meta,
            "weights": kept}
    return json.dumps(data, indent=0, sort_keys=False, ensure_ascii=True) + "\n"


def build() -> str:
    sets = corpus()
    messages = [m for ms in sets.values() for m in ms]
    w, b = fit(messages)
    meta = {"trained_on": {k: len(v) for k, v in sets.items()}, "l2": L2, "epochs": EPOCHS, "seed": SEED,
            "min_count": MIN_COUNT, "rate": RATE}
    return model_json(w, b, THRESHOLD, meta)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def loso(l2s=(L2,), thresholds=(THRESHOLD,), per_kind: bool = True, out=sys.stdout,
         penalties=(None,)) -> dict:
    """Leave each proxy set out in turn; print grammar alone, model alone, grammar OR model."""
    from deskapp.policy.loader import load_policies
    from deskapp.policy.tone import assess_tone
    from deskapp.policy.tonemodel import ToneModel, decide

    pack = load_policies(ROOT / "policies.yaml")
    cues_only = replace(pack.tone, model=False)  # the grammar and phrase list, without the shipped model
    sets = corpus()
    results = {}
    for held in PROXIES:
        test = sets[held]
        grammar = [assess_tone(m.text, cues_only).hostile for m in test]
        train_msgs = [m for k, ms in sets.items() if k != held for m in ms]
        print(f"== {held} left out: trained on {len(train_msgs)} messages, tested on {len(test)}", file=out)
        tp = sum(g and m.label == "hostile" for g, m in zip(grammar, test))
        fp = sum(g and m.label == "ok" for g, m in zip(grammar, test))
        fn = sum(m.label == "hostile" for m in test) - tp
        p, r, f = _prf(tp, fp, fn)
        print(f"  grammar alone            P {p:.2f} R {r:.2f} F1 {f:.2f} (tp {tp} fp {fp} fn {fn})", file=out)
        for l2 in l2s:
            w, b = fit(train_msgs, l2)
            model = ToneModel(w, b, 0.5, {})
            scans = [model._scan(m.text, None) for m in test]
            for th, pen in [(t, q) for t in thresholds for q in penalties]:
                flags = [bool(decide(sc, th, pen)) for sc in scans]  # as ToneModel.judge
                for name, got in (("model alone", flags),
                                  ("grammar OR model", [g or f for g, f in zip(grammar, flags)])):
                    tp = sum(x and m.label == "hostile" for x, m in zip(got, test))
                    fp = sum(x and m.label == "ok" for x, m in zip(got, test))
                    fn = sum(m.label == "hostile" for m in test) - tp
                    p, r, f = _prf(tp, fp, fn)
                    results[(held, l2, th, pen, name)] = (p, r, f, tp, fp, fn)
                    lp = "" if pen is None else f" lp {pen:g}"
                    print(f"  l2 {l2:g} th {th:.2f}{lp} {name:16} P {p:.2f} R {r:.2f} F1 {f:.2f} "
                          f"(tp {tp} fp {fp} fn {fn})", file=out)
            if per_kind and len(thresholds) == 1 and len(penalties) == 1:
                th = thresholds[0]
                kinds = sorted({m.kind for m in test})
                print(f"  per kind, grammar / grammar OR model (th {th}): recall for hostile kinds, "
                      f"false positives for ok kinds", file=out)
                for k in kinds:
                    ms = [(g, q, m) for g, q, m in zip(grammar, flags, test) if m.kind == k]
                    hostile = ms[0][2].label == "hostile"
                    a = sum(g for g, q, m in ms)
                    c = sum(g or q for g, q, m in ms)
                    if hostile:
                        print(f"    {k:16} {len(ms):3}  recall {a / len(ms):.2f} -> {c / len(ms):.2f}", file=out)
                    else:
                        print(f"    {k:16} {len(ms):3}  false positives {a} -> {c}", file=out)
                for g, q, m in zip(grammar, flags, test):
                    if m.label == "ok" and (g or q):
                        _, prob, sentence, _ = model.judge(m.text, None, th)
                        why = "grammar" if g else f"model {prob:.2f}: {sentence[:70]!r}"
                        print(f"    FP {m.source} [{m.kind}] {m.text[:70]!r} <- {why}", file=out)
    return results


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare the shipped file with a fresh run")
    ap.add_argument("--loso", action="store_true", help="leave-one-set-out figures")
    ap.add_argument("--sweep", action="store_true", help="with --loso: several L2 strengths and thresholds")
    args = ap.parse_args(argv)
    if args.loso:
        if args.sweep:
            loso(l2s=(3e-4, 1e-3), thresholds=(0.75, 0.8, 0.85, 0.9), per_kind=False,
                 penalties=(0.5, 0.75, 1.0))
        else:
            loso()
        return 0
    text = build()
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("tone_model.json is up to date" if same else "tone_model.json differs: run python bench/tone_train.py")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(json.loads(text)['weights'])} weights)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
