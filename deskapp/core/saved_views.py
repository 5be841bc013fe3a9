"""Saved views: a named filter + sort of the queue, declared once.

`ViewSpec` is what a view remembers, exactly what the queue's filter screen and
sort express (deskapp.tui.filters.QueueFilters holds the same fields); it is
stored as JSON in saved_views.spec and validated again on every read, so a view
saved before a status was renamed is shown as broken, with the reason, instead
of failing the desk. `SavedView` is one view as the desk and the command line
list it. Pure: no database, no screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from deskapp.vocab import CASE_KINDS, CASE_STATUSES

NAME_MAX = 40
SORTS = ("due", "priority", "received", "ref", "relevance")

Status = Literal[CASE_STATUSES]  # type: ignore[valid-type]
Kind = Literal[CASE_KINDS]  # type: ignore[valid-type]
Sort = Literal[SORTS]  # type: ignore[valid-type]


class ViewNameError(ValueError):
    """A view name that cannot be used; the message is one line for the handler."""


def clean_view_name(name: Any) -> str:
    """The name as stored: trimmed, one line, 1-40 characters (ViewNameError otherwise)."""
    text = name if isinstance(name, str) else ""
    text = " ".join(text.replace("\x00", "").split())  # tabs, newlines and runs of spaces: one space
    if not text:
        raise ViewNameError("give the view a name")
    if len(text) > NAME_MAX:
        raise ViewNameError(f"too long ({len(text)} characters; the limit is {NAME_MAX})")
    return text


class ViewSpec(BaseModel):
    """What a saved view narrows the queue to, and its sort. Field names match QueueFilters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mine: bool = False
    overdue: bool = False
    due_soon: bool = False
    vulnerable: bool = False
    statuses: tuple[Status, ...] = ()
    kinds: tuple[Kind, ...] = ()
    category: str = Field(default="", max_length=100)
    search: str = Field(default="", max_length=200)
    sort: Sort = "due"

    @model_validator(mode="after")
    def _relevance_needs_search(self) -> "ViewSpec":
        if self.sort == "relevance" and not self.search.strip():
            raise ValueError("sort 'relevance' ranks a search: the view has no search words")
        return self

    def stored(self) -> dict[str, Any]:
        """The JSON kept in saved_views.spec: sorted lists, no defaults left out (readable in the table)."""
        data = self.model_dump(mode="json")
        data["statuses"] = sorted(data["statuses"])
        data["kinds"] = sorted(data["kinds"])
        return data


def problem_of(error: ValidationError) -> str:
    """One line naming the first field that no longer validates: "statuses.0: Input should be ..."."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "view"
    more = len(error.errors()) - 1
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" + (f" (and {more} more)" if more else "")


def read_spec(data: Any) -> tuple[Optional[ViewSpec], Optional[str]]:
    """(spec, None) for stored JSON that still validates, else (None, the reason in one line)."""
    if not isinstance(data, dict):
        return None, f"stored view is {type(data).__name__}, not an object"
    try:
        return ViewSpec.model_validate(data), None
    except ValidationError as exc:
        return None, problem_of(exc)


class SavedView(BaseModel):
    """One saved view as listed: personal (owner set) or a team view (owner None, published_by set)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    id: int
    name: str
    owner: Optional[str] = None  # the handler's username; None for a team view
    published_by: Optional[str] = None
    spec: Optional[ViewSpec] = None
    problem: Optional[str] = None  # why the stored spec no longer validates (spec is then None)
    updated_at: Optional[datetime] = None

    @property
    def team(self) -> bool:
        return self.owner is None

    @property
    def broken(self) -> bool:
        return self.spec is None

    @property
    def scope(self) -> str:
        """'mine' or 'team (by sara)': which is which when a personal and a team view share a name."""
        if not self.team:
            return "mine"
        return f"team (by {self.published_by})" if self.published_by else "team"
