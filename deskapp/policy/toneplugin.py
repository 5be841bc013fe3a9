"""A team's own tone classifier, named in the published pack, with the built-in detector as fallback.

policies.yaml:

    tone:
      classifier: acme_tone.client:classify     # module:callable, or an entry-point name in group deskapp.tone
      classifier_label: team classifier          # what the desk calls it (default: the name above)
      classifier_timeout_ms: 300                 # slower than this -> the built-in detector answers

The callable is called as `classify(text, channel)` (channel: email, sms, letter ... or
None) and returns a ToneVerdict, a dict of the same shape, or a ToneResult. When it
cannot be imported, raises, answers in the wrong shape or takes longer than the limit,
the built-in detector answers and the result says why ("built-in (team classifier
timed out)"), so the desk never goes without a tone check.

Trust: only the published pack names the classifier; nothing a handler controls (env
vars, files in their home) is read here. The policy layer stays pure apart from a
daemon thread per call that enforces the time limit; a classifier that hangs keeps its
thread but never the handler's screen nor the program's exit, and after MAX_RUNNING
hung calls the built-in detector answers without asking ("busy").
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Callable, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from deskapp.policy.tone import ToneLexicon, ToneResult, assess_tone

ENTRY_POINT_GROUP = "deskapp.tone"
DEFAULT_TIMEOUT_MS = 300
SPEC = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*|[A-Za-z0-9][\w.\-]*")
_CACHE_MAX = 256
MAX_RUNNING = 4  # calls of one classifier still out (hung) before the built-in answers without asking


class ToneVerdict(BaseModel):
    """What a plug-in classifier answers (declared once; extra keys are refused)."""

    model_config = ConfigDict(extra="forbid")

    hostile: bool
    score: float = Field(0.0, ge=0)
    reasons: list[str] = Field(default_factory=list, max_length=50)
    quotes: list[str] = Field(default_factory=list, max_length=50)
    cues: list[str] = Field(default_factory=list, max_length=50)


class ClassifierError(Exception):
    """The classifier could not be used; the message says why, in a few words."""


def check_spec(spec: str) -> str:
    """`module:callable` or an entry-point name; ValueError otherwise (for the schema)."""
    if not SPEC.fullmatch(spec.strip()):
        raise ValueError("must be module.path:callable or the name of an entry point in group "
                         f"{ENTRY_POINT_GROUP}")
    return spec.strip()


def resolve(spec: str) -> Callable[..., Any]:
    """Import the named callable. ClassifierError when it cannot be found."""
    try:
        if ":" in spec:
            module, attr = spec.split(":", 1)
            obj: Any = import_module(module)
            for part in attr.split("."):
                obj = getattr(obj, part)
        else:
            found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == spec]
            if not found:
                raise ClassifierError(f"no entry point '{spec}' in group {ENTRY_POINT_GROUP}")
            obj = found[0].load()
    except ClassifierError:
        raise
    except Exception as exc:  # ImportError, AttributeError, or the module failing as it loads
        raise ClassifierError(f"could not be loaded: {type(exc).__name__}") from None
    if not callable(obj):
        raise ClassifierError("is not callable")
    return obj


@dataclass
class ToneClassifier:
    """A named plug-in: resolved on first use, called with a time limit, answers cached per text."""

    spec: str
    label: str = ""
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    _fn: Optional[Callable[..., Any]] = field(default=None, repr=False, compare=False)
    _error: str = field(default="", repr=False, compare=False)
    _running: int = field(default=0, repr=False, compare=False)
    _cache: "OrderedDict[tuple[str, Optional[str]], ToneVerdict]" = field(default_factory=OrderedDict, repr=False,
                                                                       compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.label = self.label or self.spec

    def _callable(self) -> Callable[..., Any]:
        with self._lock:
            if self._fn is None and not self._error:
                try:
                    self._fn = resolve(self.spec)
                except ClassifierError as exc:
                    self._error = str(exc)
            if self._fn is None:
                raise ClassifierError(self._error)
            return self._fn

    def classify(self, text: str, channel: Optional[str]) -> ToneVerdict:
        """The plug-in's verdict; ClassifierError (with a short why) when there is none in time.

        Each call runs in a daemon thread, so a classifier that hangs never blocks the
        caller past the limit nor the program's exit; at most MAX_RUNNING calls may be
        outstanding, after which the built-in detector answers at once ("busy").
        """
        key = (text, channel)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        fn = self._callable()
        with self._lock:
            if self._running >= MAX_RUNNING:
                raise ClassifierError("busy")
            self._running += 1
        box: dict[str, Any] = {}
        done = threading.Event()

        def call() -> None:
            try:
                box["value"] = fn(text, channel)
            except BaseException as exc:  # reported to the caller as a short reason
                box["error"] = exc
            finally:
                with self._lock:
                    self._running -= 1
                done.set()

        threading.Thread(target=call, name="deskapp-tone", daemon=True).start()
        if not done.wait(self.timeout_ms / 1000):
            raise ClassifierError("timed out")
        if "error" in box:
            raise ClassifierError(f"failed: {type(box['error']).__name__}")
        verdict = _verdict(box.get("value"))
        with self._lock:
            self._cache[key] = verdict
            if len(self._cache) > _CACHE_MAX:
                self._cache.popitem(last=False)
        return verdict


def _verdict(raw: Any) -> ToneVerdict:
    if isinstance(raw, ToneVerdict):
        return raw
    if isinstance(raw, ToneResult):
        return ToneVerdict(hostile=raw.hostile, score=raw.score, reasons=list(raw.reasons), quotes=list(raw.quotes),
                           cues=list(raw.cues))
    try:
        return ToneVerdict.model_validate(raw)
    except ValidationError:
        raise ClassifierError("gave an answer of the wrong shape") from None


def classify_tone(text: str, channel: Optional[str], lexicon: ToneLexicon,
                  classifier: Optional[ToneClassifier] = None) -> ToneResult:
    """The tone of one message: the pack's classifier if it answers, else the built-in detector.

    `classifier` defaults to the one the pack names (lexicon.classifier).
    """
    plug = classifier if classifier is not None else lexicon.classifier
    if plug is None or not text or not text.strip():
        return assess_tone(text, lexicon, channel=channel)
    try:
        v = plug.classify(text, channel)
    except ClassifierError as exc:
        return replace(assess_tone(text, lexicon, channel=channel), classifier=f"built-in ({plug.label} {exc})")
    return ToneResult(v.hostile, round(v.score, 3), tuple(v.reasons), tuple(v.quotes), (), tuple(v.cues),
                      classifier=plug.label)


__all__ = ["ToneVerdict", "ToneClassifier", "ClassifierError", "classify_tone", "check_spec", "resolve",
           "ENTRY_POINT_GROUP", "DEFAULT_TIMEOUT_MS"]
