"""`deskapp case link|unlink|merge|unmerge` and `case show`: one line each, exit codes, nothing written on error."""

from __future__ import annotations

import json

from .conftest import run_cli


def cli(capsys, db_url, who, *argv):
    return run_cli("--as", who, "case", *argv, "--db", db_url, capsys=capsys)


def test_link_show_and_unlink_from_the_command_line(team, engine, db_url, capsys, desk_setting, pair):
    keep, dup = pair
    desk_setting(db_url, "demo", "1")
    code, out, err = cli(capsys, db_url, "sam", "link", keep.ref, dup.ref, "--kind", "duplicate")
    assert code == 0, err
    assert out.startswith(f"{keep.ref}: linked {dup.ref} as duplicate (audit event ")
    code, out, err = cli(capsys, db_url, "jo", "show", dup.ref)
    assert code == 0 and "Linked cases:" in out
    assert any(line.split()[:2] == ["duplicate", keep.ref] for line in out.splitlines())
    code, out, err = cli(capsys, db_url, "jo", "show", dup.ref, "--format", "json")
    assert json.loads(out)["links"][0]["ref"] == keep.ref
    code, out, err = cli(capsys, db_url, "sam", "unlink", keep.ref, "C-9999")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "not linked" in err
    code, out, err = cli(capsys, db_url, "sam", "unlink", keep.ref, dup.ref)
    assert code == 0, err
    assert out.startswith(f"{keep.ref}: unlinked {dup.ref} (was duplicate)")
    code, out, err = cli(capsys, db_url, "sam", "link", keep.ref, keep.ref, "--kind", "related")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "itself" in err


def test_merge_and_unmerge_from_the_command_line(team, engine, db_url, capsys, desk_setting, pair):
    keep, dup = pair
    desk_setting(db_url, "demo", "1")
    code, out, err = cli(capsys, db_url, "sam", "merge", keep.ref, dup.ref, "--reason", "same leak")
    assert code == 2 and out == "" and "needs a supervisor or admin" in err
    code, out, err = cli(capsys, db_url, "priya", "merge", keep.ref, dup.ref, "--reason", "same leak")
    assert code == 0, err
    assert out.startswith(f"merged {dup.ref} into {keep.ref}: {dup.ref} is closed as a duplicate, its history "
                          f"shows on {keep.ref}, 1 person joined; {keep.ref} now counts from Mon 02 Mar 2026 15:00")
    code, out, err = cli(capsys, db_url, "jo", "show", keep.ref)
    assert f"[from {dup.ref}]" in out and "Email from Dana" in out
    code, out, err = cli(capsys, db_url, "jo", "show", dup.ref)
    assert f"MERGED into {keep.ref}" in out
    code, out, err = cli(capsys, db_url, "priya", "merge", dup.ref, keep.ref, "--reason", "backwards")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "undoes that merge first" in err
    code, out, err = cli(capsys, db_url, "ada", "unmerge", dup.ref, "--reason", "two leaks")
    assert code == 0, err
    assert out.startswith(f"undid the merge of {dup.ref} into {keep.ref}: {dup.ref} stands on its own again, "
                          f"1 party taken off {keep.ref}")
    code, out, err = run_cli("--as", "ada", "audit", "verify", "--db", db_url, capsys=capsys)
    assert code == 0, err + out
