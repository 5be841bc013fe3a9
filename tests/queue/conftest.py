"""Fixtures for queue tests: fresh in-memory desks (see queue_data.py).

No __init__.py here on purpose: a package named `queue` would shadow the
standard library's queue module for the whole test run.
"""

from __future__ import annotations

import pytest

from queue_data import memory_engine


@pytest.fixture
def mem_engine():
    engine = memory_engine()
    yield engine
    engine.dispose()
