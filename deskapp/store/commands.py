"""Admin subcommands for the store: init, demo, users. (Placeholder.)"""

from __future__ import annotations


def register(parser, sub, common) -> None:
    pass
