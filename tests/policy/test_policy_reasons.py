"""policies.yaml `reasons:` - what counts as a reason for going ahead, asking or deciding."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskapp.cli import main
from deskapp.policy import PolicyFileError, load_policies, load_policies_text
from deskapp.policy.reasons import DEFAULT_EMPTY, DEFAULT_MIN_LENGTH, ReasonSettings, normalise


def pack_with(reasons: str):
    return load_policies_text(f"version: 1\n{reasons}rules: []\n", "team.yaml")


def test_defaults_and_the_shipped_pack():
    assert pack_with("").reasons == ReasonSettings()
    assert ReasonSettings().min_length == DEFAULT_MIN_LENGTH == 15
    shipped = load_policies().reasons
    assert shipped.min_length == 15
    assert {"ok", "n/a", "as discussed"} <= set(shipped.empty)


def test_a_team_sets_its_own_minimum_and_phrases():
    pack = pack_with('reasons:\n  min_length: 5\n  empty: ["per Bob", "see email"]\n')
    assert pack.reasons.problem("ok fine") is None, "only the team's own phrases are empty now"
    assert pack.reasons.problem("Per Bob.") is not None
    assert pack.reasons.problem("SEE  e-mail") is not None
    assert "at least 5" in pack.reasons.problem("four")


@pytest.mark.parametrize("text, problem", [
    ("reasons:\n  min_length: 0\n", "team.yaml:3:15: reasons.min_length must be at least 1, not 0"),
    ("reasons:\n  min_length: 201\n", "team.yaml:3:15: reasons.min_length must be at most 200, not 201"),
    ("reasons:\n  min_length: long\n", "team.yaml:3:15: reasons.min_length must be a whole number"),
    ("reasons:\n  empty: ok\n", "team.yaml:3:10: reasons.empty must be a list"),
    ('reasons:\n  empty: ["ok", ""]\n', "team.yaml:3:17: reasons.empty[2] must not be empty"),
    ("reasons:\n  minimum: 3\n", "team.yaml:3:3: reasons: unknown key 'minimum'"),
    ("reasons: 15\n", "team.yaml:2:10: reasons must be a mapping"),
])
def test_a_bad_value_is_one_line_naming_file_and_line(text, problem):
    with pytest.raises(PolicyFileError) as bad:
        pack_with(text)
    assert len(bad.value.problems) == 1 and bad.value.problems[0].startswith(problem), bad.value.problems


def test_policy_check_refuses_a_bad_value(tmp_path, capsys):
    path = tmp_path / "team.yaml"
    path.write_text("version: 1\nreasons:\n  min_length: -3\nrules: []\n")
    assert main(["policy", "check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{path}:3:15: reasons.min_length must be at least 1, not -3"]


@pytest.mark.parametrize("reason", ["", "   ", "ok", "OK!", "o.k.", "N/A", "n / a", "As discussed.",
                                    "AS-DISCUSSED", "see above", "too short", "12345678901234"])
def test_refused(reason):
    assert ReasonSettings().problem(reason) is not None


@pytest.mark.parametrize("reason", ["Dana asked me by email to ring Lee directly",
                                    "Customer withdrew in person today", "123456789012345"])
def test_accepted(reason):
    assert ReasonSettings().problem(reason) is None


# Decorations a hurried handler adds around an empty phrase: case, spaces, punctuation.
_NOISE = st.text(alphabet=string.punctuation + " \t", max_size=6)


@settings(max_examples=300, deadline=None)
@given(phrase=st.sampled_from(DEFAULT_EMPTY), before=_NOISE, after=_NOISE, upper=st.lists(st.booleans(), max_size=40),
       padding=st.integers(min_value=0, max_value=30))
def test_an_empty_phrase_is_refused_however_it_is_dressed(phrase, before, after, upper, padding):
    flips = upper + [False] * len(phrase)
    dressed = before + "".join(c.upper() if f else c for c, f in zip(phrase, flips)) + after + "." * padding
    assert ReasonSettings().problem(dressed) is not None


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=80))
def test_the_verdict_is_the_definition(text):
    """Refused exactly when blank, an empty phrase, or shorter than the minimum (spaces collapsed)."""
    r = ReasonSettings()
    cleaned = " ".join(text.split())
    expected = (not cleaned or not normalise(cleaned) or normalise(cleaned) in {normalise(p) for p in r.empty}
                or len(cleaned) < r.min_length)
    problem = r.problem(text)
    assert (problem is not None) == expected
    if problem is not None:
        assert "\n" not in problem, "one line"
