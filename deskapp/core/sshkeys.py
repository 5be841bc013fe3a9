"""SSH public keys: read one from a .pub file, check it, fingerprint it like `ssh-keygen -lf`.

A key file decides who may reach the service account as a handler, so it is
checked as a whole: the type is one OpenSSH accepts, the base64 decodes, the
blob inside names the same type and holds exactly the fields that type has.
Anything else (a private key, garbage, an empty file, several keys, options
in front) is refused with one line naming file:line. Pure: no database, no
writes; the authorized_keys file is deskapp.core.authorized_keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict

from deskapp.errors import DeskError

# Key types accepted, with the blob's fields after the type name (s = string, m = mpint).
_CURVES = {"ecdsa-sha2-nistp256": ("nistp256", 65), "ecdsa-sha2-nistp384": ("nistp384", 97),
           "ecdsa-sha2-nistp521": ("nistp521", 133)}
KEY_TYPES = (
    "ssh-ed25519",
    *_CURVES,
    "ssh-rsa",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
MAX_FILE = 16 * 1024  # an RSA-16384 public key line is ~2.8 kB
MAX_COMMENT = 200
MIN_RSA_BITS = 1024  # what current OpenSSH still accepts
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


class KeyFileError(DeskError):
    """A key file that is not one SSH public key: the message starts with file:line."""


class PublicKey(BaseModel):
    """One checked public key: type, base64 blob and the comment it came with."""

    model_config = ConfigDict(frozen=True)

    key_type: str
    key_data: str  # the base64 blob, as written in the file
    comment: Optional[str] = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key_data)


def fingerprint(key_data: str) -> str:
    """`SHA256:<base64 of sha256(blob)>` without padding, as `ssh-keygen -lf` prints it."""
    digest = hashlib.sha256(base64.b64decode(key_data)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def load_public_key(path: Path | str) -> PublicKey:
    """The one public key in the file at `path`; KeyFileError (file:line: what is wrong) otherwise."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE + 1)
    except IsADirectoryError:
        raise KeyFileError(f"{name}: is a folder, not an SSH public key file") from None
    except OSError as exc:
        raise KeyFileError(f"{name}: cannot read it: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE:
        raise KeyFileError(f"{name}:1: larger than {MAX_FILE // 1024} kB: not an SSH public key file")
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        line = raw[:next(at for at, byte in enumerate(raw) if byte > 127)].count(b"\n") + 1
        raise KeyFileError(f"{name}:{line}: not an SSH public key (bytes that are not ASCII text)") from None
    return parse_public_key(text, name)


def parse_public_key(text: str, source: str = "<key>") -> PublicKey:
    """The one key in `text` (blank lines and # comments allowed around it); KeyFileError naming source:line."""
    found: Optional[PublicKey] = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if "PRIVATE KEY" in stripped:
            raise KeyFileError(f"{source}:{number}: this is a private key: give the public one (the .pub file)")
        if found is not None:
            raise KeyFileError(f"{source}:{number}: a second key: the file must hold exactly one public key")
        found = _parse_line(stripped, f"{source}:{number}")
    if found is None:
        raise KeyFileError(f"{source}:1: no SSH public key in the file (it is empty)")
    return found


def _parse_line(line: str, where: str) -> PublicKey:
    parts = line.split(None, 2)
    key_type = parts[0]
    if key_type not in KEY_TYPES:
        shown = key_type[:40].encode("ascii", "backslashreplace").decode()
        raise KeyFileError(f"{where}: {shown!r} is not an SSH public key type "
                           f"(one of: {', '.join(KEY_TYPES)}; options in front are not allowed)")
    if len(parts) < 2:
        raise KeyFileError(f"{where}: the {key_type} key has no key data after its type")
    data = parts[1]
    if not _BASE64.fullmatch(data) or len(data) % 4:
        raise KeyFileError(f"{where}: the key data is not base64")
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{where}: the key data is not base64") from None
    problem = _check_blob(key_type, blob)
    if problem:
        raise KeyFileError(f"{where}: not a valid {key_type} key: {problem}")
    comment = " ".join(parts[2].split()) if len(parts) > 2 else None
    if comment and (len(comment) > MAX_COMMENT or not comment.isprintable()):
        raise KeyFileError(f"{where}: the key's comment is longer than {MAX_COMMENT} characters or not printable")
    return PublicKey(key_type=key_type, key_data=data, comment=comment or None)


class _Reader:
    """Reads the SSH wire format (RFC 4251): uint32-length strings and mpints."""

    def __init__(self, blob: bytes) -> None:
        self.blob, self.at = blob, 0

    def string(self) -> bytes:
        if self.at + 4 > len(self.blob):
            raise ValueError("the key data ends early")
        size = int.from_bytes(self.blob[self.at:self.at + 4], "big")
        start, self.at = self.at + 4, self.at + 4 + size
        if self.at > len(self.blob):
            raise ValueError("the key data ends early")
        return self.blob[start:self.at]

    def mpint(self) -> int:
        raw = self.string()
        if raw[:1] and raw[0] & 0x80:
            raise ValueError("a negative number in the key")
        return int.from_bytes(raw, "big")

    def done(self) -> bool:
        return self.at == len(self.blob)


def _check_blob(key_type: str, blob: bytes) -> Optional[str]:
    """None if `blob` is a well-formed `key_type` key, else what is wrong with it."""
    reader = _Reader(blob)
    try:
        inner = reader.string()
        if inner != key_type.encode():
            return f"the data inside says {inner[:40].decode('ascii', 'backslashreplace')!r}"
        base = key_type.removeprefix("sk-").removesuffix("@openssh.com")
        if base == "ssh-ed25519":
            if len(reader.string()) != 32:
                return "an ed25519 key is 32 bytes"
        elif base in _CURVES:
            curve, size = _CURVES[base]
            if reader.string() != curve.encode():
                return f"the curve is not {curve}"
            point = reader.string()
            if len(point) != size or point[0] != 4:
                return f"the point is not an uncompressed {curve} point"
        else:  # ssh-rsa
            exponent, modulus = reader.mpint(), reader.mpint()
            if exponent < 3 or exponent % 2 == 0:
                return "the RSA exponent is not an odd number above 1"
            if modulus.bit_length() < MIN_RSA_BITS:
                return f"RSA keys need at least {MIN_RSA_BITS} bits"
        if key_type.startswith("sk-"):
            reader.string()  # the FIDO application, e.g. "ssh:"
    except ValueError as exc:
        return str(exc)
    if not reader.done():
        return "extra bytes after the key"
    return None
