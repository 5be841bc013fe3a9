"""The shape of one received email, declared once (pydantic), and the limits it is read under."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, computed_field

# What a message is to the desk: a person writing, or a machine answering for one.
MailKind = Literal["message", "auto_reply", "bounce", "loop"]

DEFAULT_MAX_BYTES = 25 * 1024 * 1024


class Limits(BaseModel):
    """How much one message may hold: the raw size, and what its zip attachments may expand to."""

    model_config = ConfigDict(frozen=True)

    max_bytes: int = DEFAULT_MAX_BYTES
    # A zip whose members would expand past this (or past `max_ratio` times its own size) is a bomb.
    max_unpacked: int = 200 * 1024 * 1024
    max_ratio: int = 200
    own_domains: tuple[str, ...] = ()  # deskapp.* Message-IDs @ one of these are the desk's own: a loop
    loop_token: str = "deskapp"  # an X-Loop naming this is our own mail coming back


class Attachment(BaseModel):
    """One attached file as it came: its name and type are the sender's words (untrusted text)."""

    model_config = ConfigDict(frozen=True)

    name: str
    content_type: str
    data: bytes = Field(repr=False)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


class InboundMessage(BaseModel):
    """What the desk keeps of a received email. Every text field is cleaned of control characters."""

    message_id: str  # without <>; made from the bytes' hash when the message has none (re-runs still match)
    in_reply_to: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    from_name: str = ""
    from_address: str = ""
    to: list[str] = Field(default_factory=list)
    subject: str = ""
    date: Optional[datetime] = None  # naive, UTC
    text: str = ""
    attachments: list[Attachment] = Field(default_factory=list)
    kind: MailKind = "message"
    why: str = ""  # what made it an auto-reply, bounce or loop
    bounced_message_id: Optional[str] = None  # a bounce: the Message-ID of the message that failed
    size: int = 0
    notes: list[str] = Field(default_factory=list)  # what was repaired: "html converted", "charset guessed"

    def thread_ids(self) -> list[str]:
        """Ids this message answers, nearest first: In-Reply-To, then References newest to oldest."""
        seen: list[str] = []
        for ident in [*self.in_reply_to, *reversed(self.references)]:
            if ident not in seen:
                seen.append(ident)
        return seen


class Rejected(BaseModel):
    """A message the desk will not take, and why, in one line."""

    reason: str
    message_id: Optional[str] = None
