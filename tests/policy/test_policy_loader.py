"""policies.yaml loading: the default pack, and every mistake as PATH:LINE:COL: message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from deskapp.errors import DeskError
from deskapp.policy import PolicyFileError, check_policies, load_policies, load_policies_text
from deskapp.resources import shipped

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEXT = (ROOT / "policies.yaml").read_text()
PROBLEM = re.compile(r"^[^\n]+:\d+:\d+: \S")

# The table: id -> (on, severities).
DEFAULT_TABLE = {
    "designated-representative": ({"contact", "message"}, {"warn"}),
    "person-designated-representative": ({"contact", "message"}, {"warn"}),
    "person-arrangements": ({"case"}, {"advice"}),
    "person-vulnerable": ({"case"}, {"advice"}),
    "card-number-disclosure": ({"message"}, {"block"}),
    "hostile-tone": ({"message"}, {"warn"}),
    "acknowledgement-due": ({"case"}, {"advice", "warn"}),
    "response-due": ({"case"}, {"advice", "warn"}),
    "close-without-response": ({"status"}, {"block"}),
    "respond-without-final-response": ({"status"}, {"block"}),
    "unanswered-contacts": ({"case"}, {"advice"}),
    "end-call-without-warning": ({"end_call"}, {"warn"}),
    "missed-appointment": ({"case"}, {"advice"}),
    "appointment-not-working-day": ({"appointment"}, {"warn"}),
    "awaiting-third-party": ({"case"}, {"advice"}),
    "extension-limit": ({"extend"}, {"block"}),
    "stage2-same-handler": ({"assign", "escalate"}, {"warn"}),
    "reassign-on-request": ({"assign"}, {"warn"}),
}


def test_default_pack_matches_the_table(pack):
    assert {r.id: (set(r.on), set(r.severities)) for r in pack.rules} == DEFAULT_TABLE
    assert "hostile-tone" in pack.rule_ids and all(r.enabled for r in pack.rules)


def test_shipped_file_is_the_top_level_one():
    assert shipped("policies.yaml").read_text() == DEFAULT_TEXT


def test_default_path_and_no_env(monkeypatch, tmp_path):
    """The packaged pack is the default; no environment variable picks another (the rules are published)."""
    assert load_policies().rule_ids == load_policies(ROOT / "policies.yaml").rule_ids
    other = tmp_path / "p.yaml"
    other.write_text("version: 1\nrules: []\n")
    monkeypatch.setenv("DESKAPP_POLICIES", str(other))
    assert load_policies().rule_ids == load_policies(ROOT / "policies.yaml").rule_ids


def test_a_pack_from_text_names_its_source_and_hashes_its_exact_bytes():
    import hashlib

    data = "\ufeffversion: 1\r\nrules: []\r\n".encode()
    pack = load_policies_text(data, "team/rules.yaml")
    assert pack.sha256 == hashlib.sha256(data).hexdigest(), "the bytes as given: BOM and CRLF included"
    assert load_policies_text(data.decode(), "team/rules.yaml").sha256 == pack.sha256
    with pytest.raises(PolicyFileError) as caught:
        load_policies_text("version: 1\nrules:\n  - id: x\n    on: [mesage]\n    when: 'true'\n    severity: warn\n    say: hi\n",
                           "team/rules.yaml")
    assert caught.value.problems[0].startswith("team/rules.yaml:4:"), caught.value.problems


def test_reload_after_change(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("version: 1\nrules: []\n")
    assert load_policies(p).rules == []
    p.write_text(DEFAULT_TEXT)
    assert len(load_policies(p).rules) == 18


def problems_for(text: str, tmp_path) -> list[str]:
    p = tmp_path / "policies.yaml"
    p.write_text(text)
    pack, problems = check_policies(p)
    assert pack is None and problems
    for line in problems:
        assert PROBLEM.match(line), line
        assert line.startswith(str(p) + ":")
    return problems


def one_rule(**fields) -> str:
    base = {"id": "r1", "on": "[message]", "when": "action.is_outbound", "severity": "warn", "say": "hello"}
    base.update(fields)
    body = "\n".join(f"    {k}: {v}" for k, v in base.items() if v is not None)
    return f"version: 1\nrules:\n  - {body.lstrip()}\n"


@pytest.mark.parametrize("text, where, words", [
    ("version: 1\ncalender: {}\nrules: []\n", ":2:1:", ['unknown key', "did you mean 'calendar'"]),
    ("version: 2\nrules: []\n", ":1:10:", ["version 1"]),
    ("version: 1\n", ":1:1:", ["missing required key 'rules'"]),
    (one_rule(when="action.is_outbound &&& true"), ":5:32:", ["syntax error"]),
    (one_rule(on="[mesage]"), ":4:10:", ['unknown action kind', "did you mean 'message'"]),
    (one_rule(severity="critical"), ":6:15:", ["unknown value 'critical'", "advice, warn, block"]),
    (one_rule(when="action.is_outbund"), ":5:18:", ["unknown fact 'is_outbund'", "did you mean 'is_outbound'"]),
    (one_rule(say='"Due {case.sla.respond_byy}"'), ":7:25:", ["unknown fact 'respond_byy'"]),
    (one_rule(say='"Due {day(case.sla.respond_by}"'), ":7:", ["say: syntax error"]),
    (one_rule(say='"oops }"'), ":7:16:", ["'}' without a matching '{'"]),
    (one_rule(say='"oops {"'), ":7:16:", ["'{' without a matching '}'"]),
    (one_rule(when="nope(1)"), ":5:11:", ["unknown name 'nope'"]),
    (one_rule(when="action.body"), ":5:11:", ["must be true or false"]),
    (one_rule(when="case.stage < 'x'"), ":5:11:", ["type mismatch"]),
    (one_rule(on="[case]", when="action.is_outbound"), ":5:11:", ["not available to `on: case` rules"]),
    (one_rule(id="policy-error"), ":3:9:", ["reserved"]),
    (one_rule(colour="red"), ":8:5:", ["unknown key 'colour'"]),
    (one_rule(severity=None), ":3:5:", ["missing required key 'severity'"]),
    ("version: 1\nrules:\n  - {id: a, on: case, when: 'true', severity: advice, say: x}\n"
     "  - {id: a, on: case, when: 'true', severity: advice, say: x}\n", ":4:10:", ["duplicate rule id 'a'", "line 3"]),
    ("version: 1\nrules: [\n", ":3:1:", ["invalid YAML"]),
    ("- just\n- a list\n", ":1:1:", ["policies must be a mapping"]),
    ("", ":1:1:", ["empty"]),
    ("version: 1\ncalendar: {country: XX}\nrules: []\n", ":2:21:", ["not a country"]),
    ("version: 1\ncalendar: {country: GB, subdivision: ENK}\nrules: []\n", ":2:38:", ["did you mean 'ENG'"]),
    ("version: 1\ncalendar: {working_week: [mon, funday]}\nrules: []\n", ":2:32:", ["not a weekday"]),
    ("version: 1\ncalendar: {closures: [2026-02-30]}\nrules: []\n", ":2:23:", ["day is out of range"]),
    ("version: 1\ntone: {phrases: [{regex: 'a(b'}]}\nrules: []\n", ":2:28:", ["missing ), unterminated subpattern"]),
    ("version: 1\ntone: {phrases: ['a (b']}\nrules: []\n", ":2:", ["without a matching ')'"]),
    ("version: 1\ntimescales: {x: {stages: {1: {respond: {days: 3}}}}}\nrules: []\n", ":2:", ["unknown key 'days'"]),
    ("version: 1\ntimescales: {x: {applies_to: {kinds: [complain]}, stages: {1: {}}}}\nrules: []\n", ":2:39:",
     ["did you mean 'complaint'"]),
    ("version: 1\nrules:\n  - id: a\n    on: case\n    levels:\n      - {severity: advice, say: x}\n"
     "      - {severity: warn, when: 'true', say: y}\n", ":7:9:", ["can never apply"]),
    ("version: 1\nrules: []\nrules: []\n", ":3:1:", ["duplicate key 'rules'"]),
])
def test_problems_point_at_the_mistake(tmp_path, text, where, words):
    problems = problems_for(text, tmp_path)
    joined = "\n".join(problems)
    assert any(where in line for line in problems), joined
    for w in words:
        assert w in joined, joined


def test_folded_expression_column(tmp_path):
    text = ("version: 1\nrules:\n  - id: a\n    on: case\n    severity: advice\n    say: x\n"
            "    when: >\n      case.is_open\n      && case.sla.responded_pendin\n")
    problems = problems_for(text, tmp_path)
    assert any(":9:19:" in p and "responded_pendin" in p for p in problems), problems


def test_error_type_and_exit_code(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("version: 1\nrules: 3\n")
    with pytest.raises(PolicyFileError) as info:
        load_policies(p)
    exc = info.value
    assert isinstance(exc, DeskError) and exc.exit_code == 2
    assert str(exc) == "\n".join(exc.problems)
    assert exc.problems[0].startswith(f"{p}:2:8: ")


def test_missing_file_and_directory(tmp_path):
    _, problems = check_policies(tmp_path / "nope.yaml")
    assert problems == [f"{tmp_path / 'nope.yaml'}:1:1: file not found"]
    _, problems = check_policies(tmp_path)
    assert "directory" in problems[0]


def test_binary_file(tmp_path):
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"version: 1\nrules: []\n\xff\xfe\x00")
    _, problems = check_policies(p)
    assert problems[0].startswith(f"{p}:3:1: ") and "UTF-8" in problems[0]


def test_all_problems_reported_in_one_run(tmp_path):
    text = one_rule(on="[mesage]", severity="critical").replace("version: 1", "version: 1\ncalender: {}")
    assert len(problems_for(text, tmp_path)) >= 3


def test_levels_and_disabled_rules():
    pack = load_policies_text(
        "version: 1\nrules:\n"
        "  - id: a\n    on: [case]\n    when: case.is_open\n    levels:\n"
        "      - {severity: warn, when: 'case.stage == 2', say: two}\n"
        "      - {severity: advice, say: 'one {case.ref}'}\n"
        "  - {id: b, on: case, when: 'true', severity: block, say: off, enabled: false}\n")
    assert pack.rule("a").severities == ("warn", "advice")
    assert pack.rules_for("case") == [pack.rule("a")]


# ----- fuzzing: whatever the input, a PolicyFileError or a pack, never anything else ------


def must_not_crash(text):
    try:
        load_policies_text(text)
    except PolicyFileError as exc:
        assert exc.problems and all(PROBLEM.match(p) for p in exc.problems), exc.problems


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_random_text(text):
    must_not_crash(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_random_bytes(data):
    must_not_crash(data)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=12),
                    st.sampled_from(["case", "message", "warn", "block", "advice", "true", "case.is_open", "{x}",
                                     "2026-03-10", "GB", "ENG", "mon", "working_days", "received"]))
keys = st.sampled_from(["version", "rules", "id", "on", "when", "severity", "say", "levels", "calendar", "country",
                        "subdivision", "closures", "timescales", "stages", "1", "respond", "acknowledge",
                        "working_days", "from", "tone", "phrases", "phrase", "regex", "weight", "polite", "cues",
                        "applies_to", "kinds", "extension_max", "calls", "gap_minutes", "enabled", "x"])
structures = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                           st.dictionaries(keys, inner, max_size=5)), max_leaves=25)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structures)
def test_fuzz_random_structures(data):
    must_not_crash(yaml.safe_dump(data, allow_unicode=True))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, structures, max_size=4))
def test_fuzz_structures_under_a_valid_header(extra):
    data = {"version": 1, "rules": [{"id": "a", "on": "case", "when": "true", "severity": "advice", "say": "x"}]}
    data.update(extra)
    must_not_crash(yaml.safe_dump(data, allow_unicode=True))


LINES = DEFAULT_TEXT.split("\n")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(LINES) - 1), st.sampled_from(["delete", "duplicate", "insert", "truncate"]),
       st.text(alphabet="abc{}[]:'\"-&|!. #\t\n", max_size=8))
def test_fuzz_mutated_default_file(i, how, junk):
    lines = list(LINES)
    if how == "delete":
        del lines[i]
    elif how == "duplicate":
        lines.insert(i, lines[i])
    elif how == "insert":
        lines[i] = lines[i][: len(lines[i]) // 2] + junk + lines[i][len(lines[i]) // 2:]
    else:
        lines = lines[:i]
    must_not_crash("\n".join(lines))


def test_a_rule_with_a_problem_still_has_its_facts_checked(tmp_path):
    """One run of `policy check` reports the misspelt severity and the misspelt fact of the same rule."""
    text = "version: 1\nrules:\n  - id: a\n    on: case\n    levels:\n      - {severity: warm, say: x, when: 'case.nope'}\n"
    problems = problems_for(text, tmp_path)
    assert any(":6:20:" in p and "unknown value 'warm'" in p for p in problems), problems
    assert any(":6:46:" in p and "unknown fact 'nope'" in p for p in problems), problems
