"""Where checkpoints live outside the database: the settings file, the signing key, the witness file, syslog.

All of it belongs to the service account (docs/deploying.md, "Checkpoints"):

- `<config folder>/checkpoints.toml`: where the key and the witness are and how
  often the desk must take a checkpoint. Trusted only if this account owns it
  and nobody else may write it; no environment variable a handler sets and no
  database row moves the key or the witness.
- the private key: PEM, 0600 in a 0700 folder, owned by this account.
- the witness: one JSON line per checkpoint, opened O_APPEND and written with one
  write(2), so a line is whole or absent; `chattr +a` on it (or a separate signer
  account owning it) means even the service account cannot rewrite old lines.
- the public key, beside the witness.
- optionally syslog (/dev/log), a second copy no database user can reach.

Every problem is a ConfigError: one line naming the file (and line) and what
is wrong, exit 2.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from deskapp.core import signing
from deskapp.core.ownfiles import make_private_folder, mode_text, write_whole
from deskapp.errors import ConfigError

SETTINGS_FILE = "checkpoints.toml"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_GROUP_OTHERS = 0o077
_OTHERS_WRITE = 0o022


@dataclass(frozen=True)
class Settings:
    """What checkpoints.toml says (defaults where it says nothing). `source` is the file, None if absent."""

    key: Path
    witness: Path
    public_key: Path
    syslog: bool = False
    every_events: int = 200
    every_minutes: int = 15
    grace_minutes: int = 10
    desk_takes: bool = True
    source: Optional[Path] = None

    @property
    def configured(self) -> bool:
        """Checkpoints were set up here (`deskapp audit keygen` writes the settings file)."""
        return self.source is not None


def defaults(config_folder: Path, data_folder: Path) -> dict[str, object]:
    witness = data_folder / "checkpoints" / "witness.jsonl"
    return {"key": config_folder / "checkpoint" / "signing.key", "witness": witness,
            "public_key": witness.with_name("signing.pub")}


_PATHS = ("key", "witness", "public_key")
_BOOLS = ("syslog", "desk_takes")
_NUMBERS = {"every_events": 1, "every_minutes": 0, "grace_minutes": 0}  # name -> smallest allowed


def load_settings(config_folder: Path, data_folder: Path) -> Settings:
    """Read `<config folder>/checkpoints.toml`; the defaults if there is none. ConfigError on anything odd."""
    path = Path(config_folder) / SETTINGS_FILE
    values: dict[str, object] = defaults(Path(config_folder), Path(data_folder))
    raw = _read_own(path, what="checkpoint settings", private=False)
    if raw is None:
        return Settings(**values)  # type: ignore[arg-type]
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        message, line = str(exc), ""
        found = re.search(r" \(at line (\d+), column \d+\)$", message)
        if found:
            message, line = message[:found.start()], f":{found.group(1)}"
        raise ConfigError(f"{path}{line}: {message}") from None
    given_public = False
    for name, value in data.items():
        if name in _PATHS:
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{path}: {name}: expected a file path in quotes")
            chosen = Path(value).expanduser()
            if not chosen.is_absolute():
                chosen = Path(config_folder) / chosen
            values[name] = chosen
            given_public = given_public or name == "public_key"
        elif name in _BOOLS:
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: {name}: expected true or false")
            values[name] = value
        elif name in _NUMBERS:
            if not isinstance(value, int) or isinstance(value, bool) or value < _NUMBERS[name]:
                raise ConfigError(f"{path}: {name}: expected a whole number of at least {_NUMBERS[name]}")
            values[name] = value
        else:
            known = ", ".join((*_PATHS, *_BOOLS, *_NUMBERS))
            raise ConfigError(f"{path}: unknown setting {name!r} (known: {known})")
    if not given_public:
        values["public_key"] = Path(values["witness"]).with_name("signing.pub")  # type: ignore[arg-type]
    return Settings(**values, source=path)  # type: ignore[arg-type]


def settings_text(settings: Settings) -> str:
    """A checkpoints.toml spelling out `settings`, written by keygen when there is none."""
    return (
        "# deskapp checkpoints (docs/deploying.md, \"Checkpoints\"). Owned by the service account.\n"
        f"key = \"{settings.key}\"            # private signing key, 0600 in a 0700 folder\n"
        f"witness = \"{settings.witness}\"    # one signed line per checkpoint, appended only\n"
        f"public_key = \"{settings.public_key}\"\n"
        f"syslog = {str(settings.syslog).lower()}                # also send each checkpoint to /dev/log\n"
        f"every_events = {settings.every_events}          # the desk takes one at least every N events\n"
        f"every_minutes = {settings.every_minutes}          # ... and M minutes (0: no time bound)\n"
        f"grace_minutes = {settings.grace_minutes}          # slack verify allows on top of M\n"
        f"desk_takes = {str(settings.desk_takes).lower()}            # false: only a separate signer takes them\n"
    )


# --- keys ------------------------------------------------------------------------------------------


def write_key_pair(settings: Settings, key: "signing.Ed25519PrivateKey") -> None:
    """Write the private key (0600, its folder 0700) and the public key beside the witness.

    Refuses to replace a key that exists: checkpoints already signed with it could no longer be checked.
    """
    for path in (settings.key, settings.public_key):
        if os.path.lexists(path):
            raise ConfigError(f"{path}: already exists; refusing to replace a checkpoint key "
                              "(earlier checkpoints are checked with it)")
    folder = settings.key.parent
    try:
        make_private_folder(folder)
        info = os.stat(folder)
    except OSError as exc:
        raise ConfigError(f"{folder}: cannot create the key folder: {exc.strerror or exc}") from None
    if info.st_uid != os.geteuid() or info.st_mode & _GROUP_OTHERS:
        raise ConfigError(f"{folder}: the key folder must be this account's alone (mode 0700, "
                          f"it is {mode_text(info.st_mode)}); run `chmod 700 {folder}`")
    try:
        write_whole(settings.key, signing.private_pem(key), 0o600, durable=True)
        write_whole(settings.public_key, signing.public_pem(key.public_key()), 0o644, durable=True)
    except OSError as exc:
        raise ConfigError(f"{exc.filename or settings.key}: cannot write: {exc.strerror or exc}") from None


def read_private_key(settings: Settings) -> "signing.Ed25519PrivateKey":
    """The signing key; ConfigError if it is missing, unreadable, not this account's alone or not a key."""
    raw = _read_own(settings.key, what="signing key", private=True)
    if raw is None:
        raise ConfigError(f"{settings.key}: signing key missing (run `deskapp audit keygen` as the service account)")
    try:
        return signing.load_private(raw)
    except signing.BadKey as exc:
        raise ConfigError(f"{settings.key}: {exc}") from None


