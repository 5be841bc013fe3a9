"""Admin subcommands for the store: `deskapp init`, `deskapp demo`, `deskapp users add|list`.

Each prints what it did in one or two lines a person can read, and reports
problems as one line (DeskError, exit 2) through the dispatcher in deskapp.cli.
"""

from __future__ import annotations

import argparse
from datetime import date

from deskapp import config
from deskapp.errors import StorageError
from deskapp.store.dbfile import tighten, warn_once
from deskapp.store.engine import connect, masked, sqlite_file
from deskapp.vocab import HANDLER_ROLES


def register(parser: argparse.ArgumentParser, sub, common: argparse.ArgumentParser) -> None:
    init = sub.add_parser("init", parents=[common], help="create the database or upgrade it to this version",
                          description="Create the desk's tables, or upgrade an existing database to this "
                                      "version of deskapp; publish the packaged rules as version 1 if no "
                                      "rules are published yet. Safe to run again.")
    init.set_defaults(func=run_init)

    demo = sub.add_parser("demo", parents=[common], help="fill the database with demo cases",
                          description="Fill an empty database with the demo stories (C-1001 ...) and N "
                                      "generated cases. Runs `init` first if needed.")
    demo.add_argument("--cases", type=_count, default=200, metavar="N",
                      help="generated cases besides the named stories (default 200)")
    demo.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    demo.add_argument("--today", type=_day, default=None, metavar="YYYY-MM-DD",
                      help="date the demo treats as today (default: the real today)")
    demo.add_argument("--force", action="store_true",
                      help="delete every existing case (with parties, history, drafts, approvals and the "
                           "audit log) first: an admin only, on a demo desk whose audit log holds nothing "
                           "but the demo's own records")
    demo.add_argument("--if-empty", action="store_true",
                      help="if the database already has cases, leave it as it is and succeed")
    demo.set_defaults(func=run_demo)

    users = sub.add_parser("users", parents=[common], help="list or add handlers",
                           description="Handlers are OS users: their login name is their username.")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION")
    add = users_sub.add_parser("add", parents=[common], help="add a handler (admins only, once one exists)",
                               description="Add a handler. Until the database has an active admin anyone "
                                           "who can open it may (setting up); after that only an active "
                                           "admin, as themselves (login name or DESKAPP_USER).")
    add.add_argument("username", metavar="NAME", help="the handler's login name")
    add.add_argument("--role", default="handler", choices=HANDLER_ROLES, help="default: handler")
    add.add_argument("--name", dest="display_name", default=None, metavar="DISPLAY",
                     help='name shown on the desk, e.g. "Sam Okafor" (default: from the OS, else NAME)')
    add.set_defaults(func=run_users_add)
    listing = users_sub.add_parser("list", parents=[common], help="list handlers")
    listing.set_defaults(func=run_users_list)
    users.set_defaults(func=run_users_list)


def _count(value: str) -> int:
    try:
        number = int(value.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {value!r}")
    return number


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-03-10: {value!r}") from None


def _open(args: argparse.Namespace, warn: bool = True):
    return connect(config.db_url(getattr(args, "db", None)), warn=warn)


def _make_private(engine) -> str | None:
    """`init` takes group/other bits off a SQLite file this user owns (deskapp.store.dbfile)."""
    path = sqlite_file(engine)
    if path is None:
        return None
    try:
        done = tighten(path)
    except OSError as exc:
        raise StorageError(f"cannot make {path} private: {exc.strerror or exc}") from exc
    warn_once(path)  # still open to others: a file someone else owns
    return done


def _init(engine) -> tuple[str | None, str]:
    """Upgrade to head; returns (revision before, revision now)."""
    from deskapp.store import migrate

    before = migrate.current_revision(engine)
    after = migrate.upgrade(engine) or migrate.head_revision()
    return before, after


def run_init(args: argparse.Namespace) -> int:
    from deskapp.actions.policies import publish_default

    engine = _open(args, warn=False)  # it makes the file private instead of warning about it
    try:
        private = _make_private(engine)
        if private:
            print(private)
        before, after = _init(engine)
        published = publish_default(engine, config.os_username())
    finally:
        engine.dispose()
    shown = masked(engine.url)
    if before is None:
        print(f"initialised {shown}: at revision {after}")
    elif before == after:
        print(f"{shown} is up to date: at revision {after}")
    else:
        print(f"upgraded {shown}: revision {before} -> {after}")
    if published is not None:
        print(f"published the packaged rules as version {published.version} (sha256 {published.sha256[:12]})")
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from deskapp.store import migrate
    from deskapp.demo.load import fill_demo

    engine = _open(args)
    try:
        created = False
        if migrate.current_revision(engine) != migrate.head_revision():
            before, after = _init(engine)
            created = before is None  # this command made the desk: it becomes a demo desk
            what = "initialised" if before is None else f"upgraded from {before}"
            print(f"{what} {masked(engine.url)}: at revision {after}")
        summary = fill_demo(engine, cases=args.cases, seed=args.seed, today=args.today, replace=args.force,
                            if_empty=args.if_empty, policies=getattr(args, "policies", None), created=created)
    finally:
        engine.dispose()
    if summary.kept_cases:
        print(f"{summary.url} already holds {summary.kept_cases:,} cases: left as it is")
        return 0
    if summary.wiped_cases:
        print(f"deleted {summary.wiped_cases:,} existing cases and everything attached to them")
    if summary.handlers_added:
        print(f"added handlers: {', '.join(summary.handlers_added)}")
    rows = summary.rows
    print(f"loaded {summary.cases:,} cases ({summary.stories} stories C-1001.. + {summary.generated:,} generated), "
          f"{rows.get('parties', 0):,} parties, {rows.get('contacts', 0):,} contacts, "
          f"{rows.get('appointments', 0):,} appointments, {summary.audit_events:,} audit events into {summary.url} "
          f"in {summary.seconds:.1f} s")
    return 0


def _require(engine) -> None:
    from deskapp.store import migrate

    migrate.require_current(engine)


def run_users_add(args: argparse.Namespace) -> int:
    from deskapp.store.handlers import add_handler_as

    engine = _open(args)
    try:
        _require(engine)
        handler = add_handler_as(engine, config.current_username(), args.username, role=args.role,
                                 display_name=args.display_name)
    finally:
        engine.dispose()
    print(f"added {handler.username} ({handler.display_name}) as {handler.role}")
    return 0


def run_users_list(args: argparse.Namespace) -> int:
    from deskapp.store.handlers import list_handlers

    engine = _open(args)
    try:
        _require(engine)
        handlers = list_handlers(engine)
    finally:
        engine.dispose()
    if not handlers:
        print("no handlers yet: add one with `deskapp users add NAME --role handler`")
        return 0
    width = max(len(h.username) for h in handlers)
    for h in handlers:
        state = "" if h.active else "  (inactive)"
        print(f"{h.username:<{width}}  {h.role:<10}  {h.display_name}{state}")
    return 0
