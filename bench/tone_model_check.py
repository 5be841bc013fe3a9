"""Would a small learned model help the tone grammar? Train on some sets, score on others.

    python bench/tone_model_check.py --train tests/policy/tone/labelled.yaml tests/policy/tone/heldout_v1.yaml \\
        tests/policy/tone/heldout_v2.yaml --test tests/policy/tone/tuning_v3.yaml

Trains a logistic regression over word unigrams and bigrams of the normalised text
(pure Python, seeded, so the figures repeat) and prints, for several probability
thresholds, precision and recall of: the grammar alone; grammar OR model; and the
model as a booster (it may flag a message only when some weaker cue already fired).
This is the experiment behind shipping no model (see docs/policies.md, Tone): on
hard negatives the n-gram model adds false positives faster than it adds recall.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.tone_eval import Message, load_set  # noqa: E402

TOKEN = re.compile(r"[a-z']+")


def features(text: str) -> set[str]:
    from deskapp.policy.tone import normalise

    toks = TOKEN.findall(normalise(text).text)
    return {"w:" + t for t in toks} | {f"b:{a}_{b}" for a, b in zip(toks, toks[1:])}


def train(messages: list[Message], epochs: int = 30, rate: float = 0.3, l2: float = 1e-3):
    weights: dict[str, float] = {}
    bias = 0.0
    rows = [(features(m.text), m.label == "hostile") for m in messages]
    rnd = random.Random(0)
    for _ in range(epochs):
        rnd.shuffle(rows)
        for f, y in rows:
            g = _sigmoid(bias + sum(weights.get(k, 0.0) for k in f)) - y
            bias -= rate * g
            for k in f:
                weights[k] = weights.get(k, 0.0) - rate * (g + l2 * weights.get(k, 0.0))
    return weights, bias


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--test", nargs="+", required=True)
    args = ap.parse_args(argv)
    from deskapp.policy.loader import load_policies
    from deskapp.policy.tone import assess_tone

    pack = load_policies(ROOT / "policies.yaml")
    model = train([m for p in args.train for m in load_set(Path(p))])
    test = [m for p in args.test for m in load_set(Path(p))]
    rows = []
    for m in test:
        r = assess_tone(m.text, pack.tone)
        w, b = model
        prob = _sigmoid(b + sum(w.get(k, 0.0) for k in features(m.text)))
        rows.append((m.label == "hostile", r.hostile, r.score > 0, prob))

    def line(name, got):
        fp = sum(1 for want, *rest in rows if not want and got(rest))
        fn = sum(1 for want, *rest in rows if want and not got(rest))
        tp = sum(1 for want, *rest in rows if want and got(rest))
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        print(f"  {name:32} precision {p:.2f} recall {r:.2f} (tp {tp}, fp {fp}, fn {fn})")

    print(f"{len(test)} test messages")
    line("grammar alone", lambda r: r[0])
    for th in (0.5, 0.7, 0.9):
        line(f"grammar OR model >= {th}", lambda r, th=th: r[0] or r[2] >= th)
        line(f"booster (a cue + model >= {th})", lambda r, th=th: r[0] or (r[1] and r[2] >= th))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
