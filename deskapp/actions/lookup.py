"""A case found by its reference, for the command line (`deskapp case show|note|... REF`).

The desk opens cases from the queue by id; a script names them by the
reference a person reads (C-1001) or the one an import brought in. Viewing
needs `case.view`, re-read from the database like every other check.
"""

from __future__ import annotations

from typing import Any

from deskapp.actions.erasure import case_by_ref
from deskapp.actions.permissions import require
from deskapp.actions.reads import view_of
from deskapp.core.views import CaseView


def case_by_reference(desk: Any, ref: str) -> CaseView:
    """The whole case as the desk shows it; DeskError naming the reference if there is none."""
    with desk.session() as session:
        require(desk, "case.view", session=session)
        return view_of(session, case_by_ref(session, ref))
