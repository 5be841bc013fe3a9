"""Zip bombs: an attachment that would expand far past what it looks like.

The declared sizes in a zip can lie, so members are really decompressed, in
chunks, against one budget shared by nested zips (42.zip style); nothing is
kept. Cost is bounded by the budget. A zip that cannot be read is not a bomb:
it is stored as the bytes it is.
"""

from __future__ import annotations

import io
import zipfile
from typing import Optional

from deskapp.core.mailparse.message import Limits

_CHUNK = 1 << 20
_MAX_DEPTH = 3
_MAX_MEMBERS = 10_000


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit


def looks_zipped(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def bomb_reason(data: bytes, limits: Limits) -> Optional[str]:
    """Why this attachment is a zip bomb, or None (not a zip, a broken zip, or a fair one)."""
    if not looks_zipped(data):
        return None
    budget = _Budget(limits.max_unpacked)
    try:
        why = _check(data, budget, 0)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError,
            RuntimeError):
        return None
    if why:
        return why
    unpacked = limits.max_unpacked - budget.left
    if unpacked > _CHUNK and unpacked > limits.max_ratio * max(1, len(data)):
        return f"zip attachment expands {unpacked // max(1, len(data)):,} times (a zip bomb)"
    return None


def _check(data: bytes, budget: _Budget, depth: int) -> Optional[str]:
    if depth > _MAX_DEPTH:
        return "zip attachment nests zips too deep (a zip bomb)"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > _MAX_MEMBERS:
            return f"zip attachment holds {len(members):,} files (a zip bomb)"
        for info in members:
            if info.is_dir():
                continue
            if info.file_size > budget.left:
                return f"zip attachment expands past {_mb(budget.left)} (a zip bomb)"
            nested: Optional[bytearray] = None  # kept only when the member is itself a zip
            first = True
            with archive.open(info) as member:
                while chunk := member.read(_CHUNK):
                    budget.left -= len(chunk)
                    if budget.left < 0:
                        return "zip attachment expands past the limit (a zip bomb)"
                    if first:
                        nested, first = (bytearray() if looks_zipped(chunk) else None), False
                    if nested is not None and len(nested) <= 32 * _CHUNK:
                        nested += chunk
            if nested is not None and len(nested) <= 32 * _CHUNK:
                why = _check(bytes(nested), budget, depth + 1)
                if why:
                    return why
    return None


def _mb(n: int) -> str:
    return f"{max(0, n) / 1_048_576:,.0f} MB"
