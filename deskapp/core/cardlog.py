"""Logs that never hold a full card number (PCI DSS 3.4).

A log line can quote customer text (an error naming a value, a traceback's
locals). `MaskCards` is a logging Filter that masks the rendered message and
any traceback text before a handler writes them; `log_to_file` is how deskapp
opens its log file (DESKAPP_LOG), with the filter on the handler itself so
records from every logger, deskapp's or a library's, pass through it.
"""

from __future__ import annotations

import logging

from deskapp.core.cards import redact_cards

FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


class MaskCards(logging.Filter):
    """Masks card numbers in a record's message and traceback; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, masked
            message = str(record.msg)
        record.msg, record.args = redact_cards(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_cards(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_cards(record.stack_info)
        return True


def log_to_file(path: str, level: int = logging.INFO) -> logging.Handler:
    """Send deskapp's logging to `path`, card numbers masked. Returns the handler it installed."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(MaskCards())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler
