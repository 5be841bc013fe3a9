"""What a handler may be called: a login name, a known role, a display name.

Handlers are OS users (or reach the service account with their own SSH key),
so a username must look like a POSIX login name. Checked wherever a name
comes in (`deskapp users`, the demo, the store's own insert), so each says the
same thing about the same mistake. No database here.
"""

from __future__ import annotations

import re

from deskapp.errors import DeskError
from deskapp.vocab import HANDLER_ROLES

# Like a POSIX login name: starts with a letter or _, then letters, digits, _ . -
_USERNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
USERNAME_MAX = 32
DISPLAY_NAME_MAX = 120


def check_username(username: str) -> str:
    """The username, or DeskError saying what is wrong with it."""
    if not isinstance(username, str) or not username:
        raise DeskError("username is empty")
    if len(username) > USERNAME_MAX:
        raise DeskError(f"username {username[:40]!r} is longer than {USERNAME_MAX} characters")
    if not _USERNAME.fullmatch(username):
        raise DeskError(
            f"username {username!r} is not a login name: use letters, digits, _ . - "
            "and start with a letter or _"
        )
    return username


def check_role(role: str) -> str:
    if role not in HANDLER_ROLES:
        raise DeskError(f"role {role!r} is not one of: {', '.join(HANDLER_ROLES)}")
    return role


def os_display_name(username: str) -> str | None:
    """The full name the OS has for this login, if it knows the user."""
    try:
        import pwd

        gecos = pwd.getpwnam(username).pw_gecos
    except (ImportError, KeyError):
        return None
    name = gecos.split(",")[0].strip()
    return name or None


def display_name_for(username: str, given: str | None) -> str:
    """The name shown for a handler: `given` with its spaces tidied, else the OS's name, else the username."""
    if given is None:
        return os_display_name(username) or username
    name = " ".join(given.split())
    if not name:
        raise DeskError("display name is empty")
    if len(name) > DISPLAY_NAME_MAX:
        raise DeskError(f"display name is longer than {DISPLAY_NAME_MAX} characters")
    return name
