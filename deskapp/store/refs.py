"""Case references: C-n numbers handed out after the highest one in use.

The demo, imports and the desk's "new case" all make refs; whoever made the
last one, the next is one higher, so none of them can collide by design.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from deskapp.store.models import Case


def next_case_refs(session: Session, count: int = 1) -> list[str]:
    """`count` fresh desk references C-n, after the highest numeric one in use (whatever made it)."""
    top = 1000
    # Natural order (length, then text) puts the highest number first; a few non-numeric refs are skipped.
    rows = session.execute(
        select(Case.ref).where(Case.ref.like("C-%")).order_by(func.length(Case.ref).desc(), Case.ref.desc()).limit(50)
    ).scalars()
    for ref in rows:
        digits = ref[2:]
        if digits.isdigit():
            top = max(top, int(digits))
            break
    return [f"C-{top + i}" for i in range(1, count + 1)]
