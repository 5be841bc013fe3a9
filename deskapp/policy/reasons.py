"""What counts as a reason (policies.yaml `reasons:`).

A reason is the evidence that someone thought before going ahead against a
warning, asking for, or deciding on an approval. "ok" or "as discussed" says
nothing an ombudsman can check, so a reason shorter than `min_length` or one
that is only an empty phrase is refused with a hint. Pure: the action layer
refuses (InvalidInput("reason", ...)) and the forms show the same words
before submit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

DEFAULT_MIN_LENGTH = 15
MAX_MIN_LENGTH = 200
DEFAULT_EMPTY = ("ok", "okay", "n/a", "na", "none", "as discussed", "as agreed", "see above", "see notes",
                 "per supervisor", "approved", "yes", "fine", "done", "test", "because", "no reason",
                 "customer request", "manager said so")

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Lower case, punctuation and spacing folded: "  O.K.!! " and "ok" read the same."""
    return _NOT_WORD.sub(" ", text.casefold()).strip().replace(" ", "")


@dataclass(frozen=True)
class ReasonSettings:
    min_length: int = DEFAULT_MIN_LENGTH
    empty: tuple[str, ...] = DEFAULT_EMPTY

    @property
    def _empty_keys(self) -> frozenset[str]:
        return frozenset(normalise(p) for p in self.empty)

    def problem(self, text: Optional[str]) -> Optional[str]:
        """A one-line hint saying what is wrong with the reason, or None when it will do."""
        cleaned = " ".join((text or "").split())
        if not cleaned:
            return "required - say why"
        key = normalise(cleaned)
        if not key or key in self._empty_keys:
            return (f"{cleaned[:40]!r} does not say why. Give the facts that justify it "
                    f"(who asked, what you checked, what would go wrong otherwise)")
        if len(cleaned) < self.min_length:
            return (f"too short ({len(cleaned)} characters; at least {self.min_length}). Say what "
                    f"justifies it: who asked, what you checked, what would go wrong otherwise")
        return None
