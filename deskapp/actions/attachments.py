"""A case's received files: listed by anyone who may view the case; a file's bytes taken out, audited.

Taking a file out of the desk (`deskapp case attachments REF --save`) is like an
export: the event `attachment.save` records who took which file (id, sha256).
The bytes handed back are checked against their hash first, so a file changed
in the database is refused rather than passed on as evidence.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from deskapp.actions import audit
from deskapp.actions.erasure import case_by_ref
from deskapp.actions.permissions import require
from deskapp.actions.reads import attachment_views
from deskapp.core.views import AttachmentView
from deskapp.errors import DeskError
from deskapp.store.locks import begin_write
from deskapp.store.models import AttachmentBlob, ContactAttachment

SAVE_ACTION = "attachment.save"


def case_attachments(desk: Any, ref: str) -> tuple[str, tuple[AttachmentView, ...]]:
    """(the case's ref, its files oldest first); DeskError if there is no such case."""
    with desk.session() as session:
        require(desk, "case.view", session=session)
        case = case_by_ref(session, ref)
        return case.ref, attachment_views(session, case.id)


def take_attachment(desk: Any, ref: str, attachment_id: int) -> tuple[AttachmentView, bytes]:
    """The file's listing and bytes, its taking audited in the same transaction. DeskError if not on the case."""
    now = desk.now()
    with desk.session() as session, session.begin():
        begin_write(session)
        require(desk, "case.view", session=session)
        case = case_by_ref(session, ref)
        t = ContactAttachment
        row = session.execute(select(t).where(t.id == attachment_id, t.case_id == case.id)).scalar_one_or_none()
        if row is None:
            raise DeskError(f"{case.ref} has no attachment {attachment_id} (`deskapp case attachments {case.ref}` "
                            "lists them)")
        blob = session.get(AttachmentBlob, row.sha256)
        data = bytes(blob.data) if blob is not None else b""
        if blob is None or hashlib.sha256(data).hexdigest() != row.sha256:
            raise DeskError(f"attachment {attachment_id} of {case.ref}: its stored bytes do not match their "
                            "sha256; refusing to hand them out (run `deskapp audit verify`)")
        audit.append(session, **audit.by(desk), action=SAVE_ACTION, at=now, case_id=case.id,
                     detail={"attachment_id": row.id, "sha256": row.sha256, "size": row.size})
        view = AttachmentView(id=row.id, contact_id=row.contact_id, at=row.created_at, name=row.name,
                              content_type=row.content_type, size=row.size, sha256=row.sha256)
    return view, data
