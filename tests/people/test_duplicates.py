"""`deskapp people duplicates`: likely duplicate persons found through blocking keys, scored, with reasons."""

from __future__ import annotations

from deskapp.actions.duplicates import find_duplicates

from .conftest import add_person, run_cli


def seed(engine):
    arthur, _ = add_person(engine, "Arthur Penrose", phone="07700 900412",
                           address="Flat 4, Linden Court, Northvale NV3 2LP")
    again, _ = add_person(engine, "Mr A Penrose", phone="+44 7700 900412", address="Flat 4 Linden Ct, NV3 2LP")
    namesake, _ = add_person(engine, "Arthur Penrose", phone="07700 900999", address="12 Station Road, PR8 1AB")
    jo, _ = add_person(engine, "Jo Bloggs", email="jo@example.org")
    jo2, _ = add_person(engine, "Joanne Bloggs", email="JO+complaints@Example.org")
    return arthur, again, namesake, jo, jo2


def test_the_same_people_written_differently_are_found_and_namesakes_are_not(engine):
    arthur, again, namesake, jo, jo2 = seed(engine)
    with engine.connect() as conn:
        report = find_duplicates(conn)
    pairs = {(d.a_id, d.b_id): d for d in report.pairs}
    assert set(pairs) == {(arthur, again), (jo, jo2)}
    assert pairs[(arthur, again)].reasons[0] == "same phone +447700900412"
    assert "same email jo@example.org" in pairs[(jo, jo2)].reasons
    assert report.likely == 2 and report.compared >= 2
    assert [d.score for d in report.pairs] == sorted((d.score for d in report.pairs), reverse=True)


def test_each_pair_is_scored_once_however_many_keys_it_shares(engine):
    seed(engine)
    with engine.connect() as conn:
        report = find_duplicates(conn, min_score=0)
    pairs = [(d.a_id, d.b_id) for d in report.pairs]
    assert len(pairs) == len(set(pairs)) == report.compared


def test_a_key_shared_by_too_many_persons_is_skipped_and_reported(engine):
    for n in range(4):
        add_person(engine, f"Caller {n}x", phone="0800 123 4567")
    with engine.connect() as conn:
        report = find_duplicates(conn, max_block=3)
    assert report.skipped == {"p:+448001234567": 4}
    assert report.pairs == []


def test_the_limit_keeps_the_best_pairs(engine):
    seed(engine)
    with engine.connect() as conn:
        best, every = find_duplicates(conn, limit=1), find_duplicates(conn)
    assert len(best.pairs) == 1 and best.likely == 2
    assert best.pairs[0] == every.pairs[0]


def test_the_command_lists_pairs_for_a_supervisor_and_refuses_a_handler(team, engine, db_url, capsys,
                                                                           desk_setting):
    arthur, again, *_ = seed(engine)
    desk_setting(db_url, "demo", "1")
    code, out, err = run_cli("--as", "priya", "people", "duplicates", "--db", db_url, capsys=capsys)
    assert code == 0, err
    assert "Arthur Penrose" in out and "same phone +447700900412" in out
    assert "2 likely duplicate pairs" in err
    code, out, err = run_cli("--as", "priya", "people", "duplicates", "--db", db_url, "--format", "csv",
                             capsys=capsys)
    assert code == 0 and out.splitlines()[0] == "score,person,name,other,other_name,reasons"
    code, out, err = run_cli("--as", "sam", "people", "duplicates", "--db", db_url, capsys=capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "supervisor" in err and out == ""
    code, out, err = run_cli("--as", "priya", "people", "duplicates", "--min-score", "101", "--db", db_url,
                             capsys=capsys)
    assert code == 2 and "--min-score 101: give a score from 0 to 100" in err and len(err.strip().splitlines()) == 1
