"""Helpers any test may import (tests/ is on sys.path through its conftest)."""

from __future__ import annotations


def set_desk_setting(url: str, key: str, value: str) -> None:
    """Write one desk_settings row as the test harness (not a handler surface): demo, service_account."""
    from datetime import datetime

    from sqlmodel import Session

    from deskapp.store import settings
    from deskapp.store.engine import connect

    eng = connect(url)
    try:
        with Session(eng) as session, session.begin():
            settings.put(session, key, value, datetime.now().replace(microsecond=0))
    finally:
        eng.dispose()
