"""Column types that mask card numbers on the way into the database (PCI DSS 3.4).

Every free-text and JSON column that can hold what a customer or handler typed
is declared with one of these types in deskapp.store.models, so no writer, ORM
or Core, can store a full card number by forgetting to mask it: the value is
masked when it is bound to the statement. Masking keeps the first six and last
four digits (deskapp.core.cards.redact_cards), keeps the text's length, and is
idempotent, so a value that was masked earlier (an audit event masked before
its hash was computed) is stored exactly as hashed. Row digests are read back
from the stored rows, so they see the masked text too.

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
