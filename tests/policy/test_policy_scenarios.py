"""Scenario files: the shipped ones pass (subprocess and in-process), every default rule is
covered both ways, and broken scenario files are reported, never crash."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from deskapp.cli import main
from deskapp.policy import PolicyFileError
from deskapp.policy.scenarios import load_scenarios, parse_scenarios, run_scenario

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FILES = sorted(HERE.glob("*.yaml"))
PROBLEM = re.compile(r"^[^\n]+:\d+:\d+: \S")


def test_there_are_scenario_files():
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_in_process(pack, path):
    results = [run_scenario(pack, s) for s in load_scenarios(path, pack)]
    failures = [r.line() for r in results if not r.passed]
    assert not failures, "\n".join(failures)


def test_every_default_rule_both_ways(pack):
    fires, quiet = set(), set()
    for path in FILES:
        for s in load_scenarios(path, pack):
            fires |= {e.rule for e in s.expect}
            quiet |= set(s.forbid)
    assert set(pack.rule_ids) <= fires, set(pack.rule_ids) - fires
    assert set(pack.rule_ids) <= quiet, set(pack.rule_ids) - quiet


def test_deskapp_policy_test_subprocess():
    total = sum(len(load_scenarios(p)) for p in FILES)
    proc = subprocess.run([sys.executable, "-m", "deskapp", "policy", "test", *map(str, FILES)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == f"{total} passed, 0 failed"
    assert all(l.startswith("PASS ") for l in lines[:-1])
    assert "Traceback" not in proc.stderr


def write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


PASSING = """
scenarios:
  - name: closing without a response
    now: 2026-03-10T11:00
    case: {ref: C-1, kind: complaint, status: investigating, received_at: 2026-03-02T09:00}
    action: {kind: status, to: closed}
    expect: [{rule: close-without-response, severity: block}]
"""

FAILING = """
scenarios:
  - name: wrongly expects a warning
    now: 2026-03-10T11:00
    case: {ref: C-1, kind: complaint, status: investigating, received_at: 2026-03-02T09:00}
    action: {kind: status, to: closed}
    expect: [{rule: close-without-response, severity: warn}]
    forbid: [close-without-response]
