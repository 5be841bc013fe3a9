"""The digest of an action request: what a supervisor's approval is bound to.

An approval covers exactly the request the supervisor saw. The desk stores this
digest when the handler asks, and carrying the approval out recomputes it from
what is submitted: any difference (another channel, party, word of the body, a
different status...) is refused and the handler asks again. Pure, so the UI and
`deskapp audit` can compare a stored request with its digest too.

Which fields are in it: every field of ActionRequest except those listed in
EXCLUDED, each with the reason it may differ between asking and carrying out.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, fields
from datetime import datetime
from typing import Any, Mapping, Union

from deskapp.core.cards import redact_value
from deskapp.core.chain import canonical as _plain  # the JSON form the audit chain hashes
from deskapp.core.case_views import ActionRequest

# Bumped if the set of fields or their encoding ever changes, so an old digest can
# never match a request read under new rules by accident.
SCHEME = "deskapp.action-request.v1"

EXCLUDED = {
    # The case version the form was loaded at. Carrying out happens later, against the
    # case as it then stands (the rules are evaluated again on it, and the write still
    # checks the version it loads then); the approval is for the action, not for one
    # state of the case, and other desks may well have written meanwhile.
    "version",
}
# Deliberately NOT excluded, although they may look incidental:
#   summary   - a message's subject, a contact's record of what was said: customer-visible or evidence.
#   call_id   - ties a contact to a call; the end-call and warning rules read it.
#   at        - when it happened; None stays None (= "when carried out") and is compared as such.
#   extra     - the rules can read action.extra, so it can change their verdict.
#   at_request_of, working_days, outcome, direction - each changes what is written or what the rules say.
# Text is compared exactly (no trimming, no case folding): whitespace is part of what is sent.
# Card numbers are masked first (first six / last four kept): the stored request is masked
# (deskapp.store.masking), so carrying out from it, and resubmitting what was typed, both match.

_FIELDS = tuple(f for f in fields(ActionRequest) if f.name not in EXCLUDED)


def _default(f: Any) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return None


def digest_body(request: Union[ActionRequest, Mapping[str, Any]]) -> dict[str, Any]:
    """The fields the digest covers, as plain JSON values (a missing key counts as its default)."""
    if isinstance(request, ActionRequest):
        values = {f.name: getattr(request, f.name) for f in _FIELDS}
    else:
        values = {f.name: request.get(f.name, _default(f)) for f in _FIELDS}
    if isinstance(values.get("at"), str):  # stored requests keep `at` as ISO text: compare to the second
        try:
            values["at"] = datetime.fromisoformat(values["at"])
        except ValueError:
            pass
    return redact_value(_plain(values))


def request_digest(request: Union[ActionRequest, Mapping[str, Any]]) -> str:
    """sha256 (hex) of the canonical JSON of the request's defining fields.

    Takes an ActionRequest or its stored JSON form (deskapp.actions.submit.request_json);
    both give the same digest for the same action.
    """
    payload = json.dumps({"scheme": SCHEME, "request": digest_body(request)},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def differing_fields(asked: Union[ActionRequest, Mapping[str, Any]],
                     submitted: Union[ActionRequest, Mapping[str, Any]]) -> list[str]:
    """Names of the covered fields that differ: to tell the handler what changed, never the values."""
    a, b = digest_body(asked), digest_body(submitted)
    return [f.name for f in _FIELDS if a.get(f.name) != b.get(f.name)]
