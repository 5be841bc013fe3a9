"""`--filter TERM` and `--sort` of `deskapp cases list`: the desk's own queue filters, spelled as words.

A script asks for exactly the views the desk's filter screen offers (the same
QueueFilters value, read by the same queue), so a CSV export and the queue a
handler sees cannot disagree about what "mine, overdue" means. One term per
`--filter`, so a value may hold spaces and commas (`search=leak, kitchen`):

    mine | overdue | due-soon | vulnerable | status=S[,S...] | kind=K[,K...] | category=TEXT | search=TEXT

Repeated status/kind terms add up; a repeated category or search replaces
the earlier one (the last word wins, as with most options). A problem is one
FilterError line naming the term; `filter_terms` writes a value back as terms
(tests check that the two round-trip).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from deskapp import vocab
from deskapp.errors import DeskError
from deskapp.tui.filters import QueueFilters

SORTS = ("due", "priority", "received", "ref", "relevance")
FLAGS = {"mine": "mine", "overdue": "overdue", "due-soon": "due_soon", "due_soon": "due_soon",
         "vulnerable": "vulnerable"}
LISTS = {"status": ("statuses", vocab.CASE_STATUSES), "kind": ("kinds", vocab.CASE_KINDS)}
TEXTS = ("category", "search")
TERMS = "mine, overdue, due-soon, vulnerable, status=..., kind=..., category=..., search=..."


class FilterError(DeskError):
    """A --filter or --sort the queue cannot answer: one line, exit 2."""


def _shown(term: str) -> str:
    return repr(term if len(term) <= 40 else term[:39] + "…")


def _term(filters: QueueFilters, term: str) -> QueueFilters:
    name, equals, value = term.partition("=")
    key = name.strip().lower()
    if not equals:
        if key in FLAGS:
            return replace(filters, **{FLAGS[key]: True})
        if key in LISTS or key in TEXTS:
            raise FilterError(f"--filter {_shown(term)}: give a value, e.g. {key}=...")
        raise FilterError(f"--filter {_shown(term)}: unknown filter (use {TERMS})")
    if key in LISTS:
        field, allowed = LISTS[key]
        words = [w.strip().lower().replace("-", "_") for w in value.split(",")]
        if not all(words):
            raise FilterError(f"--filter {_shown(term)}: give {key} values separated by commas")
        wrong = [w for w in words if w not in allowed]
        if wrong:
            raise FilterError(f"--filter {_shown(term)}: {_shown(wrong[0])} is not a {key} "
                              f"(one of: {', '.join(allowed)})")
        return replace(filters, **{field: getattr(filters, field) | frozenset(words)})
    if key in TEXTS:
        text = value.strip()
        if not text:
            raise FilterError(f"--filter {_shown(term)}: give the {key} after '='")
        return replace(filters, **{key: text})
    if key in FLAGS:
        raise FilterError(f"--filter {_shown(term)}: {key} takes no value")
    raise FilterError(f"--filter {_shown(term)}: unknown filter (use {TERMS})")


def parse_filters(terms: Iterable[str], sort: str | None = None, start: QueueFilters | None = None) -> QueueFilters:
    """The QueueFilters the terms and sort describe, added to `start` (a saved view's); FilterError (one line)
    for the first bad one."""
    filters = start or QueueFilters()
    for term in terms:
        filters = _term(filters, term)
    if sort is not None:
        if sort not in SORTS:
            raise FilterError(f"--sort {_shown(sort)}: use one of {', '.join(SORTS)}")
        if sort == "relevance" and not filters.search:
            raise FilterError("--sort relevance ranks a search: add --filter search=WORDS")
        filters = replace(filters, sort=sort)
    return filters


def filter_terms(filters: QueueFilters) -> list[str]:
    """The --filter terms that give `filters` (its sort aside): the inverse of parse_filters."""
    terms = [word for word, field in (("mine", "mine"), ("overdue", "overdue"), ("due-soon", "due_soon"),
                                      ("vulnerable", "vulnerable")) if getattr(filters, field)]
    for key, (field, _allowed) in LISTS.items():
        if getattr(filters, field):
            terms.append(f"{key}={','.join(sorted(getattr(filters, field)))}")
    terms += [f"{key}={getattr(filters, key)}" for key in TEXTS if getattr(filters, key)]
    return terms
