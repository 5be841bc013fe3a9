"""`deskapp policy schema`: the JSON Schema editors check policies.yaml with agrees with the loader."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest
import yaml

from deskapp.cli import main
from deskapp.core.declared import yaml_tree
from deskapp.policy import PolicyFileError, load_policies_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def schema():
    return json.loads(_printed_schema())


def _printed_schema() -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["policy", "schema"]) == 0
    return out.getvalue()


def _as_an_editor_reads(text: str):
    """YAML 1.2 as the YAML language server reads it: `on` is a key, not the boolean True."""
    data, _spots, bad = yaml_tree(yaml.compose(text), typed=True)
    assert not bad
    return data


def test_the_schema_accepts_the_shipped_file(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    text = (ROOT / "policies.yaml").read_text()
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(_as_an_editor_reads(text)))
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize("text, editor_says, loader_says", [
    ("version: 1\ncalender: {}\nrules: []\n", "'calender' was unexpected",
     "p.yaml:2:1: policies: unknown key 'calender' (did you mean 'calendar'?)"),
    ("version: 1\nrules:\n  - {id: a, on: mesage, when: 'true', severity: warn, say: x}\n", "'mesage'",
     "p.yaml:3:17: rule 'a': on[1]: unknown action kind 'mesage' (did you mean 'message'?)"),
    ("version: 1\napprovals: {expire_after_working_days: 31}\nrules: []\n", "31 is greater than the maximum of 30",
     "p.yaml:2:40: approvals.expire_after_working_days must be at most 30, not 31"),
])
def test_the_schema_and_the_loader_refuse_the_same_mistakes(schema, text, editor_says, loader_says):
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(_as_an_editor_reads(text))]
    assert any(editor_says in e for e in errors), errors
    with pytest.raises(PolicyFileError) as bad:
        load_policies_text(text, "p.yaml")
    assert any(p.startswith(loader_says) for p in bad.value.problems), bad.value.problems


def test_every_key_has_help_for_the_editor(schema):
    """Editors show a key's description on hover and completion: none may be missing."""
    models = [schema] + list(schema["$defs"].values())
    missing = [f"{m.get('title')}.{k}" for m in models for k, p in m.get("properties", {}).items()
               if not p.get("description")]
    assert missing == []
    rule = schema["$defs"]["RuleSpec"]
    assert rule["required"] == ["id", "on"] and rule["additionalProperties"] is False
    assert "case" in json.dumps(rule["properties"]["on"])


def test_an_alias_bomb_is_one_problem_not_a_hang():
    lines = ["version: 1", "rules: []", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    started = time.perf_counter()
    with pytest.raises(PolicyFileError) as bad:
        load_policies_text("\n".join(lines) + "\n", "bomb.yaml")
    assert time.perf_counter() - started < 20
    assert any("more than 100000 values" in p for p in bad.value.problems), bad.value.problems
