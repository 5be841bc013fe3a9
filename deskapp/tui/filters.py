"""What the handler has narrowed the queue to: filters and search text.

Kept as one immutable value so the queue title, the filter screen and the
query given to the queue view are always built from the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from deskapp.tui.text import clip

if TYPE_CHECKING:  # pydantic is imported with the first saved view, not before the desk's first screen
    from deskapp.core.saved_views import ViewSpec


SORT_WORDS = {"due": "due date", "priority": "priority", "received": "newest first", "ref": "reference",
              "relevance": "best match"}


@dataclass(frozen=True)
class QueueFilters:
    mine: bool = False
    overdue: bool = False
    due_soon: bool = False
    vulnerable: bool = False  # the case's own flag or a person on it (the queue's V)
    statuses: frozenset[str] = field(default_factory=frozenset)
    kinds: frozenset[str] = field(default_factory=frozenset)
    category: str = ""
    search: str = ""
    sort: str = "due"  # due | priority | received | ref | relevance (searches only)

    @property
    def active(self) -> bool:
        """Anything narrowing the queue (the sort order does not narrow it)."""
        return replace(self, sort="due") != QueueFilters()

    def cleared(self) -> "QueueFilters":
        """No search, no filters; the handler's sort order stays."""
        return QueueFilters(sort=self.sort if self.sort != "relevance" else "due")

    def with_search(self, text: str) -> "QueueFilters":
        return replace(self, search=text.strip())

    def without_search(self) -> "QueueFilters":
        return replace(self, search="")

    def spec(self) -> "ViewSpec":
        """What a saved view keeps of these filters: all of them, and the sort."""
        from deskapp.core.saved_views import ViewSpec

        return ViewSpec(mine=self.mine, overdue=self.overdue, due_soon=self.due_soon, vulnerable=self.vulnerable,
                        statuses=tuple(sorted(self.statuses)), kinds=tuple(sorted(self.kinds)),
                        category=self.category, search=self.search, sort=self.sort)

    @classmethod
    def from_spec(cls, spec: "ViewSpec") -> "QueueFilters":
        """The filters a saved view opens the queue with."""
        return cls(mine=spec.mine, overdue=spec.overdue, due_soon=spec.due_soon, vulnerable=spec.vulnerable,
                   statuses=frozenset(spec.statuses),
                   kinds=frozenset(spec.kinds), category=spec.category, search=spec.search, sort=spec.sort)

    def describe(self, width: int = 60) -> str:
        """Short words for the queue title: 'mine, overdue, status: new/closed, search “leak”'."""
        parts = []
        if self.mine:
            parts.append("mine")
        if self.overdue:
            parts.append("overdue")
        if self.due_soon:
            parts.append("due soon")
        if self.vulnerable:
            parts.append("vulnerable")
        if self.statuses:
            parts.append("status " + "/".join(s.replace("_", " ") for s in sorted(self.statuses)))
        if self.kinds:
            parts.append("kind " + "/".join(k.replace("_", " ") for k in sorted(self.kinds)))
        if self.category:
            parts.append(f"category “{clip(self.category, 20)}”")
        if self.search:
            parts.append(f"search “{clip(self.search, 24)}”")
        if self.sort != "due":
            parts.append(f"by {SORT_WORDS.get(self.sort, self.sort)}")
        return clip(", ".join(parts), width) if parts else ""
