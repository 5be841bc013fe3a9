"""Column types that mask card numbers on the way into the database (PCI DSS 3.4).

Every free-text and JSON column that can hold what a customer or handler typed
is declared with one of these types in deskapp.store.models, so no writer, ORM
or Core, can store a full card number by forgetting to mask it: the value is
masked when it is bound to the statement. Masking keeps the first six and last
four digits (deskapp.core.cards.redact_cards), keeps the text's length, and is
idempotent, so a value that was masked earlier (an audit event masked before
its hash was computed) is stored exactly as hashed. Row digests are read back
from the stored rows, so they see the masked text too.

A before_flush listener masks the ORM objects being written as well, so an
action that returns what it just saved returns what is stored.

Raw DB-API writers (deskapp.store.bulk.BulkWriter) bypass these types: their
callers write generated demo data, and audit.append_bulk masks itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.types import TypeDecorator

from deskapp.core.cards import redact_cards, redact_value


class MaskedText(TypeDecorator):
    """TEXT whose card numbers are masked before they are written."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return redact_cards(value) if isinstance(value, str) else value


class MaskedString(TypeDecorator):
    """VARCHAR(n) whose card numbers are masked before they are written (the length is unchanged)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return redact_cards(value) if isinstance(value, str) else value


class MaskedJSON(TypeDecorator):
    """JSON whose strings (keys and values, at any depth) have their card numbers masked."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return redact_value(value)


_MASKED_TYPES = (MaskedText, MaskedString, MaskedJSON)


def _mask_in_memory(session: Any, _context: Any, _instances: Any) -> None:
    """Mask the ORM objects about to be written too, so what the writer holds (and returns) is what is stored."""
    from sqlalchemy import inspect as sa_inspect

    for obj in list(session.new) + list(session.dirty):
        mapper = sa_inspect(obj).mapper
        for column in mapper.columns:
            if not isinstance(column.type, _MASKED_TYPES):
                continue
            key = mapper.get_property_by_column(column).key
            value = obj.__dict__.get(key)
            if value is None:
                continue
            masked = redact_value(value)
            if masked != value:
                setattr(obj, key, masked)


def install() -> None:
    """Listen on every ORM session (once): deskapp.store.models calls it."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "before_flush", _mask_in_memory):
        event.listen(Session, "before_flush", _mask_in_memory)
