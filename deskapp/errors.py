"""Errors a person can act on.

Anything raised as a `DeskError` reaches the terminal as one line and an exit
code, never as a traceback: the CLI catches it at the top.
"""

from __future__ import annotations


class DeskError(Exception):
    """A problem with input or environment the user can fix. `exit_code` 2 = bad input/config."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(DeskError):
    """Bad command-line option, environment variable or config file."""


class StorageError(DeskError):
    """The database cannot be reached or is not usable (bad URL, server down, not migrated)."""
