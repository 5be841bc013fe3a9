"""`deskapp mail fetch` and `deskapp mail watch`: mail in from IMAP (TLS only) or a Maildir.

The work is deskapp.supervision.mailfetch's; this reads the options. The IMAP
password comes from --password-file (default <config folder>/imap.password),
a file only the service account may read, or from $DESKAPP_IMAP_PASSWORD in
the service account's own environment (a systemd EnvironmentFile): never
from the command line, where `ps` would show it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from deskapp.errors import ConfigError

PASSWORD_ENV = "DESKAPP_IMAP_PASSWORD"
PASSWORD_FILE = "imap.password"


def register_receive(mail_sub, common: argparse.ArgumentParser) -> None:
    """Add `fetch` and `watch` under `deskapp mail` (deskapp.commands.mail registers the group)."""
    for name, text in (("fetch", "read the new messages once, print one line for each, exit"),
                       ("watch", "keep reading new messages until SIGTERM (for systemd)")):
        cmd = mail_sub.add_parser(name, parents=[common], help=text, description=text + ". Admins only.")
        where = cmd.add_mutually_exclusive_group(required=True)
        where.add_argument("--imap", metavar="HOST[:PORT]", help="the IMAP server (IMAPS on 993 unless --starttls)")
        where.add_argument("--maildir", metavar="PATH", help="a Maildir folder instead of IMAP")
        cmd.add_argument("--user", metavar="NAME", help="the IMAP login (default: this account's name)")
        cmd.add_argument("--password-file", metavar="PATH",
                         help=f"a 0600 file holding the IMAP password (default <config folder>/{PASSWORD_FILE}; "
                              f"else ${PASSWORD_ENV})")
        cmd.add_argument("--starttls", action="store_true", help="plain IMAP upgraded with STARTTLS (port 143)")
        cmd.add_argument("--folder", default="INBOX", help="the folder to read (default INBOX)")
        cmd.add_argument("--cafile", metavar="PATH", help="trust this CA for the server's certificate")
        cmd.add_argument("--max-size", type=float, default=25, metavar="MB",
                         help="reject messages bigger than this (default 25 MB)")
        cmd.add_argument("--own-domain", action="append", default=[], metavar="DOMAIN",
                         help="Message-IDs from this domain are the desk's own: mail loops (repeatable)")
        if name == "watch":
            cmd.add_argument("--every", type=float, default=60, metavar="SECONDS",
                             help="how often to look for new mail (default 60)")
        cmd.set_defaults(func=run_fetch if name == "fetch" else run_watch)


def _check(args: argparse.Namespace) -> None:
    if args.max_size <= 0:
        raise ConfigError("--max-size: must be more than 0 MB")
    if getattr(args, "every", 1) <= 0:
        raise ConfigError("--every: must be more than 0 seconds")


def _limits(args: argparse.Namespace, desk):
    """The size limit, and the desk's own domains: --own-domain plus that of its sending address."""
    from deskapp.actions.outbox import mail_from
    from deskapp.core.mailparse import Limits

    domains = list(args.own_domain)
    sender = mail_from(desk.engine)
    if sender and "@" in sender:
        domains.append(sender.rpartition("@")[2].strip(">").lower())
    # The X-Loop this desk puts on what it sends (deskapp.mail.sender.loop_mark): mail carrying it is
    # our own come back; another deskapp's mail (its own address) is a person's email like any other.
    token = f"deskapp {sender}" if sender else "deskapp"
    return Limits(max_bytes=int(args.max_size * 1024 * 1024), own_domains=tuple(domains), loop_token=token)


def _password(args: argparse.Namespace) -> str:
    from deskapp import config
    from deskapp.core.secretfile import read_secret

    if args.password_file:
        return read_secret(Path(args.password_file).expanduser())
    default = config.config_dir() / PASSWORD_FILE
    if default.exists():
        return read_secret(default)
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    raise ConfigError(f"no IMAP password: put it in {default} (chmod 600), name a file with --password-file, "
                      f"or set {PASSWORD_ENV} in the service account's environment")


def _connector(args: argparse.Namespace):
    """A function that opens the source (a watch reconnects through it)."""
    from deskapp.supervision.mailbox import ImapSettings, ImapSource, MaildirSource

    if args.maildir:
        return lambda: MaildirSource(args.maildir)
    host, _, port = args.imap.rpartition(":") if ":" in args.imap else (args.imap, "", "")
    if port and not port.isdigit():
        raise ConfigError(f"--imap {args.imap}: the port must be a number")
    import getpass

    settings = ImapSettings(host=host, port=int(port) if port else (143 if args.starttls else 993),
                            user=args.user or getpass.getuser(), password=_password(args),
                            tls="starttls" if args.starttls else "implicit", folder=args.folder,
                            cafile=args.cafile)
    return lambda: ImapSource(settings)


def _say(line: str) -> None:
    print(line, flush=True)


def _warn(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_fetch(args: argparse.Namespace) -> int:
    from deskapp.supervision.dbarg import open_existing_desk
    from deskapp.supervision.mailfetch import Stopper, fetch

    _check(args)
    connect = _connector(args)
    desk = open_existing_desk(args)
    try:
        limits = _limits(args, desk)
        source = connect()
        try:
            with Stopper() as stop:
                report = fetch(desk, source, limits, out=_say, stop=stop)
        finally:
            source.close()
    finally:
        desk.close()
    _warn(report.summary(source.name))
    return 0


def run_watch(args: argparse.Namespace) -> int:
    from deskapp.supervision.dbarg import open_existing_desk
    from deskapp.supervision.mailfetch import watch

    _check(args)
    connect = _connector(args)
    desk = open_existing_desk(args)
    try:
        return watch(desk, connect, _limits(args, desk), every=args.every, out=_say, err=_warn)
    finally:
        desk.close()
