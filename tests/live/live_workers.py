"""Desk processes for the stress and crash tests: run as `python workers.py MODE URL USER N SEED`.

Each line on stdout is one JSON result, flushed at once, so the parent knows
exactly which actions were acknowledged even if this process is killed -9.
  stress: N notes on random cases from a version cache that goes stale -> Done or Conflict.
  crash:  notes until killed; prints {"audit": id} after every Done.
Waits for a line on stdin before starting, so all desks begin together.
"""

from __future__ import annotations

import json
import random
import sys


def say(**fields) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    mode, url, user, count, seed = argv[1], argv[2], argv[3], int(argv[4]), int(argv[5])
    from sqlalchemy import select

    from deskapp.actions import (
        ActionRequest,
        Conflict,
        Done,
        NeedsReason,
        load_case,
        open_desk,
        submit,
    )
    from deskapp.store.models import Case

    desk = open_desk(url, None, user)
    with desk.session() as session:
        case_ids = list(session.execute(select(Case.id).order_by(Case.id)).scalars())
    versions = {case_id: load_case(desk, case_id).version for case_id in case_ids}
    rng = random.Random(seed)
    say(ready=True)
    sys.stdin.readline()
    n = 0
    while mode == "crash" or n < count:
        n += 1
        case_id = rng.choice(case_ids)
        request = ActionRequest(kind="note", case_id=case_id, version=versions[case_id],
                                body=f"{user} note {n}: checked the file")
        try:
            outcome = submit(desk, request)
            if isinstance(outcome, NeedsReason):
                outcome = submit(desk, request, reason="Stress test of the approval path")
        except Exception as exc:  # the test fails on any of these
            say(outcome="error", case=case_id, error=f"{type(exc).__name__}: {exc}")
            continue
        if isinstance(outcome, Done):
            versions[case_id] = outcome.case.version
            say(outcome="done", case=case_id, audit=outcome.audit_id, version=outcome.case.version)
        elif isinstance(outcome, Conflict):
            versions[case_id] = outcome.case.version
            say(outcome="conflict", case=case_id, message=outcome.message)
        else:
            say(outcome="other", case=case_id, kind=type(outcome).__name__)
    desk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
