"""policies.yaml `approvals:` - how long an approval lasts, in working days of the pack's calendar."""

from __future__ import annotations

from datetime import datetime

import pytest

from deskapp.cli import main
from deskapp.policy import PolicyFileError, load_policies_text
from deskapp.policy.approvals import ApprovalSettings
from deskapp.policy.calendar import WorkingCalendar

ENG = WorkingCalendar("GB", "ENG")


def pack_with(approvals: str):
    return load_policies_text(f"version: 1\n{approvals}rules: []\n", "team.yaml")


def test_default_is_the_end_of_the_next_working_day():
    assert pack_with("").approvals == ApprovalSettings(expire_after_working_days=1)
    one = ApprovalSettings()
    assert one.expires_at(ENG, datetime(2026, 3, 10, 11, 0)) == datetime(2026, 3, 11, 23, 59, 59)  # Tue -> Wed
    assert one.expires_at(ENG, datetime(2026, 3, 13, 17, 0)) == datetime(2026, 3, 16, 23, 59, 59)  # Fri -> Mon
    assert one.expires_at(ENG, datetime(2026, 3, 14, 10, 0)) == datetime(2026, 3, 16, 23, 59, 59)  # Sat -> Mon
    # Good Friday and Easter Monday 2026 are bank holidays in England.
    assert one.expires_at(ENG, datetime(2026, 4, 2, 10, 0)) == datetime(2026, 4, 7, 23, 59, 59)


def test_configured_in_the_pack():
    pack = pack_with("approvals:\n  expire_after_working_days: 0\n")
    assert pack.approvals.expires_at(pack.calendar, datetime(2026, 3, 10, 11, 0)) == datetime(2026, 3, 10, 23, 59, 59)
    pack = pack_with("calendar: {country: GB, subdivision: ENG, working_week: [mon, tue, wed, thu, fri, sat]}\n"
                     "approvals: {expire_after_working_days: 3}\n")
    assert pack.approvals.expires_at(pack.calendar, datetime(2026, 3, 12, 11, 0)) == datetime(2026, 3, 16, 23, 59, 59)


@pytest.mark.parametrize("text, problem", [
    ("approvals:\n  expire_after_working_days: -1\n",
     "team.yaml:3:30: approvals.expire_after_working_days must be at least 0, not -1"),
    ("approvals:\n  expire_after_working_days: 31\n",
     "team.yaml:3:30: approvals.expire_after_working_days must be at most 30, not 31"),
    ("approvals:\n  expire_after_working_days: soon\n",
     "team.yaml:3:30: approvals.expire_after_working_days must be a whole number"),
    ("approvals:\n  expire_after_days: 2\n", "team.yaml:3:3: "),
    ("approvals: 2\n", "team.yaml:2:12: "),
])
def test_a_bad_value_is_one_line_naming_file_and_line(text, problem):
    with pytest.raises(PolicyFileError) as bad:
        load_policies_text(f"version: 1\n{text}rules: []\n", "team.yaml")
    assert len(bad.value.problems) == 1 and bad.value.problems[0].startswith(problem), bad.value.problems


def test_policy_check_refuses_a_bad_value(tmp_path, capsys):
    path = tmp_path / "team.yaml"
    path.write_text("version: 1\napprovals:\n  expire_after_working_days: -1\nrules: []\n")
    assert main(["policy", "check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{path}:3:30: approvals.expire_after_working_days must be at least 0, not -1"]
