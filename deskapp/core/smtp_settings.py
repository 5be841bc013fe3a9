"""The organisation's SMTP relay, as the service account's `<config folder>/mail.yaml` declares it.

Only the process that sends (`deskapp mail send`, run by the service account)
reads this file; the desk never does, so a handler's desk never holds the relay
password and never waits on the network. Like database.url, the file must be
owned by the account reading it and writable by nobody else, or it is refused
(someone else could point the sender at their own relay). The password comes
from `password_file` (owned, mode 0600) or, failing that, the sender's own
environment variable DESKAPP_SMTP_PASSWORD: the environment of the service
account's unit, never a handler's (handlers do not run the sender).

Problems are one line, `mail.yaml:LINE: field: message`, exit 2.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from deskapp.core.declared import Problem, Spot, problems, yaml_error_spot, yaml_tree
from deskapp.core.ownfiles import mode_text
from deskapp.errors import ConfigError

FILE = "mail.yaml"
PASSWORD_ENV = "DESKAPP_SMTP_PASSWORD"
_OTHERS = 0o077
_OTHERS_WRITE = 0o022


class SmtpSettings(BaseModel):
    """mail.yaml: the relay and how hard to try. Times in seconds."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=255)
    port: Optional[int] = Field(default=None, ge=1, le=65535)  # default: 587 starttls, 465 tls, 25 none
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: Optional[str] = Field(default=None, max_length=320)
    password_file: Optional[Path] = None
    ca_file: Optional[Path] = None  # trust this CA bundle instead of the system's (a private relay)
    timeout: float = Field(default=30, gt=0, le=600)
    max_attempts: int = Field(default=8, ge=1, le=100)
    retry_after: int = Field(default=60, ge=0, le=86_400)  # first retry; doubles each time
    max_retry_after: int = Field(default=3_600, ge=0, le=604_800)
    lease: int = Field(default=300, ge=5, le=86_400)  # how long a claimed message is the claimer's
    batch: int = Field(default=50, ge=1, le=10_000)

    @property
    def relay_port(self) -> int:
        return self.port or {"starttls": 587, "tls": 465, "none": 25}[self.security]


def _owned_private_bytes(path: Path, what: str, forbid: int) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file ({what})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({what}): {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path}: not a file ({what})")
        if info.st_uid != os.geteuid():
            raise ConfigError(f"{path}: not owned by the account sending mail; refusing {what} someone else "
                              f"could change")
        if info.st_mode & forbid:
            raise ConfigError(f"{path}: mode {mode_text(info.st_mode)} lets others at {what}: run "
                              f"`chmod 600 {path}`")
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read()
    finally:
        os.close(fd)


def read_settings(path: Path) -> SmtpSettings:
    """The settings in `path` (owned by this account, writable by it alone). Raises ConfigError (one line)."""
    raw = _owned_private_bytes(path, "the mail settings", _OTHERS_WRITE)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        spot = yaml_error_spot(exc, text)
        raise ConfigError(str(Problem(str(path), spot, "", f"not valid YAML: {getattr(exc, 'problem', None) or exc}")))
    data, spots, bad = yaml_tree(root)
    if bad:
        raise ConfigError(str(Problem(str(path), bad[0][0], "", bad[0][1])))
    if not isinstance(data, dict):
        raise ConfigError(str(Problem(str(path), Spot(1), "", "expected settings as 'name: value' lines "
                                                               "(host, port, security, username, password_file)")))
    try:
        return SmtpSettings.model_validate(data)
    except ValidationError as exc:
        found = problems(exc, spots, str(path), SmtpSettings)
        raise ConfigError(str(found[0])) from None


def password(settings: SmtpSettings, environ: Optional[dict[str, str]] = None) -> Optional[str]:
    """The relay password: password_file (owned, 0600), else $DESKAPP_SMTP_PASSWORD; None if neither."""
    if settings.password_file is not None:
        raw = _owned_private_bytes(settings.password_file, "the relay password", _OTHERS)
        return raw.decode("utf-8", errors="strict").strip("\r\n")
    value = (os.environ if environ is None else environ).get(PASSWORD_ENV)
    return value or None


__all__ = ["FILE", "PASSWORD_ENV", "SmtpSettings", "read_settings", "password"]
