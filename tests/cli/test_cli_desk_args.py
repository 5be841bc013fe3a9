"""`deskapp` with no subcommand parses its few options without importing every subcommand."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from deskapp import cli


@pytest.mark.parametrize("argv, expected", [
    ([], {"db": None, "policies": None, "theme": None, "no_mouse": False}),
    (["--db", "sqlite:////x.db", "--no-mouse"], {"db": "sqlite:////x.db", "no_mouse": True}),
    (["--db=postgresql://h/d", "--theme", "desk-light", "--policies", "p.yaml"],
     {"db": "postgresql://h/d", "theme": "desk-light", "policies": "p.yaml"}),
])
def test_the_desk_options_take_the_quick_parser(argv, expected):
    from deskapp.tui.command import run_desk

    args = cli._desk_only(argv)
    assert args is not None and args.func is run_desk
    for name, value in expected.items():
        assert getattr(args, name) == value


@pytest.mark.parametrize("argv", [["demo"], ["--db", "x", "init"], ["--help"], ["-h"], ["--version"],
                                  ["--db"], ["--bogus"], ["policy", "check"], ["users", "add", "jo"],
                                  ["--the", "desk-light"], ["--db", "--theme", "x"], ["--no-mouse", "--"],
                                  ["--no-mouse=1"], ["-x"], ["--db", "u", "extra"]])
def test_anything_else_goes_to_the_full_parser(argv):
    assert cli._desk_only(argv) is None


def test_the_quick_parser_and_the_full_one_agree_on_the_desk_options():
    full = cli.build_parser().parse_args(["--db", "u", "--theme", "t", "--no-mouse", "--policies", "p"])
    quick = cli._desk_only(["--db", "u", "--theme", "t", "--no-mouse", "--policies", "p"])
    for name in ("db", "theme", "no_mouse", "policies"):
        assert getattr(full, name) == getattr(quick, name)
    assert full.func is quick.func


_option_value = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=20)


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.one_of(
    st.sampled_from(["--db", "--policies", "--theme", "--no-mouse", "--", "-", "--d", "--the", "demo", "x",
                     "--as", "--as-key", "desk", "sam"]),
    st.builds(lambda name, value: f"{name}={value}",
              st.sampled_from(["--db", "--policies", "--theme", "--as", "--as-key"]), _option_value),
    _option_value), max_size=6))
def test_the_quick_parser_reads_exactly_what_argparse_reads(words):
    """Whatever it accepts, the full parser reads the same way; what it cannot be sure of, it hands on."""
    quick = cli._desk_only(words)
    if quick is None:
        return
    full = cli.build_parser().parse_args(words)
    assert getattr(full, "command", None) in (None, "desk")
    assert full.func is quick.func
    for name in ("db", "theme", "no_mouse", "policies", "as_name", "as_key"):
        assert getattr(quick, name) == getattr(full, name, None), (name, words)


@pytest.mark.parametrize("argv, as_name, as_key", [
    (["--as", "sam"], "sam", None),
    (["--as=sam", "--db", "u"], "sam", None),
    (["desk", "--as-key", "sam"], None, "sam"),
    (["desk", "--as-key=sam", "--no-mouse"], None, "sam"),
])
def test_the_quick_parser_reads_who(argv, as_name, as_key):
    quick = cli._desk_only(argv)
    assert quick is not None and (quick.as_name, quick.as_key) == (as_name, as_key)
    full = cli.build_parser().parse_args(argv)
    assert (getattr(full, "as_name", None), getattr(full, "as_key", None)) == (as_name, as_key)


@pytest.mark.parametrize("argv", [["--as-key", "sam"], ["--as", "x", "desk"], ["desk", "desk"]])
def test_who_the_quick_parser_leaves_to_argparse(argv):
    assert cli._desk_only(argv) is None


def test_plain_deskapp_imports_no_subcommand_and_no_orm_before_the_screen():
    code = ("import sys\n"
            "from deskapp import cli\n"
            "import deskapp.tui.command as c\n"
            "c.run_desk = lambda args: print(sorted(m for m in sys.modules if m.startswith("
            "('sqlalchemy', 'sqlmodel', 'deskapp.policy', 'deskapp.demo.load', 'alembic', 'holidays', "
            "'argparse', 'hashlib', 'yaml'))))\n"
            "cli.main(['--db', 'sqlite:////nowhere.db'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_argument_errors_are_one_line():
    out = subprocess.run([sys.executable, "-m", "deskapp", "--no-such-option"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "--no-such-option" in out.stderr and "--help" in out.stderr


_url_part = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="/?#@:[]%"),
                    min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(backend=st.sampled_from(["postgresql", "postgresql+psycopg", "sqlite", "sqlite+pysqlite"]),
       user=_url_part, password=_url_part, host=_url_part, port=st.one_of(st.none(), st.integers(1, 65535)),
       database=_url_part)
def test_header_database_label_matches_sqlalchemys_reading(backend, user, password, host, port, database):
    """The header shows the database without SQLAlchemy (start-up time); it must read URLs as SQLAlchemy does."""
    from sqlalchemy.engine import make_url

    from deskapp.tui.widgets.header import display_db

    if backend.startswith("sqlite"):
        url = f"{backend}:///{database}"
    else:
        url = f"{backend}://{user}:{password}@{host}{f':{port}' if port else ''}/{database}"
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        expected = f"sqlite {parsed.database or ':memory:'}"
    else:
        expected = (f"{parsed.get_backend_name()} {parsed.host or 'localhost'}"
                    f"{f':{parsed.port}' if parsed.port else ''}/{parsed.database or ''}")
    shown = display_db(url)
    assert shown == expected
    # Credentials never shown (the password, unless the backend, host, port or name holds it too:
    # a password "g" is inside "postgresql").
    assert "@" not in shown
    if password and password not in f"{parsed.get_backend_name()} {parsed.host}:{parsed.port}/{parsed.database}":
        assert password not in shown
