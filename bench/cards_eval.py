"""Card-number detector against the held-out sets: recall, precision and every mistake.

    python bench/cards_eval.py            # every set in tests/policy/cards_heldout/
    python bench/cards_eval.py v2         # one set
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from deskapp.policy.cards import find_cards

SETS = Path(__file__).resolve().parent.parent / "tests" / "policy" / "cards_heldout"


def evaluate(path: Path) -> tuple[int, int, int, int, list[str]]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["cards"]
    tp = fn = fp = tn = 0
    wrong = []
    for entry in entries:
        found = bool(find_cards(entry["text"]))
        if entry["card"]:
            tp, fn = tp + found, fn + (not found)
        else:
            fp, tn = fp + found, tn + (not found)
        if found != entry["card"]:
            wrong.append(f"  {'missed' if entry['card'] else 'false alarm'}: {entry['text']!r}")
    return tp, fn, fp, tn, wrong


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in SETS.glob("v*.yaml"))
    for name in names:
        tp, fn, fp, tn, wrong = evaluate(SETS / f"{name}.yaml")
        recall = tp / (tp + fn) if tp + fn else 1.0
        precision = tp / (tp + fp) if tp + fp else 1.0
        print(f"{name}: {tp + fn} cards, {fp + tn} look-alikes: recall {recall:.2f} ({tp}/{tp + fn}), "
              f"precision {precision:.2f} ({fp} false alarms)")
        print("\n".join(wrong) if wrong else "  no mistakes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
