"""Tone detector against labelled sets: precision, recall and F1 per kind and overall, and every mistake.

    python bench/tone_eval.py tests/policy/tone/tuning_v3.yaml
    python bench/tone_eval.py tests/policy/tone/*.yaml --detector builtin
    python bench/tone_eval.py SET.yaml --detector grammar     # the cues alone, without the model
    python bench/tone_eval.py SET.yaml --detector plugin [--classifier module:callable]

A set is YAML: `messages: [{id, label: hostile|ok, kind, channel, text}]`; `id`, `kind`
and `channel` are optional (the older files have only label and text). `--detector
builtin` scores with deskapp's own detector and the pack's tone settings (cue grammar
OR linear model); `grammar` with the cues alone (as `tone.model: false`); `plugin`
asks the classifier named in the pack (`tone.classifier`, or `--classifier` here),
falling back to the built-in one as the desk does. Always exits 0 for a readable set:
the figures are for people to read, tests/policy/test_tone_eval.py checks the sums.

Why per kind: a single recall figure hides that, say, threats are all caught and
condescension none; precision per "ok" kind (firm refusals, apologies ...) shows which
hard negatives the detector nags about.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LABELS = ("hostile", "ok")


@dataclass(frozen=True)
class Message:
    """One labelled message; `source` is FILE:id (or FILE:#index) for the confusion list."""

    source: str
    label: str
    text: str
    kind: str = ""
    channel: str = ""


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, want: bool, got: bool) -> None:
        if want and got:
            self.tp += 1
        elif got:
            self.fp += 1
        elif want:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> Optional[float]:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> Optional[float]:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> Optional[float]:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    overall: Counts = field(default_factory=Counts)
    kinds: dict[str, Counts] = field(default_factory=dict)
    false_positives: list[tuple[Message, str]] = field(default_factory=list)
    misses: list[Message] = field(default_factory=list)
    answered_by: dict[str, int] = field(default_factory=dict)


class SetError(ValueError):
    """A set file that cannot be read; the message names FILE and the entry."""


def load_set(path: Path) -> list[Message]:
    """Read one set; one clear SetError naming the file and entry on bad input."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SetError(f"{path}: {exc}".splitlines()[0]) from None
    entries = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SetError(f"{path}: expected a top-level `messages:` list")
    out = []
    for i, e in enumerate(entries):
        where = f"{Path(path).name}:{e.get('id', f'#{i + 1}') if isinstance(e, dict) else f'#{i + 1}'}"
        if not isinstance(e, dict) or e.get("label") not in LABELS or not isinstance(e.get("text"), str):
            raise SetError(f"{path}: entry {i + 1}: needs `label: hostile|ok` and a `text` string")
        out.append(Message(where, e["label"], e["text"], str(e.get("kind") or ""), str(e.get("channel") or "")))
    return out


Detector = Callable[[Message], tuple[bool, str, str]]  # -> (hostile, first reason, who answered)


def builtin_detector(pack, model: bool = True) -> Detector:
    """deskapp's own detector; `model=False`: the cue grammar and phrase list alone."""
    from dataclasses import replace

    from deskapp.policy.tone import assess_tone

    lexicon = pack.tone if model else replace(pack.tone, model=False)

    def run(m: Message) -> tuple[bool, str, str]:
        r = assess_tone(m.text, lexicon, channel=m.channel or None)
        return r.hostile, r.reasons[0] if r.reasons else "", f"built-in ({r.detector})"
    return run


def plugin_detector(pack, classifier: Optional[str] = None) -> Detector:
    """The pack's classifier (or `classifier`, module:callable), falling back to the built-in one."""
    from deskapp.policy.toneplugin import DEFAULT_TIMEOUT_MS, ToneClassifier, check_spec, classify_tone

    plug = pack.tone.classifier
    if classifier:
        plug = ToneClassifier(check_spec(classifier), "", plug.timeout_ms if plug else DEFAULT_TIMEOUT_MS)

    def run(m: Message) -> tuple[bool, str, str]:
        r = classify_tone(m.text, m.channel or None, pack.tone, plug)
        return r.hostile, r.reasons[0] if r.reasons else "", r.classifier
    return run


