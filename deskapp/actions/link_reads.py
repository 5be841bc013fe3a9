"""Reading a case's links and merges (deskapp.actions.case_links, deskapp.actions.case_merge) for its view.

A merged duplicate's contacts are never moved or rewritten (the audit chain holds
digests of them as stored): the kept case's history is read across, as the
union of its own contacts and those of every case merged into it (and into
those, if a merged case had duplicates merged into it before), each labelled
with the ref it came from.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlmodel import Session

from deskapp.core.views import LinkView
from deskapp.store.models import Case, CaseLink, CaseMerge
from deskapp.vocab import LINK_INVERSE

MAX_DEPTH = 20  # merges nested deeper than this are not followed (a guard, not a limit anyone meets)


def merged_into_this(session: Session, case_id: int) -> dict[int, str]:
    """Case id -> ref of every case merged into this one (directly or through another merged case)."""
    found: dict[int, str] = {}
    frontier = [case_id]
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        rows = session.execute(select(CaseMerge.dup_id, Case.ref).join(Case, Case.id == CaseMerge.dup_id)
                               .where(CaseMerge.keep_id.in_(frontier), CaseMerge.undone_at.is_(None))).all()
        frontier = [int(dup) for dup, _ref in rows if int(dup) not in found and int(dup) != case_id]
        found.update({int(dup): ref for dup, ref in rows if int(dup) != case_id})
    return found


def active_merge_into(session: Session, case_id: int) -> CaseMerge | None:
    """The merge (not undone) that closed this case into another, if any."""
    return session.execute(select(CaseMerge).where(CaseMerge.dup_id == case_id, CaseMerge.undone_at.is_(None))
                           .order_by(CaseMerge.id.desc()).limit(1)).scalar_one_or_none()


def links_of(session: Session, case_id: int) -> tuple[LinkView, ...]:
    """The case's merges (into, then from) and its links in force, oldest first within each."""
    out: list[LinkView] = []
    merges = session.execute(
        select(CaseMerge, Case.id, Case.ref, Case.status, Case.title)
        .join(Case, ((CaseMerge.dup_id == case_id) & (Case.id == CaseMerge.keep_id))
              | ((CaseMerge.keep_id == case_id) & (Case.id == CaseMerge.dup_id)))
        .where(or_(CaseMerge.dup_id == case_id, CaseMerge.keep_id == case_id), CaseMerge.undone_at.is_(None))
        .order_by(CaseMerge.id)).all()
    for merge, other_id, ref, status, title in sorted(merges, key=lambda r: (r[0].keep_id == case_id, r[0].id)):
        kind = "merged into" if merge.dup_id == case_id else "merged from"
        out.append(LinkView(kind=kind, case_id=int(other_id), ref=ref, status=status, title=title or "",
                            merge_id=merge.id, at=merge.at))
    links = session.execute(
        select(CaseLink, Case.id, Case.ref, Case.status, Case.title)
        .join(Case, ((CaseLink.case_id == case_id) & (Case.id == CaseLink.other_id))
              | ((CaseLink.other_id == case_id) & (Case.id == CaseLink.case_id)))
        .where(or_(CaseLink.case_id == case_id, CaseLink.other_id == case_id), CaseLink.removed_at.is_(None))
        .order_by(CaseLink.id)).all()
    for link, other_id, ref, status, title in links:
        kind = link.kind if link.case_id == case_id else LINK_INVERSE.get(link.kind, link.kind)
        out.append(LinkView(kind=kind, case_id=int(other_id), ref=ref, status=status, title=title or "",
                            link_id=link.id, at=link.created_at))
    return tuple(out)
