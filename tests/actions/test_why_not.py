"""Asked before a form opens: can this person start this action on this case now, and if not, why."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from deskapp.actions import why_not
from deskapp.actions.validate import InvalidInput, check_request
from deskapp.core.views import ActionRequest

SAM = SimpleNamespace(id=1, username="sam", role="handler")
PRIYA = SimpleNamespace(id=3, username="priya", role="supervisor")


def case(**changed) -> SimpleNamespace:
    fields = dict(id=7, ref="C-1008", kind="complaint", stage=1, status="investigating", assigned_to="sam",
                  parties=())
    return SimpleNamespace(**{**fields, **changed})


@pytest.mark.parametrize("kind", ["contact", "message", "note", "status", "assign", "escalate", "extend", "abuse"])
def test_an_open_stage_one_complaint_of_ones_own_allows_everything(kind):
    assert why_not(SAM, kind, case()) is None


def test_a_case_already_at_stage_two_cannot_be_escalated_and_submit_says_the_same():
    at_two = case(stage=2)
    said = why_not(SAM, "escalate", at_two)
    assert said == "case C-1008 is already at stage 2"
    with pytest.raises(InvalidInput) as refused:
        check_request(ActionRequest(kind="escalate", case_id=7, version=1, summary="again"), at_two)
    assert str(refused.value) == f"stage: {said}"
    assert why_not(SAM, "note", at_two) is None


def test_only_complaints_escalate_and_a_closed_case_must_be_reopened_first():
    assert why_not(SAM, "escalate", case(kind="compliment")) == "only complaints go to stage 2; C-1008 is a compliment"
    closed = case(status="closed")
    for kind in ("assign", "escalate", "extend"):
        assert why_not(SAM, kind, closed) == "case C-1008 is closed; reopen it (set status) first"
    assert why_not(SAM, "contact", closed) is None  # customers call back after closing


def test_a_handler_cannot_take_a_colleagues_case_but_a_supervisor_can():
    jos = case(assigned_to="jo")
    assert why_not(SAM, "assign", jos) == (
        "C-1008 is jo's case: taking a case off another handler needs a supervisor or admin")
    assert why_not(PRIYA, "assign", jos) is None
    assert why_not(SAM, "assign", case(assigned_to=None)) is None
    assert why_not(SAM, "note", jos) is None  # working any case is every handler's job


def test_an_unknown_role_is_refused_in_one_line():
    said = why_not(SimpleNamespace(id=9, username="kim", role="visitor"), "note", case())
    assert said is not None and "kim" in said and "\n" not in said
