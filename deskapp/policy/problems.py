"""Validation errors of policies.yaml as `PATH:LINE:COL: rule 'x': severity: ...` lines.

Why not core.declared.problems() as it is: policy files have been checked
for years with messages admins know ("rule 'r1': when: unknown fact ...",
"approvals.expire_after_working_days must be at least 0, not -1"), tests pin
them, and a rule is better named by its id than by its index. So positions
come from core.declared (Spots, did_you_mean, the model's keys and choices)
and only the wording is the policy file's own. Errors inside a value (CEL,
templates, regexes) are placed at the character, inside multi-line scalars too.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Optional

from pydantic import BaseModel, ValidationError
from yaml.nodes import Node, ScalarNode

from deskapp.core.declared import Loc, Problem, Spot, Spots, allowed_choices, allowed_keys, did_you_mean, explain
from deskapp.policy import yamlsrc as Y
from deskapp.policy.engine import POLICY_ERROR
from deskapp.policy.schema import RULE_ID, At, Inside

_VERB = re.compile(r"(must|needs|cannot|can never) ")
_SIMPLE = {
    "int_parsing": "must be a whole number", "int_type": "must be a whole number",
    "int_from_float": "must be a whole number", "float_parsing": "must be a number", "float_type": "must be a number",
    "bool_parsing": "must be true or false", "bool_type": "must be true or false", "string_type": "must be text",
    "list_type": "must be a list", "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values", "model_attributes_type": "must be a mapping of keys to values",
}
_BOUNDS = {"greater_than_equal": ("ge", "at least"), "less_than_equal": ("le", "at most"),
           "greater_than": ("gt", "more than"), "less_than": ("lt", "less than")}


def rule_name(rule: Any) -> Optional[str]:
    rid = rule.get("id") if isinstance(rule, dict) else None
    return rid if isinstance(rid, str) and RULE_ID.fullmatch(rid) and rid != POLICY_ERROR else None


class Placer:
    """Where and how to say each problem of one file (policies, or scenarios with `top`/`named`).

    `named` = (list key, noun, name key, name of an item or None): items of
    that list are called by name, `rule 'x'`, rather than `rules[3]`.
    """

    def __init__(self, name: str, data: Any, spots: Spots, root: Optional[Node], lines: list[str],
                 top: str = "policies", named: tuple[str, str, str, Callable[[Any], Optional[str]]] = (
                     "rules", "rule", "id", rule_name)):
        self.name, self.data, self.spots, self.root, self.lines = name, data, spots, root, lines
        self.top, self.named = top, named

    def at(self, loc: Loc, message: str, key: bool = False, inside: Optional[tuple[int, int]] = None) -> Problem:
        """A problem at loc's value (or its key), or at a (line, col) inside that value's text."""
        spot = self.spots.key_at(loc) if key else self.spots.at(loc)
        node = Y.node_at(self.root, loc) if inside else None
        if isinstance(node, ScalarNode):
            spot = Spot(*Y.scalar_column(node, inside[0], inside[1], self.lines))
        return Problem(self.name, spot, "", message)

    def errors(self, exc: ValidationError, model: type[BaseModel], prefix: Loc = ()) -> list[Problem]:
        # A key's own mistakes before "missing ... key" at the same place, as people fix them top down.
        errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] == "missing")
        return [self.error(error, model, prefix) for error in errors]

    def error(self, error: dict[str, Any], model: type[BaseModel], prefix: Loc = ()) -> Problem:
        kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
        key = "[key]" in error["loc"]  # a dict's key was wrong (the models declare no unions: no other tags)
        loc = prefix + tuple(part for part in error["loc"] if part != "[key]")
        inner = loc[len(prefix):]
        if kind == "missing":
            return self.at(loc, self.said(loc[:-1], f"missing required key '{loc[-1]}'"))
        if kind == "extra_forbidden":
            if loc[-1] == "<<":
                return self.at(loc, self.said(loc[:-1], "'<<' merge keys are not supported; write the keys out"), True)
            allowed = allowed_keys(model, inner[:-1])
            return self.at(loc, self.said(loc[:-1], f"unknown key '{Y.short(loc[-1])}'"
                                                    f"{did_you_mean(loc[-1], allowed)}"), True)
        if kind in ("value_error", "assertion_error") and "error" in ctx:
            cause = ctx["error"]
            if isinstance(cause, At):
                where = loc + cause.loc
                return self.at(where, str(cause) if cause.whole else self.said(where, str(cause)), cause.key)
            inside = (cause.line, cause.col) if isinstance(cause, Inside) else None
            return self.at(loc, self.said(loc, str(cause)), key, inside)
        if kind == "literal_error" and (value is None or isinstance(value, (dict, list))):
            return self.at(loc, self.said(loc, "must not be empty" if value is None else f"must be text, not {kind_of(value)}"))
        if kind == "literal_error":
            choices = allowed_choices(model, inner)
            return self.at(loc, self.said(loc, f"unknown value '{Y.short(value)}'{did_you_mean(value, choices)}; "
                                               f"expected one of: {', '.join(map(str, choices))}"))
        if kind in _SIMPLE:
            return self.at(loc, self.said(loc, f"{_SIMPLE[kind]}, not {kind_of(value)}"))
        if kind in _BOUNDS:
            name, words = _BOUNDS[kind]
            bound = ctx.get(name)
            return self.at(loc, self.said(loc, f"must be {words} {bound:g}, not {Y.short(value)}"
                                          if isinstance(bound, float) else f"must be {words} {bound}, not {Y.short(value)}"))
        return self.at(loc, self.said(loc, explain(error, model, inner)), key)

    def said(self, loc: Loc, message: str) -> str:
        """`label message` when the message reads on from the name ("must be ..."), else `label: message`."""
        name = self.label(loc)
        if _VERB.match(message) or (name == f"{self.named[1]} {self.named[2]}" and message.startswith("'")):
            return f"{name} {message}"
        return f"{name}: {message}"

    def label(self, loc: Loc) -> str:
        """How a place in the file is named: `policies`, `tone.phrases[2]`, `rule 'x': levels[1].say`."""
        if not loc:
            return self.top
        listed, noun, name_key, name_of = self.named
        if loc[0] == listed and len(loc) > 1 and isinstance(loc[1], int):
            items = self.data.get(listed) if isinstance(self.data, dict) else None
            name = name_of(items[loc[1]]) if isinstance(items, list) and loc[1] < len(items) else None
            if loc[2:] == (name_key,):
                return f"{noun} {name_key}"
            head = f"{noun} '{Y.short(name)}'" if name else f"{listed}[{loc[1] + 1}]"
            return head + (f": {counted(loc[2:])}" if loc[2:] else "")
        return counted(loc)


def counted(loc: Loc) -> str:
    """`tone.phrases[1].regex`: list items counted from 1, as people count them."""
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def kind_of(value: Any) -> str:
    """How a wrong value is named in a message: 'abc', a list, a mapping, empty."""
    if value is None or value == "":
        return "empty"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"'{Y.short(value)}'"
