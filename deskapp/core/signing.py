"""Signed checkpoints of the audit chain: Ed25519 keys and the one-line record a witness keeps.

A checkpoint says "the audit log had EVENTS events, the last one EVENT_ID with
HASH, at AT", signed with a key that lives with the service account (never in
the database). Whoever can rewrite the database but not read that key cannot
make a checkpoint, so a chain rebuilt with the public hash function no longer
matches the checkpoints kept outside the database (deskapp.core.witness).

Pure: keys and lines in, keys and lines out; no files, no database.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as UnsupportedAlgorithmError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# Signed bytes start with this, so a checkpoint signature can never pass as a signature of anything else.
DOMAIN = b"deskapp-checkpoint-v1\n"
VERSION = 1
_FIELDS = ("v", "event_id", "hash", "events", "at", "key_id")


class BadKey(ValueError):
    """Key bytes that are not an Ed25519 key in PEM form."""


class BadLine(ValueError):
    """A witness line that is not a well-formed checkpoint (says what is wrong)."""


@dataclass(frozen=True)
class Checkpoint:
    """One signed head. `at` is the desk's local time, like the audit events' own `at`."""

    event_id: int
    hash: str
    events: int
    at: datetime
    key_id: str
    signature: str  # base64 of the 64-byte Ed25519 signature

    def signed_fields(self) -> dict[str, Any]:
        return {"v": VERSION, "event_id": self.event_id, "hash": self.hash, "events": self.events,
                "at": self.at.isoformat(timespec="seconds"), "key_id": self.key_id}

    def line(self) -> str:
        """The witness line: one JSON object, no newline inside."""
        return json.dumps({**self.signed_fields(), "sig": self.signature}, sort_keys=True, separators=(",", ":"))


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private(data: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM; BadKey otherwise."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithmError) as exc:
        raise BadKey(f"not an unencrypted PEM private key ({_first_line(exc)})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadKey("not an Ed25519 key")
    return key


def load_public(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; BadKey otherwise."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithmError) as exc:
        raise BadKey(f"not a PEM public key ({_first_line(exc)})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BadKey("not an Ed25519 key")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    """A short name for a public key: the first 16 hex digits of SHA-256 over its raw 32 bytes."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _message(fields: dict[str, Any]) -> bytes:
    return DOMAIN + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(key: Ed25519PrivateKey, *, event_id: int, hash: str, events: int, at: datetime) -> Checkpoint:
    """Sign one head."""
    unsigned = Checkpoint(event_id=int(event_id), hash=hash, events=int(events), at=at.replace(microsecond=0),
                          key_id=key_id(key.public_key()), signature="")
    signature = key.sign(_message(unsigned.signed_fields()))
    return Checkpoint(**{**unsigned.__dict__, "signature": base64.b64encode(signature).decode("ascii")})


def signature_holds(key: Ed25519PublicKey, checkpoint: Checkpoint) -> bool:
    """Whether `checkpoint` was signed by the private half of `key`, exactly as it reads."""
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
        key.verify(signature, _message(checkpoint.signed_fields()))
        return True
    except (InvalidSignature, ValueError):
        return False


def parse_line(text: str) -> Checkpoint:
    """One witness line back into a Checkpoint; BadLine naming what is wrong (never a traceback)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BadLine("not a JSON object") from None
    if not isinstance(data, dict):
        raise BadLine("not a JSON object")
    missing = [name for name in (*_FIELDS, "sig") if name not in data]
    if missing:
        raise BadLine(f"missing {', '.join(missing)}")
    if data["v"] != VERSION:
        raise BadLine(f"unknown checkpoint version {data['v']!r}")
    for name in ("event_id", "events"):
        if not isinstance(data[name], int) or isinstance(data[name], bool) or data[name] < 0:
            raise BadLine(f"{name} is not a whole number")
    digest = data["hash"]
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise BadLine("hash is not 64 hex digits")
    for name in ("key_id", "sig", "at"):
        if not isinstance(data[name], str) or not data[name]:
            raise BadLine(f"{name} is not text")
    try:
        at = datetime.fromisoformat(data["at"])
    except ValueError:
        raise BadLine("at is not a date and time") from None
    return Checkpoint(event_id=data["event_id"], hash=digest, events=data["events"], at=at,
                      key_id=data["key_id"], signature=data["sig"])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else type(exc).__name__


__all__ = ["Checkpoint", "BadKey", "BadLine", "new_private_key", "private_pem", "public_pem", "load_private",
           "load_public", "key_id", "sign", "signature_holds", "parse_line"]
