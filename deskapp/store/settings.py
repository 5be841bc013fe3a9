"""Facts about the desk itself, kept in desk_settings: is it a demo desk, which OS account runs it.

Storage only: the actions that change a setting check who may and audit it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Connection, Engine, text
from sqlmodel import Session

from deskapp.store.models import DeskSetting

DEMO = "demo"  # "1" on a desk made by `deskapp demo`: tests and tryouts may act as several handlers
SERVICE_ACCOUNT = "service_account"  # the OS account that owns the desk's data and runs `--as-key` desks


def get(session: Session, key: str) -> Optional[str]:
    row = session.get(DeskSetting, key)
    return None if row is None else row.value


def put(session: Session, key: str, value: str, at: datetime) -> None:
    """Set one setting inside the caller's transaction."""
    row = session.get(DeskSetting, key)
    if row is None:
        session.add(DeskSetting(key=key, value=value, updated_at=at))
    else:
        row.value, row.updated_at = value, at
    session.flush()


def read(bind: Engine | Connection, key: str) -> Optional[str]:
    """One setting read outside any session (None if unset, or before the table exists)."""
    try:
        if isinstance(bind, Engine):
            with bind.connect() as conn:
                return _read(conn, key)
        return _read(bind, key)
    except Exception:  # noqa: BLE001 - a database older than trust1 has no settings
        return None


def _read(conn: Connection, key: str) -> Optional[str]:
    return conn.execute(text("SELECT value FROM desk_settings WHERE key = :k"), {"k": key}).scalar()


def is_demo(bind: Engine | Connection) -> bool:
    return read(bind, DEMO) == "1"