def evaluate(messages: Iterable[Message], detector: Detector) -> Report:
    rep = Report()
    for m in messages:
        got, why, who = detector(m)
        want = m.label == "hostile"
        rep.overall.add(want, got)
        rep.kinds.setdefault(m.kind or "(no kind)", Counts()).add(want, got)
        rep.answered_by[who] = rep.answered_by.get(who, 0) + 1
        if got and not want:
            rep.false_positives.append((m, why))
        elif want and not got:
            rep.misses.append(m)
    return rep


def _f(x: Optional[float]) -> str:
    return "   -" if x is None else f"{x:.2f}"


def _one_line(text: str, width: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def format_report(rep: Report, title: str = "") -> str:
    o = rep.overall
    lines = []
    if title:
        lines.append(title)
    lines.append(f"overall: {o.n} messages ({o.tp + o.fn} hostile, {o.fp + o.tn} ok): precision {_f(o.precision)}, "
                 f"recall {_f(o.recall)}, F1 {_f(o.f1)} (tp {o.tp}, fp {o.fp}, fn {o.fn}, tn {o.tn})")
    if rep.answered_by:
        lines.append("answered by: " + ", ".join(f"{k} {v}" for k, v in sorted(rep.answered_by.items())))
    lines.append(f"  {'kind':<26}{'n':>4}{'prec':>7}{'recall':>7}{'F1':>6}   tp  fp  fn  tn")
    for kind in sorted(rep.kinds):
        c = rep.kinds[kind]
        lines.append(f"  {kind[:26]:<26}{c.n:>4}{_f(c.precision):>7}{_f(c.recall):>7}{_f(c.f1):>6}"
                     f"  {c.tp:>3} {c.fp:>3} {c.fn:>3} {c.tn:>3}")
    lines.append(f"false positives ({len(rep.false_positives)}):")
    for m, why in rep.false_positives:
        lines.append(f"  FP {m.source} [{m.kind or '-'}] {_one_line(m.text, 80)}  <- {_one_line(why, 60)}")
    lines.append(f"misses ({len(rep.misses)}):")
    for m in rep.misses:
        lines.append(f"  FN {m.source} [{m.kind or '-'}] {_one_line(m.text)}")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None, out=None) -> int:
    out = out or sys.stdout
    ap = argparse.ArgumentParser(prog="tone_eval.py", description=__doc__.split("\n")[0])
    ap.add_argument("sets", nargs="+", metavar="SET.yaml", help="labelled sets (each reported, then all together)")
    ap.add_argument("--detector", choices=("builtin", "grammar", "plugin"), default="builtin")
    ap.add_argument("--classifier", metavar="MODULE:CALLABLE", help="plug-in to try (default: the pack's)")
    ap.add_argument("--policies", metavar="PATH", help="policies file (default: the repository's policies.yaml)")
    args = ap.parse_args(argv)

    from deskapp.policy.loader import PolicyFileError, load_policies

    try:
        pack = load_policies(Path(args.policies) if args.policies else ROOT / "policies.yaml")
        sets = [(p, load_set(Path(p))) for p in args.sets]
    except PolicyFileError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 2
    except SetError as exc:
        print(f"tone_eval: {exc}", file=sys.stderr)
        return 2
    try:
        detector = (plugin_detector(pack, args.classifier) if args.detector == "plugin"
                    else builtin_detector(pack, model=args.detector == "builtin"))
    except ValueError as exc:
        print(f"tone_eval: --classifier {exc}", file=sys.stderr)
        return 2
    everything: list[Message] = []
    for path, messages in sets:
        print(format_report(evaluate(messages, detector), f"== {path} ({args.detector})"), file=out)
        print(file=out)
        everything.extend(messages)
    if len(sets) > 1:
        rep = evaluate(everything, detector)
        o = rep.overall
        print(f"== all {len(sets)} sets: {o.n} messages: precision {_f(o.precision)}, recall {_f(o.recall)}, "
              f"F1 {_f(o.f1)} (tp {o.tp}, fp {o.fp}, fn {o.fn}, tn {o.tn})", file=out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