"""


def test_cli_pass_fail_and_json(tmp_path, capsys):
    good, bad = write(tmp_path, PASSING, "good.yaml"), write(tmp_path, FAILING, "bad.yaml")
    assert main(["policy", "test", str(good)]) == 0
    assert capsys.readouterr().out.splitlines() == ["PASS closing without a response", "1 passed, 0 failed"]
    assert main(["policy", "test", str(good), str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("FAIL wrongly expects a warning: expected close-without-response (warn), but got block")
    assert "close-without-response fired (block)" in out[1]
    assert out[-1] == "1 passed, 1 failed"
    assert main(["policy", "test", str(bad), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] == 0 and data["failed"] == 1
    assert data["results"][0]["findings"][0]["rule"] == "close-without-response"


def test_cli_eval(tmp_path, capsys):
    assert main(["policy", "eval", str(write(tmp_path, PASSING))]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data[0]) == ["scenario", "findings"]
    assert data[0]["scenario"] == "closing without a response"
    assert set(data[0]["findings"][0]) == {"rule", "severity", "message"}


def test_cli_invalid_scenario_file(tmp_path, capsys):
    p = write(tmp_path, "scenarios:\n  - name: x\n    now: tomorrow\n    case: {kind: complant}\n")
    assert main(["policy", "test", str(p)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"{p}:3:10: scenario 'x': now must be a local date and time like 2026-03-10T11:00, not 'tomorrow'",
                   f"{p}:4:18: scenario 'x': case.kind: unknown value 'complant' (did you mean 'complaint'?); "
                   "expected one of: complaint, enquiry, compliment, service_request"]
    assert main(["policy", "eval", str(p)]) == 2


def test_cli_with_bad_policies(tmp_path, capsys):
    scen = write(tmp_path, PASSING)
    pol = write(tmp_path, "version: 1\nrules: [oops]\n", "p.yaml")
    assert main(["policy", "test", str(scen), "--policies", str(pol)]) == 2
    assert capsys.readouterr().err.startswith(f"{pol}:2:9: ")
    assert main(["--policies", str(pol), "policy", "check"]) == 2


def test_cli_check(tmp_path, capsys):
    assert main(["policy", "check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and "OK" in out[0] and "18 rules" in out[0]
    assert main(["policy", "check", str(write(tmp_path, "version: 1\nrules: []\n"))]) == 0
    assert main(["policy", "check", str(tmp_path / "missing.yaml")]) == 2
    assert capsys.readouterr().err.strip().endswith("missing.yaml:1:1: file not found")


def test_cli_check_counts_add_up_to_the_rules(capsys):
    """Each rule is counted once, by the strongest finding it can give (two rules warn, then advise)."""
    assert main(["policy", "check"]) == 0
    out = capsys.readouterr().out
    total, enabled, block, warn, advice = map(int, re.search(
        r"(\d+) rules \((\d+) enabled; by strongest finding: (\d+) block, (\d+) warn, (\d+) advice\)", out).groups())
    assert block + warn + advice == total == enabled == 18, out
    assert (block, warn, advice) == (4, 9, 5), out


def test_missing_scenario_file(tmp_path, capsys):
    assert main(["policy", "test", str(tmp_path / "none.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("scenarios: []", "the list is empty"),
    ("scenarios: [{name: a}]", "missing required key 'case'"),
    ("scenarios: [{name: a, case: {}, expect: [{rule: nope}]}]", "no rule 'nope'"),
    ("scenarios: [{name: a, case: {}, forbid: [hostile-tnoe]}]", "did you mean 'hostile-tone'"),
    ("scenarios: [{name: a, case: {parties: [{id: p1}, {id: p1}]}}]", "duplicate party id"),
    ("scenarios: [{name: a, case: {}, action: {kind: status, to: shut}}]", "unknown status 'shut'"),
    ("scenarios: [{name: a, case: {parties: [{id: p2}]}, action: {kind: assign, at_request_of: p1}}]",
     "no party 'p1'"),
    ("scenarios: [{name: a, now: 2026-03-10T11:00Z, case: {}}]", "drop the time zone"),
    ("scenarios: [{name: a, case: {received_at: 2026-13-01}}]", "month must be in 1..12"),
    ("scenarios: [{name: a, case: {stage: two}}]", "whole number"),
    ("scenarios: [{name: a, case: {history: [{at: 2026-03-01T10:00, channel: fax, direction: out}]}}]",
     "unknown value 'fax'"),
])
def test_scenario_problems(pack, text, words):
    with pytest.raises(PolicyFileError) as info:
        parse_scenarios(text, "s.yaml", pack)
    joined = "\n".join(info.value.problems)
    assert words in joined
    assert all(PROBLEM.match(p) for p in info.value.problems)


def test_party_ids_taken_as_written_when_no_parties_are_listed(pack):
    s = parse_scenarios("scenarios: [{name: a, case: {}, action: {kind: message, party: c1, body: x}}]", "s.yaml", pack)
    assert s[0].action.party == "c1"


def test_scenario_defaults_and_forms(pack):
    s = parse_scenarios(
        "- name: top-level list works\n  case: {ref: X}\n  action: case\n  expect: [response-due]\n  forbid: hostile-tone\n",
        "s.yaml", pack, now=datetime(2026, 1, 1))
    assert s[0].action is None and s[0].now == datetime(2026, 1, 1)
    assert s[0].expect[0].rule == "response-due" and s[0].forbid == ("hostile-tone",)


# ----- fuzzing the scenario loader -----------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 30), st.text(max_size=10),
                    st.sampled_from(["2026-03-10T11:00", "2026-03-10", "p1", "complaint", "message", "out", "phone",
                                     "closed", "warn", "card-number-disclosure", "missed", "resident"]))
keys = st.sampled_from(["scenarios", "name", "now", "case", "action", "expect", "forbid", "kind", "stage", "status",
                        "received_at", "parties", "history", "appointments", "id", "role", "designated", "at",
                        "channel", "direction", "party", "outcome", "rule", "severity", "contains", "to",
                        "working_days", "extra", "body", "x"])
structures = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                           st.dictionaries(keys, inner, max_size=6)), max_leaves=30)


def must_not_crash(pack, text):
    try:
        for s in parse_scenarios(text, "s.yaml", pack, now=datetime(2026, 3, 10)):
            run_scenario(pack, s)
    except PolicyFileError as exc:
        assert all(PROBLEM.match(p) for p in exc.problems), exc.problems


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structures)
def test_fuzz_scenario_structures(pack, data):
    must_not_crash(pack, yaml.safe_dump({"scenarios": [data]} if isinstance(data, dict) else data))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_scenario_text(pack, text):
    must_not_crash(pack, text)


SHIPPED = (HERE / "designated_representative.yaml").read_text().split("\n")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(SHIPPED) - 1), st.sampled_from(["delete", "duplicate", "insert"]),
       st.text(alphabet="ab{}[]:'\"-&*!. #\n", max_size=6))
def test_fuzz_mutated_scenario_file(pack, i, how, junk):
    lines = list(SHIPPED)
    if how == "delete":
        del lines[i]
    elif how == "duplicate":
        lines.insert(i, lines[i])
    else:
        lines[i] = lines[i][: len(lines[i]) // 2] + junk + lines[i][len(lines[i]) // 2:]
    must_not_crash(pack, "\n".join(lines))
