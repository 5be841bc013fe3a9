"""`deskapp policy check|test|eval`. (Placeholder.)"""

from __future__ import annotations


def register(parser, sub, common) -> None:
    pass
