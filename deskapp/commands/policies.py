"""`deskapp policy ...`: the file commands (check, test, eval) and the published packs (publish, history, show).

The file commands live in deskapp.policy.cli (pure: no database); the ones
that read or write the desk's published packs need the action layer, so the
`policy` command is put together here, above both.
"""

from __future__ import annotations

import argparse
import sys

from deskapp import config
from deskapp.policy import cli as file_commands


def register(parser: argparse.ArgumentParser, sub, common: argparse.ArgumentParser) -> None:
    policy = sub.add_parser(
        "policy",
        parents=[common],
        help="check, publish and show the rules (policies.yaml); run policy scenarios",
        description="Check a policies file, run scenario files against it, publish it as the desk's rules, "
                    "or show the published versions. The desk runs on the newest published pack.",
        epilog=file_commands.EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    psub = policy.add_subparsers(dest="policy_command", metavar="COMMAND")
    file_commands.add_file_commands(psub, common)

    publish = psub.add_parser("publish", parents=[common], help="make a policies file the desk's rules (admins)",
                              description="Check FILE exactly as `policy check` does, then store it as the newest "
                                          "version of the desk's rules, with an audit event. Desks opened from "
                                          "then on use it. Needs the policies.manage permission (admins).")
    publish.add_argument("file", metavar="FILE", help="the policies file to publish")
    publish.add_argument("--note", default=None, metavar="TEXT", help="why this version (kept with it)")
    publish.set_defaults(func=file_commands._guarded(run_publish))

    history = psub.add_parser("history", parents=[common], help="list the published versions",
                              description="Every published version, oldest first: version, sha256 (short), "
                                          "who published it, when, and the file it came from.")
    history.set_defaults(func=file_commands._guarded(run_history))

    show = psub.add_parser("show", parents=[common], help="print a published version's exact text",
                           description="Print the exact text of a published version (default: the one in force).")
    show.add_argument("version", nargs="?", type=_version, metavar="VERSION", help="version number")
    show.set_defaults(func=file_commands._guarded(run_show))

    def no_command(args) -> int:
        policy.print_help(sys.stderr)
        return 2

    policy.set_defaults(func=no_command)


def _version(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a version number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"versions start at 1: {value!r}")
    return number


def _engine(args: argparse.Namespace):
    from deskapp.store.engine import connect
    from deskapp.store.migrate import require_current

    engine = connect(config.db_url(getattr(args, "db", None)))
    try:
        require_current(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def run_publish(args: argparse.Namespace) -> int:
    from pathlib import Path

    from deskapp.actions.policies import publish_as
    from deskapp.policy import PolicyFileError
    from deskapp.policy import yamlsrc

    problems = yamlsrc.Problems(args.file)
    data = yamlsrc.read_bytes(Path(args.file), problems)
    if data is None:
        raise PolicyFileError(problems.items)
    engine = _engine(args)
    try:
        done = publish_as(engine, config.os_username(), data, source=args.file, note=args.note)
    finally:
        engine.dispose()
    if done.unchanged:
        print(f"{args.file} is already the rules in force (version {done.version}, sha256 {done.sha256[:12]}): "
              "nothing published")
    else:
        print(f"published {args.file} as version {done.version} (sha256 {done.sha256[:12]}): "
              "desks opened from now on use it")
    return 0


def run_history(args: argparse.Namespace) -> int:
    from deskapp.actions.policies import history

    engine = _engine(args)
    try:
        packs = history(engine)
    finally:
        engine.dispose()
    if not packs:
        print("no rules published yet: `deskapp init` publishes the packaged ones")
        return 0
    who = max(len("published by"), *(len(p.published_by) for p in packs))
    print(f"{'version':>7}  {'sha256':<12}  {'published by':<{who}}  {'at':<16}  source")
    for pack in packs:
        mark = "  (in force)" if pack is packs[-1] else ""
        note = f"  - {pack.note}" if pack.note else ""
        line = (f"{pack.version:>7}  {pack.sha256[:12]}  {pack.published_by:<{who}}  "
                f"{pack.published_at:%Y-%m-%d %H:%M}  {pack.source}{mark}{note}")
        print(" ".join(line.splitlines()))  # a note or a file name never starts a line of its own
    return 0


def run_show(args: argparse.Namespace) -> int:
    from deskapp.actions.policies import pack_text

    engine = _engine(args)
    try:
        _info, text = pack_text(engine, args.version)
    finally:
        engine.dispose()
    sys.stdout.write(text)
    return 0