def read_public_key(settings: Settings) -> "signing.Ed25519PublicKey":
    path = settings.public_key
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: public key missing (it is written by `deskapp audit keygen`)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the public key: {exc.strerror or exc}") from None
    try:
        return signing.load_public(raw)
    except signing.BadKey as exc:
        raise ConfigError(f"{path}: {exc}") from None


# --- the witness -----------------------------------------------------------------------------------


def open_witness(settings: Settings) -> int:
    """A descriptor to append checkpoint lines to (created 0600 if missing); ConfigError if it cannot be."""
    path = settings.witness
    try:
        if not path.parent.exists():
            make_private_folder(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW, 0o600)
    except OSError as exc:
        raise ConfigError(f"{path}: witness cannot be appended to: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path}: witness is not a regular file")
        if info.st_mode & _OTHERS_WRITE:
            raise ConfigError(f"{path}: group or others may write the witness (mode {mode_text(info.st_mode)}); "
                              f"run `chmod 640 {path}`")
    except BaseException:
        os.close(fd)
        raise
    return fd


def append_line(settings: Settings, fd: int, line: str) -> None:
    """Append one line with one write(2) and flush it to disk; ConfigError if not all of it went in."""
    data = (line + "\n").encode("utf-8")
    try:
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(f"only {written} of {len(data)} bytes written")
        os.fsync(fd)
    except OSError as exc:
        raise ConfigError(f"{settings.witness}: witness cannot be appended to: "
                          f"{getattr(exc, 'strerror', None) or exc}") from None


def to_syslog(line: str, address: str = "/dev/log") -> Optional[str]:
    """Send the checkpoint to the local syslog (/dev/log). None if sent, else why not (never raises)."""
    if not os.path.exists(address):
        return f"no {address}"
    import logging
    from logging.handlers import SysLogHandler

    try:
        handler = SysLogHandler(address=address, facility=SysLogHandler.LOG_AUTHPRIV)
    except OSError as exc:
        return str(exc.strerror or exc)
    try:
        record = logging.LogRecord("deskapp", logging.WARNING, __file__, 0, "deskapp-checkpoint: %s", (line,), None)
        handler.emit(record)
        return None
    except Exception as exc:  # noqa: BLE001 - syslog is a second copy; its failure is reported, not fatal
        return str(exc)
    finally:
        handler.close()


@dataclass(frozen=True)
class WitnessLine:
    number: int
    checkpoint: signing.Checkpoint


def read_witness(settings: Settings) -> Optional[Iterator[WitnessLine]]:
    """The witness's checkpoints in file order; None if there is no witness file.

    A line that is not a checkpoint is a ConfigError naming file:line (a half-written
    line cannot happen: each is one write; anything else was put there by hand).
    """
    path = settings.witness
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the witness: {exc.strerror or exc}") from None

    def lines() -> Iterator[WitnessLine]:
        with handle:
            for number, raw in enumerate(handle, start=1):
                text = raw.decode("utf-8", errors="replace").strip()
                if not text:
                    continue
                try:
                    yield WitnessLine(number, signing.parse_line(text))
                except signing.BadLine as exc:
                    raise ConfigError(f"{path}:{number}: corrupt checkpoint line: {exc}") from None
    return lines()


def last_checkpoint(settings: Settings, tail: int = 4096) -> Optional[signing.Checkpoint]:
    """The witness's last checkpoint, read from its end (the file grows for years); None if there is
    none or the last line is not one (the desk then takes a new one; verify names the bad line)."""
    try:
        with open(settings.witness, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - tail))
            chunk = handle.read()
    except OSError:
        return None
    lines = [line for line in chunk.splitlines() if line.strip()]
    if not lines or (len(lines) == 1 and size > tail):
        return None  # no whole line within reach
    try:
        return signing.parse_line(lines[-1].decode("utf-8", errors="replace"))
    except signing.BadLine:
        return None


# --- files this account must own ------------------------------------------------------------------


def _read_own(path: Path, *, what: str, private: bool) -> Optional[bytes]:
    """The bytes of `path` if this account owns it and nobody else may write it (nor read it, if private)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path}: the {what} is not a regular file")
        if info.st_uid != os.geteuid():
            raise ConfigError(f"{path}: the {what} is owned by uid {info.st_uid}, not by this account")
        if info.st_mode & (_GROUP_OTHERS if private else _OTHERS_WRITE):
            raise ConfigError(f"{path}: group or others may {'read' if private else 'change'} the {what} "
                              f"(mode {mode_text(info.st_mode)}); run `chmod {'600' if private else '644'} {path}`")
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
