"""Admin subcommands for the store: `deskapp init`, `deskapp demo`, `deskapp users ...`.

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

    _register_users(sub, common)


def _register_users(sub, common: argparse.ArgumentParser) -> None:
    keys_option = _parser_with_keys_file()
    users = sub.add_parser("users", parents=[common], help="list and manage handlers and their SSH keys",
                           description="Handlers are OS users, or reach the desk's service account over SSH "
                                       "with their own key. Changes are for active admins, as themselves "
                                       "(their OS account; a new desk with no admin yet lets anyone set it "
                                       "up), and each is audited.")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION")
    add = users_sub.add_parser("add", parents=[common, keys_option], help="add a handler",
                               description="Add a handler, optionally with the SSH public key they log in with.")
    add.add_argument("username", metavar="NAME", help="the handler's login name")
    add.add_argument("--role", default="handler", help=f"one of {', '.join(HANDLER_ROLES)} (default: handler)")
    add.add_argument("--name", dest="display_name", default=None, metavar="DISPLAY",
                     help='name shown on the desk, e.g. "Sam Okafor" (default: from the OS, else NAME)')
    add.add_argument("--key", metavar="FILE.pub", default=None,
                     help="their SSH public key: written to the service account's authorized_keys")
    add.set_defaults(func=run_users_add)
    role = users_sub.add_parser("role", parents=[common], help="change a handler's role")
    role.add_argument("username", metavar="NAME")
    role.add_argument("role", metavar="ROLE", help=", ".join(HANDLER_ROLES))
    role.set_defaults(func=run_users_role)
    for name, active, what in (("deactivate", False, "turn a handler away (keys leave authorized_keys)"),
                               ("activate", True, "let an inactive handler work again")):
        change = users_sub.add_parser(name, parents=[common, keys_option], help=what)
        change.add_argument("username", metavar="NAME")
        change.set_defaults(func=run_users_active, active=active)
    listing = users_sub.add_parser("list", parents=[common], help="list handlers")
    listing.set_defaults(func=run_users_list)
    users.set_defaults(func=run_users_list)

    key = users_sub.add_parser("key", parents=[common], help="a handler's SSH keys: add, remove, list, sync")
    key_sub = key.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    key_add = key_sub.add_parser("add", parents=[common, keys_option], help="add an SSH public key")
    key_add.add_argument("username", metavar="NAME")
    key_add.add_argument("key", metavar="FILE.pub")
    key_add.set_defaults(func=run_key_add)
    key_remove = key_sub.add_parser("remove", parents=[common, keys_option], help="remove a key by fingerprint")
    key_remove.add_argument("username", metavar="NAME")
    key_remove.add_argument("fingerprint", metavar="FINGERPRINT", help="SHA256:... as `users key list` shows")
    key_remove.set_defaults(func=run_key_remove)
    key_list = key_sub.add_parser("list", parents=[common], help="a handler's keys")
    key_list.add_argument("username", metavar="NAME")
    key_list.set_defaults(func=run_key_list)
    key_sync = key_sub.add_parser("sync", parents=[common, keys_option],
                                  help="write authorized_keys again from the database")
    key_sync.set_defaults(func=run_key_sync)


def _parser_with_keys_file() -> argparse.ArgumentParser:
    keys = argparse.ArgumentParser(add_help=False)
    keys.add_argument("--authorized-keys", dest="authorized_keys", metavar="PATH", default=None,
                      help="the authorized_keys file to keep (default: ~/.ssh/authorized_keys of the "
                           "service account, when you run this as it)")
    return keys


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


def _init(engine) -> tuple[str | None, str, str]:
    """Upgrade to head and record the service account if unset: (revision before, revision now, account)."""
    from deskapp.actions.identity import claim_service_account
    from deskapp.store import migrate

    before = migrate.current_revision(engine)
    after = migrate.upgrade(engine) or migrate.head_revision()
    account, _recorded = claim_service_account(engine)
    return before, after, account


def run_init(args: argparse.Namespace) -> int:
    from deskapp.actions.policies import publish_default

    engine = _open(args, warn=False)  # it makes the file private instead of warning about it
    try:
        private = _make_private(engine)
        if private:
            print(private)
        before, after, account = _init(engine)
        published = publish_default(engine, config.os_username())
    finally:
        engine.dispose()
    shown = masked(engine.url)
    if before is None:
        print(f"initialised {shown}: at revision {after}")
        print(f"service account: {account} (the OS account that owns this desk; only it may run `desk --as-key`)")
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
            before, after, _account = _init(engine)
            created = before is None  # this command made the desk: it becomes a demo desk
            what = "initialised" if before is None else f"upgraded from {before}"
            print(f"{what} {masked(engine.url)}: at revision {after}")
        # `--as NAME` (an admin, or anyone on a demo desk) is who asks, e.g. for --force; checked and audited.
        actor = _actor(engine, args).username if getattr(args, "as_name", None) and not created else None
        summary = fill_demo(engine, cases=args.cases, seed=args.seed, today=args.today, replace=args.force,
                            if_empty=args.if_empty, policies=getattr(args, "policies", None), created=created,
                            actor=actor)
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


def _actor(engine, args: argparse.Namespace):
    from deskapp.actions.identity import acting

    return acting(engine, as_name=getattr(args, "as_name", None))


def _users_command(args: argparse.Namespace, change) -> int:
    """Open the desk's database, find who is acting, run `change(engine, actor)` and close."""
    engine = _open(args)
    try:
        _require(engine)
        return change(engine, _actor(engine, args))
    finally:
        engine.dispose()


