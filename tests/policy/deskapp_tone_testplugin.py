"""A real plug-in tone classifier for the tests (imported by name, as a team's module would be)."""

from __future__ import annotations

import threading

from deskapp.policy.toneplugin import ToneVerdict

RELEASE = threading.Event()
CALLS: list[tuple[str, object]] = []


def classify(text, channel):
    """Hostile when the text says 'grr' (something the built-in detector never flags)."""
    CALLS.append((text, channel))
    if "grr" in text.lower():
        return {"hostile": True, "score": 0.9, "reasons": ["team model: growling"], "quotes": ["grr"],
                "cues": ["growling"]}
    return ToneVerdict(hostile=False, score=0.1)


def by_channel(text, channel):
    return {"hostile": channel == "sms"}


def slow(text, channel):
    RELEASE.wait(5)  # the test sets it once it has seen the time-out
    return {"hostile": True}


def broken(text, channel):
    raise RuntimeError("model server unreachable")


def wrong_shape(text, channel):
    return {"hostile": "perhaps", "confidence": 2}


not_callable = 42
