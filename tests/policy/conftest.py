"""Fixtures for the policy engine tests: the shipped pack, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskapp.policy import load_policies

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies.yaml"
HERE = Path(__file__).resolve().parent
SCENARIO_FILES = sorted(HERE.glob("*.yaml"))
TONE_DIR = HERE / "tone"


@pytest.fixture(scope="session")
def pack():
    return load_policies(POLICIES)
