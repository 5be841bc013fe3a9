"""Inbound email, pure: raw RFC 5322 bytes -> a declared InboundMessage (or one line saying why not).

No database, no network, no clock: deskapp.actions.mail threads and stores what
this returns; deskapp.supervision.mailfetch reads the mailbox.
"""

from deskapp.core.mailparse.message import Attachment, InboundMessage, Limits, Rejected
from deskapp.core.mailparse.parse import parse_message

__all__ = ["Attachment", "InboundMessage", "Limits", "Rejected", "parse_message"]
