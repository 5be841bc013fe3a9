"""Train the tone model (deskapp/policy/tone_model.json) from every labelled set in the repository.

    python bench/tone_train.py                 # write deskapp/policy/tone_model.json
    python bench/tone_train.py --check         # exit 1 when the shipped file differs from a fresh run
    python bench/tone_train.py --loso          # leave-one-set-out figures (v5 out, v4 out), the proxies
    python bench/tone_train.py --loso --sweep  # ... for several regularisation strengths and thresholds

Logistic regression, pure Python, deterministic: examples are visited in a fixed order
shuffled by random.Random(SEED), weights are rounded to 4 decimals before they are
written, so the same corpus gives the same file byte for byte (tests/policy/test_tone_model.py).

Examples: every labelled message (whole), plus every sentence unit of every ok message as
a negative (a sincere letter's sentences are all sincere; a hostile message's sentences
are not all hostile, so those are not used alone). At run time the model scores the whole
message and each sentence (with the one before it) and keeps the highest probability.

The threshold, the length penalty (tonemodel.LENGTH_PENALTY) and L2 strength are chosen by
leave-one-set-out evaluation: train without tone_heldout/v5.yaml and score it; the same for
v4. Those two sets were written blind and are the nearest thing to a fresh set (v3 is not:
the grammar was tuned on it). The choice, hostile = grammar OR model: the highest recall on
the worse of the two whose precision is >= 0.96 on both (0.95 is the target; the margin is
for a fresh set, which has always scored lower than the proxies) and that fires on fewer than
10% of the sincere probes of tests/policy/test_tone_model.py (never trained on). Issue #20
precision round: th 0.9, penalty 0.5 -> v5 out P 1.00 R 0.62, v4 out P 0.98 R 0.65, 4 of 48
probes (th 0.86 would give R 0.66 / 0.70 but fire on 5 probes).
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
NOT_YET_TUNED = frozenset({"v6"})
SETS = [p for p in sorted((ROOT / "tests/policy/tone").glob("*.yaml"))
        + sorted((ROOT / "tests/policy/tone_heldout").glob("*.yaml")) if p.stem not in NOT_YET_TUNED]
OUT = ROOT / "deskapp/policy/tone_model.json"
SEED = 20
EPOCHS = 12
L2 = 3e-4
MIN_COUNT = 2
RATE = 0.1  # Adagrad step; 0.2 gave a more confident model that fired on more sincere probes
THRESHOLD = 0.9  # chosen by --loso --sweep with tonemodel.LENGTH_PENALTY; see the module docstring
PROXIES = ("v5", "v4")


def corpus(paths=SETS) -> dict[str, list[Message]]:
    return {p.stem: load_set(p) for p in paths}


def examples(messages: list[Message]) -> list[tuple[tuple[str, ...], bool]]:
    """(sentences, hostile): each message whole, and each sentence unit of the ok ones."""
    from deskapp.policy.tonemodel import units

    out = []
    for m in messages:
        hostile = m.label == "hostile"
        for label, segs in units(m.text):
            if label == "message" or not hostile:
                out.append((segs, hostile))
    return out


def train(rows: list[tuple[dict[str, float], bool]], l2: float = L2, epochs: int = EPOCHS, seed: int = SEED,
          min_count: int = MIN_COUNT, rate: float = RATE) -> tuple[dict[str, float], float]:
    """Adagrad SGD on the class-balanced log loss with L2 on the features of each example;
    deterministic for a given row order and seed (examples shuffled by random.Random(seed))."""
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
            loso(l2s=(3e-4, 1e-3), thresholds=(0.8, 0.84, 0.86, 0.88, 0.9, 0.92), per_kind=False,
                 penalties=(0, 0.5, 0.75, 1.0))
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
