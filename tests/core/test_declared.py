"""Validation errors placed in the file: YAML marks, JSON offsets, one did-you-mean."""

from __future__ import annotations

import json
from typing import Literal, Optional, Union

import yaml
from hypothesis import given, settings, strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from deskapp.core.declared import (JsonSpots, Problem, Spot, Spots, did_you_mean, dotted, problems,
                                   yaml_tree)


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    severity: Literal["info", "warn", "block"]
    days: int = 0

    @field_validator("days")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 or more working days")
        return value


class Pack(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    steps: list[Step]
    note: Optional[str] = None


def _check(text: str) -> list[str]:
    data, spots, bad = yaml_tree(yaml.compose(text))
    assert not bad
    try:
        Pack.model_validate(data)
    except ValidationError as exc:
        return [str(p) for p in problems(exc, spots, "p.yaml", Pack)]
    return []


def test_yaml_errors_exact_lines() -> None:
    text = "name: desk\nsteps:\n  - severity: warn\n  - severty: block\n  - severity: blok\n    days: -2\n"
    got = _check(text)
    assert "p.yaml:4:5: steps[1].severity: missing (required)" in got
    assert "p.yaml:4:5: steps[1].severty: unknown key (did you mean 'severity'?)" in got
    assert "p.yaml:5:15: steps[2].severity: 'blok' is not one of: info, warn, block (did you mean 'block'?)" in got
    assert "p.yaml:6:11: steps[2].days: must be 0 or more working days" in got
    assert got == sorted(got, key=lambda line: tuple(int(n) for n in line.split(":")[1:3]))


def test_yaml_keys_stay_text_and_duplicates_are_reported() -> None:
    data, spots, bad = yaml_tree(yaml.compose("on: yes\nno: ~\non: 2\n"))
    assert data == {"on": "yes", "no": None}
    assert bad == [(Spot(3, 1), "duplicate key 'on' (first given on line 1)")]
    assert spots.at(("no",)) == Spot(2, 5)
    assert spots.at(("no", "deeper", 3)) == Spot(2, 5)  # nearest recorded parent


def test_typed_scalars() -> None:
    data, _spots, _bad = yaml_tree(yaml.compose("a: 5\nb: '5'\nc: true\n"), typed=True)
    assert data == {"a": 5, "b": "5", "c": True}


def test_problem_line_without_column_and_control_characters() -> None:
    assert str(Problem("f.csv", Spot(7), "kind", "bad\x1b[31m")) == "f.csv:7: kind: bad?[31m"
    assert str(Problem("f.csv", Spot(), "", "empty file")) == "f.csv: empty file"


def test_did_you_mean() -> None:
    assert did_you_mean("overdu", ["overdue", "open"]) == " (did you mean 'overdue'?)"
    assert did_you_mean("zzz", ["overdue"]) == ""
    assert dotted(("cases", 3, "parties", 0, "name")) == "cases[3].parties[0].name"


def test_json_spots_place_values() -> None:
    text = '{"source": "x",\n "cases": [\n  {"ref": 1},\n  {"ref": 2,\n   "bad": [1, {"k": null}]}\n ]}'
    spots = JsonSpots(text)
    assert spots.at(("cases", 1)) == Spot(4, 3)
    assert spots.at(("cases", 1, "bad", 1, "k")) == Spot(5, 21)
    assert spots.at(("cases", 9, "x")) == Spot(2, 11)  # no such case: the list itself
    assert spots.key_at(("cases", 1, "bad")) == Spot(5, 4)


def test_json_spots_on_a_broken_tail_still_place_what_they_can() -> None:
    spots = JsonSpots('[{"a": 1},\n {"a": 2}, {"a": ')
    assert spots.at((1, "a")) == Spot(2, 8)
    assert spots.at((2, "a")).line == 2


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20)


def _paths(value, loc=()):
    yield loc, value
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, loc + (i,))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, loc + (key,))


@settings(max_examples=200, deadline=None)
@given(_json, st.sampled_from([None, 1, 2]))
def test_json_spots_find_every_value(value, indent) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    spots = JsonSpots(text)
    decoder = json.JSONDecoder()
    for loc, expected in _paths(value):
        found, _end = decoder.raw_decode(text, spots.offset(loc))
        assert found == expected
        line, col = spots.at(loc).line, spots.at(loc).col
        assert sum(len(row) + 1 for row in text.split("\n")[: line - 1]) + col - 1 == spots.offset(loc)


def test_spots_default() -> None:
    assert Spots().at(("x",)) == Spot(1, 1)


def test_json_spots_do_not_decode_the_value_asked_for() -> None:
    """Placing a case in a 100 MB file must not decode its case list a second time."""
    text = '{"cases": [{"a": 1},\n {"a": 2}], "source": "x"}'
    spots = JsonSpots(text)
    decoded = []
    real = spots._decoder.raw_decode
    spots._decoder.raw_decode = lambda s, i: decoded.append(i) or real(s, i)
    assert spots.at(("cases", 1)) == Spot(2, 2)
    assert text.index("[") not in decoded
    assert spots.at(("source",)) == Spot(2, 23)
    assert spots.has(("cases", 1, "a")) and not spots.has(("cases", 2)) and not spots.has(("cases", 0, "b"))


def test_yaml_tree_bounds_the_values_aliases_expand_to() -> None:
    data, _spots, bad = yaml_tree(yaml.compose("a: &a [1, 2, 3]\nb: [*a, *a, *a]\n"), max_values=8)
    assert bad == [(Spot(1, 11), "more than 8 values (an alias repeated too often?)")]  # the aliased 2
    assert data["a"] == ["1", "2", "3"]


class Closure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: int
    list: Optional[int] = None


def test_a_real_key_named_like_a_type_stays_in_the_path() -> None:
    data, spots, _bad = yaml_tree(yaml.compose("date: soon\nlist: 3\n"))
    try:
        Closure.model_validate(data)
    except ValidationError as exc:
        got = [str(p) for p in problems(exc, spots, "c.yaml", Closure)]
    assert len(got) == 1 and got[0].startswith("c.yaml:1:7: date: ")


class Either(BaseModel):
    value: Union[int, list[int]]


def test_union_branch_names_leave_the_path() -> None:
    data, spots, _bad = yaml_tree(yaml.compose("value: x\n"))
    try:
        Either.model_validate(data)
    except ValidationError as exc:
        fields = {p.field for p in problems(exc, spots, "e.yaml", Either)}
    assert fields == {"value"}


def test_an_alias_bomb_is_one_problem_by_default() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    _data, _spots, bad = yaml_tree(yaml.compose(bomb))
    assert [message for _spot, message in bad if "values" in message]


class Free(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


def test_an_unknown_key_with_a_bracket_is_named_as_written() -> None:
    data, spots, _bad = yaml_tree(yaml.compose("name: x\n'keys[1]': 2\n"))
    try:
        Free.model_validate(data)
    except ValidationError as exc:
        got = [str(p) for p in problems(exc, spots, "f.yaml", Free)]
    assert got == ["f.yaml:2:1: keys[1]: unknown key"]
