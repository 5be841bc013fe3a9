"""`deskapp policy check|test|eval|schema`: check a policies file, run scenario files, show findings.

These read files only; deskapp.commands.policies registers the `policy`
command with these and the database ones (publish, history, show).

Exit codes: 0 fine; 1 a scenario failed (test); 2 invalid input (policies or
scenario files), reported as PATH:LINE:COL: message lines on stderr. Never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional

from deskapp.config import policies_path
from deskapp.errors import DeskError
from deskapp.policy.loader import PolicyFileError, load_policies
from deskapp.policy.scenarios import load_scenarios, run_scenario

EXAMPLES = """\
examples:
  deskapp policy check                      check the packaged policies.yaml
  deskapp policy check my-policies.yaml     check another file
  deskapp policy publish my-policies.yaml   make it the desk's rules (admins; checked, versioned, audited)
  deskapp policy history                    every published version: sha256, who, when, from which file
  deskapp policy show 3                     the exact text of version 3 (default: the rules in force)
  deskapp policy test tests/policy/*.yaml   run scenario files (PASS/FAIL, then "N passed, M failed")
  deskapp policy test s.yaml --json         the same as JSON
  deskapp policy eval s.yaml                print each scenario's findings as JSON
  deskapp policy schema > policies.schema.json   the JSON Schema editors use to check policies.yaml
  deskapp policy tone "Thanks for your 4th email"  score, cues and verdict for one message
"""


def add_file_commands(psub, common: argparse.ArgumentParser) -> None:
    """`policy check|test|eval`: they read files only (deskapp.commands.policies adds the published ones)."""
    check = psub.add_parser("check", parents=[common], help="check a policies file (default: the packaged one)",
                            description="Compile every rule; report problems as PATH:LINE:COL: message.")
    check.add_argument("path", nargs="?", metavar="PATH", help="policies file (default: --policies or the "
                       "packaged one)")
    check.set_defaults(func=_guarded(cmd_check))

    test = psub.add_parser("test", parents=[common], help="run scenario files",
                           description="Run scenario files; prints PASS/FAIL per scenario and 'N passed, M failed'. "
                                       "Exit 0 all pass, 1 any fail, 2 invalid input.")
    test.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    test.add_argument("--json", action="store_true", help="print the results as JSON")
    test.set_defaults(func=_guarded(cmd_test))

    ev = psub.add_parser("eval", parents=[common], help="print the findings of scenario files as JSON",
                         description='Print [{"scenario": name, "findings": [{"rule", "severity", "message"}]}].')
    ev.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    ev.set_defaults(func=_guarded(cmd_eval))

    tone = psub.add_parser("tone", parents=[common], help="score one message's tone: cues, score, verdict",
                           description="Show how the tone check reads one message: the verdict, the score "
                                       "against the threshold, each cue with what it quotes, and which "
                                       "classifier answered. TEXT '-' reads the message from stdin.")
    tone.add_argument("text", metavar="TEXT", help="the message (quote it), or - for stdin")
    tone.add_argument("--channel", default="email", help="channel the message goes by (default email)")
    tone.add_argument("--json", action="store_true", help="print action.tone as the rules see it, as JSON")
    tone.set_defaults(func=_guarded(cmd_tone))

    schema = psub.add_parser("schema", parents=[common], help="print the JSON Schema of policies.yaml",
                             description="Print the JSON Schema of policies.yaml, for editors (see "
                                         "docs/policy-schema.md).")
    schema.set_defaults(func=_guarded(cmd_schema))


def _guarded(fn):
    """Problems in files -> their lines on stderr and exit 2; anything unexpected -> one line."""
    def run(args) -> int:
        try:
            return fn(args)
        except PolicyFileError as exc:
            for line in exc.problems:
                print(line, file=sys.stderr)
            return 2
        except DeskError:
            raise
        except BrokenPipeError:
            return 0
        except RecursionError:
            print("deskapp: the input is nested too deeply", file=sys.stderr)
            return 2
        except Exception as exc:  # never a traceback at the terminal
            print(f"deskapp: internal error in `policy {args.policy_command}`: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
            return 70
    return run


def _policies(args, explicit: Optional[str] = None) -> Path:
    return Path(explicit) if explicit else policies_path(getattr(args, "policies", None))


def cmd_check(args) -> int:
    path = _policies(args, args.path)
    pack = load_policies(path)
    print(f"{path}: OK - {pack.summary()}")
    return 0


def _load_all(args):
    pack = load_policies(_policies(args))
    scenarios = []
    problems: list[str] = []
    for f in args.files:
        try:
            scenarios.extend(load_scenarios(f, pack))
        except PolicyFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise PolicyFileError(problems)
    return pack, scenarios


def cmd_test(args) -> int:
    pack, scenarios = _load_all(args)
    results = [run_scenario(pack, s) for s in scenarios]
    passed = sum(1 for r in results if r.passed)
    failed = len(results) - passed
    if args.json:
        print(json.dumps({"results": [r.as_dict() for r in results], "passed": passed, "failed": failed},
                         indent=2, ensure_ascii=False))
    else:
        for r in results:
            print(r.line())
        print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def cmd_eval(args) -> int:
    pack, scenarios = _load_all(args)
    out = []
    for s in scenarios:
        r = run_scenario(pack, s)
        out.append({"scenario": s.name, "findings": [f.as_dict() for f in r.findings]})
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def cmd_tone(args) -> int:
    from deskapp.policy.toneplugin import classify_tone

    text = sys.stdin.read() if args.text == "-" else args.text
    pack = load_policies(_policies(args))
    r = classify_tone(text, args.channel, pack.tone)
    if args.json:
        print(json.dumps(r.as_dict(), indent=2, ensure_ascii=False))
        return 0
    verdict = "HOSTILE - the hostile-tone rule would warn" if r.hostile else "ok"
    print(f"verdict: {verdict}")
    print(f"score: {r.score:g} (threshold {pack.tone.threshold:g})")
    print(f"answered by: {r.classifier}" + (f" ({r.detector})" if r.classifier == "built-in" else ""))
    if r.probability is not None:
        from deskapp.policy.tonemodel import shipped_model

        model = shipped_model()
        threshold = pack.tone.model_threshold if pack.tone.model_threshold is not None else (
            model.threshold if model is not None else None)
        print(f"model: probability {r.probability:.2f}" + (f" (threshold {threshold:g})" if threshold is not None else ""))
    print("cues:" if r.reasons else "cues: none")
    for reason in r.reasons:
        print(f"  {reason}")
    if r.polite_markers:
        print("polite markers: " + ", ".join(f"'{p}'" for p in r.polite_markers))
    return 0


def cmd_schema(args) -> int:
    from deskapp.policy.schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0
