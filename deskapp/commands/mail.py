"""`deskapp mail send|from|outbox|retry`: the outbox and its sender (docs/mail.md).

`send` is run by the desk's service account (once, or `--watch` under systemd):
it reads `<config folder>/mail.yaml` and the relay password, which the desk
never does. A relay that cannot be reached or refuses the login is one line
and exit 2; the messages stay queued.
"""

from __future__ import annotations

import argparse
import sys


def register(parser: argparse.ArgumentParser, sub, common: argparse.ArgumentParser) -> None:
    mail = sub.add_parser("mail", parents=[common], help="send the outbox through the SMTP relay; its settings",
                          description="Outbound email: messages handlers send from the desk are queued in the "
                                      "outbox with their contact and delivered by `deskapp mail send`.")
    verbs = mail.add_subparsers(dest="mail_command", metavar="COMMAND", required=True)
    send = verbs.add_parser("send", parents=[common], help="deliver the queued emails (the service account)",
                            description="Deliver every due outbox email through the relay in "
                                        "<config folder>/mail.yaml, with retries and backoff. Exit 2 if the relay "
                                        "cannot be reached or refuses the login (nothing is lost: they stay queued).")
    send.add_argument("--watch", action="store_true", help="keep running, a pass every --every seconds (systemd)")
    send.add_argument("--every", type=float, default=10.0, metavar="SECONDS", help="seconds between passes (10)")
    send.add_argument("--config", metavar="PATH", default=None,
                      help="the mail settings file (default <config folder>/mail.yaml)")
    send.set_defaults(func=run_send)
    sender = verbs.add_parser("from", parents=[common], help="set the desk's sending address (admins)",
                              description="Set the address the desk sends from. Until one is set, email messages "
                                          "are recorded only, not queued. --off stops queueing.")
    sender.add_argument("address", nargs="?", metavar="ADDRESS", help="e.g. complaints@example.org")
    sender.add_argument("--off", action="store_true", help="stop queueing email (record only)")
    sender.set_defaults(func=run_from)
    box = verbs.add_parser("outbox", parents=[common], help="list the outbox (newest first)",
                           description="List outbox emails: status, attempts, Message-ID, the relay's answer.")
    box.add_argument("--status", action="append", default=[], metavar="STATUS",
                     help="only this status (queued, sending, sent, failed, unknown); repeatable")
    box.set_defaults(func=run_outbox)
    again = verbs.add_parser("retry", parents=[common], help="send a failed or unknown email again (supervisors)",
                             description="Queue a failed or unknown outbox email again, with the same Message-ID.")
    again.add_argument("outbox_id", type=int, metavar="ID")
    again.set_defaults(func=run_retry)
    from deskapp.commands.mail_receive import register_receive  # fetch, watch: receiving (mail19b)

    register_receive(verbs, common)


def _engine(args: argparse.Namespace):
    from deskapp.store.engine import connect
    from deskapp.store.migrate import require_current
    from deskapp.supervision.dbarg import existing_db

    engine = connect(existing_db(getattr(args, "db", None)))
    try:
        require_current(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def run_send(args: argparse.Namespace) -> int:
    from pathlib import Path

    from deskapp import config
    from deskapp.actions.outbox import sender_account
    from deskapp.core import smtp_settings
    from deskapp.mail.sender import RelayUnavailable, Sender, watch

    path = Path(args.config) if args.config else config.config_dir() / smtp_settings.FILE
    settings = smtp_settings.read_settings(path)
    password = smtp_settings.password(settings)
    engine = _engine(args)
    try:
        sender = Sender(engine, settings, password, sender_account(engine))

        def say(line: str) -> None:
            print(line, flush=True)

        if args.watch:
            watch(sender, max(args.every, 0.1), say)
            return 0
        try:
            report = sender.run_pass()
        except RelayUnavailable:
            raise
        for line in report.lines():
            say(line)
        if report.unknown:
            print(f"deskapp: {report.unknown} email(s) may or may not have gone (a sender stopped mid-delivery): "
                  f"see `deskapp mail outbox --status unknown`", file=sys.stderr)
        return 1 if report.failed or report.unknown else 0
    finally:
        engine.dispose()


def run_from(args: argparse.Namespace) -> int:
    from deskapp.actions.outbox import set_mail_from
    from deskapp.errors import DeskError
    from deskapp.supervision.dbarg import open_existing_desk

    if bool(args.address) == bool(args.off):
        raise DeskError("give an ADDRESS or --off")
    desk = open_existing_desk(args)
    try:
        set_mail_from(desk, None if args.off else args.address)
    finally:
        desk.close()
    print("email messages are recorded only (no outbox)" if args.off else f"the desk sends from {args.address}")
    return 0


def run_outbox(args: argparse.Namespace) -> int:
    from deskapp.actions.outbox import outbox_lines
    from deskapp.commands.tables import write_rows
    from deskapp.errors import DeskError
    from deskapp.vocab import OUTBOX_STATUSES

    bad = [s for s in args.status if s not in OUTBOX_STATUSES]
    if bad:
        raise DeskError(f"--status {bad[0]!r}: one of {', '.join(OUTBOX_STATUSES)}")
    engine = _engine(args)
    try:
        lines = outbox_lines(engine, tuple(args.status))
    finally:
        engine.dispose()
    rows = [(o.id, o.case_ref, o.status, o.attempts, o.to_addr, o.message_id,
             o.sent_at or "", o.relay_answer or o.last_error or "") for o in lines]
    write_rows("table", ("id", "case", "status", "attempts", "to", "message_id", "sent_at", "answer"), rows)
    return 0


def run_retry(args: argparse.Namespace) -> int:
    from deskapp.actions.outbox import retry
    from deskapp.supervision.dbarg import open_existing_desk

    desk = open_existing_desk(args)
    try:
        message_id = retry(desk, args.outbox_id)
    finally:
        desk.close()
    print(f"outbox {args.outbox_id} queued again ({message_id})")
    return 0
