"""Would a small learned model help the tone grammar? Train on some sets, score on others.

    python bench/tone_model_check.py --train tests/policy/tone/labelled.yaml tests/policy/tone/heldout_v1.yaml \\
        tests/policy/tone/heldout_v2.yaml --test tests/policy/tone/tuning_v3.yaml
    python bench/tone_model_check.py --leave-one-out tests/policy/tone/*.yaml

--leave-one-out trains on all groups but one (a file, or a batch of tuning_v3 by its id
prefix: t3x-, t3z- ...) and counts what the model adds to the grammar on the group left
out, scoring each sentence of five words or more and taking the message's worst.

Trains a logistic regression over word unigrams and bigrams of the normalised text
(pure Python, seeded, so the figures repeat) and prints, for several probability
thresholds, precision and recall of: the grammar alone; grammar OR model; and the
model as a booster (it may flag a message only when some weaker cue already fired).
This was the experiment behind shipping no model at first: on hard negatives this
plain word-pair model adds false positives faster than it adds recall. The model that
ships (deskapp/policy/tonemodel.py) adds word classes, the grammar's cues and structure,
and is chosen by `python bench/tone_train.py --loso` (see docs/policies.md, Tone).
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


def leave_one_out(paths: list[str], pack) -> None:
    """Per group left out: true and false positives the model adds to the grammar."""
    from deskapp.policy.tone import assess_tone, normalise, segments

    groups: dict[str, list[Message]] = {}
    for p in paths:
        for m in load_set(Path(p)):
            ident = m.source.split(":", 1)[1]
            batch = re.match(r"(t\d+[a-z]?)-", ident)
            groups.setdefault(f"{Path(p).stem}:{batch.group(1)}" if batch else Path(p).stem, []).append(m)
    totals = {th: [0, 0, 0] for th in (0.9, 0.95)}
    for name, held in groups.items():
        model = train([m for g, ms in groups.items() if g != name for m in ms])
        w, b = model
        cells = []
        for th, tot in totals.items():
            tp = fp = 0
            for m in held:
                if assess_tone(m.text, pack.tone).hostile:
                    continue
                worst = max((_sigmoid(b + sum(w.get(k, 0.0) for k in features(m.text[a:z])))
                             for a, z in segments(m.text) if len(normalise(m.text[a:z]).text.split()) >= 5),
                            default=0.0)
                if worst >= th:
                    tp, fp = tp + (m.label == "hostile"), fp + (m.label == "ok")
            tot[0], tot[1], tot[2] = tot[0] + tp, tot[1] + fp, tot[2] + sum(m.label == "ok" for m in held)
            cells.append(f">= {th}: adds tp {tp:2} fp {fp:2}")
        print(f"  {name:24} {len(held):4} messages | " + " | ".join(cells))
    for th, (tp, fp, ok) in totals.items():
        print(f"model >= {th}: adds {tp} true and {fp} false positives over {ok} ok messages")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", nargs="+")
    ap.add_argument("--test", nargs="+")
    ap.add_argument("--leave-one-out", nargs="+", metavar="SET.yaml")
    args = ap.parse_args(argv)
    from deskapp.policy.loader import load_policies
    from deskapp.policy.tone import assess_tone

    pack = load_policies(ROOT / "policies.yaml")
    if args.leave_one_out:
        leave_one_out(args.leave_one_out, pack)
        return 0
    if not (args.train and args.test):
        ap.error("give --train and --test, or --leave-one-out")
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