def _keys_file(engine, args: argparse.Namespace):
    from deskapp.actions.users import keys_file_for

    return keys_file_for(engine, getattr(args, "authorized_keys", None))


def run_users_add(args: argparse.Namespace) -> int:
    from deskapp.actions import users
    from deskapp.core.sshkeys import load_public_key
    from deskapp.core.logins import check_role, check_username

    check_username(args.username)
    check_role(args.role)
    key = load_public_key(args.key) if args.key else None  # a bad file stops here: nothing written

    def change(engine, actor) -> int:
        added = users.add(engine, actor, args.username, role=args.role, display_name=args.display_name, key=key,
                          keys_file=_keys_file(engine, args))
        print(f"added {added.username} ({added.display_name}) as {added.role}"
              + (f" with key {key.fingerprint}" if key else ""))
        return 0

    return _users_command(args, change)


def run_users_role(args: argparse.Namespace) -> int:
    from deskapp.actions import users
    from deskapp.core.logins import check_role

    check_role(args.role)

    def change(engine, actor) -> int:
        changed = users.set_role(engine, actor, args.username, args.role)
        print(f"{changed.username} is now {'an' if changed.role[:1] in 'aeiou' else 'a'} {changed.role}")
        return 0

    return _users_command(args, change)


def run_users_active(args: argparse.Namespace) -> int:
    from deskapp.actions import users

    def change(engine, actor) -> int:
        keys_file = _keys_file(engine, args)
        changed = users.set_active(engine, actor, args.username, args.active, keys_file=keys_file)
        state = "active again" if args.active else "inactive: they cannot open the desk"
        print(f"{changed.username} is {state}")
        if keys_file is None:
            print("authorized_keys not changed (not the service account): run `deskapp users key sync` as it")
        return 0

    return _users_command(args, change)


def run_key_add(args: argparse.Namespace) -> int:
    from deskapp.actions import users
    from deskapp.core.sshkeys import load_public_key

    key = load_public_key(args.key)

    def change(engine, actor) -> int:
        fingerprint = users.add_key(engine, actor, args.username, key, keys_file=_keys_file(engine, args))
        print(f"added key {fingerprint} ({key.key_type}) for {args.username}")
        return 0

    return _users_command(args, change)


def run_key_remove(args: argparse.Namespace) -> int:
    from deskapp.actions import users

    def change(engine, actor) -> int:
        users.remove_key(engine, actor, args.username, args.fingerprint, keys_file=_keys_file(engine, args))
        print(f"removed key {args.fingerprint} of {args.username}")
        return 0

    return _users_command(args, change)


def run_key_sync(args: argparse.Namespace) -> int:
    from deskapp.actions import users

    def change(engine, actor) -> int:
        path = users.sync_keys(engine, actor, keys_file=_keys_file(engine, args))
        print(f"wrote deskapp's keys into {path}")
        return 0

    return _users_command(args, change)


def run_key_list(args: argparse.Namespace) -> int:
    from deskapp.actions.users import key_list

    engine = _open(args)
    try:
        _require(engine)
        keys = key_list(engine, args.username)
    finally:
        engine.dispose()
    if not keys:
        print(f"{args.username} has no SSH keys: add one with `deskapp users key add {args.username} FILE.pub`")
    for fingerprint, key_type, comment in keys:
        print(f"{fingerprint}  {key_type}  {comment or ''}".rstrip())
    return 0


def run_users_list(args: argparse.Namespace) -> int:
    from deskapp.actions.users import roster

    engine = _open(args)
    try:
        _require(engine)
        handlers = roster(engine)
    finally:
        engine.dispose()
    if not handlers:
        print("no handlers yet: add one with `deskapp users add NAME --role handler`")
        return 0
    width = max(len(h.username) for h in handlers)
    for h in handlers:
        state = "active" if h.active else "inactive"
        keys = f"{h.keys} key{'s' if h.keys != 1 else ''}"
        print(f"{h.username:<{width}}  {h.role:<10}  {state:<8}  {keys:<7}  {h.display_name}")
    return 0
